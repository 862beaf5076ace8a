package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// memPersister is a QuotaPersister in memory, with the store's keep-the-later rule.
type memPersister struct {
	mu    sync.Mutex
	m     map[string]model.QuotaCount
	fail  bool
	saves int
}

func (p *memPersister) LoadQuotaCounts(_ context.Context, since time.Time) ([]model.QuotaCount, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []model.QuotaCount
	for _, c := range p.m {
		if !c.Start.Before(since) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (p *memPersister) SaveQuotaCounts(_ context.Context, cs []model.QuotaCount) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("disk full")
	}
	p.saves++
	for _, c := range cs {
		if cur, ok := p.m[c.Key]; ok && (cur.Start.After(c.Start) || (cur.Start.Equal(c.Start) && cur.Used >= c.Used)) {
			continue
		}
		p.m[c.Key] = c
	}
	return nil
}

// TestPersistentQuotaSurvivesRestart: a quota used up before a restart stays used up.
func TestPersistentQuotaSurvivesRestart(t *testing.T) {
	p := &memPersister{m: map[string]model.QuotaCount{}}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	q, err := NewPersistentQuota(t.Context(), p, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if used, ok, _ := q.Increment(t.Context(), "alice", day, 3); !ok || used != i {
			t.Fatalf("request %d: used %d, allowed %v", i, used, ok)
		}
	}
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	again, err := NewPersistentQuota(t.Context(), p, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(t.Context())
	if used, ok, _ := again.Increment(t.Context(), "alice", day, 3); ok || used != 3 {
		t.Fatalf("after a restart: used %d, allowed %v; want the quota still used up", used, ok)
	}
	if _, ok, _ := again.Increment(t.Context(), "alice", day.AddDate(0, 0, 1), 3); !ok {
		t.Fatal("a new period did not start afresh")
	}
	if _, ok, _ := again.Increment(t.Context(), "bob", day, 3); !ok {
		t.Fatal("another key was affected")
	}
}

func TestPersistentQuotaKeepsCountsWhenSavingFails(t *testing.T) {
	p := &memPersister{m: map[string]model.QuotaCount{}, fail: true}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	q, err := NewPersistentQuota(t.Context(), p, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = q.Increment(t.Context(), "alice", day, 10)
	_, _, _ = q.Increment(t.Context(), "alice", day, 10)
	if err := q.Save(t.Context()); err == nil {
		t.Fatal("Save succeeded against a failing store")
	}
	p.mu.Lock()
	p.fail = false
	p.mu.Unlock()
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := p.m["alice"].Used; got != 2 {
		t.Fatalf("saved count %d after a failed save and a retry, want 2", got)
	}
}
