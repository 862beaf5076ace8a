package redislimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/testservice"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
)

// BenchmarkAllow compares one rate-limit decision in Redis (one round trip to a local
// redis-server) with one in memory, one request at a time and from parallel goroutines
// over many keys (8 per CPU, as concurrent requests would). The redis benchmarks report their cost as a multiple of the memory
// limiter's ("x-memory").
func BenchmarkAllow(b *testing.B) {
	rdb := client(b, testservice.Redis(b))
	limit := ratelimit.Limit{Requests: 1_000_000, Window: time.Second}
	keys := make([]string, 1<<12)
	for i := range keys {
		keys[i] = "rateLimit\x00petstore\x00listPets\x00default\x00consumer\x00consumer-" + strconv.Itoa(i)
	}
	run := func(l ratelimit.Limiter, parallel bool) func(*testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			if !parallel {
				for i := 0; b.Loop(); i++ {
					if _, err := l.Allow(ctx, keys[i&(len(keys)-1)], limit, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			var next atomic.Uint64
			b.SetParallelism(8) // 8 goroutines per CPU: round trips overlap, as requests do
			b.RunParallel(func(pb *testing.PB) {
				i := next.Add(7919)
				for pb.Next() {
					i++
					if _, err := l.Allow(ctx, keys[i&uint64(len(keys)-1)], limit, time.Now()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	for _, mode := range []struct {
		name     string
		parallel bool
	}{{"serial", false}, {"parallel", true}} {
		var memNs float64
		b.Run(mode.name+"/memory", func(b *testing.B) {
			run(ratelimit.NewMemory(ratelimit.MemoryOptions{}), mode.parallel)(b)
			memNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(mode.name+"/redis", func(b *testing.B) {
			metrics := NewMetrics()
			run(New(rdb, Options{Prefix: prefix(b), Metrics: metrics}).Limiter(), mode.parallel)(b)
			// Requests that timed out (a loaded machine) were decided in memory instead:
			// say so, since they flatter the figure.
			if n := value(b, metrics.outages); n > 0 {
				b.ReportMetric(n, "outages")
			}
			if memNs > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/memNs, "x-memory")
			}
		})
	}
}
