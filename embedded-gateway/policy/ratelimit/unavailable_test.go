package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// TestStoreFailingClosed: a store that returns an UnavailableError gets the request
// refused with 503 and its Retry-After, not let through.
func TestStoreFailingClosed(t *testing.T) {
	unavailable := fmt.Errorf("shared store: %w", &UnavailableError{RetryAfter: 1500 * time.Millisecond, Err: errors.New("connection refused")})
	tests := []struct {
		name     string
		stores   Stores
		policy   string
		settings string
	}{
		{"rateLimit", Stores{Limiter: LimiterFunc(func(context.Context, string, Limit, time.Time) (Decision, error) {
			return Decision{}, unavailable
		})}, "rateLimit", `{"requests": 1, "window": "1m"}`},
		{"quota", Stores{Quotas: QuotaFunc(func(context.Context, string, time.Time, int) (int, bool, error) {
			return 0, false, unavailable
		})}, "quota", `{"requests": 1, "period": "day"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := &Stats{}
			tt.stores.Stats = stats
			h, calls := build(t, tt.stores, tt.policy, tt.settings, policy.Env{})
			rec := request{consumer: "alice"}.send(h)
			if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" || *calls != 0 {
				t.Fatalf("status %d, Retry-After %q, next called %d times; want 503, 2, 0", rec.Code, rec.Header().Get("Retry-After"), *calls)
			}
			if stats.Unavailable.Load() != 1 || stats.LimiterErrors.Load() != 0 {
				t.Fatalf("Unavailable %d, LimiterErrors %d; want 1 and 0", stats.Unavailable.Load(), stats.LimiterErrors.Load())
			}
		})
	}
}

// periodStore records the period ends IncrementPeriod is given.
type periodStore struct {
	*MemoryQuota
	ends []time.Time
}

func (p *periodStore) IncrementPeriod(ctx context.Context, key string, start, end time.Time, limit int) (int, bool, error) {
	p.ends = append(p.ends, end)
	return p.Increment(ctx, key, start, limit)
}

// TestQuotaPassesPeriodEnd: a PeriodQuotaStore learns when each period ends.
func TestQuotaPassesPeriodEnd(t *testing.T) {
	now := time.Date(2025, 2, 10, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name, period string
		want         time.Time
	}{
		{"day", "day", time.Date(2025, 2, 11, 0, 0, 0, 0, time.UTC)},
		{"month", "month", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &periodStore{MemoryQuota: NewMemoryQuota(0)}
			env := policy.Env{Now: func() time.Time { return now }}
			h, _ := build(t, Stores{Quotas: store}, "quota", `{"requests": 1, "period": "`+tt.period+`"}`, env)
			codes := []int{request{}.send(h).Code, request{}.send(h).Code}
			if codes[0] != 200 || codes[1] != 429 {
				t.Fatalf("codes %v, want [200 429]", codes)
			}
			if len(store.ends) != 2 || !store.ends[0].Equal(tt.want) {
				t.Fatalf("ends %v, want %v twice", store.ends, tt.want)
			}
		})
	}
}
