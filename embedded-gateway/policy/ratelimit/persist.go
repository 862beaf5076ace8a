package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// QuotaPersister loads and saves quota counters; the workspace store implements it.
type QuotaPersister interface {
	// LoadQuotaCounts returns the counters of periods that began at or after since.
	LoadQuotaCounts(ctx context.Context, since time.Time) ([]model.QuotaCount, error)
	// SaveQuotaCounts stores counters; a stored counter of a later period, or a higher
	// count for the same period, is kept.
	SaveQuotaCounts(ctx context.Context, counts []model.QuotaCount) error
}

// DefaultSaveInterval is how often a PersistentQuota saves changed counters.
const DefaultSaveInterval = time.Second

// PersistentQuota is a QuotaStore that counts in memory, so a request never waits on disk,
// and saves the changed counters to a QuotaPersister every interval and on Close; it starts
// from the saved counters. A crash loses at most the last interval's counts. Safe for
// concurrent use.
type PersistentQuota struct {
	mem *MemoryQuota
	p   QuotaPersister
	log *slog.Logger

	mu    sync.Mutex
	dirty map[string]model.QuotaCount

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

var _ QuotaStore = (*PersistentQuota)(nil)

// NewPersistentQuota loads the counters of the last 32 days from p and starts saving every
// interval (0 means DefaultSaveInterval). Call Close to save the rest and stop.
func NewPersistentQuota(ctx context.Context, p QuotaPersister, interval time.Duration, log *slog.Logger) (*PersistentQuota, error) {
	if interval <= 0 {
		interval = DefaultSaveInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q := &PersistentQuota{mem: NewMemoryQuota(0), p: p, log: log, dirty: map[string]model.QuotaCount{},
		stop: make(chan struct{}), done: make(chan struct{})}
	counts, err := p.LoadQuotaCounts(ctx, time.Now().Add(-quotaRetention))
	if err != nil {
		return nil, fmt.Errorf("loading quota counters: %w", err)
	}
	for _, c := range counts {
		q.mem.restore(c.Key, c.Start, c.Used)
	}
	go q.run(interval)
	return q, nil
}

// Increment implements QuotaStore, in memory.
func (q *PersistentQuota) Increment(ctx context.Context, key string, start time.Time, limit int) (int, bool, error) {
	used, ok, err := q.mem.Increment(ctx, key, start, limit)
	if ok && err == nil {
		q.mu.Lock()
		q.dirty[key] = model.QuotaCount{Key: key, Start: start.UTC(), Used: used}
		q.mu.Unlock()
	}
	return used, ok, err
}

func (q *PersistentQuota) run(interval time.Duration) {
	defer close(q.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			if err := q.Save(context.Background()); err != nil {
				q.log.Error("saving quota counters; retrying", "err", err)
			}
		}
	}
}

// Save stores the counters changed since the last save. On error they stay to be saved
// again.
func (q *PersistentQuota) Save(ctx context.Context) error {
	q.mu.Lock()
	if len(q.dirty) == 0 {
		q.mu.Unlock()
		return nil
	}
	batch := make([]model.QuotaCount, 0, len(q.dirty))
	for _, c := range q.dirty {
		batch = append(batch, c)
	}
	q.dirty = map[string]model.QuotaCount{}
	q.mu.Unlock()
	if err := q.p.SaveQuotaCounts(ctx, batch); err != nil {
		q.mu.Lock()
		for _, c := range batch {
			if cur, ok := q.dirty[c.Key]; !ok || cur.Start.Before(c.Start) || (cur.Start.Equal(c.Start) && cur.Used < c.Used) {
				q.dirty[c.Key] = c
			}
		}
		q.mu.Unlock()
		return err
	}
	return nil
}

// Close stops the background saving and saves what is left.
func (q *PersistentQuota) Close(ctx context.Context) error {
	q.once.Do(func() { close(q.stop) })
	<-q.done
	return q.Save(ctx)
}

// restore sets key's counter for the period starting at start, unless it already holds a
// later period or a higher count.
func (q *MemoryQuota) restore(key string, start time.Time, used int) {
	st := start.UnixNano()
	s := q.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st > s.newest {
		s.newest = st
	}
	if c, ok := s.m[key]; ok && (c.start > st || (c.start == st && c.used >= used)) {
		return
	}
	s.m[key] = quotaCounter{start: st, used: used}
}
