package cache

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// entryOverhead approximates the memory an entry costs besides its body and header.
const entryOverhead = 256

// urlKey identifies a cached resource: the request's host and target. Its variants (by
// consumer and by Vary) hang off it.
type urlKey struct{ host, path, query string }

// entry is one stored response. It is never changed once stored, so readers may use it
// after the store's lock is released.
type entry struct {
	key      urlKey
	consumer string
	// vary are the canonical names of the request headers that select this variant (the
	// response's Vary plus the configured varyHeaders); varyValues their values in the
	// request that produced the response.
	vary       []string
	varyValues [][]string

	status int
	header http.Header // without Age, X-Cache, Content-Length and hop-by-hop fields
	body   []byte

	responseTime time.Time
	initialAge   time.Duration // corrected_initial_age, RFC 9111 section 4.2.3
	lifetime     time.Duration // freshness lifetime
	// noStale forbids serving the entry once stale (must-revalidate, proxy-revalidate,
	// s-maxage).
	noStale bool
	// authOK allows the entry to answer requests with Authorization (public,
	// must-revalidate or s-maxage, RFC 9111 section 3.5).
	authOK bool

	size       int64
	prev, next *entry // LRU list; the store's sentinel is both ends
}

// selects reports whether e is the variant for a request by consumer with header h.
func (e *entry) selects(consumer string, h http.Header) bool {
	if e.consumer != consumer {
		return false
	}
	for i, name := range e.vary {
		if !slices.Equal(h[name], e.varyValues[i]) {
			return false
		}
	}
	return true
}

// age returns the entry's current age at now.
func (e *entry) age(now time.Time) time.Duration {
	return max(0, e.initialAge+now.Sub(e.responseTime))
}

// store is an LRU cache of responses bounded by entry count and total bytes. It is safe
// for concurrent use; one store is shared by every configuration of the same API and
// operation, so that a reload keeps the cached responses.
type store struct {
	mu          sync.Mutex
	byURL       map[urlKey][]*entry
	lru         entry // sentinel: lru.next is the most recently used
	entries     int
	bytes       int64
	maxEntries  int
	maxBytes    int64
	fingerprint string
}

func newStore() *store {
	s := &store{byURL: map[urlKey][]*entry{}}
	s.lru.next, s.lru.prev = &s.lru, &s.lru
	return s
}

// configure sets the bounds (evicting what no longer fits) and empties the store when the
// settings that shape its entries (fingerprint) changed.
func (s *store) configure(maxEntries int, maxBytes int64, fingerprint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fingerprint != fingerprint {
		s.byURL = map[urlKey][]*entry{}
		s.lru.next, s.lru.prev = &s.lru, &s.lru
		s.entries, s.bytes = 0, 0
		s.fingerprint = fingerprint
	}
	s.maxEntries, s.maxBytes = maxEntries, maxBytes
	s.evict()
}

// lookup returns the variant stored for consumer and request header h, or nil, and marks
// it as recently used.
func (s *store) lookup(k urlKey, consumer string, h http.Header) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.byURL[k] {
		if e.selects(consumer, h) {
			s.unlink(e)
			s.pushFront(e)
			return e
		}
	}
	return nil
}

// has reports whether anything is stored for k.
func (s *store) has(k urlKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byURL[k]) > 0
}

// put stores e, replacing the variant the same request would have selected (reqHeader is
// that request's header), and evicts the least recently used entries beyond the bounds.
func (s *store) put(e *entry, reqHeader http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.size > s.maxBytes {
		return
	}
	for _, old := range s.byURL[e.key] {
		if old.selects(e.consumer, reqHeader) {
			s.remove(old)
			break
		}
	}
	s.byURL[e.key] = append(s.byURL[e.key], e)
	s.pushFront(e)
	s.entries++
	s.bytes += e.size
	s.evict()
}

// invalidate drops every variant stored for k.
func (s *store) invalidate(k urlKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range slices.Clone(s.byURL[k]) {
		s.remove(e)
	}
}

// len returns the number of entries and their total size.
func (s *store) len() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries, s.bytes
}

func (s *store) evict() {
	for s.entries > 0 && (s.entries > s.maxEntries || s.bytes > s.maxBytes) {
		s.remove(s.lru.prev)
	}
}

func (s *store) remove(e *entry) {
	s.unlink(e)
	vs := s.byURL[e.key]
	if i := slices.Index(vs, e); i >= 0 {
		vs = slices.Delete(vs, i, i+1)
	}
	if len(vs) == 0 {
		delete(s.byURL, e.key)
	} else {
		s.byURL[e.key] = vs
	}
	s.entries--
	s.bytes -= e.size
}

func (s *store) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (s *store) pushFront(e *entry) {
	e.prev, e.next = &s.lru, s.lru.next
	s.lru.next.prev = e
	s.lru.next = e
}
