package ratelimit

import (
	"context"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// SharedMemoryKey is the policy.Shared key under which rateLimit policies keep their
// in-memory Limiter, so that a configuration reload keeps the counters.
const SharedMemoryKey = "ratelimit/memory"

// MemoryOptions tunes a Memory. The zero value is sensible for one gateway process.
type MemoryOptions struct {
	// Shards is the number of independently locked maps, rounded up to a power of two; 0
	// means 64.
	Shards int
	// MaxKeys bounds how many keys are tracked at once (about 60 bytes plus the key each);
	// 0 means 1<<20. When a shard is full and sweeping frees nothing, an arbitrary key is
	// forgotten (that key gets a fresh burst) and Evictions counts it.
	MaxKeys int
	// SweepInterval is how often each shard drops idle keys, as a side effect of Allow
	// (there is no background goroutine); 0 means one minute.
	SweepInterval time.Duration
}

// Memory is an in-process GCRA Limiter. It stores one timestamp per active key in sharded
// maps; a key is idle, and dropped by the next sweep, once its burst has fully refilled.
// Safe for concurrent use. The zero value is not usable; call NewMemory.
type Memory struct {
	seed       maphash.Seed
	shards     []memShard
	mask       uint64
	perShard   int
	sweepEvery int64
	evictions  atomic.Uint64
}

var _ Limiter = (*Memory)(nil)

type memShard struct {
	mu        sync.Mutex
	tat       map[string]int64 // key -> theoretical arrival time, Unix ns
	lastSweep int64
	_         [40]byte // keep shards on separate cache lines
}

// NewMemory returns an empty Memory tuned by opts.
func NewMemory(opts MemoryOptions) *Memory {
	n := opts.Shards
	if n <= 0 {
		n = 64
	}
	n = min(n, 1<<16)
	n = 1 << bits.Len(uint(n-1))
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = 1 << 20
	}
	sweep := opts.SweepInterval
	if sweep <= 0 {
		sweep = time.Minute
	}
	m := &Memory{
		seed:       maphash.MakeSeed(),
		shards:     make([]memShard, n),
		mask:       uint64(n - 1),
		perShard:   max(1, (maxKeys+n-1)/n),
		sweepEvery: int64(sweep),
	}
	for i := range m.shards {
		m.shards[i].tat = make(map[string]int64)
	}
	return m
}

// Allow applies GCRA to key. It never blocks on anything but a shard lock and never
// returns an error except ErrInvalidLimit for a limit that cannot be applied.
func (m *Memory) Allow(_ context.Context, key string, limit Limit, now time.Time) (Decision, error) {
	p, err := limit.params()
	if err != nil {
		return Decision{}, err
	}
	n := now.UnixNano()
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	if n-s.lastSweep >= m.sweepEvery {
		s.sweep(n)
	}
	tat, known := s.tat[key]
	d, newTAT := gcra(tat, n, p)
	if d.Allowed {
		if !known && len(s.tat) >= m.perShard {
			m.makeRoom(s, n)
		}
		s.tat[key] = newTAT
	}
	s.mu.Unlock()
	d.Limit = limit
	return d, nil
}

// makeRoom frees one slot in the full shard s (locked): by sweeping idle keys if the last
// sweep is at least a second old, else by forgetting an arbitrary key.
func (m *Memory) makeRoom(s *memShard, now int64) {
	if now-s.lastSweep >= int64(time.Second) {
		s.sweep(now)
		if len(s.tat) < m.perShard {
			return
		}
	}
	for k := range s.tat {
		delete(s.tat, k)
		m.evictions.Add(1)
		return
	}
}

// sweep drops the keys of s (locked) whose burst has fully refilled by now.
func (s *memShard) sweep(now int64) {
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	s.lastSweep = now
}

// Len returns the number of keys currently tracked, idle ones not yet swept included.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// Evictions returns how many active keys were forgotten because the Memory was full.
func (m *Memory) Evictions() uint64 { return m.evictions.Load() }
