package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingStores counts the calls made to it, by method.
type countingStores struct {
	allow, incr, incrPeriod atomic.Int64
}

func (c *countingStores) Allow(context.Context, string, Limit, time.Time) (Decision, error) {
	c.allow.Add(1)
	return Decision{Allowed: true}, nil
}

func (c *countingStores) Increment(context.Context, string, time.Time, int) (int, bool, error) {
	c.incr.Add(1)
	return 1, true, nil
}

func (c *countingStores) IncrementPeriod(context.Context, string, time.Time, time.Time, int) (int, bool, error) {
	c.incrPeriod.Add(1)
	return 1, true, nil
}

func (c *countingStores) stores() Stores { return Stores{Limiter: c, Quotas: c} }

// plainQuota is a QuotaStore that is not a PeriodQuotaStore.
type plainQuota struct{ n atomic.Int64 }

func (q *plainQuota) Increment(context.Context, string, time.Time, int) (int, bool, error) {
	return int(q.n.Add(1)), true, nil
}

func TestSwitchDelegates(t *testing.T) {
	local, shared := &countingStores{}, &countingStores{}
	sw := NewSwitch(local.stores())
	call := func() {
		ctx, now := context.Background(), time.Now()
		if _, err := sw.Allow(ctx, "k", Limit{Requests: 1, Window: time.Second}, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sw.Increment(ctx, "k", now, 5); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sw.IncrementPeriod(ctx, "k", now, now.Add(time.Hour), 5); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name      string
		set       *Stores // nil: no Set
		wantLocal int64
		wantOther int64
	}{
		{"local at first", nil, 1, 0},
		{"shared after Set", &Stores{Limiter: shared, Quotas: shared}, 1, 1},
		{"local again after Set(Stores{})", &Stores{}, 2, 1},
	}
	for _, st := range steps {
		if st.set != nil {
			sw.Set(*st.set)
		}
		call()
		for _, c := range []struct {
			name string
			cs   *countingStores
			want int64
		}{{"local", local, st.wantLocal}, {"shared", shared, st.wantOther}} {
			if a, i, p := c.cs.allow.Load(), c.cs.incr.Load(), c.cs.incrPeriod.Load(); a != c.want || i != c.want || p != c.want {
				t.Errorf("%s: %s store called %d/%d/%d times, want %d each", st.name, c.name, a, i, p, c.want)
			}
		}
	}

	// A store without IncrementPeriod gets Increment; Set returns what it replaces.
	pq := &plainQuota{}
	old := sw.Set(Stores{Quotas: pq})
	if old.Limiter != local || old.Quotas != local {
		t.Errorf("Set returned %+v, want the local stores", old)
	}
	now := time.Now()
	if _, _, err := sw.IncrementPeriod(context.Background(), "k", now, now.Add(time.Hour), 5); err != nil || pq.n.Load() != 1 {
		t.Errorf("IncrementPeriod on a plain QuotaStore: err %v, %d increments", err, pq.n.Load())
	}
	if cur := sw.Current(); cur.Limiter != local || cur.Quotas != pq {
		t.Errorf("Current = %+v", cur)
	}
	if s := sw.Stores(); s.Limiter != sw || s.Quotas != sw {
		t.Errorf("Stores = %+v, want the switch itself", s)
	}
}

func TestSwitchDefaults(t *testing.T) {
	sw := NewSwitch(Stores{})
	if _, ok := sw.Local().Limiter.(*Memory); !ok {
		t.Errorf("local limiter %T, want *Memory", sw.Local().Limiter)
	}
	if _, ok := sw.Local().Quotas.(*MemoryQuota); !ok {
		t.Errorf("local quotas %T, want *MemoryQuota", sw.Local().Quotas)
	}
	lim := Limit{Requests: 2, Window: time.Minute}
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		d, err := sw.Allow(context.Background(), "k", lim, now)
		if err != nil || d.Allowed != want {
			t.Errorf("request %d: allowed %v (err %v), want %v", i, d.Allowed, err, want)
		}
	}
}

// TestSwitchConcurrent swaps the stores while requests are counted (run with -race): every
// request is counted exactly once, in one of the stores.
func TestSwitchConcurrent(t *testing.T) {
	a, b := &countingStores{}, &countingStores{}
	sw := NewSwitch(a.stores())
	const workers, perWorker = 8, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var swapper sync.WaitGroup
	swapper.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				sw.Set(b.stores())
			} else {
				sw.Set(Stores{})
			}
		}
	})
	for range workers {
		wg.Go(func() {
			now := time.Now()
			for range perWorker {
				_, _ = sw.Allow(context.Background(), "k", Limit{Requests: 1, Window: time.Second}, now)
				_, _, _ = sw.IncrementPeriod(context.Background(), "k", now, now.Add(time.Hour), 1)
			}
		})
	}
	wg.Wait()
	close(stop)
	swapper.Wait()
	if got := a.allow.Load() + b.allow.Load(); got != workers*perWorker {
		t.Errorf("Allow counted %d times, want %d", got, workers*perWorker)
	}
	if got := a.incrPeriod.Load() + b.incrPeriod.Load(); got != workers*perWorker {
		t.Errorf("IncrementPeriod counted %d times, want %d", got, workers*perWorker)
	}
}
