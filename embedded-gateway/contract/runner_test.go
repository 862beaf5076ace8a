package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/spec"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/internal/testcorpus"
)

// defs caches the definitions loaded by this test binary.
var defs sync.Map // path -> *apidef.Definition

func loadDef(t *testing.T, path string) *apidef.Definition {
	t.Helper()
	if d, ok := defs.Load(path); ok {
		return d.(*apidef.Definition)
	}
	s, _, err := spec.Load(path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defs.Store(path, s.Definition)
	return s.Definition
}

// mockGateway returns Gantry's own mock serving def, as `gantry mock` does.
func mockGateway(t *testing.T, def *apidef.Definition, opts gateway.Options) http.Handler {
	t.Helper()
	api, err := config.NewAPI("api", "test", "", def, "")
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(opts)
	if err := gw.Apply(&config.Snapshot{Revision: 1, APIs: []*config.API{api}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	return gw
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestContractAgainstMock runs the contract tests against Gantry's own mock for the specs
// in testdata and in the shared corpus: every operation must keep its contract.
func TestContractAgainstMock(t *testing.T) {
	specs := []string{"testdata/petstore.yaml", "testdata/secure.yaml", "testdata/shop.yaml"}
	for _, rel := range testcorpus.Specs {
		specs = append(specs, "corpus:"+rel)
	}
	total, kept := 0, 0
	for _, name := range specs {
		t.Run(name, func(t *testing.T) {
			path := name
			if rel, ok := strings.CutPrefix(name, "corpus:"); ok {
				path = testcorpus.File(t, rel)
			}
			def := loadDef(t, path)
			srv := serve(t, mockGateway(t, def, gateway.Options{}))
			rep, err := NewRunner(def, Options{Seed: 1}).Run(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Operations) != len(def.Operations) {
				t.Fatalf("%d results for %d operations", len(rep.Operations), len(def.Operations))
			}
			failures := 0
			for _, o := range rep.Operations {
				total++
				if o.Outcome == OutcomePassed {
					kept++
				}
				for _, c := range o.Checks {
					if !c.Passed {
						if failures++; failures <= 20 {
							t.Errorf("%s %s (%s): %s\n  request: %s %s\n  answer: %d %s %.300s", o.Method, o.Path, o.ID, c.Summary(),
								c.Request.Method, c.Request.URL, c.Status, c.MediaType, c.Body)
						}
					}
				}
				if o.Error != "" {
					t.Errorf("%s %s: %s", o.Method, o.Path, o.Error)
				}
			}
			t.Logf("%s: %d operations, %d requests; %+v", filepath.Base(path), rep.Summary.Operations, rep.Summary.Requests, rep.Summary)
		})
	}
	t.Logf("in all: %d of %d operations kept their contract against the mock", kept, total)
}

// rewrite serves next into a recorder and lets edit change the answer before it is sent.
func rewrite(next http.Handler, edit func(r *http.Request, rec *httptest.ResponseRecorder)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		edit(r, rec)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// TestBrokenUpstreams checks that each kind of breakage is reported on the check it breaks.
func TestBrokenUpstreams(t *testing.T) {
	petstore := loadDef(t, "testdata/petstore.yaml")
	shop := loadDef(t, "testdata/shop.yaml")
	mock := func(def *apidef.Definition) http.Handler { return mockGateway(t, def, gateway.Options{}) }
	tests := []struct {
		name    string
		def     *apidef.Definition
		handler http.Handler
		op      string
		kind    string // the check that must fail: CheckValid or CheckNegative
		wantIn  string // the violation's In ("" when the check has an error instead)
		want    string // text in the violation's message or the error
	}{
		{"wrong status", petstore, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code":500,"message":"boom"}`))
		}), "listPets", CheckValid, "status", "status 500, want a declared success status: 200"},
		{"undeclared success status", petstore, rewrite(mock(petstore), func(r *http.Request, rec *httptest.ResponseRecorder) {
			if rec.Code == 200 {
				rec.Code = 203
			}
		}), "showPetById", CheckValid, "status", "status 203"},
		{"wrong media type", petstore, rewrite(mock(petstore), func(r *http.Request, rec *httptest.ResponseRecorder) {
			rec.Header().Set("Content-Type", "text/html")
		}), "listPets", CheckValid, "header", `media type "text/html" is not declared`},
		{"schema-invalid body", petstore, rewrite(mock(petstore), func(r *http.Request, rec *httptest.ResponseRecorder) {
			if r.Method == "GET" && r.URL.Path == "/v1/pets" {
				rec.Body = bytes.NewBufferString(`[{"id":"one","name":"rex"}]`)
			}
		}), "listPets", CheckValid, "body", "want integer"},
		{"required response header missing", shop, rewrite(mock(shop), func(r *http.Request, rec *httptest.ResponseRecorder) {
			rec.Header().Del("X-Total")
		}), "listItems", CheckValid, "header", "X-Total"},
		{"accepts an invalid request", petstore, mockGateway(t, petstore, gateway.Options{SkipValidation: true}),
			"createPets", CheckNegative, "status", "the invalid request was accepted"},
		{"accepts a request without credentials", loadDef(t, "testdata/secure.yaml"), rewrite(mock(loadDef(t, "testdata/secure.yaml")), func(r *http.Request, rec *httptest.ResponseRecorder) {
			if rec.Code == 401 {
				rec.Code = 200
				rec.Header().Set("Content-Type", "application/json")
				rec.Body = bytes.NewBufferString(`[]`)
			}
		}), "listOrders", CheckNegative, "status", "the invalid request was accepted"},
		{"redirects are answers, not followed", petstore, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}), "listPets", CheckValid, "status", "status 302"},
		{"slow answer", petstore, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}), "listPets", CheckValid, "", "no answer within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			rep, err := NewRunner(tt.def, Options{Timeout: 300 * time.Millisecond, Filter: Filter{Operations: []string{tt.op}}}).Run(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Operations) != 1 {
				t.Fatalf("%d operations tested, want 1", len(rep.Operations))
			}
			o := rep.Operations[0]
			if o.Outcome == OutcomePassed || rep.Summary.OK() {
				t.Fatalf("outcome %s, summary %+v: the breakage was not reported", o.Outcome, rep.Summary)
			}
			found := false
			for _, c := range o.Checks {
				if c.Kind != tt.kind || c.Passed {
					continue
				}
				if tt.wantIn == "" && strings.Contains(c.Error, tt.want) {
					found = true
				}
				for _, v := range c.Violations {
					if v.In == tt.wantIn && strings.Contains(v.Message, tt.want) {
						found = true
					}
				}
			}
			if !found {
				b, _ := json.MarshalIndent(o, "", "  ")
				t.Fatalf("no failed %s check with %s violation %q:\n%s", tt.kind, tt.wantIn, tt.want, b)
			}
		})
	}
}

func TestUnreachableTarget(t *testing.T) {
	def := loadDef(t, "testdata/petstore.yaml")
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	rep, err := NewRunner(def, Options{Timeout: time.Second}).Run(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Errors != len(def.Operations) || rep.Summary.OK() {
		t.Fatalf("summary %+v, want every operation in error", rep.Summary)
	}
	for _, o := range rep.Operations {
		if o.Outcome != OutcomeError || o.Checks[0].Error == "" {
			t.Fatalf("%s: outcome %s, error %q", o.ID, o.Outcome, o.Checks[0].Error)
		}
	}
}

func TestFilter(t *testing.T) {
	op := &apidef.Operation{ID: "getItem", Method: "GET", Path: "/items/{sku}", Tags: []string{"items", "read"}}
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"zero value selects all", Filter{}, true},
		{"operationId", Filter{Operations: []string{"other", "getItem"}}, true},
		{"method and path", Filter{Operations: []string{"get /items/{sku}"}}, true},
		{"other operationId", Filter{Operations: []string{"listItems"}}, false},
		{"tag", Filter{Tags: []string{"read"}}, true},
		{"other tag", Filter{Tags: []string{"write"}}, false},
		{"exact path", Filter{Paths: []string{"/items/{sku}"}}, true},
		{"path pattern", Filter{Paths: []string{"/items/*"}}, true},
		{"pattern does not cross slashes", Filter{Paths: []string{"/*"}}, false},
		{"every list must match", Filter{Tags: []string{"items"}, Operations: []string{"listItems"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(op); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name, target, basePath, spec, want string
		wantErr                            bool
	}{
		{"spec base path under a bare target", "http://127.0.0.1:4010", "", "/v1", "http://127.0.0.1:4010/v1", false},
		{"trailing slash", "http://127.0.0.1:4010/", "", "/v1", "http://127.0.0.1:4010/v1", false},
		{"target path wins", "https://staging.example.test/api/v2/", "", "/v1", "https://staging.example.test/api/v2", false},
		{"explicit base path", "http://h", "shop", "/v1", "http://h/shop", false},
		{"root", "http://h/x", "/", "/v1", "http://h", false},
		{"query dropped", "http://h?x=1", "", "", "http://h", false},
		{"not absolute", "localhost:4010", "", "", "", true},
		{"not http", "ftp://h", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BaseURL(tt.target, tt.basePath, tt.spec)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("BaseURL = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// recorder is a server that records the requests it gets and answers with the mock.
type recorder struct {
	mu       sync.Mutex
	requests []string
	next     http.Handler
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	delay    time.Duration
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := rc.inFlight.Add(1)
	defer rc.inFlight.Add(-1)
	for {
		m := rc.maxSeen.Load()
		if n <= m || rc.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(rc.delay)
	var body bytes.Buffer
	if r.Body != nil {
		_, _ = body.ReadFrom(r.Body)
		r.Body = http.NoBody
		if body.Len() > 0 {
			r.Body = readCloser{bytes.NewReader(body.Bytes())}
		}
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		if k != "User-Agent" && k != "Accept-Encoding" && k != "Content-Length" {
			keys = append(keys, k+"="+strings.Join(r.Header[k], ","))
		}
	}
	sort.Strings(keys)
	rc.mu.Lock()
	rc.requests = append(rc.requests, r.Method+" "+r.URL.String()+" "+strings.Join(keys, ";")+" "+body.String())
	rc.mu.Unlock()
	rc.next.ServeHTTP(w, r)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (rc *recorder) sorted() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := append([]string(nil), rc.requests...)
	sort.Strings(out)
	return out
}

func TestSeedMakesRunsRepeatable(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	run := func(seed uint64, concurrency int) []string {
		rc := &recorder{next: mockGateway(t, def, gateway.Options{})}
		srv := serve(t, rc)
		if _, err := NewRunner(def, Options{Seed: seed, Concurrency: concurrency}).Run(context.Background(), srv.URL); err != nil {
			t.Fatal(err)
		}
		return rc.sorted()
	}
	a, b := run(7, 1), run(7, 4)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("same seed, different requests:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if len(a) == 0 {
		t.Fatal("no requests")
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	rc := &recorder{next: mockGateway(t, def, gateway.Options{}), delay: 20 * time.Millisecond}
	srv := serve(t, rc)
	if _, err := NewRunner(def, Options{Concurrency: 2}).Run(context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	if m := rc.maxSeen.Load(); m > 2 || m < 1 {
		t.Fatalf("%d requests in flight at once, want at most 2", m)
	}
}

func TestCredentialsAndRedaction(t *testing.T) {
	def := loadDef(t, "testdata/secure.yaml")
	rc := &recorder{next: mockGateway(t, def, gateway.Options{})}
	srv := serve(t, rc)
	opts := Options{
		Header: http.Header{"X-Api-Key": {"real-secret-key"}, "X-Trace": {"run-1"}},
		Filter: Filter{Operations: []string{"listOrders"}},
	}
	rep, err := NewRunner(def, opts).Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Summary.OK() {
		t.Fatalf("summary %+v", rep.Summary)
	}
	sent := strings.Join(rc.sorted(), "\n")
	if !strings.Contains(sent, "X-Api-Key=real-secret-key") || strings.Contains(sent, "X-Api-Key=test-key") {
		t.Fatalf("the given key did not replace the placeholder:\n%s", sent)
	}
	if !strings.Contains(sent, "X-Trace=run-1") {
		t.Fatalf("extra header not sent:\n%s", sent)
	}
	var unauth *Check
	for i, c := range rep.Operations[0].Checks {
		if c.NegativeKind == KindUnauthenticated {
			unauth = &rep.Operations[0].Checks[i]
		}
	}
	if unauth == nil || unauth.Status != http.StatusUnauthorized || len(unauth.Request.Header["X-Api-Key"]) != 0 {
		t.Fatalf("the request without credentials kept them or was not sent: %+v", unauth)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("real-secret-key")) {
		t.Fatal("the report carries the secret key")
	}
	if !bytes.Contains(b, []byte(Redacted)) {
		t.Fatal("the report does not show the key as redacted")
	}
}

func TestNoNegatives(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	srv := serve(t, mockGateway(t, def, gateway.Options{}))
	rep, err := NewRunner(def, Options{NoNegatives: true}).Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Requests != len(def.Operations) || !rep.Summary.OK() {
		t.Fatalf("summary %+v, want one passing request per operation", rep.Summary)
	}
}

func TestCheckErrorBodies(t *testing.T) {
	// The mock answers invalid requests with problem+json; shop's createItem declares a
	// 422 without content, so with error bodies checked that answer breaks the contract.
	def := loadDef(t, "testdata/shop.yaml")
	srv := serve(t, mockGateway(t, def, gateway.Options{}))
	tests := []struct {
		name  string
		check bool
		ok    bool
	}{
		{"by status only", false, true},
		{"with bodies", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := NewRunner(def, Options{CheckErrorBodies: tt.check, Filter: Filter{Operations: []string{"createItem"}}}).Run(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Summary.OK() != tt.ok {
				b, _ := json.MarshalIndent(rep, "", "  ")
				t.Fatalf("OK = %v, want %v\n%s", rep.Summary.OK(), tt.ok, b)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	srv := serve(t, mockGateway(t, def, gateway.Options{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewRunner(def, Options{}).Run(ctx, srv.URL); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
}

func TestProgress(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	srv := serve(t, mockGateway(t, def, gateway.Options{}))
	var seen []string
	var mu sync.Mutex
	rep, err := NewRunner(def, Options{Progress: func(r OperationResult) {
		mu.Lock()
		seen = append(seen, r.ID)
		mu.Unlock()
	}}).Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(rep.Operations) {
		t.Fatalf("progress saw %v for %d operations", seen, len(rep.Operations))
	}
}

// TestHeaderOptionKeepsNegativesNegative: a header given for every request is not put
// back into the request that leaves that header out.
func TestHeaderOptionKeepsNegativesNegative(t *testing.T) {
	def := loadDef(t, "testdata/shop.yaml")
	srv := serve(t, mockGateway(t, def, gateway.Options{}))
	rep, err := NewRunner(def, Options{Header: http.Header{"X-Tenant": {"acme"}}, Filter: Filter{Operations: []string{"listItems"}}}).
		Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Summary.OK() {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Fatalf("summary %+v\n%s", rep.Summary, b)
	}
	for _, c := range rep.Operations[0].Checks {
		got := strings.Join(c.Request.Header["X-Tenant"], ",")
		switch {
		case c.NegativeKind == KindMissing && got != "":
			t.Errorf("%s: X-Tenant %q was put back", c.What, got)
		case c.NegativeKind == KindInvalid && c.In == "header" && got == "acme":
			t.Errorf("%s: the invalid value was replaced", c.What)
		case c.Kind == CheckValid && got != "acme":
			t.Errorf("valid request: X-Tenant %q", got)
		}
	}
}
