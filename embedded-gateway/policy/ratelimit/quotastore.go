package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// SharedQuotaKey is the policy.Shared key under which quota policies keep their in-memory
// QuotaStore, so that a configuration reload keeps the counters.
const SharedQuotaKey = "ratelimit/quota"

// QuotaStore counts requests per key and calendar period.
//
// Increment counts one request against key for the period that begins at start, unless
// limit requests have already been counted for it. It returns the count after the call
// and whether this request was counted; a request that is not allowed is not counted. A
// start later than the one last seen for key begins a new period at zero; counters of
// earlier periods no longer matter and may be dropped. The same key may be used with a
// changed limit after a configuration reload.
//
// Implementations must be safe for concurrent use and make the check and the increment
// atomic. The in-memory MemoryQuota loses its counters when the process exits; a
// persistent implementation (the workspace's SQLite store, the cluster's shared store)
// keeps them across restarts by storing (key, start, count). An error means nothing was
// counted; callers then let the request through.
type QuotaStore interface {
	Increment(ctx context.Context, key string, start time.Time, limit int) (used int, allowed bool, err error)
}

// PeriodQuotaStore is a QuotaStore that also wants to know when the period ends, so that
// it can expire a counter once its period is over (a shared store that does not sweep).
// The quota policy calls IncrementPeriod instead of Increment on a store that implements
// it; end is the exclusive end of the period that begins at start. Otherwise the contract
// is Increment's.
type PeriodQuotaStore interface {
	QuotaStore
	IncrementPeriod(ctx context.Context, key string, start, end time.Time, limit int) (used int, allowed bool, err error)
}

// QuotaFunc adapts a function to the QuotaStore interface.
type QuotaFunc func(ctx context.Context, key string, start time.Time, limit int) (used int, allowed bool, err error)

var _ QuotaStore = QuotaFunc(nil)

// Increment calls f.
func (f QuotaFunc) Increment(ctx context.Context, key string, start time.Time, limit int) (int, bool, error) {
	return f(ctx, key, start, limit)
}

// MemoryQuota is an in-process QuotaStore. Counters whose period began more than 32 days
// before the newest period seen by their shard are dropped, so memory is bounded by the
// keys active in about a month, and by MaxKeys. Safe for concurrent use. The zero value is
// not usable; call NewMemoryQuota.
type MemoryQuota struct {
	seed      maphash.Seed
	shards    []quotaShard
	mask      uint64
	perShard  int
	evictions atomic.Uint64
}

var _ QuotaStore = (*MemoryQuota)(nil)

type quotaCounter struct {
	start int64 // period start, Unix ns
	used  int
}

type quotaShard struct {
	mu     sync.Mutex
	m      map[string]quotaCounter
	newest int64 // the latest period start seen, Unix ns
	_      [40]byte
}

// quotaRetention is how long after a newer period began an old counter is kept.
const quotaRetention = 32 * 24 * time.Hour

// NewMemoryQuota returns an empty MemoryQuota that tracks at most maxKeys counters (0
// means 1<<20); when full, an arbitrary counter is forgotten and Evictions counts it.
func NewMemoryQuota(maxKeys int) *MemoryQuota {
	const n = 64
	if maxKeys <= 0 {
		maxKeys = 1 << 20
	}
	q := &MemoryQuota{seed: maphash.MakeSeed(), shards: make([]quotaShard, n), mask: n - 1, perShard: max(1, (maxKeys+n-1)/n)}
	for i := range q.shards {
		q.shards[i].m = make(map[string]quotaCounter)
	}
	return q
}

// Increment implements QuotaStore; it never fails.
func (q *MemoryQuota) Increment(_ context.Context, key string, start time.Time, limit int) (int, bool, error) {
	st := start.UnixNano()
	s := q.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st > s.newest {
		s.newest = st
		s.sweep(st - int64(quotaRetention))
	}
	c, known := s.m[key]
	if !known || st > c.start {
		c = quotaCounter{start: st}
	}
	if c.used >= limit {
		return c.used, false, nil
	}
	c.used++
	if !known && len(s.m) >= q.perShard {
		for k := range s.m {
			delete(s.m, k)
			q.evictions.Add(1)
			break
		}
	}
	s.m[key] = c
	return c.used, true, nil
}

// shardOf returns the shard that holds key.
func (q *MemoryQuota) shardOf(key string) *quotaShard {
	return &q.shards[maphash.String(q.seed, key)&q.mask]
}

// sweep drops the counters of s (locked) whose period began before cutoff.
func (s *quotaShard) sweep(cutoff int64) {
	for k, c := range s.m {
		if c.start < cutoff {
			delete(s.m, k)
		}
	}
}

// Len returns the number of counters currently kept.
func (q *MemoryQuota) Len() int {
	n := 0
	for i := range q.shards {
		s := &q.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Evictions returns how many counters were forgotten because the MemoryQuota was full.
func (q *MemoryQuota) Evictions() uint64 { return q.evictions.Load() }
