package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func TestKeyAuth(t *testing.T) {
	env := policy.Env{API: "petstore", Consumers: testConsumers(t)}
	tests := []struct {
		name        string
		settings    string
		target      string
		header      map[string]string
		wantStatus  int
		wantDetail  string
		wantSubject string
		wantQuery   string // the query forwarded
		wantHeader  string // the key header forwarded ("" = removed)
	}{
		{name: "header key", settings: `{}`, target: "/pets", header: map[string]string{"apikey": "alice-key-1"}, wantStatus: 204, wantSubject: "alice"},
		{name: "hashed key", settings: `{}`, target: "/pets", header: map[string]string{"Apikey": "bob-key"}, wantStatus: 204, wantSubject: "bob"},
		{name: "header kept when not hiding", settings: `{"hideCredentials":false}`, target: "/pets", header: map[string]string{"apikey": "alice-key-1"}, wantStatus: 204, wantSubject: "alice", wantHeader: "alice-key-1"},
		{name: "custom header", settings: `{"name":"X-API-Key"}`, target: "/pets", header: map[string]string{"x-api-key": "alice-key-2"}, wantStatus: 204, wantSubject: "alice"},
		{name: "missing header", settings: `{}`, target: "/pets", wantStatus: 401, wantDetail: `No API key: send it in the "apikey" header.`},
		{name: "empty header", settings: `{}`, target: "/pets", header: map[string]string{"apikey": ""}, wantStatus: 401, wantDetail: "No API key"},
		{name: "unknown key", settings: `{}`, target: "/pets", header: map[string]string{"apikey": "mallory-key"}, wantStatus: 401, wantDetail: `The API key in the "apikey" header is not valid.`},
		{name: "key in query when header expected", settings: `{}`, target: "/pets?apikey=alice-key-1", wantStatus: 401, wantDetail: "No API key"},
		{name: "query key", settings: `{"in":"query","name":"key"}`, target: "/pets?limit=1&key=alice-key-1&x=y", wantStatus: 204, wantSubject: "alice", wantQuery: "limit=1&x=y"},
		{name: "query key kept when not hiding", settings: `{"in":"query","name":"key","hideCredentials":false}`, target: "/pets?key=alice-key-1", wantStatus: 204, wantSubject: "alice", wantQuery: "key=alice-key-1"},
		{name: "missing query key", settings: `{"in":"query","name":"key"}`, target: "/pets?limit=1", wantStatus: 401, wantDetail: `No API key: send it in the "key" query parameter.`},
		{name: "unknown query key", settings: `{"in":"query","name":"key"}`, target: "/pets?key=mallory-key", wantStatus: 401, wantDetail: "is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got := build(t, NewKeyAuth, tt.settings, env)
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			before := r.Header.Clone()
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				detail := checkProblem(t, rec, tt.wantStatus, tt.wantDetail)
				if strings.Contains(detail, "mallory") || strings.Contains(rec.Body.String(), "mallory") {
					t.Errorf("the key is echoed: %s", rec.Body)
				}
				wa := rec.Header().Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, `ApiKey realm="petstore", in=`) {
					t.Errorf("WWW-Authenticate = %q", wa)
				}
				if got.called {
					t.Error("next handler called")
				}
				return
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := got.identity
			if id == nil || id.Subject != tt.wantSubject || id.Method != "keyAuth" || id.Consumer == nil || id.Consumer.Name != tt.wantSubject {
				t.Fatalf("identity = %+v", id)
			}
			if !strings.HasPrefix(id.Credential, "sha256:") || len(id.Credential) != len("sha256:")+8 {
				t.Errorf("credential = %q", id.Credential)
			}
			if strings.Contains(tt.settings, "query") {
				if q := got.request.URL.RawQuery; q != tt.wantQuery {
					t.Errorf("forwarded query %q, want %q", q, tt.wantQuery)
				}
			} else {
				name := "apikey"
				if strings.Contains(tt.settings, "X-API-Key") {
					name = "X-API-Key"
				}
				if v := got.request.Header.Get(name); v != tt.wantHeader {
					t.Errorf("forwarded %s = %q, want %q", name, v, tt.wantHeader)
				}
			}
			// The incoming request is never modified.
			for k, v := range before {
				if r.Header.Get(k) != v[0] {
					t.Errorf("incoming header %s changed", k)
				}
			}
		})
	}
}

func TestKeyAuthSettings(t *testing.T) {
	env := policy.Env{Consumers: testConsumers(t)}
	tests := []struct {
		name     string
		settings string
		env      policy.Env
		field    string
		msg      string
	}{
		{"bad in", `{"in":"cookie"}`, env, "in", `"header" or "query"`},
		{"unknown setting", `{"header":"x"}`, env, "header", "unknown setting"},
		{"wrong type", `{"hideCredentials":"yes"}`, env, "hideCredentials", "true or false"},
		{"no consumers", `{}`, policy.Env{}, "", "no consumers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyAuth([]byte(tt.settings), tt.env)
			checkFieldError(t, err, tt.field, tt.msg)
		})
	}
}

func TestKeyAuthRecordsIdentityInHolder(t *testing.T) {
	h, _ := build(t, NewKeyAuth, `{}`, policy.Env{Consumers: testConsumers(t)})
	ctx, identity := policy.WithIdentityHolder(t.Context())
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	r.Header.Set("apikey", "alice-key-1")
	serve(h, r)
	if id := identity(); id == nil || id.Subject != "alice" {
		t.Fatalf("holder identity = %+v", id)
	}
}
