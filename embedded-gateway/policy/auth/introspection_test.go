package auth

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// introspector is a fake RFC 7662 endpoint. Tokens it knows answer as listed; others
// are inactive.
type introspector struct {
	*httptest.Server
	calls   atomic.Int64
	answers map[string]string // token → JSON answer
	status  atomic.Int64      // non-zero: answer this status instead
	delay   atomic.Int64      // nanoseconds to wait before answering
	gate    chan struct{}     // if set, answers wait until it is closed
	t       *testing.T
}

func newIntrospector(t *testing.T, answers map[string]string) *introspector {
	t.Helper()
	in := &introspector{answers: answers, t: t}
	in.Server = httptest.NewServer(http.HandlerFunc(in.serve))
	t.Cleanup(in.Close)
	return in
}

func (in *introspector) serve(w http.ResponseWriter, r *http.Request) {
	in.calls.Add(1)
	if in.gate != nil {
		<-in.gate
	}
	if d := in.delay.Load(); d > 0 {
		select {
		case <-time.After(time.Duration(d)):
		case <-r.Context().Done():
			return
		}
	}
	if s := in.status.Load(); s != 0 {
		http.Error(w, "broken", int(s))
		return
	}
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || user != "gantry" || pass != "s3cret%2B" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad client", http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	answer, ok := in.answers[r.PostForm.Get("token")]
	if !ok {
		answer = `{"active":false}`
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, answer)
}

func TestIntrospection(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	answers := map[string]string{
		"good":        fmt.Sprintf(`{"active":true,"client_id":"alice","sub":"user-7","scope":"read","exp":%d}`, now.Add(time.Hour).Unix()),
		"no-exp":      `{"active":true,"client_id":"bob"}`,
		"unknown-app": `{"active":true,"client_id":"zed"}`,
		"expired":     fmt.Sprintf(`{"active":true,"client_id":"alice","exp":%d}`, now.Add(-time.Minute).Unix()),
		"revoked":     `{"active":false}`,
		"bad-json":    `{"active":tru`,
		"no-active":   `{"client_id":"alice"}`,
	}
	base := `"clientId":"gantry","clientSecret":"s3cret+"`
	tests := []struct {
		name         string
		settings     string
		status       int // the endpoint's status, 0 = normal
		delay        time.Duration
		stop         bool // the endpoint is shut down
		authz        string
		wantStatus   int
		wantDetail   string
		wantChalErr  string
		wantSubject  string
		wantConsumer string
	}{
		{name: "active", authz: "Bearer good", wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "consumer from sub", settings: `,"consumerField":"sub"`, authz: "Bearer good", wantStatus: 204, wantSubject: "user-7"},
		{name: "active without exp", authz: "Bearer no-exp", wantStatus: 204, wantSubject: "bob", wantConsumer: "bob"},
		{name: "active, client not a consumer", authz: "Bearer unknown-app", wantStatus: 204, wantSubject: "zed"},
		{name: "missing", wantStatus: 401, wantDetail: "No bearer token"},
		{name: "not bearer", authz: basic("a", "b"), wantStatus: 401, wantDetail: "does not carry a Bearer token"},
		{name: "inactive", authz: "Bearer revoked", wantStatus: 401, wantDetail: "The token is not active", wantChalErr: "token not active"},
		{name: "unknown token", authz: "Bearer never-issued", wantStatus: 401, wantDetail: "not active", wantChalErr: "token not active"},
		{name: "active but past exp", authz: "Bearer expired", wantStatus: 401, wantDetail: "expired at " + now.Add(-time.Minute).UTC().Format(time.RFC3339), wantChalErr: "token expired"},
		{name: "endpoint error", status: 500, authz: "Bearer good", wantStatus: 503, wantDetail: "answered HTTP 500"},
		{name: "endpoint refuses the gateway", status: 401, authz: "Bearer good", wantStatus: 503, wantDetail: "answered HTTP 401"},
		{name: "endpoint down", stop: true, authz: "Bearer good", wantStatus: 503, wantDetail: "could not be reached"},
		{name: "endpoint slow", settings: `,"timeout":"50ms"`, delay: time.Second, authz: "Bearer good", wantStatus: 503, wantDetail: "did not answer within 50ms"},
		{name: "invalid JSON", authz: "Bearer bad-json", wantStatus: 503, wantDetail: "answered with invalid JSON"},
		{name: "no active member", authz: "Bearer no-active", wantStatus: 503, wantDetail: `without a boolean "active" member`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIntrospector(t, answers)
			in.status.Store(int64(tt.status))
			in.delay.Store(int64(tt.delay))
			endpoint := in.URL + "/introspect"
			if tt.stop {
				in.Close()
			}
			env := policy.Env{API: "petstore", Consumers: testConsumers(t), Now: clock.Now, HTTPClient: in.Client()}
			h, got := build(t, NewIntrospection, `{"url":"`+endpoint+`",`+base+tt.settings+`}`, env)
			r := httptest.NewRequest(http.MethodGet, "/pets", nil)
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				detail := checkProblem(t, rec, tt.wantStatus, tt.wantDetail)
				if strings.Contains(rec.Body.String(), "s3cret") {
					t.Error("client secret in the problem")
				}
				if tt.wantStatus == http.StatusServiceUnavailable {
					if !strings.Contains(detail, endpoint) {
						t.Errorf("detail %q does not name the endpoint", detail)
					}
					if rec.Header().Get("WWW-Authenticate") != "" {
						t.Error("503 with a challenge")
					}
					return
				}
				want := `Bearer realm="petstore"`
				if tt.wantChalErr != "" {
					want += `, error="invalid_token", error_description="` + tt.wantChalErr + `"`
				}
				if wa := rec.Header().Get("WWW-Authenticate"); wa != want {
					t.Errorf("WWW-Authenticate = %q, want %q", wa, want)
				}
				return
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := got.identity
			if id == nil || id.Method != "introspection" || id.Subject != tt.wantSubject || id.Claims["active"] != true {
				t.Fatalf("identity = %+v", id)
			}
			if (id.Consumer == nil) != (tt.wantConsumer == "") || (id.Consumer != nil && id.Consumer.Name != tt.wantConsumer) {
				t.Errorf("consumer = %+v, want %q", id.Consumer, tt.wantConsumer)
			}
			if strings.Contains(id.Credential, "good") {
				t.Errorf("credential %q reveals the token", id.Credential)
			}
		})
	}
}

func TestIntrospectionCache(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	answers := map[string]string{
		"good":       `{"active":true,"client_id":"alice"}`,
		"short-exp":  fmt.Sprintf(`{"active":true,"client_id":"alice","exp":%d}`, now.Add(10*time.Second).Unix()),
		"revoked":    `{"active":false}`,
		"broken-500": `{"active":true}`,
	}
	type step struct {
		advance    time.Duration
		token      string
		endpoint   int // status the endpoint answers, 0 = normal
		wantStatus int
	}
	tests := []struct {
		name      string
		settings  string
		steps     []step
		wantCalls int64
	}{
		{"positive answer cached", ``, []step{{0, "good", 0, 204}, {30 * time.Second, "good", 0, 204}}, 1},
		{"cache hit survives an endpoint outage", ``, []step{{0, "good", 0, 204}, {time.Second, "good", 500, 204}}, 1},
		{"entry expires after cacheTtl", ``, []step{{0, "good", 0, 204}, {61 * time.Second, "good", 0, 204}}, 2},
		{"custom cacheTtl", `,"cacheTtl":"5s"`, []step{{0, "good", 0, 204}, {6 * time.Second, "good", 0, 204}}, 2},
		{"ttl capped by exp", ``, []step{{0, "short-exp", 0, 204}, {5 * time.Second, "short-exp", 0, 204}, {6 * time.Second, "short-exp", 0, 401}}, 2},
		{"negative answer cached", ``, []step{{0, "revoked", 0, 401}, {10 * time.Second, "revoked", 0, 401}}, 1},
		{"failures not cached", ``, []step{{0, "good", 500, 503}, {0, "good", 0, 204}}, 2},
		{"caching off", `,"cacheTtl":"0s"`, []step{{0, "good", 0, 204}, {0, "good", 0, 204}}, 2},
		{"tokens cached apart", ``, []step{{0, "good", 0, 204}, {0, "revoked", 0, 401}, {0, "good", 0, 204}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeClock{t: now}
			in := newIntrospector(t, answers)
			env := policy.Env{Consumers: testConsumers(t), Now: c.Now, HTTPClient: in.Client()}
			h, _ := build(t, NewIntrospection, `{"url":"`+in.URL+`","clientId":"gantry","clientSecret":"s3cret+"`+tt.settings+`}`, env)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				in.status.Store(int64(s.endpoint))
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", "Bearer "+s.token)
				if rec := serve(h, r); rec.Code != s.wantStatus {
					t.Fatalf("step %d: status %d, want %d: %s", i, rec.Code, s.wantStatus, rec.Body)
				}
			}
			if n := in.calls.Load(); n != tt.wantCalls {
				t.Errorf("%d introspection calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestIntrospectionConcurrentRequestsShareOneCall(t *testing.T) {
	in := newIntrospector(t, map[string]string{"good": `{"active":true,"client_id":"alice"}`})
	in.gate = make(chan struct{})
	mw, err := NewIntrospection(json.RawMessage(`{"url":"`+in.URL+`","clientId":"gantry","clientSecret":"s3cret+"}`), policy.Env{HTTPClient: in.Client()})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer good")
			codes[i] = serve(h, r).Code
		})
	}
	// Let the first call reach the endpoint, and the others queue behind it.
	deadline := time.Now().Add(5 * time.Second)
	for in.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(in.gate)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusNoContent {
			t.Errorf("request %d: status %d", i, c)
		}
	}
	if got := in.calls.Load(); got != 1 {
		t.Errorf("%d introspection calls, want 1", got)
	}
}

func TestIntrospectionCacheSharedAcrossReloads(t *testing.T) {
	in := newIntrospector(t, map[string]string{"good": `{"active":true,"client_id":"alice"}`})
	env := policy.Env{HTTPClient: in.Client(), Shared: &policy.Shared{}}
	settings := `{"url":"` + in.URL + `","clientId":"gantry","clientSecret":"s3cret+"}`
	for i := range 3 {
		h, _ := build(t, NewIntrospection, settings, env)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer good")
		if rec := serve(h, r); rec.Code != http.StatusNoContent {
			t.Fatalf("build %d: status %d", i, rec.Code)
		}
	}
	if n := in.calls.Load(); n != 1 {
		t.Errorf("%d introspection calls for 3 builds, want 1", n)
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(3)
	now := time.Now()
	clock := func() time.Time { return now }
	fetches := 0
	get := func(tok string) {
		_, err := c.do(t.Context(), sha256.Sum256([]byte(tok)), clock, func() (introspected, time.Time, error) {
			fetches++
			return introspected{active: true}, now.Add(time.Hour), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		token       string
		wantFetches int
		wantLen     int
	}{
		{"a fetched", "a", 1, 1},
		{"b fetched", "b", 2, 2},
		{"c fetched", "c", 3, 3},
		{"a hit, now most recent", "a", 3, 3},
		{"d evicts b, the least recent", "d", 4, 3},
		{"a still cached", "a", 4, 3},
		{"b fetched again", "b", 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get(tt.token)
			if fetches != tt.wantFetches || c.len() != tt.wantLen {
				t.Errorf("fetches %d, len %d; want %d, %d", fetches, c.len(), tt.wantFetches, tt.wantLen)
			}
		})
	}
}

func TestIntrospectionSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		field    string
		msg      string
	}{
		{"no url", `{}`, "url", "is required"},
		{"relative url", `{"url":"/introspect"}`, "url", "absolute http or https URL"},
		{"secret without id", `{"url":"http://127.0.0.1/i","clientSecret":"s3cret"}`, "clientId", "required when clientSecret"},
		{"negative cacheTtl", `{"url":"http://127.0.0.1/i","cacheTtl":"-1s"}`, "cacheTtl", "must not be negative"},
		{"zero timeout", `{"url":"http://127.0.0.1/i","timeout":"0s"}`, "timeout", "must be positive"},
		{"unknown setting", `{"url":"http://127.0.0.1/i","tokenHeader":"x"}`, "tokenHeader", "unknown setting"},
		{"wrong type", `{"url":"http://127.0.0.1/i","clientId":7}`, "clientId", "a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewIntrospection(json.RawMessage(tt.settings), policy.Env{})
			checkFieldError(t, err, tt.field, tt.msg)
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("secret in error %q", err)
			}
		})
	}
}
