package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// seen is what the handler behind a policy received.
type seen struct {
	called   bool
	identity *policy.Identity
	request  *http.Request
}

// build runs factory with settings and wraps a handler that records what it receives.
func build(t *testing.T, factory policy.Factory, settings string, env policy.Env) (http.Handler, *seen) {
	t.Helper()
	mw, err := factory(json.RawMessage(settings), env)
	if err != nil {
		t.Fatalf("factory(%s): %v", settings, err)
	}
	s := &seen{}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.identity = policy.IdentityFrom(r.Context())
		s.request = r
		w.WriteHeader(http.StatusNoContent)
	}))
	return h, s
}

// serve runs r through h.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// problemBody is the part of a problem document the tests check.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// checkProblem checks that rec is a problem+json response with status whose detail
// contains every one of details, and returns the detail.
func checkProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, details ...string) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q, want %q", ct, problem.ContentType)
	}
	var p problemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	if !strings.HasPrefix(p.Type, problem.TypeBase) {
		t.Errorf("problem type %q", p.Type)
	}
	for _, d := range details {
		if !strings.Contains(p.Detail, d) {
			t.Errorf("detail %q does not contain %q", p.Detail, d)
		}
	}
	return p.Detail
}

// checkFieldError checks that err is a *policy.FieldError for field whose message
// contains msg.
func checkFieldError(t *testing.T, err error, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one for field %q", field)
	}
	var fe *policy.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *policy.FieldError", err, err)
	}
	if fe.Field != field {
		t.Errorf("field %q, want %q (error: %v)", fe.Field, field, err)
	}
	if !strings.Contains(fe.Message, msg) {
		t.Errorf("message %q does not contain %q", fe.Message, msg)
	}
}

// fakeClock is a settable clock for policy.Env.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConsumers returns alice (plain key and password) and bob (hashed key and password).
func testConsumers(t *testing.T) *ConsumerSet {
	t.Helper()
	cs, err := NewConsumerSet([]ConsumerSpec{
		{
			Name:    "alice",
			Groups:  []string{"gold"},
			APIKeys: []string{"alice-key-1", "alice-key-2"},
			Basic:   []BasicCredential{{Username: "alice", Password: "wonderland"}},
		},
		{
			Name:    "bob",
			APIKeys: []string{HashAPIKey("bob-key")},
			Basic:   []BasicCredential{{Username: "bob", Password: HashPassword("builder")}},
		},
		{Name: "carol"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestDefinitions(t *testing.T) {
	want := []string{"keyAuth", "basicAuth", "jwt", "introspection", "mtls"}
	var reg policy.Registry
	defs := Definitions()
	if len(defs) != len(want) {
		t.Fatalf("%d definitions, want %d", len(defs), len(want))
	}
	for i, d := range defs {
		if d.Name != want[i] || d.Phase != policy.PhaseAuthenticate || d.New == nil {
			t.Errorf("definition %d = %q phase %d", i, d.Name, d.Phase)
		}
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	// Through the registry, a bad setting is reported with the policy and field.
	_, err := reg.Build([]policy.Config{{Name: "keyAuth", Settings: json.RawMessage(`{"in":"cookie"}`)}}, policy.Env{Consumers: testConsumers(t)}, http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "policy keyAuth: in:") {
		t.Fatalf("Build error = %v", err)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "petstore", `"petstore"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"control characters dropped", "a\r\nb", `"ab"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quote(tt.in); got != tt.want {
				t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestQueryHelpers(t *testing.T) {
	tests := []struct {
		name, raw, param string
		wantValue        string
		wantFound        bool
		wantWithout      string
	}{
		{"only", "apikey=k1", "apikey", "k1", true, ""},
		{"among others", "a=1&apikey=k%2B1&b=2", "apikey", "k+1", true, "a=1&b=2"},
		{"escaped name", "api%6Bey=k1&x=y", "apikey", "k1", true, "x=y"},
		{"repeated", "apikey=k1&apikey=k2", "apikey", "k1", true, ""},
		{"absent", "a=1", "apikey", "", false, "a=1"},
		{"prefix is not a match", "apikeys=1", "apikey", "", false, "apikeys=1"},
		{"bad escape", "apikey=%zz", "apikey", "", false, ""},
		{"empty", "", "apikey", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := queryValue(tt.raw, tt.param)
			if v != tt.wantValue || ok != tt.wantFound {
				t.Errorf("queryValue = %q, %v; want %q, %v", v, ok, tt.wantValue, tt.wantFound)
			}
			if got := withoutQueryParam(tt.raw, tt.param); got != tt.wantWithout {
				t.Errorf("withoutQueryParam = %q, want %q", got, tt.wantWithout)
			}
		})
	}
}
