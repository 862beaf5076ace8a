package redislimit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/gantry-dev/gantry/core/testservice"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
)

// t0 is an arbitrary instant for tests with a caller clock.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// client returns a go-redis client for addr with the package's defaults but generous
// timeouts (a loaded test machine must not open the circuit), closed when t ends. A
// stopped server refuses connections at once whatever the timeouts.
func client(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c, err := NewClient("redis://" + addr + "/0?dial_timeout=5s&read_timeout=5s&write_timeout=5s&pool_timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// prefix returns a key prefix of t's own, so that tests sharing one Redis do not meet.
func prefix(t testing.TB) string {
	return fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())
}

// value reads the value of a counter or gauge.
func value(t testing.TB, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestLimiterDecisions: with the caller's clock, the Redis limiter decides exactly as the
// in-memory one, field by field, and a rejected request leaves the key as it was.
func TestLimiterDecisions(t *testing.T) {
	addr := testservice.Redis(t)
	rdb := client(t, addr)
	ms := time.Millisecond
	tests := []struct {
		name  string
		limit ratelimit.Limit
		at    []time.Duration // request times after t0
		want  []ratelimit.Decision
	}{
		{
			name:  "5 per minute",
			limit: ratelimit.Limit{Requests: 5, Window: time.Minute, Burst: 5},
			at:    []time.Duration{0, 0, 0, 0, 0, 0, 11 * time.Second, 12 * time.Second, 12 * time.Second},
			want: []ratelimit.Decision{
				{Allowed: true, Remaining: 4, ResetAfter: 12 * time.Second},
				{Allowed: true, Remaining: 3, ResetAfter: 24 * time.Second},
				{Allowed: true, Remaining: 2, ResetAfter: 36 * time.Second},
				{Allowed: true, Remaining: 1, ResetAfter: 48 * time.Second},
				{Allowed: true, Remaining: 0, ResetAfter: 60 * time.Second},
				{Allowed: false, ResetAfter: 60 * time.Second, RetryAfter: 12 * time.Second},
				{Allowed: false, ResetAfter: 49 * time.Second, RetryAfter: time.Second},
				{Allowed: true, Remaining: 0, ResetAfter: 60 * time.Second},
				{Allowed: false, ResetAfter: 60 * time.Second, RetryAfter: 12 * time.Second},
			},
		},
		{
			name:  "burst above the rate",
			limit: ratelimit.Limit{Requests: 2, Window: time.Second, Burst: 4},
			at:    []time.Duration{0, 0, 0, 0, 0, 250 * ms, 500 * ms, 3 * time.Second},
		},
		{
			name:  "no burst",
			limit: ratelimit.Limit{Requests: 10, Window: 10 * time.Second, Burst: 1},
			at:    []time.Duration{0, 500 * ms, time.Second, 1500 * ms, 2 * time.Second, 2 * time.Second},
		},
		{
			name:  "burst defaults to requests",
			limit: ratelimit.Limit{Requests: 3, Window: 3 * time.Second},
			at:    []time.Duration{0, 0, 0, 0, 2 * time.Second, 2 * time.Second, time.Hour},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			b := New(rdb, Options{Prefix: prefix(t), CallerClock: true})
			mem := ratelimit.NewMemory(ratelimit.MemoryOptions{})
			for i, at := range tt.at {
				now := t0.Add(at)
				var before string
				if i > 0 {
					before = rdb.Get(ctx, b.opts.Prefix+"rl:k").Val()
				}
				got, err := b.Limiter().Allow(ctx, "k", tt.limit, now)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				want, _ := mem.Allow(ctx, "k", tt.limit, now)
				if i < len(tt.want) {
					tt.want[i].Limit = tt.limit
					want = tt.want[i]
				}
				if got != want {
					t.Fatalf("request %d at +%s:\n got %+v\nwant %+v", i, at, got, want)
				}
				if !got.Allowed {
					if after := rdb.Get(ctx, b.opts.Prefix+"rl:k").Val(); after != before {
						t.Fatalf("request %d was rejected but changed the key: %q -> %q", i, before, after)
					}
				}
			}
		})
	}
}

// TestLimiterKeyExpiry: a key expires when its burst has refilled.
func TestLimiterKeyExpiry(t *testing.T) {
	rdb := client(t, testservice.Redis(t))
	b := New(rdb, Options{Prefix: prefix(t)})
	if _, err := b.Limiter().Allow(t.Context(), "k", ratelimit.Limit{Requests: 10, Window: 10 * time.Second}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.PTTL(t.Context(), b.opts.Prefix+"rl:k").Val()
	if ttl <= 900*time.Millisecond || ttl > time.Second {
		t.Fatalf("PTTL %s, want about 1s (one interval)", ttl)
	}
}

// TestLimiterServerClock: with Redis' clock the caller's time does not matter.
func TestLimiterServerClock(t *testing.T) {
	rdb := client(t, testservice.Redis(t))
	b := New(rdb, Options{Prefix: prefix(t)})
	limit := ratelimit.Limit{Requests: 2, Window: time.Hour}
	tests := []struct {
		name    string
		now     time.Time
		allowed bool
	}{
		{"node clock in the past", time.Unix(0, 0), true},
		{"node clock in the future", time.Now().Add(24 * time.Hour), true},
		{"limit reached whatever the node says", time.Now().Add(48 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := b.Limiter().Allow(t.Context(), "k", limit, tt.now)
			if err != nil || d.Allowed != tt.allowed {
				t.Fatalf("Allow = %+v, %v; want allowed %v", d, err, tt.allowed)
			}
		})
	}
}

// TestInvalidLimits: limits that cannot be applied are refused before Redis is asked.
func TestInvalidLimits(t *testing.T) {
	b := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{})
	tests := []struct {
		name  string
		limit ratelimit.Limit
	}{
		{"no requests", ratelimit.Limit{Window: time.Second}},
		{"no window", ratelimit.Limit{Requests: 1}},
		{"negative burst", ratelimit.Limit{Requests: 1, Window: time.Second, Burst: -1}},
		{"more than one a microsecond", ratelimit.Limit{Requests: 2_000_000, Window: time.Second}},
		{"burst too large", ratelimit.Limit{Requests: 1, Window: 24 * time.Hour, Burst: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Limiter().Allow(t.Context(), "k", tt.limit, t0); !errors.Is(err, ratelimit.ErrInvalidLimit) {
				t.Fatalf("Allow = %v, want ErrInvalidLimit", err)
			}
		})
	}
	if !b.Available() {
		t.Fatal("an invalid limit opened the circuit")
	}
}

// TestQuotas: counts per key and period; refused requests use nothing; counters expire
// after their period.
func TestQuotas(t *testing.T) {
	rdb := client(t, testservice.Redis(t))
	b := New(rdb, Options{Prefix: prefix(t)})
	day := time.Now().UTC().Truncate(24 * time.Hour)
	next := day.Add(24 * time.Hour)
	type step struct {
		key     string
		start   time.Time
		limit   int
		used    int
		allowed bool
	}
	steps := []struct {
		name string
		step
	}{
		{"first", step{"alice", day, 3, 1, true}},
		{"second", step{"alice", day, 3, 2, true}},
		{"third", step{"alice", day, 3, 3, true}},
		{"refused", step{"alice", day, 3, 3, false}},
		{"refused again, nothing used", step{"alice", day, 3, 3, false}},
		{"raised limit after a reload", step{"alice", day, 4, 4, true}},
		{"another key", step{"bob", day, 3, 1, true}},
		{"next period starts at zero", step{"alice", next, 3, 1, true}},
		{"zero limit", step{"carol", day, 0, 0, false}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			used, ok, err := b.Quotas().IncrementPeriod(t.Context(), s.key, s.start, s.start.Add(24*time.Hour), s.limit)
			if err != nil || used != s.used || ok != s.allowed {
				t.Fatalf("IncrementPeriod = %d, %v, %v; want %d, %v", used, ok, err, s.used, s.allowed)
			}
		})
	}
	key := b.opts.Prefix + "q:alice\x00" + fmt.Sprint(day.Unix())
	wantExpiry := day.Add(24*time.Hour + quotaGrace)
	ttl := rdb.PTTL(t.Context(), key).Val()
	if got := time.Now().Add(ttl); got.Before(wantExpiry.Add(-5*time.Second)) || got.After(wantExpiry.Add(5*time.Second)) {
		t.Fatalf("counter expires at %s, want %s", got, wantExpiry)
	}
}

// node is one simulated gateway node: its own Redis client and Backend, and the
// rateLimit and quota policies built on them.
type node struct {
	backend *Backend
	handler http.Handler
}

func newNode(t *testing.T, addr, pfx, policyName, settings string) node {
	t.Helper()
	b := New(client(t, addr), Options{Prefix: pfx})
	var reg policy.Registry
	for _, d := range b.Stores().Definitions() {
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h, err := reg.Build([]policy.Config{{Name: policyName, Settings: json.RawMessage(settings)}},
		policy.Env{API: "petstore", Operation: "listPets"}, ok)
	if err != nil {
		t.Fatal(err)
	}
	return node{backend: b, handler: h}
}

// TestClusterAccuracy: three nodes, each hammering from several goroutines, admit the
// limit (±1%) together, and for a quota exactly the quota.
func TestClusterAccuracy(t *testing.T) {
	addr := testservice.Redis(t)
	const (
		nodes      = 3
		goroutines = 8
	)
	tests := []struct {
		name, policy, settings string
		limit                  int
		attempts               int // per goroutine
		tolerance              int
	}{
		// A 1h window: one request refills every 3.6s, so at most one more during the test.
		{"rateLimit", "rateLimit", `{"requests": 1000, "window": "1h", "by": "route"}`, 1000, 100, 10},
		{"quota", "quota", `{"requests": 500, "period": "day", "by": "route"}`, 500, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pfx := prefix(t)
			var ns []node
			for range nodes {
				ns = append(ns, newNode(t, addr, pfx, tt.policy, tt.settings))
			}
			var admitted, refused, other atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for _, n := range ns {
				for range goroutines {
					wg.Go(func() {
						for range tt.attempts {
							rec := httptest.NewRecorder()
							n.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/pets", nil))
							switch rec.Code {
							case http.StatusOK:
								admitted.Add(1)
							case http.StatusTooManyRequests:
								refused.Add(1)
							default:
								other.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			total := nodes * goroutines * tt.attempts
			t.Logf("%d nodes × %d goroutines: %d of %d requests admitted against a limit of %d (%+.2f%%), %d refused, in %s",
				nodes, goroutines, admitted.Load(), total, tt.limit,
				100*float64(admitted.Load()-int64(tt.limit))/float64(tt.limit), refused.Load(), time.Since(start).Round(time.Millisecond))
			if other.Load() != 0 {
				t.Fatalf("%d answers were neither 200 nor 429", other.Load())
			}
			if d := admitted.Load() - int64(tt.limit); d < -int64(tt.tolerance) || d > int64(tt.tolerance) {
				t.Fatalf("admitted %d, want %d ± %d", admitted.Load(), tt.limit, tt.tolerance)
			}
			for i, n := range ns {
				if !n.backend.Available() {
					t.Errorf("node %d fell back during the test", i)
				}
			}
			if tt.policy == "quota" {
				// Refused requests used nothing: the shared counter holds the quota exactly.
				rdb := client(t, addr)
				keys := rdb.Keys(t.Context(), pfx+"q:*").Val()
				if len(keys) != 1 {
					t.Fatalf("quota keys %q, want one", keys)
				}
				if v := rdb.Get(t.Context(), keys[0]).Val(); v != fmt.Sprint(tt.limit) {
					t.Fatalf("quota counter %s, want %d", v, tt.limit)
				}
			}
		})
	}
}

// TestRedisOutage: Redis killed mid-test: no panic, requests decided as configured, the
// fallbacks counted, one log line per outage, and Redis used again once it is back.
func TestRedisOutage(t *testing.T) {
	limit := ratelimit.Limit{Requests: 5, Window: time.Hour}
	tests := []struct {
		name       string
		failClosed bool
		wantLocal  int // requests allowed by the local limiter during the outage
	}{
		{"fail open", false, 5},
		{"fail closed", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testservice.StartRedis(t)
			var logs logBuffer
			metrics := NewMetrics()
			b := New(client(t, srv.Addr()), Options{
				Prefix:        prefix(t),
				FailClosed:    tt.failClosed,
				RetryInterval: 100 * time.Millisecond,
				Metrics:       metrics,
				Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
			})
			ctx := t.Context()
			// Up: two requests counted in Redis.
			for range 2 {
				if d, err := b.Limiter().Allow(ctx, "k", limit, time.Now()); err != nil || !d.Allowed {
					t.Fatalf("before the outage: %+v, %v", d, err)
				}
			}

			srv.Stop()
			const outageRequests = 40
			var allowed, unavailable, rejected atomic.Int64
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range outageRequests / 4 {
						d, err := b.Limiter().Allow(ctx, "k", limit, time.Now())
						var ue *ratelimit.UnavailableError
						switch {
						case errors.As(err, &ue):
							unavailable.Add(1)
						case err != nil:
							t.Errorf("during the outage: %v", err)
						case d.Allowed:
							allowed.Add(1)
						default:
							rejected.Add(1)
						}
					}
				})
			}
			wg.Wait()
			used, ok, qerr := b.Quotas().IncrementPeriod(ctx, "k", t0, t0.Add(24*time.Hour), 10)
			if tt.failClosed {
				if allowed.Load() != 0 || unavailable.Load() != outageRequests {
					t.Errorf("fail closed: %d allowed, %d unavailable; want 0 and %d", allowed.Load(), unavailable.Load(), outageRequests)
				}
				var ue *ratelimit.UnavailableError
				if !errors.As(qerr, &ue) || ue.RetryAfter > 100*time.Millisecond {
					t.Errorf("quota while failing closed: %v, want an UnavailableError with a Retry-After up to the retry interval", qerr)
				}
			} else {
				if allowed.Load() != int64(tt.wantLocal) || rejected.Load() != outageRequests-int64(tt.wantLocal) {
					t.Errorf("fail open: %d allowed, %d rejected; want the local limit %d, then rejections", allowed.Load(), rejected.Load(), tt.wantLocal)
				}
				if qerr != nil || !ok || used != 1 {
					t.Errorf("quota while failing open = %d, %v, %v; want 1, true, nil", used, ok, qerr)
				}
			}
			decision := "local"
			if tt.failClosed {
				decision = "rejected"
			}
			if got := value(t, metrics.fallback.WithLabelValues("rateLimit", decision)); got != outageRequests {
				t.Errorf("fallback_total{rateLimit,%s} = %v, want %d", decision, got, outageRequests)
			}
			if got := value(t, metrics.fallback.WithLabelValues("quota", decision)); got != 1 {
				t.Errorf("fallback_total{quota,%s} = %v, want 1", decision, got)
			}
			if got := value(t, metrics.outages); got != 1 {
				t.Errorf("outages_total = %v, want 1", got)
			}
			if got := value(t, metrics.up); got != 0 {
				t.Errorf("redis_up = %v during the outage, want 0", got)
			}
			if n := strings.Count(logs.String(), "unreachable"); n != 1 {
				t.Errorf("the outage was logged %d times, want once:\n%s", n, logs.String())
			}

			// Back: within a few retry intervals requests are decided by Redis again. The
			// restarted Redis is empty (and has no scripts loaded: EVALSHA answers NOSCRIPT).
			srv.Start()
			deadline := time.Now().Add(5 * time.Second)
			for !b.Available() {
				if time.Now().After(deadline) {
					t.Fatalf("did not recover within 5s:\n%s", logs.String())
				}
				_, _ = b.Limiter().Allow(ctx, "probe", limit, time.Now()) // requests trigger the probes
				time.Sleep(20 * time.Millisecond)
			}
			before := value(t, metrics.fallback.WithLabelValues("rateLimit", decision))
			for i := range 5 {
				if d, err := b.Limiter().Allow(ctx, "k", limit, time.Now()); err != nil || !d.Allowed {
					t.Fatalf("after recovery, request %d: %+v, %v", i, d, err)
				}
			}
			if d, _ := b.Limiter().Allow(ctx, "k", limit, time.Now()); d.Allowed {
				t.Fatalf("after recovery the limit is not enforced: %+v", d)
			}
			if after := value(t, metrics.fallback.WithLabelValues("rateLimit", decision)); after != before {
				t.Errorf("requests still fell back after recovery: %v -> %v", before, after)
			}
			if got := value(t, metrics.up); got != 1 {
				t.Errorf("redis_up = %v after recovery, want 1", got)
			}
			if n := strings.Count(logs.String(), "reachable again"); n != 1 {
				t.Errorf("the recovery was logged %d times, want once:\n%s", n, logs.String())
			}
		})
	}
}

// TestLocalShare: failing open with a share, each node enforces its part of the limit.
func TestLocalShare(t *testing.T) {
	b := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), Options{LocalShare: 1.0 / 3})
	allowed := 0
	for range 20 {
		if d, err := b.Limiter().Allow(t.Context(), "k", ratelimit.Limit{Requests: 9, Window: time.Hour}, t0); err == nil && d.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("allowed %d locally, want 3 (a third of 9)", allowed)
	}
	used := 0
	for range 20 {
		if _, ok, err := b.Quotas().Increment(t.Context(), "k", t0, 10); err == nil && ok {
			used++
		}
	}
	if used != 3 {
		t.Fatalf("quota allowed %d locally, want 3 (a third of 10, rounded down)", used)
	}
}

// TestUnreachable classifies errors: transport and availability errors open the circuit,
// errors about the request itself do not.
func TestUnreachable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"pool timeout", redis.ErrPoolTimeout, true},
		{"closed client", redis.ErrClosed, true},
		{"eof", errors.New("EOF"), true},
		{"script error", redisError("ERR Error running script"), false},
		{"loading", redisError("LOADING Redis is loading the dataset in memory"), true},
		{"read-only replica", redisError("READONLY You can't write against a read only replica."), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unreachable(tt.err); got != tt.want {
				t.Fatalf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// redisError is an error reply from a Redis server.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

// TestParseURL: rate-limiting defaults unless the URL says otherwise.
func TestParseURL(t *testing.T) {
	tests := []struct {
		name        string
		url         string
		wantRead    time.Duration
		wantRetries int
		wantErr     bool
	}{
		{"defaults", "redis://127.0.0.1:6379/0", DefaultIOTimeout, -1, false},
		{"overridden", "redis://127.0.0.1:6379/0?read_timeout=2s&max_retries=2", 2 * time.Second, 2, false},
		{"not a redis URL", "http://127.0.0.1:6379", 0, 0, true},
		{"malformed, password not echoed", "redis://user:s3cret@127.0.0.1:bad/0", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseURL(tt.url)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseURL = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the password: %v", err)
			}
			if err == nil && (o.ReadTimeout != tt.wantRead || o.MaxRetries != tt.wantRetries || o.DialTimeout != DefaultDialTimeout) {
				t.Fatalf("read %s retries %d dial %s", o.ReadTimeout, o.MaxRetries, o.DialTimeout)
			}
		})
	}
}
