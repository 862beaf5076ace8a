package ratelimit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/clientip"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// clock is a fake clock for env.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// build builds the named policy from settings with stores around a handler that counts
// the requests that reach it.
func build(t *testing.T, stores Stores, name, settings string, env policy.Env) (http.Handler, *int) {
	t.Helper()
	var reg policy.Registry
	for _, d := range stores.Definitions() {
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	calls := 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	h, err := reg.Build([]policy.Config{{Name: name, Settings: json.RawMessage(settings)}}, env, next)
	if err != nil {
		t.Fatalf("building %s %s: %v", name, settings, err)
	}
	return h, &calls
}

// request describes who sends a test request.
type request struct {
	consumer   string // "" means no identity
	credential string
	ip         string // "" means 192.0.2.1
	xff        string // X-Forwarded-For, if not ""
}

func (rq request) send(h http.Handler) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/pets", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if rq.ip != "" {
		r.RemoteAddr = rq.ip
	}
	if rq.xff != "" {
		r.Header.Set("X-Forwarded-For", rq.xff)
	}
	if rq.consumer != "" || rq.credential != "" {
		id := &policy.Identity{Subject: rq.consumer, Method: "keyAuth", Credential: rq.credential}
		if rq.consumer != "" {
			id.Consumer = &policy.Consumer{Name: rq.consumer}
		}
		r = r.WithContext(policy.WithIdentity(r.Context(), id))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// checkTooMany checks a 429 problem response.
func checkTooMany(t *testing.T, rec *httptest.ResponseRecorder, wantDetail, wantRetryAfter string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	if got := rec.Header().Get("Retry-After"); got != wantRetryAfter {
		t.Fatalf("Retry-After %q, want %q", got, wantRetryAfter)
	}
	var body struct {
		Type     string   `json:"type"`
		Status   int      `json:"status"`
		Detail   string   `json:"detail"`
		Violated []string `json:"violated-policies"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	if body.Status != 429 || body.Type != problem.TypeBase+"rate-limited" || len(body.Violated) != 1 {
		t.Fatalf("problem %+v", body)
	}
	if body.Detail != wantDetail {
		t.Fatalf("detail %q, want %q", body.Detail, wantDetail)
	}
}

func TestRateLimitResponses(t *testing.T) {
	type step struct {
		advance        time.Duration
		who            request
		wantStatus     int
		wantRateLimit  string // "" means no RateLimit field expected
		wantDetail     string // for 429s
		wantRetryAfter string // for 429s
	}
	alice := request{consumer: "alice"}
	tests := []struct {
		name       string
		env        policy.Env
		settings   string
		wantPolicy string
		steps      []step
	}{
		{
			name:       "five a minute by consumer",
			settings:   `{"requests": 5, "window": "1m"}`,
			wantPolicy: `"default";q=5;w=60`,
			steps: []step{
				{0, alice, 200, `"default";r=4;t=12`, "", ""},
				{0, alice, 200, `"default";r=3;t=24`, "", ""},
				{0, alice, 200, `"default";r=2;t=36`, "", ""},
				{0, alice, 200, `"default";r=1;t=48`, "", ""},
				{0, alice, 200, `"default";r=0;t=60`, "", ""},
				{0, alice, 429, `"default";r=0;t=12`, "5 requests per 1m0s for consumer alice", "12"},
				{11500 * time.Millisecond, alice, 429, `"default";r=0;t=1`, "5 requests per 1m0s for consumer alice", "1"},
				{500 * time.Millisecond, alice, 200, `"default";r=0;t=60`, "", ""},
			},
		},
		{
			name:       "burst and name",
			settings:   `{"requests": 2, "window": "1s", "burst": 1, "name": "per-second"}`,
			wantPolicy: `"per-second";q=2;w=1`,
			steps: []step{
				{0, alice, 200, `"per-second";r=0;t=1`, "", ""},
				{100 * time.Millisecond, alice, 429, `"per-second";r=0;t=1`, "2 requests per 1s for consumer alice", "1"},
				{400 * time.Millisecond, alice, 200, `"per-second";r=0;t=1`, "", ""},
			},
		},
		{
			name:     "headers off still sends Retry-After",
			settings: `{"requests": 1, "window": "10s", "headers": false}`,
			steps: []step{
				{0, alice, 200, "", "", ""},
				{0, alice, 429, "", "1 requests per 10s for consumer alice", "10"},
			},
		},
		{
			name:       "no identity falls back to the client address",
			settings:   `{"requests": 1, "window": "1h", "by": "consumer"}`,
			wantPolicy: `"default";q=1;w=3600`,
			steps: []step{
				{0, request{ip: "[::ffff:198.51.100.7]:9"}, 200, `"default";r=0;t=3600`, "", ""},
				{0, request{ip: "198.51.100.7:10"}, 429, `"default";r=0;t=3600`, "1 requests per 1h0m0s for client 198.51.100.7", "3600"},
			},
		},
		{
			name:       "by route names the operation",
			env:        policy.Env{API: "petstore", Operation: "listPets"},
			settings:   `{"requests": 1, "window": "1m", "by": "route"}`,
			wantPolicy: `"default";q=1;w=60`,
			steps: []step{
				{0, alice, 200, `"default";r=0;t=60`, "", ""},
				{0, request{consumer: "bob"}, 429, `"default";r=0;t=60`, "1 requests per 1m0s for operation listPets", "60"},
			},
		},
		{
			name:       "by key names the credential",
			settings:   `{"requests": 1, "window": "1m", "by": "key"}`,
			wantPolicy: `"default";q=1;w=60`,
			steps: []step{
				{0, request{consumer: "alice", credential: "key:3f2a"}, 200, `"default";r=0;t=60`, "", ""},
				{0, request{consumer: "alice", credential: "key:3f2a"}, 429, `"default";r=0;t=60`, "1 requests per 1m0s for key key:3f2a", "60"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(t0)
			tc.env.Now = clk.Now
			h, calls := build(t, Stores{}, "rateLimit", tc.settings, tc.env)
			wantCalls := 0
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				rec := s.who.send(h)
				if rec.Code != s.wantStatus {
					t.Fatalf("step %d: status %d, want %d: %s", i, rec.Code, s.wantStatus, rec.Body)
				}
				if got := rec.Header().Get("RateLimit"); got != s.wantRateLimit {
					t.Fatalf("step %d: RateLimit %q, want %q", i, got, s.wantRateLimit)
				}
				if got := rec.Header().Get("RateLimit-Policy"); got != tc.wantPolicy {
					t.Fatalf("step %d: RateLimit-Policy %q, want %q", i, got, tc.wantPolicy)
				}
				if s.wantStatus == 429 {
					checkTooMany(t, rec, s.wantDetail, s.wantRetryAfter)
				} else {
					wantCalls++
					if rec.Header().Get("Retry-After") != "" {
						t.Fatalf("step %d: Retry-After on an allowed request", i)
					}
				}
				if *calls != wantCalls {
					t.Fatalf("step %d: next called %d times, want %d", i, *calls, wantCalls)
				}
			}
		})
	}
}

func TestRateLimitKeyIsolation(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		first    request
		second   request
		envA     policy.Env
		envB     policy.Env
		shared   bool // whether second shares first's counter
	}{
		{"consumers are separate", `{"requests":1,"window":"1m"}`, request{consumer: "alice"}, request{consumer: "bob"}, policy.Env{}, policy.Env{}, false},
		{"same consumer from two addresses is shared", `{"requests":1,"window":"1m"}`, request{consumer: "alice", ip: "192.0.2.1:1"}, request{consumer: "alice", ip: "192.0.2.2:1"}, policy.Env{}, policy.Env{}, true},
		{"a consumer named like an address is not that address", `{"requests":1,"window":"1m"}`, request{consumer: "192.0.2.1"}, request{ip: "192.0.2.1:1"}, policy.Env{}, policy.Env{}, false},
		{"addresses are separate", `{"requests":1,"window":"1m","by":"ip"}`, request{ip: "192.0.2.1:1"}, request{ip: "192.0.2.2:1"}, policy.Env{}, policy.Env{}, false},
		{"by ip ignores the consumer", `{"requests":1,"window":"1m","by":"ip"}`, request{consumer: "alice"}, request{consumer: "bob"}, policy.Env{}, policy.Env{}, true},
		{"clients behind a trusted proxy are separate", `{"requests":1,"window":"1m","by":"ip","trustedProxies":["10.0.0.0/8"]}`,
			request{ip: "10.0.0.5:1", xff: "198.51.100.7"}, request{ip: "10.0.0.5:1", xff: "198.51.100.8"}, policy.Env{}, policy.Env{}, false},
		{"a client behind a trusted proxy counts as itself", `{"requests":1,"window":"1m","by":"ip","trustedProxies":["10.0.0.0/8"]}`,
			request{ip: "198.51.100.7:1"}, request{ip: "10.0.0.5:1", xff: "198.51.100.7, 10.0.0.9"}, policy.Env{}, policy.Env{}, true},
		{"an untrusted peer's X-Forwarded-For is ignored", `{"requests":1,"window":"1m","by":"ip","trustedProxies":["10.0.0.0/8"]}`,
			request{ip: "192.0.2.50:1", xff: "198.51.100.7"}, request{ip: "192.0.2.50:1", xff: "198.51.100.8"}, policy.Env{}, policy.Env{}, true},
		{"without trusted proxies the proxy is the client", `{"requests":1,"window":"1m","by":"ip"}`,
			request{ip: "10.0.0.5:1", xff: "198.51.100.7"}, request{ip: "10.0.0.5:1", xff: "198.51.100.8"}, policy.Env{}, policy.Env{}, true},
		{"an unreadable X-Forwarded-For counts as the proxy", `{"requests":1,"window":"1m","by":"ip","trustedProxies":["10.0.0.0/8"]}`,
			request{ip: "10.0.0.5:1", xff: "not-an-address"}, request{ip: "10.0.0.5:1"}, policy.Env{}, policy.Env{}, true},
		{"anonymous requests fall back to the client behind the proxy", `{"requests":1,"window":"1m","trustedProxies":["10.0.0.0/8"]}`,
			request{ip: "10.0.0.5:1", xff: "198.51.100.7"}, request{ip: "10.0.0.5:1", xff: "198.51.100.8"}, policy.Env{}, policy.Env{}, false},
		{"keys are separate", `{"requests":1,"window":"1m","by":"key"}`, request{consumer: "alice", credential: "a1"}, request{consumer: "alice", credential: "a2"}, policy.Env{}, policy.Env{}, false},
		{"route is shared by everyone", `{"requests":1,"window":"1m","by":"route"}`, request{consumer: "alice"}, request{ip: "192.0.2.9:1"}, policy.Env{}, policy.Env{}, true},
		{"operations are separate", `{"requests":1,"window":"1m","by":"route"}`, request{}, request{}, policy.Env{API: "a", Operation: "x"}, policy.Env{API: "a", Operation: "y"}, false},
		{"APIs are separate", `{"requests":1,"window":"1m"}`, request{consumer: "alice"}, request{consumer: "alice"}, policy.Env{API: "a"}, policy.Env{API: "b"}, false},
		{"same API and operation share", `{"requests":1,"window":"1m"}`, request{consumer: "alice"}, request{consumer: "alice"}, policy.Env{API: "a", Operation: "x"}, policy.Env{API: "a", Operation: "x"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shared := &policy.Shared{}
			clk := newClock(t0)
			tc.envA.Now, tc.envA.Shared = clk.Now, shared
			tc.envB.Now, tc.envB.Shared = clk.Now, shared
			a, _ := build(t, Stores{}, "rateLimit", tc.settings, tc.envA)
			b, _ := build(t, Stores{}, "rateLimit", tc.settings, tc.envB)
			if rec := tc.first.send(a); rec.Code != 200 {
				t.Fatalf("first request: %d", rec.Code)
			}
			want := 200
			if tc.shared {
				want = 429
			}
			if rec := tc.second.send(b); rec.Code != want {
				t.Fatalf("second request: %d, want %d", rec.Code, want)
			}
		})
	}
}

func TestRateLimitStateSurvivesReload(t *testing.T) {
	shared := &policy.Shared{}
	clk := newClock(t0)
	env := policy.Env{API: "petstore", Now: clk.Now, Shared: shared}
	alice := request{consumer: "alice"}
	h1, _ := build(t, Stores{}, "rateLimit", `{"requests": 2, "window": "1m"}`, env)
	alice.send(h1)
	alice.send(h1)
	// A reload builds the policy again; the counter carries on.
	h2, _ := build(t, Stores{}, "rateLimit", `{"requests": 2, "window": "1m"}`, env)
	if rec := alice.send(h2); rec.Code != 429 {
		t.Fatalf("after reload: %d, want 429", rec.Code)
	}
	clk.Advance(30 * time.Second)
	if rec := alice.send(h2); rec.Code != 200 || rec.Header().Get("RateLimit") != `"default";r=0;t=60` {
		t.Fatalf("after reload: %d %q, want the request allowed with nothing left", rec.Code, rec.Header().Get("RateLimit"))
	}
	if got := SharedStats(shared).Rejected.Load(); got != 1 {
		t.Fatalf("Rejected = %d, want 1", got)
	}
	if _, ok := shared.Get(SharedMemoryKey, func() any { return nil }).(*Memory); !ok {
		t.Fatal("no Memory under SharedMemoryKey")
	}
}

func TestRateLimitRejectedRequestsConsumeNothing(t *testing.T) {
	clk := newClock(t0)
	h, calls := build(t, Stores{}, "rateLimit", `{"requests": 2, "window": "2s"}`, policy.Env{Now: clk.Now})
	alice := request{consumer: "alice"}
	alice.send(h)
	alice.send(h)
	for range 50 {
		if rec := alice.send(h); rec.Code != 429 {
			t.Fatalf("status %d, want 429", rec.Code)
		}
	}
	clk.Advance(time.Second)
	if rec := alice.send(h); rec.Code != 200 {
		t.Fatalf("one interval after the burst: %d, want 200 (rejections were counted)", rec.Code)
	}
	if *calls != 3 {
		t.Fatalf("next called %d times, want 3", *calls)
	}
}

func TestRateLimitConcurrentRequests(t *testing.T) {
	clk := newClock(t0)
	h, calls := build(t, Stores{}, "rateLimit", `{"requests": 40, "window": "1h"}`, policy.Env{Now: clk.Now})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 8 {
		wg.Go(func() {
			for range 20 {
				rec := request{consumer: "alice"}.send(h)
				mu.Lock()
				codes[rec.Code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if codes[200] != 40 || codes[429] != 120 || *calls != 40 {
		t.Fatalf("codes %v, next called %d times; want 40 allowed and 120 rejected", codes, *calls)
	}
}

func TestRateLimitFailsOpen(t *testing.T) {
	var logs bytes.Buffer
	clk := newClock(t0)
	stats := &Stats{}
	broken := LimiterFunc(func(context.Context, string, Limit, time.Time) (Decision, error) {
		return Decision{}, errors.New("connection refused")
	})
	env := policy.Env{API: "petstore", Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h, calls := build(t, Stores{Limiter: broken, Stats: stats}, "rateLimit", `{"requests": 1, "window": "1m"}`, env)
	for range 3 {
		rec := request{consumer: "alice"}.send(h)
		if rec.Code != 200 || rec.Header().Get("RateLimit") != "" {
			t.Fatalf("status %d, RateLimit %q; want 200 without rate-limit fields", rec.Code, rec.Header().Get("RateLimit"))
		}
	}
	if *calls != 3 || stats.LimiterErrors.Load() != 3 {
		t.Fatalf("next called %d times, LimiterErrors %d; want 3 and 3", *calls, stats.LimiterErrors.Load())
	}
	if n := strings.Count(logs.String(), "connection refused"); n != 1 {
		t.Fatalf("logged %d times within a second, want once: %s", n, logs.String())
	}
	clk.Advance(2 * time.Second)
	request{}.send(h)
	if n := strings.Count(logs.String(), "connection refused"); n != 2 {
		t.Fatalf("logged %d times after two seconds, want twice", n)
	}
}

func TestQuotaFailsOpen(t *testing.T) {
	stats := &Stats{}
	broken := QuotaFunc(func(context.Context, string, time.Time, int) (int, bool, error) {
		return 0, false, errors.New("database is locked")
	})
	h, calls := build(t, Stores{Quotas: broken, Stats: stats}, "quota", `{"requests": 1, "period": "day"}`, policy.Env{})
	if rec := (request{}).send(h); rec.Code != 200 || *calls != 1 || stats.LimiterErrors.Load() != 1 {
		t.Fatalf("status %d, calls %d, LimiterErrors %d", rec.Code, *calls, stats.LimiterErrors.Load())
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		settings  string
		wantField string
		wantIn    string
	}{
		{"rate: requests missing", "rateLimit", `{"window": "1m"}`, "requests", "positive"},
		{"rate: requests negative", "rateLimit", `{"requests": -1, "window": "1m"}`, "requests", "positive"},
		{"rate: requests not a number", "rateLimit", `{"requests": "5", "window": "1m"}`, "requests", "integer"},
		{"rate: window missing", "rateLimit", `{"requests": 5}`, "window", "required"},
		{"rate: window not a duration", "rateLimit", `{"requests": 5, "window": "a minute"}`, "window", "not a duration"},
		{"rate: window zero", "rateLimit", `{"requests": 5, "window": "0s"}`, "window", "positive"},
		{"rate: window negative", "rateLimit", `{"requests": 5, "window": -3}`, "window", "positive"},
		{"rate: too fast", "rateLimit", `{"requests": 5000, "window": "1us"}`, "window", "nanosecond"},
		{"rate: burst zero", "rateLimit", `{"requests": 5, "window": "1m", "burst": 0}`, "burst", "positive"},
		{"rate: burst huge", "rateLimit", `{"requests": 1, "window": "1h", "burst": 4611686018427387904}`, "burst", "too large"},
		{"rate: by unknown", "rateLimit", `{"requests": 5, "window": "1m", "by": "user"}`, "by", `"user"`},
		{"rate: headers not a bool", "rateLimit", `{"requests": 5, "window": "1m", "headers": "yes"}`, "headers", "true or false"},
		{"rate: name with quotes", "rateLimit", `{"requests": 5, "window": "1m", "name": "a\"b"}`, "name", "letters"},
		{"rate: unknown setting", "rateLimit", `{"requests": 5, "window": "1m", "perConsumer": true}`, "perConsumer", "unknown"},
		{"quota: requests missing", "quota", `{"period": "day"}`, "requests", "positive"},
		{"quota: period missing", "quota", `{"requests": 5}`, "period", "required"},
		{"quota: period unknown", "quota", `{"requests": 5, "period": "week"}`, "period", `"week"`},
		{"quota: by unknown", "quota", `{"requests": 5, "period": "day", "by": "ua"}`, "by", `"ua"`},
		{"quota: unknown setting", "quota", `{"requests": 5, "period": "day", "window": "1d"}`, "window", "unknown"},
		{"rate: trusted proxy not a range", "rateLimit", `{"requests": 5, "window": "1m", "trustedProxies": ["10.0.0.0/8", "proxy.local"]}`, "trustedProxies.1", "CIDR"},
		{"quota: trusted proxy not a range", "quota", `{"requests": 5, "period": "day", "trustedProxies": ["10.0.0.0/33"]}`, "trustedProxies.0", "CIDR"},
	}
	var reg policy.Registry
	for _, d := range Definitions() {
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reg.Build([]policy.Config{{Name: tc.policy, Settings: json.RawMessage(tc.settings)}}, policy.Env{}, http.NotFoundHandler())
			var fe *policy.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *policy.FieldError", err)
			}
			if fe.Policy != tc.policy || fe.Field != tc.wantField || !strings.Contains(fe.Message, tc.wantIn) {
				t.Fatalf("got %q (policy %q, field %q), want field %q mentioning %q", err, fe.Policy, fe.Field, tc.wantField, tc.wantIn)
			}
		})
	}
}

func TestDefinitions(t *testing.T) {
	got := map[string]policy.Phase{}
	for _, d := range Definitions() {
		if d.New == nil {
			t.Errorf("%s has no factory", d.Name)
		}
		got[d.Name] = d.Phase
	}
	if len(got) != 2 || got["rateLimit"] != policy.PhaseRateLimit || got["quota"] != policy.PhaseRateLimit {
		t.Fatalf("definitions %v", got)
	}
}

func TestQuota(t *testing.T) {
	type step struct {
		at             time.Time
		who            request
		wantStatus     int
		wantRateLimit  string
		wantDetail     string
		wantRetryAfter string
	}
	alice, bob := request{consumer: "alice"}, request{consumer: "bob"}
	evening := time.Date(2026, 1, 31, 23, 59, 30, 0, time.UTC)
	tests := []struct {
		name       string
		settings   string
		wantPolicy string
		steps      []step
	}{
		{
			name:       "daily quota resets at UTC midnight",
			settings:   `{"requests": 2, "period": "day"}`,
			wantPolicy: `"daily";q=2;w=86400`,
			steps: []step{
				{evening, alice, 200, `"daily";r=1;t=30`, "", ""},
				{evening, alice, 200, `"daily";r=0;t=30`, "", ""},
				{evening.Add(10 * time.Second), alice, 429, `"daily";r=0;t=20`, "2 requests per day for consumer alice; the quota resets at 2026-02-01T00:00:00Z", "20"},
				{evening.Add(10 * time.Second), bob, 200, `"daily";r=1;t=20`, "", ""},
				{evening.Add(30 * time.Second), alice, 200, `"daily";r=1;t=86400`, "", ""},
			},
		},
		{
			name:       "monthly quota by route, in UTC whatever the clock's zone",
			settings:   `{"requests": 1, "period": "month", "by": "route", "name": "plan"}`,
			wantPolicy: `"plan";q=1`,
			steps: []step{
				// 00:30 in UTC+1 is still January in UTC.
				{time.Date(2026, 2, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), alice, 200, `"plan";r=0;t=1800`, "", ""},
				{time.Date(2026, 2, 1, 1, 30, 0, 0, time.FixedZone("CET", 3600)), bob, 200, `"plan";r=0;t=2417400`, "", ""},
				{time.Date(2026, 2, 27, 12, 0, 0, 0, time.UTC), bob, 429, `"plan";r=0;t=129600`, "1 requests per month for this route; the quota resets at 2026-03-01T00:00:00Z", "129600"},
				{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), bob, 200, `"plan";r=0;t=2678400`, "", ""},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(time.Time{})
			h, calls := build(t, Stores{}, "quota", tc.settings, policy.Env{Now: clk.Now})
			wantCalls := 0
			for i, s := range tc.steps {
				clk.Set(s.at)
				rec := s.who.send(h)
				if rec.Code != s.wantStatus {
					t.Fatalf("step %d: status %d, want %d: %s", i, rec.Code, s.wantStatus, rec.Body)
				}
				if got := rec.Header().Get("RateLimit"); got != s.wantRateLimit {
					t.Fatalf("step %d: RateLimit %q, want %q", i, got, s.wantRateLimit)
				}
				if got := rec.Header().Get("RateLimit-Policy"); got != tc.wantPolicy {
					t.Fatalf("step %d: RateLimit-Policy %q, want %q", i, got, tc.wantPolicy)
				}
				if s.wantStatus == 429 {
					checkTooMany(t, rec, s.wantDetail, s.wantRetryAfter)
				} else {
					wantCalls++
				}
				if *calls != wantCalls {
					t.Fatalf("step %d: next called %d times, want %d", i, *calls, wantCalls)
				}
			}
		})
	}
}

func TestQuotaRejectedRequestsConsumeNothing(t *testing.T) {
	clk := newClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	shared := &policy.Shared{}
	env := policy.Env{Now: clk.Now, Shared: shared}
	h, _ := build(t, Stores{}, "quota", `{"requests": 2, "period": "day"}`, env)
	for range 20 {
		request{consumer: "alice"}.send(h)
	}
	// Raising the limit by a reload allows exactly the difference: the 18 rejections
	// were not counted.
	h2, _ := build(t, Stores{}, "quota", `{"requests": 3, "period": "day"}`, env)
	if rec := (request{consumer: "alice"}).send(h2); rec.Code != 200 {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if rec := (request{consumer: "alice"}).send(h2); rec.Code != 429 {
		t.Fatalf("status %d, want 429", rec.Code)
	}
}

// TestClientAddr checks that the peer-address key is the address clientip.Resolve gives,
// so that a client keeps its counter when trustedProxies is set, and that an IPv4 peer
// costs no allocation.
func TestClientAddr(t *testing.T) {
	for _, remote := range []string{
		"192.0.2.1:1234", "[2001:db8::1]:443", "[::ffff:192.0.2.1]:80", "[fe80::1%eth0]:80",
		"192.0.2.1", "[2001:db8::1]", "not an address",
	} {
		want := remote
		if a, ok := clientip.Resolve(remote, nil, nil); ok {
			want = a.String()
		}
		if got := clientAddr(remote); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", remote, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = clientAddr("192.0.2.1:1234") }); n != 0 {
		t.Errorf("clientAddr of an IPv4 peer allocates %v times", n)
	}
}
