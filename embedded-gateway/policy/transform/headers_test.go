package transform

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// echoHeaders is an upstream that copies the request headers it receives into the
// response, prefixed with "Got-".
var echoHeaders = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	for k, vs := range r.Header {
		w.Header()["Got-"+k] = vs
	}
})

func middleware(t testing.TB, f policy.Factory, settings string, env policy.Env) policy.Middleware {
	t.Helper()
	mw, err := f(json.RawMessage(settings), env)
	if err != nil {
		t.Fatalf("factory(%s): %v", settings, err)
	}
	return mw
}

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		target   string
		headers  http.Header
		identity *policy.Identity
		ctx      func(context.Context) context.Context
		want     http.Header // expected upstream headers; a nil value means absent
	}{
		{
			name:     "set add remove",
			settings: `{"set": {"x-a": "1"}, "add": {"X-B": "2"}, "remove": ["x-secret"]}`,
			headers:  http.Header{"X-A": {"old", "older"}, "X-B": {"1"}, "X-Secret": {"s"}},
			want:     http.Header{"X-A": {"1"}, "X-B": {"1", "2"}, "X-Secret": nil},
		},
		{
			name:     "order: remove then rename then set then add",
			settings: `{"remove": ["X-New"], "rename": {"X-Old": "X-New"}, "set": {"X-Old": "again"}, "add": {"X-New": "plus"}}`,
			headers:  http.Header{"X-Old": {"o"}, "X-New": {"n"}},
			want:     http.Header{"X-New": {"o", "plus"}, "X-Old": {"again"}},
		},
		{
			name:     "renames happen at once",
			settings: `{"rename": {"A": "B", "B": "C"}}`,
			headers:  http.Header{"A": {"a"}, "B": {"b"}},
			want:     http.Header{"A": nil, "B": {"a"}, "C": {"b"}},
		},
		{
			name:     "rename onto an existing header appends",
			settings: `{"rename": {"X-From": "X-To"}}`,
			headers:  http.Header{"X-From": {"f"}, "X-To": {"t"}},
			want:     http.Header{"X-From": nil, "X-To": {"t", "f"}},
		},
		{
			name:     "rename of a missing header does nothing",
			settings: `{"rename": {"X-Missing": "X-To"}}`,
			want:     http.Header{"X-To": nil},
		},
		{
			name:     "variables",
			settings: `{"set": {"X-Consumer": "$(consumer)", "X-Combo": "$(header.X-Tenant)/$(query.q)", "X-Req": "id=$(requestId)"}}`,
			target:   "/?q=a%20b&other=1",
			headers:  http.Header{"X-Tenant": {"acme"}, "X-Request-Id": {"r-1"}},
			identity: &policy.Identity{Subject: "alice"},
			want:     http.Header{"X-Consumer": {"alice"}, "X-Combo": {"acme/a b"}, "X-Req": {"id=r-1"}},
		},
		{
			name:     "variables read the request before the transform",
			settings: `{"remove": ["X-Tenant"], "set": {"X-Was": "$(header.x-tenant)"}}`,
			headers:  http.Header{"X-Tenant": {"acme"}},
			want:     http.Header{"X-Tenant": nil, "X-Was": {"acme"}},
		},
		{
			name:     "request id falls back to the capture",
			settings: `{"set": {"X-Req": "$(requestId)"}}`,
			ctx: func(ctx context.Context) context.Context {
				return capture.NewContext(ctx, &model.Exchange{ID: "01ABC"})
			},
			want: http.Header{"X-Req": {"01ABC"}},
		},
		{
			name:     "empty expansion leaves the header alone",
			settings: `{"set": {"X-Consumer": "$(consumer)"}, "add": {"X-Q": "$(query.missing)"}}`,
			headers:  http.Header{"X-Consumer": {"spoofed-but-kept"}},
			want:     http.Header{"X-Consumer": {"spoofed-but-kept"}, "X-Q": nil},
		},
		{
			name:     "control characters from the query become spaces",
			settings: `{"set": {"X-Q": "$(query.q)"}}`,
			target:   "/?q=a%0D%0AInjected:%201",
			want:     http.Header{"X-Q": {"a  Injected: 1"}},
		},
		{
			name:     "dollar escape and literal dollar",
			settings: `{"set": {"X-Price": "$$(consumer) costs $5"}}`,
			want:     http.Header{"X-Price": {"$(consumer) costs $5"}},
		},
		{
			name:     "hop-by-hop headers may be removed",
			settings: `{"remove": ["te", "X-Gone"]}`,
			headers:  http.Header{"Te": {"trailers"}, "X-Gone": {"1"}},
			want:     http.Header{"Te": nil, "X-Gone": nil},
		},
		{
			name:     "query names are matched after decoding",
			settings: `{"set": {"X-Q": "$(query.a b)"}}`,
			target:   "/?a+b=1&a%20b=2",
			want:     http.Header{"X-Q": {"1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware(t, newRequestHeaders, tc.settings, policy.Env{})(echoHeaders)
			target := tc.target
			if target == "" {
				target = "/"
			}
			req := httptest.NewRequest("GET", target, nil)
			for k, vs := range tc.headers {
				req.Header[k] = slices.Clone(vs)
			}
			before := req.Header.Clone()
			if tc.identity != nil {
				req = req.WithContext(policy.WithIdentity(req.Context(), tc.identity))
			}
			if tc.ctx != nil {
				req = req.WithContext(tc.ctx(req.Context()))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			for k, want := range tc.want {
				got := rec.Header()["Got-"+k]
				if !slices.Equal(got, want) {
					t.Errorf("upstream header %s = %q, want %q", k, got, want)
				}
			}
			if !equalHeaders(req.Header, before) {
				t.Errorf("the caller's request was modified: %v, was %v", req.Header, before)
			}
		})
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestResponseHeaders(t *testing.T) {
	const settings = `{"remove": ["Server"], "rename": {"X-Internal-Id": "X-Id"}, "set": {"X-Consumer": "$(consumer)"}, "add": {"Vary": "X-Tenant"}}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    http.Header
		status  int
	}{
		{
			name: "explicit WriteHeader",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Server", "upstream/1.0")
				w.Header().Set("X-Internal-Id", "42")
				w.Header().Set("Vary", "Accept")
				w.WriteHeader(http.StatusCreated)
			},
			status: http.StatusCreated,
			want:   http.Header{"Server": nil, "X-Internal-Id": nil, "X-Id": {"42"}, "X-Consumer": {"bob"}, "Vary": {"Accept", "X-Tenant"}},
		},
		{
			name: "implicit header on Write",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Server", "x")
				_, _ = w.Write([]byte("hi"))
			},
			status: http.StatusOK,
			want:   http.Header{"Server": nil, "X-Consumer": {"bob"}},
		},
		{
			name:    "handler writes nothing",
			handler: func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Server", "x") },
			status:  http.StatusOK,
			want:    http.Header{"Server": nil, "X-Consumer": {"bob"}, "Vary": {"X-Tenant"}},
		},
		{
			name: "informational status first",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</style.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.Header().Set("Server", "x")
				w.WriteHeader(http.StatusAccepted)
			},
			status: http.StatusAccepted,
			want:   http.Header{"Server": nil, "X-Consumer": {"bob"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware(t, newResponseHeaders, settings, policy.Env{})(tc.handler)
			req := httptest.NewRequest("GET", "/", nil)
			req = req.WithContext(policy.WithIdentity(req.Context(), &policy.Identity{Subject: "bob"}))
			rec := &infoRecorder{ResponseRecorder: httptest.NewRecorder()}
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status = %d, want %d", rec.Code, tc.status)
			}
			for k, want := range tc.want {
				if got := rec.Header()[k]; !slices.Equal(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// infoRecorder is a ResponseRecorder that passes over informational (1xx) statuses, which
// httptest.ResponseRecorder would take as the final one.
type infoRecorder struct {
	*httptest.ResponseRecorder
	informational []int
}

func (r *infoRecorder) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		r.informational = append(r.informational, code)
		return
	}
	r.ResponseRecorder.WriteHeader(code)
}

func TestHeaderSettingsErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		wantField string
		wantMsg   string
	}{
		{name: "empty", settings: `{}`, wantMsg: "nothing to do"},
		{name: "set hop-by-hop", settings: `{"set": {"connection": "close"}}`, wantField: "set.connection", wantMsg: "hop-by-hop"},
		{name: "add transfer-encoding", settings: `{"add": {"Transfer-Encoding": "chunked"}}`, wantField: "add.Transfer-Encoding", wantMsg: "hop-by-hop"},
		{name: "rename to upgrade", settings: `{"rename": {"X-Up": "Upgrade"}}`, wantField: "rename.X-Up", wantMsg: "hop-by-hop"},
		{name: "set content-length", settings: `{"set": {"Content-Length": "0"}}`, wantField: "set.Content-Length", wantMsg: "framing"},
		{name: "unknown variable", settings: `{"set": {"X-A": "$(user)"}}`, wantField: "set.X-A", wantMsg: "unknown variable $(user)"},
		{name: "unclosed variable", settings: `{"set": {"X-A": "$(consumer"}}`, wantField: "set.X-A", wantMsg: "unclosed"},
		{name: "bad header variable", settings: `{"add": {"X-A": "$(header.a b)"}}`, wantField: "add.X-A", wantMsg: "header name"},
		{name: "empty query variable", settings: `{"add": {"X-A": "$(query.)"}}`, wantField: "add.X-A", wantMsg: "empty"},
		{name: "empty value", settings: `{"set": {"X-A": ""}}`, wantField: "set.X-A", wantMsg: "use remove"},
		{name: "control character", settings: `{"set": {"X-A": "a\nb"}}`, wantField: "set.X-A", wantMsg: "control"},
		{name: "bad name", settings: `{"set": {"X A": "1"}}`, wantField: "set.X A", wantMsg: "not a valid header name"},
		{name: "bad remove name", settings: `{"remove": ["ok", "a:b"]}`, wantField: "remove.1", wantMsg: "not a valid header name"},
		{name: "unknown setting", settings: `{"sett": {"X-A": "1"}}`, wantField: "sett", wantMsg: "unknown"},
		{name: "wrong type", settings: `{"remove": "X-A"}`, wantField: "remove", wantMsg: "must be a list"},
	}
	for _, tc := range tests {
		for _, f := range []policy.Factory{newRequestHeaders, newResponseHeaders} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f(json.RawMessage(tc.settings), policy.Env{})
				var fe *policy.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error = %v, want a *policy.FieldError", err)
				}
				if fe.Field != tc.wantField {
					t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
				}
				if !strings.Contains(fe.Message, tc.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", fe.Message, tc.wantMsg)
				}
			})
		}
	}
}

func TestDefinitions(t *testing.T) {
	var reg policy.Registry
	for _, d := range Definitions() {
		if d.Phase != policy.PhaseTransform {
			t.Errorf("%s: phase %d", d.Name, d.Phase)
		}
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(reg.Names(), ","); got != "requestBody,requestHeaders,responseBody,responseHeaders" {
		t.Errorf("names = %s", got)
	}
	_, err := reg.Build([]policy.Config{{Name: RequestHeaders, Settings: json.RawMessage(`{"set": {"Upgrade": "h2c"}}`)}}, policy.Env{}, echoHeaders)
	if err == nil || !strings.Contains(err.Error(), "policy requestHeaders: set.Upgrade:") {
		t.Errorf("Build error = %v", err)
	}
}

func BenchmarkRequestHeaders(b *testing.B) {
	mw := middleware(b, newRequestHeaders, `{"remove": ["X-Secret"], "rename": {"X-Old": "X-New"}, "set": {"X-Consumer": "$(consumer)", "X-Gateway": "gantry"}, "add": {"X-Tenant": "$(header.X-Org)"}}`, policy.Env{})
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/pets?limit=10", nil)
	req.Header = http.Header{
		"Accept": {"application/json"}, "User-Agent": {"bench"}, "X-Secret": {"s"},
		"X-Old": {"o"}, "X-Org": {"acme"}, "Authorization": {"Bearer x"},
	}
	req = req.WithContext(policy.WithIdentity(req.Context(), &policy.Identity{Subject: "alice"}))
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
