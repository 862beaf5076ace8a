package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func TestUpstreamErrors(t *testing.T) {
	slow := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	tlsUp := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler)) // its certificate is not trusted
	tlsUp.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsUp.StartTLS()
	t.Cleanup(tlsUp.Close)
	garbage := rawServer(t, func(c net.Conn) {
		_, _ = bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("SMTP ready\r\n\r\n"))
	})
	tests := []struct {
		name       string
		target     string
		readTO     time.Duration
		wantStatus int
		wantSlug   string
		counter    func(Stats) uint64
	}{
		{name: "refused", target: refusedURL(t), wantStatus: http.StatusBadGateway, wantSlug: "upstream-unreachable", counter: func(s Stats) uint64 { return s.Unreachable }},
		{name: "slow", target: slow.URL, readTO: 100 * time.Millisecond, wantStatus: http.StatusGatewayTimeout, wantSlug: "upstream-timeout", counter: func(s Stats) uint64 { return s.Timeouts }},
		{name: "untrusted certificate", target: tlsUp.URL, wantStatus: http.StatusBadGateway, wantSlug: "upstream-tls", counter: func(s Stats) uint64 { return s.TLSFailures }},
		{name: "not http", target: garbage, wantStatus: http.StatusBadGateway, wantSlug: "upstream-bad-response", counter: func(s Stats) uint64 { return s.BadResponses }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProxy(t, Upstream{Name: "orders", Targets: []Target{{URL: tt.target}}, Retries: -1, ReadTimeout: policy.Duration(tt.readTO)}, Options{})
			start := time.Now()
			rec := serve(p, httptest.NewRequest(http.MethodGet, "/orders/7?token=abc", nil))
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("took %s", el)
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			d := decodeProblem(t, rec.Code, rec.Header(), rec.Body.Bytes())
			if slugOf(d) != tt.wantSlug || d.Upstream != "orders" || d.Target != tt.target || d.Instance != "/orders/7" {
				t.Errorf("problem %+v", d)
			}
			if !strings.Contains(d.Detail, `"orders"`) || !strings.Contains(d.Detail, tt.target) {
				t.Errorf("detail does not name the upstream and target: %s", d.Detail)
			}
			for _, leak := range []string{"dial", "tcp", "x509", "read:", "connect:"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("problem leaks internals (%q): %s", leak, rec.Body)
				}
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id on the error response")
			}
			s := p.Stats()
			if got := tt.counter(s); got != 1 {
				t.Errorf("counter = %d, want 1 (%+v)", got, s)
			}
			if s.Requests != 1 || s.Targets[0].Failures != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// rawServer accepts TCP connections on 127.0.0.1 and hands each to handle, then closes it.
func rawServer(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

func TestClientGone(t *testing.T) {
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	cb := &CircuitBreaker{FailureThreshold: 1}
	p := newProxy(t, Upstream{Name: "up", Targets: []Target{{URL: up.URL}}, CircuitBreaker: cb}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	rec := serve(p, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if rec.Code != StatusClientClosedRequest {
		t.Fatalf("status %d", rec.Code)
	}
	s := p.Stats()
	if s.ClientClosed != 1 || s.Targets[0].Failures != 0 || s.Targets[0].Circuit != CircuitClosed {
		t.Fatalf("a client going away counted against the target: %+v", s)
	}
}

func TestSmoothWeightedRoundRobin(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		want    string // first cycle
	}{
		{name: "nginx example", weights: []int{5, 1, 1}, want: "aabacaa"},
		{name: "equal", weights: []int{1, 1, 1}, want: "abc"},
		{name: "two to one", weights: []int{2, 1}, want: "aba"},
		{name: "single", weights: []int{3}, want: "aaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b balancer
			total := 0
			for i, w := range tt.weights {
				tg := &target{index: i, weight: w, cb: breaker{state: CircuitClosed}}
				tg.healthy.Store(true)
				b.targets = append(b.targets, tg)
				total += w
			}
			var seq strings.Builder
			counts := make([]int, len(tt.weights))
			for n := 0; n < 10*total; n++ {
				tg, _ := b.pick(time.Time{}, nil)
				counts[tg.index]++
				if n < total {
					seq.WriteByte(byte('a' + tg.index))
				}
			}
			if seq.String() != tt.want {
				t.Errorf("sequence %s, want %s", seq.String(), tt.want)
			}
			for i, w := range tt.weights {
				if counts[i] != 10*w {
					t.Errorf("target %d got %d picks, want %d", i, counts[i], 10*w)
				}
			}
		})
	}
}

// TestWeightedDistribution sends N requests through the proxy and counts them per target.
func TestWeightedDistribution(t *testing.T) {
	up := newServer(t, http.HandlerFunc(echoHandler))
	p := newProxy(t, Upstream{Name: "w", Targets: []Target{
		{URL: up.URL + "/a", Weight: 5}, {URL: up.URL + "/b"}, {URL: up.URL + "/c", Weight: 1},
	}}, Options{})
	counts := map[string]int{}
	var seq strings.Builder
	const n = 70
	for i := 0; i < n; i++ {
		e := decodeEcho(t, serve(p, httptest.NewRequest(http.MethodGet, "/x", nil)))
		counts[e.Path]++
		if i < 7 {
			seq.WriteString(e.Path[1:2])
		}
	}
	if seq.String() != "aabacaa" {
		t.Errorf("first cycle %s, want aabacaa", seq.String())
	}
	if counts["/a/x"] != 50 || counts["/b/x"] != 10 || counts["/c/x"] != 10 {
		t.Errorf("counts %v, want 50/10/10", counts)
	}
	if s := p.Stats(); s.Targets[0].Requests != 50 || s.Targets[1].Weight != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestHealthCheck(t *testing.T) {
	var aDown, bDown atomic.Bool
	var aChecks atomic.Int64
	handler := func(name string, down *atomic.Bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/base/healthz" {
				if name == "a" {
					aChecks.Add(1)
				}
				if r.Header.Get("User-Agent") != healthCheckUserAgent {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				if down.Load() {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
				return
			}
			_, _ = io.WriteString(w, name)
		})
	}
	a := newServer(t, handler("a", &aDown))
	b := newServer(t, handler("b", &bDown))
	p, err := New(Upstream{
		Name:    "hc",
		Targets: []Target{{URL: a.URL + "/base"}, {URL: b.URL + "/base"}},
		HealthCheck: &HealthCheck{Path: "/healthz", Interval: policy.Duration(50 * time.Millisecond), Timeout: policy.Duration(50 * time.Millisecond),
			HealthyThreshold: 2, UnhealthyThreshold: 2},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func() (int, string) {
		rec := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Code, rec.Body.String()
	}
	healthy := func(i int) bool { return p.Stats().Targets[i].Healthy }

	waitFor(t, 5*time.Second, "first health checks", func() bool { return aChecks.Load() >= 2 })
	if !healthy(0) || !healthy(1) {
		t.Fatalf("targets not healthy: %+v", p.Stats())
	}
	aDown.Store(true)
	waitFor(t, 5*time.Second, "target a marked down", func() bool { return !healthy(0) })
	for i := 0; i < 6; i++ {
		if code, body := get(); code != 200 || body != "b" {
			t.Fatalf("request %d went to %q (%d) while a is down", i, body, code)
		}
	}
	bDown.Store(true)
	waitFor(t, 5*time.Second, "target b marked down", func() bool { return !healthy(1) })
	rec := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d with every target down", rec.Code)
	}
	d := decodeProblem(t, rec.Code, rec.Header(), rec.Body.Bytes())
	if slugOf(d) != "upstream-unavailable" || !strings.Contains(d.Detail, `"hc"`) || !strings.Contains(d.Detail, "2 unhealthy") {
		t.Fatalf("problem %+v", d)
	}
	if p.Stats().Unavailable != 1 {
		t.Fatalf("unavailable not counted: %+v", p.Stats())
	}
	aDown.Store(false)
	waitFor(t, 5*time.Second, "target a marked up again", func() bool { return healthy(0) })
	if code, body := get(); code != 200 || body != "a" {
		t.Fatalf("request went to %q (%d) after a recovered", body, code)
	}

	// Close stops the checks.
	p.Close()
	n := aChecks.Load()
	time.Sleep(200 * time.Millisecond)
	if m := aChecks.Load(); m != n {
		t.Fatalf("%d health checks after Close", m-n)
	}
}

func TestCircuitBreaker(t *testing.T) {
	var status atomic.Int32
	var hits atomic.Int64
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	clock := newFakeClock()
	p := newProxy(t, Upstream{
		Name: "cb", Targets: []Target{{URL: up.URL}}, Retries: -1,
		CircuitBreaker: &CircuitBreaker{FailureThreshold: 3, OpenFor: policy.Duration(10 * time.Second), HalfOpenRequests: 2},
	}, Options{Now: clock.Now})
	type step struct {
		advance    time.Duration
		upstream   int // status the upstream answers with
		wantStatus int
		wantHits   int64
		wantState  CircuitState
	}
	steps := []step{
		{upstream: 503, wantStatus: 503, wantHits: 1, wantState: CircuitClosed},
		{upstream: 500, wantStatus: 500, wantHits: 2, wantState: CircuitClosed}, // a 500 is a success: resets the count
		{upstream: 503, wantStatus: 503, wantHits: 3, wantState: CircuitClosed},
		{upstream: 502, wantStatus: 502, wantHits: 4, wantState: CircuitClosed},
		{upstream: 504, wantStatus: 504, wantHits: 5, wantState: CircuitOpen}, // third in a row
		{upstream: 200, wantStatus: 503, wantHits: 5, wantState: CircuitOpen}, // rejected by the proxy
		{advance: 9 * time.Second, upstream: 200, wantStatus: 503, wantHits: 5, wantState: CircuitOpen},
		{advance: time.Second, upstream: 200, wantStatus: 200, wantHits: 6, wantState: CircuitHalfOpen}, // first trial
		{upstream: 200, wantStatus: 200, wantHits: 7, wantState: CircuitClosed},                         // second trial closes
		{upstream: 503, wantStatus: 503, wantHits: 8, wantState: CircuitClosed},
		{upstream: 503, wantStatus: 503, wantHits: 9, wantState: CircuitClosed},
		{upstream: 503, wantStatus: 503, wantHits: 10, wantState: CircuitOpen},
		{advance: 10 * time.Second, upstream: 503, wantStatus: 503, wantHits: 11, wantState: CircuitOpen}, // failed trial reopens
		{advance: 5 * time.Second, upstream: 200, wantStatus: 503, wantHits: 11, wantState: CircuitOpen},
		{advance: 5 * time.Second, upstream: 200, wantStatus: 200, wantHits: 12, wantState: CircuitHalfOpen},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		status.Store(int32(s.upstream))
		rec := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
		st := p.Stats()
		if rec.Code != s.wantStatus || hits.Load() != s.wantHits || st.Targets[0].Circuit != s.wantState {
			t.Fatalf("step %d: status %d hits %d state %s; want %d %d %s (%s)", i, rec.Code, hits.Load(), st.Targets[0].Circuit,
				s.wantStatus, s.wantHits, s.wantState, rec.Body)
		}
		if rec.Code == 503 && hits.Load() == steps[max(i-1, 0)].wantHits && i > 0 {
			d := decodeProblem(t, rec.Code, rec.Header(), rec.Body.Bytes())
			if !strings.Contains(d.Detail, "1 with an open circuit") {
				t.Fatalf("step %d: problem %+v", i, d)
			}
		}
	}
	if got := p.Stats().CircuitOpens; got != 3 {
		t.Fatalf("circuit opened %d times, want 3", got)
	}
}

func TestBreakerHalfOpenSlots(t *testing.T) {
	now := time.Unix(0, 0)
	b := breaker{cfg: &CircuitBreaker{FailureThreshold: 1, OpenFor: policy.Duration(time.Second), HalfOpenRequests: 2}, state: CircuitClosed}
	g := b.acquire()
	if b.report(g, outcomeFailure, now) != CircuitOpen || b.available(now) {
		t.Fatal("did not open")
	}
	now = now.Add(time.Second)
	if !b.available(now) {
		t.Fatal("did not half-open")
	}
	g1 := b.acquire()
	if !b.available(now) {
		t.Fatal("second trial slot missing")
	}
	g2 := b.acquire()
	if b.available(now) {
		t.Fatal("a third trial was admitted")
	}
	b.report(g1, outcomeNone, now) // cancelled trial frees its slot
	if !b.available(now) {
		t.Fatal("cancelled trial kept its slot")
	}
	if b.report(g, outcomeSuccess, now) != "" {
		t.Fatal("a stale result changed the state")
	}
	g3 := b.acquire()
	b.report(g2, outcomeSuccess, now)
	if b.report(g3, outcomeSuccess, now) != CircuitClosed {
		t.Fatal("two successful trials did not close the circuit")
	}
}

func TestRetries(t *testing.T) {
	var hits atomic.Int64
	good := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		echoHandler(w, r)
	}))
	refused := refusedURL(t)
	tests := []struct {
		name        string
		method      string
		body        string
		retries     int
		wantStatus  int
		wantHits    int64
		wantRetries uint64
	}{
		{name: "GET retried", method: "GET", wantStatus: 200, wantHits: 1, wantRetries: 1},
		{name: "HEAD retried", method: "HEAD", wantStatus: 200, wantHits: 1, wantRetries: 1},
		{name: "OPTIONS retried", method: "OPTIONS", wantStatus: 200, wantHits: 1, wantRetries: 1},
		{name: "DELETE retried", method: "DELETE", wantStatus: 200, wantHits: 1, wantRetries: 1},
		{name: "PUT with unread body retried", method: "PUT", body: "payload", wantStatus: 200, wantHits: 1, wantRetries: 1},
		{name: "POST never retried", method: "POST", body: "payload", wantStatus: 502},
		{name: "POST without body never retried", method: "POST", wantStatus: 502},
		{name: "PATCH never retried", method: "PATCH", body: "x", wantStatus: 502},
		{name: "retries disabled", method: "GET", retries: -1, wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			// Equal weights: the first pick is the first target, the refused one.
			p := newProxy(t, Upstream{Name: "r", Targets: []Target{{URL: refused}, {URL: good.URL}}, Retries: tt.retries}, Options{})
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			rec := serve(p, httptest.NewRequest(tt.method, "/thing", body))
			if rec.Code != tt.wantStatus || hits.Load() != tt.wantHits {
				t.Fatalf("status %d, upstream hits %d; want %d, %d: %s", rec.Code, hits.Load(), tt.wantStatus, tt.wantHits, rec.Body)
			}
			if got := p.Stats().Retries; got != tt.wantRetries {
				t.Fatalf("retries %d, want %d", got, tt.wantRetries)
			}
			if tt.body != "" && rec.Code == 200 {
				if e := decodeEcho(t, rec); e.Body != tt.body {
					t.Fatalf("retried body %q, want %q", e.Body, tt.body)
				}
			}
		})
	}
}

// TestRetryNotAfterBodyRead: a PUT whose body the first target started reading is not
// sent again, even though PUT is idempotent.
func TestRetryNotAfterBodyRead(t *testing.T) {
	var hits atomic.Int64
	good := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	// The first target reads the request head and a few body bytes, then hangs up.
	var sawBody atomic.Bool
	breaking := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(br, buf); err == nil {
			sawBody.Store(true)
		}
	})
	p := newProxy(t, Upstream{Name: "r", Targets: []Target{{URL: breaking}, {URL: good.URL}}, Retries: 3}, Options{})
	front := newServer(t, p)
	body := bytes.Repeat([]byte("0123456789"), 20_000)
	req, _ := http.NewRequest(http.MethodPut, front.URL+"/doc", bytes.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || hits.Load() != 0 || !sawBody.Load() {
		t.Fatalf("status %d, good target hits %d, body seen by first target %v: %s", resp.StatusCode, hits.Load(), sawBody.Load(), b)
	}
	if r := p.Stats().Retries; r != 0 {
		t.Fatalf("%d retries of a partly sent body", r)
	}
}

func TestStreamingUnbuffered(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
	}{
		{name: "server-sent events", contentType: "text/event-stream"},
		{name: "chunked", contentType: "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = io.WriteString(w, "data: one\n\n")
				http.NewResponseController(w).Flush()
				select {
				case <-release:
				case <-time.After(10 * time.Second):
				}
				_, _ = io.WriteString(w, "data: two\n\n")
			}))
			p := newProxy(t, Upstream{Name: "s", Targets: []Target{{URL: up.URL}}}, Options{})
			front := newServer(t, p)
			resp, err := client.Get(front.URL + "/events")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			first := make(chan string, 1)
			go func() {
				line, _ := br.ReadString('\n')
				first <- line
			}()
			select {
			case line := <-first:
				if line != "data: one\n" {
					t.Fatalf("first line %q", line)
				}
			case <-time.After(5 * time.Second):
				close(release)
				t.Fatal("the flushed event did not reach the client while the upstream was still writing")
			}
			close(release)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: two\n\n" {
				t.Fatalf("rest %q, %v", rest, err)
			}
		})
	}
}

func TestStripPrefix(t *testing.T) {
	up := newServer(t, http.HandlerFunc(echoHandler))
	tests := []struct {
		name      string
		prefix    string
		target    string // appended to the upstream URL
		request   string
		wantPath  string // escaped
		wantQuery string
	}{
		{name: "strips", prefix: "/api/v1", request: "/api/v1/pets?limit=2", wantPath: "/pets", wantQuery: "limit=2"},
		{name: "exact prefix becomes root", prefix: "/api/v1", request: "/api/v1", wantPath: "/"},
		{name: "trailing slash in config", prefix: "/api/v1/", request: "/api/v1/pets", wantPath: "/pets"},
		{name: "segment boundary", prefix: "/api/v1", request: "/api/v1x/pets", wantPath: "/api/v1x/pets"},
		{name: "other path untouched", prefix: "/api", request: "/other", wantPath: "/other"},
		{name: "target base path", prefix: "/api", target: "/base", request: "/api/pets", wantPath: "/base/pets"},
		{name: "escaped slash kept", prefix: "/api", request: "/api/a%2Fb", wantPath: "/a%2Fb"},
		{name: "target query merged", target: "/base?x=1", request: "/pets?y=2", wantPath: "/base/pets", wantQuery: "x=1&y=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProxy(t, Upstream{Name: "sp", Targets: []Target{{URL: up.URL + tt.target}}, StripPrefix: tt.prefix}, Options{})
			e := decodeEcho(t, serve(p, httptest.NewRequest(http.MethodGet, tt.request, nil)))
			if e.RawPath != tt.wantPath || e.RawQuery != tt.wantQuery {
				t.Fatalf("upstream got %s?%s, want %s?%s", e.RawPath, e.RawQuery, tt.wantPath, tt.wantQuery)
			}
		})
	}
}

// TestUpstreamKilledMidLoad kills the only target under load, expects clean 502s, then
// restarts it on the same address and expects 200s again.
func TestUpstreamKilledMidLoad(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	up := httptest.NewUnstartedServer(ok)
	up.Listener.Close()
	up.Listener = l
	up.Start()
	t.Cleanup(up.Close)

	p := newProxy(t, Upstream{Name: "k", Targets: []Target{{URL: "http://" + addr}}}, Options{})
	front := newServer(t, p)

	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		bad      []string
		phase    atomic.Int32 // 0 up, 1 killed, 2 restarted
		after    = map[int32]map[int]int{0: {}, 1: {}, 2: {}}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop); wg.Wait() }) }
	t.Cleanup(halt) // also when a wait below fails
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ph := phase.Load()
				resp, err := client.Get(front.URL + "/")
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				if ph == phase.Load() {
					after[ph][resp.StatusCode]++
				}
				if resp.StatusCode == 502 && !strings.Contains(string(body), `"k"`) {
					bad = append(bad, "502 without the upstream name: "+string(body))
				}
				mu.Unlock()
			}
		}()
	}
	count := func(ph int32, code int) int {
		mu.Lock()
		defer mu.Unlock()
		return after[ph][code]
	}
	waitFor(t, 5*time.Second, "successful requests", func() bool { return count(0, 200) >= 20 })
	up.Close()
	phase.Store(1)
	waitFor(t, 5*time.Second, "502s once the target is gone", func() bool { return count(1, 502) >= 10 })
	var up2 *httptest.Server
	waitFor(t, 5*time.Second, "the address to be free again", func() bool {
		l2, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		up2 = httptest.NewUnstartedServer(ok)
		up2.Listener.Close()
		up2.Listener = l2
		up2.Start()
		return true
	})
	defer up2.Close()
	phase.Store(2)
	waitFor(t, 5*time.Second, "recovery", func() bool { return count(2, 200) >= 20 })
	halt()
	mu.Lock()
	defer mu.Unlock()
	for code := range statuses {
		if code != 200 && code != 502 {
			t.Errorf("unexpected status %d (%d times)", code, statuses[code])
		}
	}
	if after[1][200] > 0 {
		t.Errorf("%d successes while the target was down", after[1][200])
	}
	if len(bad) > 0 {
		t.Errorf("%d bad results, first: %s", len(bad), bad[0])
	}
}

type upstreamKey struct{}

func TestSet(t *testing.T) {
	a := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "a") }))
	b := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "b") }))
	from := func(ctx context.Context) (string, bool) {
		n, ok := ctx.Value(upstreamKey{}).(string)
		return n, ok
	}
	set, err := NewSet([]Upstream{{Name: "b", Targets: []Target{{URL: b.URL}}}, {Name: "a", Targets: []Target{{URL: a.URL}}}}, Options{UpstreamFromContext: from})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	tests := []struct {
		name       string
		upstream   *string
		wantStatus int
		wantBody   string
	}{
		{name: "a", upstream: ptr("a"), wantStatus: 200, wantBody: "a"},
		{name: "b", upstream: ptr("b"), wantStatus: 200, wantBody: "b"},
		{name: "unknown", upstream: ptr("c"), wantStatus: 500, wantBody: `Upstream \"c\" is not configured.`},
		{name: "none selected", wantStatus: 500, wantBody: "No upstream is selected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.upstream != nil {
				r = r.WithContext(context.WithValue(r.Context(), upstreamKey{}, *tt.upstream))
			}
			rec := serve(set, r)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("status %d body %s", rec.Code, rec.Body)
			}
		})
	}
	if got := fmt.Sprint(set.Names()); got != "[a b]" || set.Get("a") == nil || set.Get("zz") != nil {
		t.Fatalf("names %s", got)
	}
	if st := set.Stats(); len(st) != 2 || st[0].Upstream != "a" || st[0].Requests != 1 {
		t.Fatalf("stats %+v", st)
	}

	one, err := NewSet([]Upstream{{Name: "a", Targets: []Target{{URL: a.URL}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if rec := serve(one, httptest.NewRequest(http.MethodGet, "/", nil)); rec.Body.String() != "a" {
		t.Fatalf("single-upstream set: %d %s", rec.Code, rec.Body)
	}

	if _, err := NewSet([]Upstream{{Name: "a", Targets: []Target{{URL: a.URL}}}, {Name: "a", Targets: []Target{{URL: b.URL}}}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "upstreams[1]: name \"a\" is used twice") {
		t.Fatalf("duplicate names: %v", err)
	}
	if _, err := NewSet([]Upstream{{Name: "x"}}, Options{}); err == nil || !strings.Contains(err.Error(), "upstreams[0]: upstream \"x\": targets") {
		t.Fatalf("invalid upstream: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCustomTransport(t *testing.T) {
	var calls atomic.Int64
	rt := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		host := r.Host
		if host == "" {
			host = r.URL.Host // what a Transport sends
		}
		body := r.URL.String() + " host=" + host + " ua=" + r.Header.Get("User-Agent")
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	p := newProxy(t, Upstream{Name: "c", Targets: []Target{{URL: "http://backend.invalid/base"}}, StripPrefix: "/api"}, Options{Transport: rt})
	rec := serve(p, httptest.NewRequest(http.MethodGet, "/api/x?q=1", nil))
	if want := "http://backend.invalid/base/x?q=1 host=backend.invalid ua="; rec.Code != 200 || rec.Body.String() != want {
		t.Fatalf("%d %q, want %q", rec.Code, rec.Body, want)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls", calls.Load())
	}
}
