package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// BenchmarkMemoryAllow measures Memory.Allow under parallel load: every goroutine on one
// hot key (worst-case lock contention), and spread over many keys (the common case).
func BenchmarkMemoryAllow(b *testing.B) {
	limit := Limit{Requests: 1_000_000, Window: time.Second}
	keys := make([]string, 1<<14)
	for i := range keys {
		keys[i] = "rateLimit\x00petstore\x00listPets\x00default\x00consumer\x00consumer-" + strconv.Itoa(i)
	}
	b.Run("hot key", func(b *testing.B) {
		m := NewMemory(MemoryOptions{})
		now := time.Now()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.Allow(context.Background(), keys[0], limit, now)
			}
		})
	})
	b.Run("many keys", func(b *testing.B) {
		m := NewMemory(MemoryOptions{})
		now := time.Now()
		var next atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(7919)
			for pb.Next() {
				i++
				m.Allow(context.Background(), keys[i&(1<<14-1)], limit, now)
			}
		})
	})
}

// BenchmarkRateLimitPolicy measures the whole rateLimit middleware on an allowed request.
func BenchmarkRateLimitPolicy(b *testing.B) {
	mw, err := Stores{}.newRateLimit([]byte(`{"requests": 1000000000, "window": "1s"}`), policy.Env{API: "petstore", Operation: "listPets"})
	if err != nil {
		b.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "/pets", nil)
		r = r.WithContext(policy.WithIdentity(r.Context(), &policy.Identity{Consumer: &policy.Consumer{Name: "alice"}}))
		w := httptest.NewRecorder()
		for pb.Next() {
			clear(w.Header())
			h.ServeHTTP(w, r)
		}
	})
}
