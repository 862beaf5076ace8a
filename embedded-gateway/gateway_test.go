package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

func load(t *testing.T, file string) *apidef.Definition {
	t.Helper()
	s, _, err := spec.Load(filepath.Join("testdata", file), spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Definition
}

func newGateway(t *testing.T, opts gateway.Options, apis ...*config.API) *gateway.Gateway {
	t.Helper()
	gw := gateway.New(opts)
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: apis}); err != nil {
		t.Fatal(err)
	}
	return gw
}

func mustAPI(t *testing.T, name, basePath string, def *apidef.Definition) *config.API {
	t.Helper()
	a, err := config.NewAPI(name, "", basePath, def, "")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGatewayResponses(t *testing.T) {
	shop := load(t, "secure.yaml")
	pets := load(t, "petstore.yaml")
	gw := newGateway(t, gateway.Options{CORS: true},
		mustAPI(t, "shop", "", shop),
		mustAPI(t, "pets", "", pets),
	)
	const key = "X-API-Key"
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		body       string
		wantStatus int
		wantType   string
		wantHeader map[string]string
		wantInBody []string
	}{
		{"mounted at servers[0] path with variables", "GET", "/api/v2/orders?limit=2", map[string]string{key: "k"}, "", 200, "application/json", nil, nil},
		{"second API side by side", "GET", "/v1/pets", nil, "", 200, "application/json", nil, nil},
		{"declared response header sent", "GET", "/api/v2/orders?limit=2", map[string]string{key: "k"}, "", 200, "application/json", map[string]string{"X-Total-Count": ""}, nil},
		{"accept picks csv", "GET", "/api/v2/orders?limit=2", map[string]string{key: "k", "Accept": "text/csv"}, "", 200, "text/csv", nil, []string{"id,total"}},
		{"406 when nothing fits", "GET", "/api/v2/orders?limit=2", map[string]string{key: "k", "Accept": "application/xml"}, "", 406, problem.ContentType, nil, []string{"application/json", "text/csv"}},
		{"prefer code", "GET", "/api/v2/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6", map[string]string{"Prefer": "code=404"}, "", 404, "application/problem+json", nil, nil},
		{"unknown path 404", "GET", "/api/v2/nothing", nil, "", 404, problem.ContentType, nil, []string{"/api/v2 (shop)", "/v1 (pets)"}},
		{"wrong method 405", "DELETE", "/api/v2/orders", nil, "", 405, problem.ContentType, map[string]string{"Allow": "GET, HEAD, POST, OPTIONS"}, nil},
		{"plain options", "OPTIONS", "/api/v2/orders", nil, "", 204, "", map[string]string{"Allow": "GET, HEAD, POST, OPTIONS"}, nil},
		{"missing api key 401", "GET", "/api/v2/orders?limit=2", nil, "", 401, problem.ContentType, map[string]string{"WWW-Authenticate": `APIKey header="X-API-Key"`}, []string{"X-API-Key"}},
		{"either of two schemes 401", "POST", "/api/v2/orders", nil, `{}`, 401, problem.ContentType, nil, []string{"Basic", "Bearer"}},
		{"operation without security", "GET", "/api/v2/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6", nil, "", 200, "application/json", nil, nil},
		{"missing required query is 400 (declared)", "GET", "/api/v2/orders", map[string]string{key: "k"}, "", 400, problem.ContentType, nil, []string{`"in":"query"`, `"name":"limit"`}},
		{"invalid body is 422 (declared)", "POST", "/api/v2/orders", map[string]string{"Authorization": "Bearer t", "Content-Type": "application/json"}, `{"id":"x","total":-1}`, 422, problem.ContentType, nil, []string{`"in":"body"`, "/total"}},
		{"valid body is 201", "POST", "/api/v2/orders", map[string]string{"Authorization": "Basic dTpw", "Content-Type": "application/json"}, `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","total":3}`, 201, "application/json", nil, nil},
		{"bad path parameter format: the declared 404 (no 400/422 declared)", "GET", "/api/v2/orders/not-a-uuid", nil, "", 404, problem.ContentType, nil, []string{`"in":"path"`}},
		{"no content response", "GET", "/api/v2/health", nil, "", 204, "", nil, nil},
		{"head has no body", "HEAD", "/api/v2/health", nil, "", 204, "", nil, nil},
		{"cors preflight", "OPTIONS", "/api/v2/orders", map[string]string{"Origin": "http://app.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "", 204, "", map[string]string{"Access-Control-Allow-Origin": "http://app.test", "Access-Control-Allow-Methods": "GET, HEAD, POST", "Access-Control-Allow-Headers": "content-type"}, nil},
		{"cors on simple request", "GET", "/api/v2/health", map[string]string{"Origin": "http://app.test"}, "", 204, "", map[string]string{"Access-Control-Allow-Origin": "http://app.test"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := httptest.NewRequest(tt.method, tt.target, body)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := strings.Split(rec.Header().Get("Content-Type"), ";")[0]; ct != tt.wantType {
				t.Errorf("content type %q, want %q", ct, tt.wantType)
			}
			for k, v := range tt.wantHeader {
				got := rec.Header().Get(k)
				if (v == "" && got == "") || (v != "" && got != v) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, s := range tt.wantInBody {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("body lacks %q: %s", s, rec.Body)
				}
			}
			if tt.method == "HEAD" && rec.Body.Len() > 0 {
				t.Errorf("HEAD response has a body")
			}
			if tt.wantType == problem.ContentType && tt.wantStatus != 404 || strings.HasPrefix(tt.name, "unknown") {
				var pd map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &pd); err != nil {
					t.Fatalf("problem is not JSON: %v", err)
				}
				if pd["detail"] == "" || pd["status"] != float64(tt.wantStatus) {
					t.Errorf("problem lacks detail or status: %v", pd)
				}
			}
		})
	}
}

func TestBasePathOverride(t *testing.T) {
	def := load(t, "petstore.yaml")
	tests := []struct {
		name, basePath, target string
		want                   int
	}{
		{"root", "/", "/pets", 200},
		{"root hides the server path", "/", "/v1/pets", 404},
		{"custom", "/mock/petstore", "/mock/petstore/pets", 200},
		{"default", "", "/v1/pets", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newGateway(t, gateway.Options{}, mustAPI(t, "pets", tt.basePath, def))
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestApplyKeepsLastGood(t *testing.T) {
	def := load(t, "petstore.yaml")
	gw := newGateway(t, gateway.Options{}, mustAPI(t, "pets", "", def))
	dup := mustAPI(t, "pets", "/other", def)
	if err := gw.Apply(&config.Snapshot{Revision: 2, APIs: []*config.API{mustAPI(t, "pets", "", def), dup}}); err == nil {
		t.Fatal("a snapshot with a duplicate API name was accepted")
	}
	snap, lastErr := gw.Snapshot()
	if snap.Revision != 1 || lastErr == nil {
		t.Fatalf("revision %d, last error %v", snap.Revision, lastErr)
	}
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pets", nil))
	if rec.Code != 200 {
		t.Fatalf("old routes gone: %d", rec.Code)
	}
}

// TestRecording checks that every exchange reaches the sink with the gateway's annotations.
func TestRecording(t *testing.T) {
	rec, recorded := collectingRecorder()
	gw := newGateway(t, gateway.Options{Recorder: rec}, mustAPI(t, "shop", "", load(t, "secure.yaml")))
	for _, target := range []string{"/api/v2/orders?limit=1", "/api/v2/orders", "/api/v2/nope"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-API-Key", "secret-key")
		gw.ServeHTTP(httptest.NewRecorder(), r)
	}
	got := recorded()
	if len(got) != 3 {
		t.Fatalf("recorded %d exchanges, want 3", len(got))
	}
	byURL := map[string]*model.Exchange{}
	for _, x := range got {
		byURL[x.URL] = x
	}
	ok := byURL["/api/v2/orders?limit=1"]
	if ok.Status != 200 || ok.API != "shop" || ok.Operation != "listOrders" || ok.Mode != "mock" || len(ok.ResponseBody) == 0 {
		t.Errorf("valid exchange: %+v", ok)
	}
	if v := ok.RequestHeaders.Get("X-Api-Key"); v == "secret-key" {
		t.Errorf("API key captured in clear")
	}
	bad := byURL["/api/v2/orders"]
	if bad.Status != 400 || len(bad.Violations) != 1 || bad.Violations[0].In != "query" {
		t.Errorf("invalid exchange: status %d, violations %+v", bad.Status, bad.Violations)
	}
	if nf := byURL["/api/v2/nope"]; nf.Status != 404 || nf.Operation != "" {
		t.Errorf("unrouted exchange: %+v", nf)
	}
}

// TestHotReload edits a spec on disk the way an editor does and checks the gateway follows:
// edit → new route live; broken edit → old routes kept, error with file:line; fix → live again.
func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.yaml")
	orig, err := os.ReadFile(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	save := func(b []byte) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	save(orig)
	errs := make(chan error, 8)
	src := &config.FileSource{
		Specs:    []config.FileSpec{{Path: path, Name: "pets"}},
		Debounce: 30 * time.Millisecond,
		OnError:  func(err error) { errs <- err },
		Load: func(p string) (*apidef.Definition, []string, error) {
			s, _, err := spec.Load(p, spec.Options{})
			if err != nil {
				return nil, nil, err
			}
			return s.Definition, []string{p}, nil
		},
	}
	gw := gateway.New(gateway.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	snaps := make(chan *config.Snapshot)
	go func() { _ = src.Run(ctx, snaps) }()
	applyNext := func() {
		t.Helper()
		select {
		case s := <-snaps:
			if err := gw.Apply(s); err != nil {
				t.Fatal(err)
			}
		case err := <-errs:
			t.Fatalf("unexpected reload error: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("no snapshot within 5s")
		}
	}
	status := func(target string) int {
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		return rec.Code
	}
	applyNext()
	steps := []struct {
		name    string
		edit    func([]byte) []byte
		broken  bool
		target  string
		wantNow int
	}{
		{"initial", nil, false, "/v1/owners", 404},
		{"edit adds a path", func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "paths:\n", "paths:\n  /owners:\n    get:\n      responses:\n        '200':\n          description: ok\n", 1))
		}, false, "/v1/owners", 200},
		{"broken edit keeps the last good routes", func(b []byte) []byte {
			return append(b, []byte("\n  broken: [unclosed\n")...)
		}, true, "/v1/owners", 200},
		{"fix (and add another path)", func(b []byte) []byte {
			fixed := strings.Replace(string(b), "\n  broken: [unclosed\n", "\n", 1)
			return []byte(strings.Replace(fixed, "paths:\n", "paths:\n  /vets:\n    get:\n      responses:\n        '200':\n          description: ok\n", 1))
		}, false, "/v1/vets", 200},
	}
	cur := orig
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.edit != nil {
				cur = st.edit(cur)
				save(cur)
				if st.broken {
					select {
					case err := <-errs:
						if !strings.Contains(err.Error(), "api.yaml:") {
							t.Errorf("error does not name file:line: %v", err)
						}
					case <-snaps:
						t.Fatal("broken spec produced a snapshot")
					case <-time.After(5 * time.Second):
						t.Fatal("broken edit not reported")
					}
				} else {
					applyNext()
				}
			}
			if got := status(st.target); got != st.wantNow {
				t.Fatalf("GET %s = %d, want %d", st.target, got, st.wantNow)
			}
		})
	}
}

func TestGatewayEdgeCases(t *testing.T) {
	shop := load(t, "secure.yaml")
	t.Run("apply nil keeps serving", func(t *testing.T) {
		gw := newGateway(t, gateway.Options{}, mustAPI(t, "shop", "", shop))
		if err := gw.Apply(nil); err == nil {
			t.Fatal("nil snapshot accepted")
		}
	})
	t.Run("body over the limit is 413", func(t *testing.T) {
		gw := newGateway(t, gateway.Options{MaxBodyBytes: 16}, mustAPI(t, "shop", "", shop))
		r := httptest.NewRequest("POST", "/api/v2/orders", strings.NewReader(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","total":3}`))
		r.Header.Set("Authorization", "Bearer t")
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, r)
		if rec.Code != 413 || rec.Header().Get("Content-Type") != problem.ContentType {
			t.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("snapshot base path is normalised", func(t *testing.T) {
		a := mustAPI(t, "shop", "", shop)
		a.BasePath = "/shop/"
		gw := newGateway(t, gateway.Options{}, a)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest("GET", "/shop/health", nil))
		if rec.Code != 204 {
			t.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("no CORS unless asked", func(t *testing.T) {
		gw := newGateway(t, gateway.Options{}, mustAPI(t, "shop", "", shop))
		r := httptest.NewRequest("GET", "/api/v2/health", nil)
		r.Header.Set("Origin", "http://evil.test")
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, r)
		if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "" {
			t.Fatalf("CORS header %q without Options.CORS", v)
		}
	})
}

func TestSecurityRequirements(t *testing.T) {
	def := &apidef.Definition{
		SecuritySchemes: map[string]*apidef.SecurityScheme{
			"key":    {Type: "apiKey", In: "query", Name: "sig"},
			"bearer": {Type: "http", Scheme: "bearer"},
			"cookie": {Type: "apiKey", In: "cookie", Name: "session"},
		},
		Operations: []*apidef.Operation{{ID: "op", Method: "GET", Path: "/x",
			Security:         []apidef.SecurityRequirement{{"key": nil, "bearer": nil}, {"cookie": nil}},
			SecurityDeclared: true,
			Responses:        []*apidef.Response{{Status: "204"}}}},
	}
	gw := newGateway(t, gateway.Options{}, mustAPI(t, "s", "/", def))
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   int
		detail string
	}{
		{"both of the first requirement", "/x?sig=1", map[string]string{"Authorization": "Bearer t"}, 204, ""},
		{"the second requirement", "/x", map[string]string{"Cookie": "session=abc"}, 204, ""},
		{"only half of the first", "/x?sig=1", nil, 401, "bearer (Authorization: Bearer) and key (API key in query"},
		{"wrong scheme", "/x?sig=1", map[string]string{"Authorization": "Basic dTpw"}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.detail != "" && !strings.Contains(rec.Body.String(), tt.detail) {
				t.Errorf("detail lacks %q: %s", tt.detail, rec.Body)
			}
		})
	}
}

// TestSpecDeclaredKeysRedacted checks that an API key the spec declares under a name the
// recorder does not know by default is still redacted in the capture.
func TestSpecDeclaredKeysRedacted(t *testing.T) {
	def := &apidef.Definition{
		SecuritySchemes: map[string]*apidef.SecurityScheme{
			"h": {Type: "apiKey", In: "header", Name: "X-Partner-Secret"},
			"q": {Type: "apiKey", In: "query", Name: "sig"},
		},
		Operations: []*apidef.Operation{{ID: "op", Method: "GET", Path: "/x", Responses: []*apidef.Response{{Status: "204"}}}},
	}
	rec, recorded := collectingRecorder()
	gw := newGateway(t, gateway.Options{Recorder: rec}, mustAPI(t, "s", "/", def))
	r := httptest.NewRequest("GET", "/x?sig=topsecret&page=2", nil)
	r.Header.Set("X-Partner-Secret", "hunter2")
	gw.ServeHTTP(httptest.NewRecorder(), r)
	got := recorded()
	if len(got) != 1 {
		t.Fatalf("%d exchanges", len(got))
	}
	x := got[0]
	if strings.Contains(x.URL, "topsecret") || !strings.Contains(x.URL, "page=2") {
		t.Errorf("URL %q", x.URL)
	}
	if v := x.RequestHeaders.Get("X-Partner-Secret"); v != capture.Redacted {
		t.Errorf("header captured as %q", v)
	}
}

// collectingRecorder returns a recorder that keeps every exchange in memory, and a function
// that closes it (flushing everything) and returns what it recorded.
func collectingRecorder() (*capture.Recorder, func() []*model.Exchange) {
	sink := &capture.MemorySink{}
	rec := capture.New(sink, capture.Options{FlushInterval: 5 * time.Millisecond})
	return rec, func() []*model.Exchange {
		if err := rec.Close(context.Background()); err != nil {
			panic(err)
		}
		return sink.Exchanges()
	}
}
