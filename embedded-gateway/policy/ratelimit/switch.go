package ratelimit

import (
	"context"
	"sync/atomic"
	"time"
)

// Switch is a Limiter and PeriodQuotaStore that delegates to a pair of stores that can be
// swapped while requests are counted: a gateway node builds its policies over a Switch
// once and moves its counters (from memory to a shared Redis and back) with Set. It is
// safe for concurrent use; the zero value is not usable, call NewSwitch.
type Switch struct {
	local Stores                 // what Set falls back to for a nil field
	cur   atomic.Pointer[Stores] // Limiter and Quotas both set
}

var (
	_ Limiter          = (*Switch)(nil)
	_ PeriodQuotaStore = (*Switch)(nil)
)

// NewSwitch returns a Switch counting in local, its stores until Set names others; a nil
// Limiter means a new Memory and a nil Quotas a new MemoryQuota. local.Stats is ignored.
func NewSwitch(local Stores) *Switch {
	if local.Limiter == nil {
		local.Limiter = NewMemory(MemoryOptions{})
	}
	if local.Quotas == nil {
		local.Quotas = NewMemoryQuota(0)
	}
	local.Stats = nil
	sw := &Switch{local: local}
	sw.cur.Store(&Stores{Limiter: local.Limiter, Quotas: local.Quotas})
	return sw
}

// Stores returns Stores whose rate limits and quotas are counted through sw, for
// builtin.RegistryWith or Stores.Definitions.
func (sw *Switch) Stores() Stores { return Stores{Limiter: sw, Quotas: sw} }

// Local returns the stores given to NewSwitch (with their defaults filled in).
func (sw *Switch) Local() Stores { return sw.local }

// Current returns the stores requests are counted in now.
func (sw *Switch) Current() Stores { return *sw.cur.Load() }

// Set makes requests counted in s from now on and returns the stores they were counted
// in before; a nil field of s means the local one, so Set(Stores{}) goes back to the
// local stores. s.Stats is ignored. Requests already being decided finish with the old
// stores.
func (sw *Switch) Set(s Stores) (old Stores) {
	next := &Stores{Limiter: s.Limiter, Quotas: s.Quotas}
	if next.Limiter == nil {
		next.Limiter = sw.local.Limiter
	}
	if next.Quotas == nil {
		next.Quotas = sw.local.Quotas
	}
	return *sw.cur.Swap(next)
}

// Allow decides the request with the current Limiter.
func (sw *Switch) Allow(ctx context.Context, key string, limit Limit, now time.Time) (Decision, error) {
	return sw.cur.Load().Limiter.Allow(ctx, key, limit, now)
}

// Increment counts the request in the current QuotaStore.
func (sw *Switch) Increment(ctx context.Context, key string, start time.Time, limit int) (int, bool, error) {
	return sw.cur.Load().Quotas.Increment(ctx, key, start, limit)
}

// IncrementPeriod counts the request in the current QuotaStore, with the period's end
// when it is a PeriodQuotaStore.
func (sw *Switch) IncrementPeriod(ctx context.Context, key string, start, end time.Time, limit int) (int, bool, error) {
	q := sw.cur.Load().Quotas
	if pq, ok := q.(PeriodQuotaStore); ok {
		return pq.IncrementPeriod(ctx, key, start, end, limit)
	}
	return q.Increment(ctx, key, start, limit)
}
