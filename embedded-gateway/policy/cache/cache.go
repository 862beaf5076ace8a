// Package cache is the response cache policy. It behaves as an RFC 9111 shared cache in
// front of the upstream (or mock), runs in policy.PhaseCache, and keeps its entries in
// memory.
//
// Settings (all optional):
//
//		{
//		  "ttl": "1m",
//		  "maxEntries": 1000,
//		  "maxBodyBytes": 1048576,
//		  "maxTotalBytes": 67108864,
//		  "varyHeaders": ["X-Tenant"]
//		}
//
//	  - ttl: how long a response without explicit freshness (no s-maxage, max-age or
//	    Expires) stays fresh; default DefaultTTL. "0s" caches only responses that state
//	    their own freshness.
//	  - maxEntries: at most this many responses are kept; default DefaultMaxEntries.
//	  - maxBodyBytes: larger responses are not stored; default DefaultMaxBodyBytes.
//	  - maxTotalBytes: the bodies and headers of all entries together stay under this;
//	    default DefaultMaxTotalBytes. Beyond either bound the least recently used entries go.
//	  - varyHeaders: request headers that select a separate entry, in addition to the
//	    response's own Vary.
//
// What is cached: responses to GET requests, with a status of 200, 203, 204, 300, 301,
// 308, 404, 405, 410, 414 or 501, at most maxBodyBytes long, that are fresh when they
// arrive. Not stored: responses carrying no-store, no-cache or private (this is a shared
// cache), Set-Cookie, "Vary: *", or a Content-Type of text/event-stream; responses to
// requests carrying no-store; and responses to requests with an Authorization header
// unless the response says public, must-revalidate or s-maxage (RFC 9111 section 3.5,
// which also governs reusing such entries). Freshness comes from s-maxage, then max-age,
// then Expires minus Date, then ttl; the age from Age, Date and the time the upstream took
// (RFC 9111 section 4.2.3).
//
// A HEAD request is answered from the GET entry (headers only); a HEAD miss goes to the
// upstream and is not stored. The cache key is the request's host, path and query, the
// Vary (and varyHeaders) request header values, and the consumer (policy.IdentityFrom):
// every consumer has entries of its own, so one never sees what was cached for another.
// Requests whose identity names no one (no subject and no credential) bypass the cache.
// Anonymous requests share entries: an upstream whose answer depends on a cookie or on
// any other header must say so with Vary (or private), or be given varyHeaders.
//
// Request directives honoured: no-cache (and "Pragma: no-cache" without Cache-Control)
// skips the stored response but stores the new one; no-store does not store; max-age,
// min-fresh and max-stale limit which stored responses are acceptable (a stale one only
// with max-stale, and never one marked must-revalidate, proxy-revalidate or s-maxage);
// only-if-cached answers 504 when nothing acceptable is stored.
//
// Every GET or HEAD response passing through gets an X-Cache header: "HIT" when answered
// from the cache, "MISS" otherwise (whether or not the response was then stored). Hits also
// carry Age, in seconds. A hit answers a request's If-None-Match (or, without it,
// If-Modified-Since) with 304 Not Modified when the stored ETag (or Last-Modified) allows.
//
// Revalidation is not implemented: a stale entry is never refreshed with a conditional
// request upstream; the next miss replaces it. A successful (2xx or 3xx) POST, PUT, PATCH,
// DELETE or other unsafe request drops every entry for its target (RFC 9111 section 4.4);
// only entries of the same policy's store are seen, so configure the cache on the API
// rather than per operation where writes and reads share paths.
//
// Entries live in a store shared (through policy.Env.Shared) by every configuration of the
// same API and operation, so a reload keeps them; a reload that changes ttl, maxBodyBytes
// or varyHeaders empties it.
package cache

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// Name is the name the cache policy is registered under.
const Name = "cache"

// Defaults for settings left out.
const (
	// DefaultTTL is the freshness lifetime given to responses that state none.
	DefaultTTL = time.Minute
	// DefaultMaxEntries is the number of responses kept.
	DefaultMaxEntries = 1000
	// DefaultMaxBodyBytes is the largest response body stored: 1 MiB.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxTotalBytes bounds the memory of all entries together: 64 MiB.
	DefaultMaxTotalBytes = 64 << 20
)

// Header is the response header that says whether the cache answered: "HIT" or "MISS".
const Header = "X-Cache"

// Definitions returns the cache policy's definition, for registration.
func Definitions() []policy.Definition {
	return []policy.Definition{{Name: Name, Phase: policy.PhaseCache, New: newCache}}
}

// settings is the policy's configuration as written.
type settings struct {
	TTL           *policy.Duration `json:"ttl"`
	MaxEntries    *int             `json:"maxEntries"`
	MaxBodyBytes  *int64           `json:"maxBodyBytes"`
	MaxTotalBytes *int64           `json:"maxTotalBytes"`
	VaryHeaders   []string         `json:"varyHeaders"`
}

// cachePolicy is one configured cache policy.
type cachePolicy struct {
	ttl          time.Duration
	maxBodyBytes int64
	vary         []string // canonical varyHeaders
	store        *store
	now          func() time.Time
}

// newCache builds the cache policy.
func newCache(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s settings
	if err := policy.Decode(raw, &s); err != nil {
		return nil, err
	}
	p := &cachePolicy{ttl: DefaultTTL, maxBodyBytes: DefaultMaxBodyBytes, now: env.Clock()}
	maxEntries, maxTotal := DefaultMaxEntries, int64(DefaultMaxTotalBytes)
	if s.TTL != nil {
		if p.ttl = s.TTL.Std(); p.ttl < 0 {
			return nil, policy.Errorf("ttl", "must not be negative")
		}
	}
	if s.MaxEntries != nil {
		if maxEntries = *s.MaxEntries; maxEntries <= 0 {
			return nil, policy.Errorf("maxEntries", "must be positive")
		}
	}
	if s.MaxBodyBytes != nil {
		if p.maxBodyBytes = *s.MaxBodyBytes; p.maxBodyBytes <= 0 {
			return nil, policy.Errorf("maxBodyBytes", "must be a positive number of bytes")
		}
	}
	if s.MaxTotalBytes != nil {
		if maxTotal = *s.MaxTotalBytes; maxTotal <= 0 {
			return nil, policy.Errorf("maxTotalBytes", "must be a positive number of bytes")
		}
	}
	if maxTotal < p.maxBodyBytes {
		return nil, policy.Errorf("maxTotalBytes", "must be at least maxBodyBytes (%d)", p.maxBodyBytes)
	}
	for i, name := range s.VaryHeaders {
		if !policy.IsToken(name) {
			return nil, policy.Errorf(fmt.Sprintf("varyHeaders.%d", i), "%q is not a valid header name", name)
		}
		if c := http.CanonicalHeaderKey(name); !slices.Contains(p.vary, c) {
			p.vary = append(p.vary, c)
		}
	}
	fingerprint := fmt.Sprintf("ttl=%s body=%d vary=%s", p.ttl, p.maxBodyBytes, strings.Join(p.vary, ","))
	if env.Shared != nil {
		key := "cache/" + env.API + "/" + env.Operation
		st, ok := env.Shared.Get(key, func() any { return newStore() }).(*store)
		if !ok {
			return nil, fmt.Errorf("the shared object %q is not a response cache", key)
		}
		p.store = st
	} else {
		p.store = newStore()
	}
	p.store.configure(maxEntries, maxTotal, fingerprint)
	return p.middleware, nil
}

func (p *cachePolicy) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, next)
	})
}

// consumerKey returns the part of the key that separates consumers, and false when the
// request has an identity that names no one.
func consumerKey(r *http.Request) (string, bool) {
	id := policy.IdentityFrom(r.Context())
	switch {
	case id == nil:
		return "", true
	case id.Subject != "":
		return id.Subject, true
	case id.Credential != "":
		return "\x00" + id.Credential, true // never equal to a subject
	}
	return "", false
}

func (p *cachePolicy) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	k := urlKey{host: r.Host, path: r.URL.EscapedPath(), query: r.URL.RawQuery}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.passUnsafe(w, r, next, k)
		return
	}
	consumer, ok := consumerKey(r)
	if !ok || len(r.Header["Upgrade"]) > 0 {
		next.ServeHTTP(w, r)
		return
	}
	req := requestDirectives(r.Header)
	now := p.now()
	if !req.noCache {
		if e := p.store.lookup(k, consumer, r.Header); e != nil && acceptable(e, req, r, now) {
			serveHit(w, r, e, now)
			return
		}
	}
	if req.onlyIfCached {
		problem.Error(w, r, http.StatusGatewayTimeout, "not-cached", "the request asked for a cached response only (only-if-cached) and none is stored")
		return
	}
	mw := &missWriter{w: w, p: p, r: r, key: k, consumer: consumer, req: req, requestTime: now}
	if h := w.Header(); len(h) > 0 && r.Method == http.MethodGet {
		// Remember what outer policies set, so that it is not stored as the upstream's.
		mw.outer = make(http.Header, len(h))
		for k, vs := range h {
			mw.outer[k] = vs
		}
	}
	next.ServeHTTP(mw, r)
	mw.finish()
}

// acceptable reports whether the stored e may answer r (RFC 9111 section 4.2 and 5.2.1).
func acceptable(e *entry, req directives, r *http.Request, now time.Time) bool {
	if len(r.Header["Authorization"]) > 0 && !e.authOK {
		return false
	}
	age := e.age(now)
	if req.maxAge >= 0 && age > seconds(req.maxAge) {
		return false
	}
	if req.minFresh >= 0 && e.lifetime-age < seconds(req.minFresh) {
		return false
	}
	if age < e.lifetime {
		return true
	}
	if e.noStale {
		return false
	}
	return req.maxStaleAny || (req.maxStale >= 0 && age-e.lifetime <= seconds(req.maxStale))
}

// serveHit writes the stored response e.
func serveHit(w http.ResponseWriter, r *http.Request, e *entry, now time.Time) {
	h := w.Header()
	if notModified(r, e) {
		for _, k := range []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Last-Modified", "Vary"} {
			if v, ok := e.header[k]; ok {
				h[k] = append(h[k][:len(h[k]):len(h[k])], v...)
			}
		}
		setHitHeaders(h, e, now)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	n := 0
	for _, vs := range e.header {
		n += len(vs)
	}
	// One backing array for all values; each slice is capped so an append copies. Values
	// an outer policy set before the cache ran (CORS, say) come first, as they would have
	// before the upstream's.
	backing := make([]string, 0, n+1)
	for k, vs := range e.header {
		i := len(backing)
		backing = append(backing, h[k]...)
		backing = append(backing, vs...)
		h[k] = backing[i:len(backing):len(backing)]
	}
	if e.status != http.StatusNoContent {
		backing = append(backing, strconv.Itoa(len(e.body)))
		h["Content-Length"] = backing[len(backing)-1:]
	}
	setHitHeaders(h, e, now)
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.body)
	}
}

func setHitHeaders(h http.Header, e *entry, now time.Time) {
	h["Age"] = []string{strconv.FormatInt(int64(e.age(now)/time.Second), 10)}
	h[Header] = []string{"HIT"}
}

// notModified evaluates r's If-None-Match, or without it If-Modified-Since, against e.
func notModified(r *http.Request, e *entry) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		return etagMatch(inm, e.header.Get("Etag"))
	}
	ims, lm := r.Header.Get("If-Modified-Since"), e.header.Get("Last-Modified")
	if ims == "" || lm == "" {
		return false
	}
	t1, err1 := http.ParseTime(ims)
	t2, err2 := http.ParseTime(lm)
	return err1 == nil && err2 == nil && !t2.After(t1)
}

// passUnsafe serves a request with a method other than GET or HEAD, and drops the stored
// entries for its target when it succeeds.
func (p *cachePolicy) passUnsafe(w http.ResponseWriter, r *http.Request, next http.Handler, k urlKey) {
	switch r.Method {
	case http.MethodOptions, http.MethodTrace:
		next.ServeHTTP(w, r)
		return
	}
	if !p.store.has(k) {
		next.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(sw, r)
	if sw.status == 0 || (sw.status >= 200 && sw.status < 400) {
		p.store.invalidate(k)
	}
}

// statusWriter records the final status a handler sends.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records a final status and passes code on.
func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 && code >= 200 {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 and passes b on.
func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Flush flushes the wrapped writer.
func (sw *statusWriter) Flush() {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	_ = http.NewResponseController(sw.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// heuristic lists the statuses a cache may store (RFC 9110 section 15.1, less 206, which
// needs range handling).
var heuristic = map[int]bool{200: true, 203: true, 204: true, 300: true, 301: true, 308: true, 404: true, 405: true, 410: true, 414: true, 501: true}

// unstored are the response fields never kept in an entry: hop-by-hop fields, and fields
// the cache writes itself on every hit.
var unstored = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Age": true, Header: true, "Content-Length": true,
}

// missWriter passes a response through to the client and, when it may be stored, keeps a
// copy of it (up to maxBodyBytes) to store when the handler returns. It never holds the
// response back, so streaming responses stream.
type missWriter struct {
	w           http.ResponseWriter
	p           *cachePolicy
	r           *http.Request
	key         urlKey
	consumer    string
	req         directives
	requestTime time.Time

	outer http.Header // the header as it was before the handler ran; nil if empty

	wroteHeader bool
	pending     *entry // the entry being filled; nil when the response is not to be stored
	declared    int64  // the response's Content-Length, or -1
}

// Header returns the response header.
func (mw *missWriter) Header() http.Header { return mw.w.Header() }

// WriteHeader marks the response as a miss, decides whether to store it, and sends the
// header.
func (mw *missWriter) WriteHeader(code int) {
	if mw.wroteHeader || code < 200 {
		mw.w.WriteHeader(code)
		return
	}
	mw.wroteHeader = true
	h := mw.w.Header()
	mw.pending = mw.p.storable(mw, code, h)
	h[Header] = []string{"MISS"}
	mw.w.WriteHeader(code)
}

// Write sends b and keeps a copy while the response may still be stored.
func (mw *missWriter) Write(b []byte) (int, error) {
	if !mw.wroteHeader {
		mw.WriteHeader(http.StatusOK)
	}
	n, err := mw.w.Write(b)
	if e := mw.pending; e != nil {
		switch {
		case err != nil:
			mw.pending = nil
		case int64(len(e.body)+n) > mw.p.maxBodyBytes:
			mw.pending = nil
		default:
			e.body = append(e.body, b[:n]...)
		}
	}
	return n, err
}

// Flush flushes the wrapped writer.
func (mw *missWriter) Flush() {
	if !mw.wroteHeader {
		mw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(mw.w).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (mw *missWriter) Unwrap() http.ResponseWriter { return mw.w }

// finish completes a response the handler left unwritten, and stores the copy if it is
// complete.
func (mw *missWriter) finish() {
	if !mw.wroteHeader {
		mw.WriteHeader(http.StatusOK)
	}
	e := mw.pending
	if e == nil || (mw.declared >= 0 && mw.declared != int64(len(e.body))) {
		return
	}
	e.size = int64(len(e.body)) + entryOverhead + int64(len(e.key.host)+len(e.key.path)+len(e.key.query)+len(e.consumer))
	for k, vs := range e.header {
		e.size += int64(len(k))
		for _, v := range vs {
			e.size += int64(len(v)) + 16
		}
	}
	mw.p.store.put(e, mw.r.Header)
}

// storable returns the entry to fill for a response with status code and header h, or nil
// if the response must not be stored (RFC 9111 section 3).
func (p *cachePolicy) storable(mw *missWriter, code int, h http.Header) *entry {
	r := mw.r
	if r.Method != http.MethodGet || !heuristic[code] || mw.req.noStore {
		return nil
	}
	res := parseCacheControl(h["Cache-Control"])
	if res.noStore || res.noCache || res.private || len(h["Set-Cookie"]) > 0 {
		return nil
	}
	authOK := res.public || res.mustRevalidate || res.sMaxAge >= 0
	if len(r.Header["Authorization"]) > 0 && !authOK {
		return nil
	}
	if ct := h.Get("Content-Type"); len(ct) >= 17 && strings.EqualFold(ct[:17], "text/event-stream") {
		return nil
	}
	// Outer policies set their headers again on every request (CORS varies by Origin
	// itself): only what the handler added selects the entry and is stored.
	vary, star := varyNames(mw.added("Vary", h["Vary"]))
	if star {
		return nil
	}
	declared := int64(-1)
	if cl := h.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n > p.maxBodyBytes {
			return nil
		}
		declared = n
	}

	responseTime := p.now()
	date, dateErr := http.ParseTime(h.Get("Date"))
	var lifetime time.Duration
	switch {
	case res.sMaxAge >= 0:
		lifetime = seconds(res.sMaxAge)
	case res.maxAge >= 0:
		lifetime = seconds(res.maxAge)
	case len(h["Expires"]) > 0:
		exp, err := http.ParseTime(h.Get("Expires"))
		if err != nil {
			return nil // an invalid Expires means already expired
		}
		base := responseTime
		if dateErr == nil {
			base = date
		}
		lifetime = exp.Sub(base)
	default:
		lifetime = p.ttl
	}
	// corrected_initial_age (RFC 9111 section 4.2.3).
	var ageValue time.Duration
	if n, ok := deltaSeconds(strings.TrimSpace(h.Get("Age"))); ok {
		ageValue = seconds(n)
	}
	apparent := time.Duration(0)
	if dateErr == nil {
		apparent = max(0, responseTime.Sub(date))
	}
	initialAge := max(apparent, ageValue+max(0, responseTime.Sub(mw.requestTime)))
	if lifetime <= initialAge {
		return nil
	}

	for _, v := range p.vary {
		if !slices.Contains(vary, v) {
			vary = append(vary, v)
		}
	}
	varyValues := make([][]string, len(vary))
	for i, name := range vary {
		varyValues[i] = append([]string(nil), r.Header[name]...)
	}
	stored := make(http.Header, len(h))
	connectionListed := h["Connection"]
	for k, vs := range h {
		if unstored[k] || listed(connectionListed, k) {
			continue
		}
		if vs = mw.added(k, vs); len(vs) > 0 {
			stored[k] = append([]string(nil), vs...)
		}
	}
	mw.declared = declared
	e := &entry{
		key: mw.key, consumer: mw.consumer, vary: vary, varyValues: varyValues,
		status: code, header: stored, responseTime: responseTime, initialAge: initialAge,
		lifetime: lifetime, noStale: res.mustRevalidate || res.proxyRevalidate || res.sMaxAge >= 0,
		authOK: authOK,
	}
	if declared > 0 {
		e.body = make([]byte, 0, declared)
	}
	return e
}

// added returns the values of header k that the handler added to what outer policies had
// set before it ran.
func (mw *missWriter) added(k string, vs []string) []string {
	if pre := mw.outer[k]; len(pre) > 0 && len(vs) >= len(pre) && slices.Equal(vs[:len(pre)], pre) {
		return vs[len(pre):]
	}
	return vs
}

// listed reports whether name appears in the Connection lines conn.
func listed(conn []string, name string) bool {
	for _, line := range conn {
		for f := range strings.SplitSeq(line, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == name {
				return true
			}
		}
	}
	return false
}
