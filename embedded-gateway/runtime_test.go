package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// upstream is a fake service that echoes what it received.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream-Path", r.URL.RequestURI())
		w.Header().Set("X-Upstream-Apikey", r.Header.Get("apikey"))
		_, _ = io.WriteString(w, `[{"id":1,"name":"from upstream"}]`)
	}))
	t.Cleanup(u.Close)
	return u
}

func proxyAPI(t *testing.T, up *upstream, policies ...model.PolicyConfig) *config.API {
	t.Helper()
	a := mustAPI(t, "petstore", "/petstore", load(t, "petstore.yaml"))
	a.Mode = model.ModeProxy
	a.Upstream = json.RawMessage(`{"targets":[{"url":"` + up.URL + `"}]}`)
	a.Policies = policies
	return a
}

var alice = model.Consumer{Name: "alice", APIKeyHashes: []string{secret.Hash("alice-key-0123456789")}}

func do(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestProxyWithKeyAuthAndRateLimit is the first scenario: an upstream fronted by
// key authentication and a rate limit, with the consumer recorded in the capture.
func TestProxyWithKeyAuthAndRateLimit(t *testing.T) {
	up := newUpstream(t)
	rec, exchanges := collectingRecorder()
	gw := gateway.New(gateway.Options{Recorder: rec})
	defer gw.Close()
	api := proxyAPI(t, up,
		model.PolicyConfig{Name: "rateLimit", Settings: json.RawMessage(`{"requests":2,"window":"1m","by":"consumer"}`)},
		model.PolicyConfig{Name: "keyAuth", Settings: json.RawMessage(`{"in":"header","name":"apikey"}`)},
	)
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}, Consumers: []model.Consumer{alice}}); err != nil {
		t.Fatal(err)
	}
	key := map[string]string{"apikey": "alice-key-0123456789"}
	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
		check      func(t *testing.T, r *httptest.ResponseRecorder)
	}{
		{"no key", nil, 401, func(t *testing.T, r *httptest.ResponseRecorder) {
			if ct := r.Header().Get("Content-Type"); ct != "application/problem+json" || r.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("content type %q, challenge %q", ct, r.Header().Get("WWW-Authenticate"))
			}
		}},
		{"wrong key", map[string]string{"apikey": "mallory-key-000000"}, 401, nil},
		{"alice, first", key, 200, func(t *testing.T, r *httptest.ResponseRecorder) {
			if got := r.Header().Get("X-Upstream-Path"); got != "/pets?limit=5" {
				t.Errorf("upstream saw %q, want the base path stripped", got)
			}
			if got := r.Header().Get("X-Upstream-Apikey"); got != "" {
				t.Errorf("the key reached the upstream: %q", got)
			}
			if !strings.Contains(r.Body.String(), "from upstream") {
				t.Errorf("body %q", r.Body.String())
			}
		}},
		{"alice, second", key, 200, nil},
		{"alice, over the limit", key, 429, func(t *testing.T, r *httptest.ResponseRecorder) {
			if r.Header().Get("Retry-After") == "" || r.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("429 without Retry-After or problem: %v", r.Header())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, gw, "GET", "/petstore/pets?limit=5", tc.header)
			if r.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.wantStatus, r.Body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	if got := up.hits.Load(); got != 2 {
		t.Errorf("upstream got %d requests, want 2 (rejected ones must not reach it)", got)
	}
	rec.Close(t.Context())
	xs := exchanges()
	if len(xs) != len(tests) {
		t.Fatalf("%d exchanges recorded, want %d", len(xs), len(tests))
	}
	for _, x := range xs {
		if x.Mode != model.ModeProxy || x.API != "petstore" || x.Operation != "listPets" {
			t.Errorf("exchange %s: mode %q api %q operation %q", x.ID, x.Mode, x.API, x.Operation)
		}
		if x.Status == 200 && x.Consumer != "alice" {
			t.Errorf("exchange %s: consumer %q, want alice", x.ID, x.Consumer)
		}
	}
}

func TestOperationOverridesAndValidation(t *testing.T) {
	up := newUpstream(t)
	api := proxyAPI(t, up)
	api.Operations = []model.OperationConfig{{Match: "GET /pets/{petId}", Mode: model.ModeMock}}
	gw := newGateway(t, gateway.Options{}, api)
	defer gw.Close()

	// The mocked operation does not reach the upstream.
	if r := do(t, gw, "GET", "/petstore/pets/7", nil); r.Code != 200 || r.Header().Get("X-Upstream-Path") != "" {
		t.Fatalf("mocked operation: %d %v", r.Code, r.Header())
	}
	// An invalid request is refused before the upstream (limit must be <= 100).
	if r := do(t, gw, "GET", "/petstore/pets?limit=1000", nil); r.Code != 400 {
		t.Fatalf("invalid request: %d %s", r.Code, r.Body)
	}
	if up.hits.Load() != 0 {
		t.Fatalf("upstream reached %d times", up.hits.Load())
	}
	// With validation off, the same request is forwarded.
	api2 := proxyAPI(t, up)
	api2.NoValidation = true
	if err := gw.Apply(&config.Snapshot{Revision: 2, APIs: []*config.API{api2}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, gw, "GET", "/petstore/pets?limit=1000", nil); r.Code != 200 || up.hits.Load() != 1 {
		t.Fatalf("unvalidated request: %d, upstream hits %d", r.Code, up.hits.Load())
	}
}

func TestHostRouting(t *testing.T) {
	def := load(t, "petstore.yaml")
	a := mustAPI(t, "a", "/v1", def)
	a.Hosts = []string{"a.example.test"}
	b := mustAPI(t, "b", "/v1", def)
	b.Hosts = []string{"*.example.test"}
	c := mustAPI(t, "c", "/v1", def)
	rec, exchanges := collectingRecorder()
	gw := newGateway(t, gateway.Options{Recorder: rec}, a, b, c)
	for _, host := range []string{"a.example.test", "b.example.test:8080", "other.test", "example.test"} {
		req := httptest.NewRequest("GET", "http://"+host+"/v1/pets", nil)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", host, w.Code, w.Body)
		}
	}
	rec.Close(t.Context())
	var got []string
	for _, x := range exchanges() {
		got = append(got, x.API)
	}
	if strings.Join(got, ",") != "a,b,c,c" {
		t.Errorf("APIs chosen by host = %v, want a,b,c,c", got)
	}
}

func TestBadPolicyKeepsLastGood(t *testing.T) {
	up := newUpstream(t)
	gw := newGateway(t, gateway.Options{}, proxyAPI(t, up))
	defer gw.Close()
	tests := []struct {
		name    string
		api     *config.API
		wantErr string
	}{
		{"unknown policy", proxyAPI(t, up, model.PolicyConfig{Name: "keyauth"}), "unknown policy"},
		{"bad setting", proxyAPI(t, up, model.PolicyConfig{Name: "rateLimit", Settings: json.RawMessage(`{"requests":0,"window":"1m"}`)}), "requests"},
		{"bad upstream", func() *config.API {
			a := proxyAPI(t, up)
			a.Upstream = json.RawMessage(`{"targets":[]}`)
			return a
		}(), "targets"},
		{"unknown operation", func() *config.API {
			a := proxyAPI(t, up)
			a.Operations = []model.OperationConfig{{Match: "deletePet", Mode: model.ModeMock}}
			return a
		}(), `"deletePet" matches no operation`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := gw.Apply(&config.Snapshot{Revision: 9, APIs: []*config.API{tc.api}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply = %v, want an error mentioning %q", err, tc.wantErr)
			}
			if r := do(t, gw, "GET", "/petstore/pets", nil); r.Code != 200 {
				t.Fatalf("after a rejected snapshot: %d", r.Code)
			}
		})
	}
}

// TestRateLimitSurvivesReload: counters live in the Gateway's shared state, so applying a
// new configuration does not hand out a fresh allowance.
func TestRateLimitSurvivesReload(t *testing.T) {
	up := newUpstream(t)
	limit := model.PolicyConfig{Name: "rateLimit", Settings: json.RawMessage(`{"requests":1,"window":"1h","by":"ip"}`)}
	gw := newGateway(t, gateway.Options{}, proxyAPI(t, up, limit))
	defer gw.Close()
	if r := do(t, gw, "GET", "/petstore/pets", nil); r.Code != 200 {
		t.Fatalf("first: %d", r.Code)
	}
	next := proxyAPI(t, up, limit)
	next.Hosts = nil
	next.NoValidation = true // a change, so the snapshot differs
	if err := gw.Apply(&config.Snapshot{Revision: 2, APIs: []*config.API{next}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, gw, "GET", "/petstore/pets", nil); r.Code != 429 {
		t.Fatalf("after reload: %d, want 429", r.Code)
	}
}

// TestSharedStateOfRemovedPoliciesIsDropped: a reload that removes a cache frees its store.
func TestSharedStateOfRemovedPoliciesIsDropped(t *testing.T) {
	shared := &policy.Shared{}
	gw := gateway.New(gateway.Options{Shared: shared})
	defer gw.Close()
	withCache := mustAPI(t, "pets", "/v1", load(t, "petstore.yaml"))
	withCache.Policies = []model.PolicyConfig{{Name: "cache", Settings: json.RawMessage(`{"ttl":"1m"}`)}}
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{withCache}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, gw, "GET", "/v1/pets", nil); r.Code != 200 {
		t.Fatalf("status %d", r.Code)
	}
	held := shared.Len()
	if held == 0 {
		t.Fatal("the cache policy keeps nothing in the shared state")
	}
	// A refused configuration drops nothing.
	broken := mustAPI(t, "pets", "/v1", load(t, "petstore.yaml"))
	broken.Policies = []model.PolicyConfig{{Name: "nosuch"}}
	if err := gw.Apply(&config.Snapshot{Revision: 2, APIs: []*config.API{broken}}); err == nil {
		t.Fatal("broken configuration applied")
	}
	if shared.Len() != held {
		t.Fatalf("a refused configuration changed the shared state: %d, was %d", shared.Len(), held)
	}
	if err := gw.Apply(&config.Snapshot{Revision: 3, APIs: []*config.API{mustAPI(t, "pets", "/v1", load(t, "petstore.yaml"))}}); err != nil {
		t.Fatal(err)
	}
	if n := shared.Len(); n >= held {
		t.Fatalf("after removing the cache, the shared state holds %d objects (was %d)", n, held)
	}
}

func TestUpstreamErrorsAreReported(t *testing.T) {
	up := newUpstream(t)
	up.Close() // nothing listens there any more: connections are refused
	var got []string
	gw := gateway.New(gateway.Options{UpstreamError: func(api, upstream, kind string) {
		got = append(got, api+"/"+upstream+"/"+kind)
	}})
	defer gw.Close()
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{proxyAPI(t, up)}}); err != nil {
		t.Fatal(err)
	}
	r := do(t, gw, "GET", "/petstore/pets", nil)
	if r.Code != http.StatusBadGateway || r.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, content type %q", r.Code, r.Header().Get("Content-Type"))
	}
	if strings.Join(got, ",") != "petstore/default/refused" {
		t.Fatalf("reported %v, want petstore/default/refused", got)
	}
}
