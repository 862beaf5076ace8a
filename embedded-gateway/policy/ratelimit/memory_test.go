package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func TestMemoryGCRA(t *testing.T) {
	type step struct {
		at            time.Duration // since t0
		wantAllowed   bool
		wantRemaining int
		wantRetry     time.Duration
		wantReset     time.Duration
	}
	tests := []struct {
		name  string
		limit Limit
		steps []step
	}{
		{
			name:  "burst defaults to requests, then one per interval",
			limit: Limit{Requests: 5, Window: time.Minute},
			steps: []step{
				{0, true, 4, 0, 12 * time.Second},
				{0, true, 3, 0, 24 * time.Second},
				{0, true, 2, 0, 36 * time.Second},
				{0, true, 1, 0, 48 * time.Second},
				{0, true, 0, 0, 60 * time.Second},
				{0, false, 0, 12 * time.Second, 60 * time.Second},
				{5 * time.Second, false, 0, 7 * time.Second, 55 * time.Second},
				{12 * time.Second, true, 0, 0, 60 * time.Second},
				{13 * time.Second, false, 0, 11 * time.Second, 59 * time.Second},
				{2 * time.Minute, true, 4, 0, 12 * time.Second},
			},
		},
		{
			name:  "burst of one spaces requests evenly",
			limit: Limit{Requests: 10, Window: time.Second, Burst: 1},
			steps: []step{
				{0, true, 0, 0, 100 * time.Millisecond},
				{50 * time.Millisecond, false, 0, 50 * time.Millisecond, 50 * time.Millisecond},
				{100 * time.Millisecond, true, 0, 0, 100 * time.Millisecond},
			},
		},
		{
			name:  "burst above requests",
			limit: Limit{Requests: 1, Window: time.Second, Burst: 3},
			steps: []step{
				{0, true, 2, 0, time.Second},
				{0, true, 1, 0, 2 * time.Second},
				{0, true, 0, 0, 3 * time.Second},
				{0, false, 0, time.Second, 3 * time.Second},
				{1500 * time.Millisecond, true, 0, 0, 2500 * time.Millisecond},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory(MemoryOptions{})
			for i, s := range tc.steps {
				d, err := m.Allow(context.Background(), "k", tc.limit, t0.Add(s.at))
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if d.Allowed != s.wantAllowed || d.Remaining != s.wantRemaining || d.RetryAfter != s.wantRetry || d.ResetAfter != s.wantReset {
					t.Fatalf("step %d at +%s: got allowed=%v remaining=%d retry=%s reset=%s, want %v %d %s %s",
						i, s.at, d.Allowed, d.Remaining, d.RetryAfter, d.ResetAfter, s.wantAllowed, s.wantRemaining, s.wantRetry, s.wantReset)
				}
				if d.Limit != tc.limit {
					t.Fatalf("step %d: decision limit %+v, want %+v", i, d.Limit, tc.limit)
				}
			}
		})
	}
}

func TestMemoryRejectedRequestsConsumeNothing(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	limit := Limit{Requests: 2, Window: time.Second}
	ctx := context.Background()
	for range 2 {
		if d, _ := m.Allow(ctx, "k", limit, t0); !d.Allowed {
			t.Fatal("burst request rejected")
		}
	}
	// A client hammering the limit must not push its own reset further away.
	for i := range 100 {
		d, _ := m.Allow(ctx, "k", limit, t0.Add(time.Duration(i)*time.Millisecond))
		if d.Allowed {
			t.Fatalf("request %d allowed over the limit", i)
		}
	}
	if d, _ := m.Allow(ctx, "k", limit, t0.Add(500*time.Millisecond)); !d.Allowed {
		t.Fatalf("request after one interval rejected (retry after %s): rejections were counted", d.RetryAfter)
	}
}

func TestMemoryConcurrentAllowsExactlyTheBurst(t *testing.T) {
	m := NewMemory(MemoryOptions{Shards: 4})
	limit := Limit{Requests: 100, Window: time.Hour}
	const goroutines, perG = 8, 50
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range perG {
				d, err := m.Allow(context.Background(), "shared", limit, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
				// A private key per goroutine is never limited.
				if d, _ := m.Allow(context.Background(), fmt.Sprint("own", g), Limit{Requests: perG, Window: time.Hour}, t0); !d.Allowed {
					t.Error("private key limited")
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 100 {
		t.Fatalf("allowed %d requests concurrently, want exactly 100", got)
	}
}

func TestMemoryForgetsIdleKeys(t *testing.T) {
	m := NewMemory(MemoryOptions{Shards: 1, SweepInterval: time.Minute})
	limit := Limit{Requests: 1, Window: time.Second}
	for i := range 1000 {
		m.Allow(context.Background(), fmt.Sprint("k", i), limit, t0)
	}
	if n := m.Len(); n != 1000 {
		t.Fatalf("Len = %d, want 1000", n)
	}
	// Less than a sweep interval later the idle keys are still there.
	m.Allow(context.Background(), "x", limit, t0.Add(30*time.Second))
	if n := m.Len(); n != 1001 {
		t.Fatalf("Len = %d before the sweep interval, want 1001", n)
	}
	m.Allow(context.Background(), "y", limit, t0.Add(2*time.Minute))
	if n := m.Len(); n != 1 {
		t.Fatalf("Len = %d after a sweep, want 1 (only the key just used)", n)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	m := NewMemory(MemoryOptions{Shards: 2, MaxKeys: 10})
	limit := Limit{Requests: 1, Window: time.Hour}
	for i := range 100 {
		d, _ := m.Allow(context.Background(), fmt.Sprint("k", i), limit, t0)
		if !d.Allowed {
			t.Fatalf("new key %d rejected", i)
		}
	}
	if n := m.Len(); n > 10 {
		t.Fatalf("Len = %d, want at most 10", n)
	}
	if m.Evictions() == 0 {
		t.Fatal("no evictions counted")
	}
}

func TestMemoryInvalidLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit Limit
	}{
		{"zero requests", Limit{Window: time.Second}},
		{"zero window", Limit{Requests: 1}},
		{"negative burst", Limit{Requests: 1, Window: time.Second, Burst: -1}},
		{"faster than a nanosecond", Limit{Requests: 10, Window: 5}},
		{"huge burst", Limit{Requests: 1, Window: time.Hour, Burst: 1 << 62}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMemory(MemoryOptions{}).Allow(context.Background(), "k", tc.limit, t0)
			if !errors.Is(err, ErrInvalidLimit) {
				t.Fatalf("err = %v, want ErrInvalidLimit", err)
			}
		})
	}
}

func TestMemoryQuota(t *testing.T) {
	q := NewMemoryQuota(0)
	ctx := context.Background()
	day1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	steps := []struct {
		name        string
		start       time.Time
		limit       int
		wantUsed    int
		wantAllowed bool
	}{
		{"first", day1, 2, 1, true},
		{"second", day1, 2, 2, true},
		{"over", day1, 2, 2, false},
		{"still over, not counted", day1, 2, 2, false},
		{"limit raised by a reload", day1, 3, 3, true},
		{"new period starts at zero", day2, 3, 1, true},
		{"an older period counts against the newer one", day1, 3, 2, true},
	}
	for _, s := range steps {
		used, ok, err := q.Increment(ctx, "k", s.start, s.limit)
		if err != nil || used != s.wantUsed || ok != s.wantAllowed {
			t.Fatalf("%s: got (%d, %v, %v), want (%d, %v)", s.name, used, ok, err, s.wantUsed, s.wantAllowed)
		}
	}
}

func TestMemoryQuotaDropsOldPeriodsAndIsBounded(t *testing.T) {
	q := NewMemoryQuota(64 * 4) // 4 per shard
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		q.Increment(ctx, fmt.Sprint("old", i), start, 10)
	}
	if n := q.Len(); n > 64*4 {
		t.Fatalf("Len = %d, over the bound", n)
	}
	later := start.AddDate(0, 2, 0)
	for i := range 64 * 8 {
		q.Increment(ctx, fmt.Sprint("new", i), later, 10)
	}
	if n := q.Len(); n > 64*4 {
		t.Fatalf("Len = %d, over the bound", n)
	}
	if q.Evictions() == 0 {
		t.Fatal("no evictions counted")
	}
}

func TestMemoryQuotaConcurrent(t *testing.T) {
	q := NewMemoryQuota(0)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, ok, _ := q.Increment(context.Background(), "k", start, 123); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 123 {
		t.Fatalf("allowed %d, want exactly 123", got)
	}
}
