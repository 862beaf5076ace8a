package routing

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// build returns the routing middleware around a handler that reports the chosen upstream
// in the X-Upstream response header ("-" for none).
func build(t *testing.T, settings string) http.Handler {
	t.Helper()
	mw, err := newRouting(json.RawMessage(settings), policy.Env{})
	if err != nil {
		t.Fatalf("newRouting(%s): %v", settings, err)
	}
	return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up, ok := UpstreamFrom(r.Context())
		if !ok {
			up = "-"
		}
		w.Header().Set("X-Upstream", up)
	}))
}

func TestRouting(t *testing.T) {
	const cfg = `{
		"rules": [
			{"match": {"method": "post", "headers": {"X-Version": "2"}}, "upstream": "v2-writes"},
			{"match": {"headers": {"X-Version": "2"}}, "upstream": "v2"},
			{"match": {"headers": {"X-Tenant": "~(acme|globex)-[0-9]+"}}, "upstream": "big"},
			{"match": {"query": {"beta": "~1|true", "region": "eu"}}, "upstream": "beta-eu"},
			{"match": {"method": ["PUT", "PATCH"]}, "upstream": "writes"},
			{"match": {"headers": {"X-Any": "~.*"}}, "upstream": "any"},
			{"match": {"headers": {"X-Literal": "~\\~x"}}, "upstream": "tilde"}
		],
		"default": "stable"
	}`
	h := build(t, cfg)
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string][]string
		want    string
	}{
		{name: "no rule matches: default", method: "GET", target: "/", want: "stable"},
		{name: "header exact", method: "GET", target: "/", headers: map[string][]string{"X-Version": {"2"}}, want: "v2"},
		{name: "header exact is not a prefix", method: "GET", target: "/", headers: map[string][]string{"X-Version": {"20"}}, want: "stable"},
		{name: "first rule wins, method case-insensitive in config", method: "POST", target: "/", headers: map[string][]string{"X-Version": {"2"}}, want: "v2-writes"},
		{name: "one of several header values", method: "GET", target: "/", headers: map[string][]string{"X-Version": {"1", "2"}}, want: "v2"},
		{name: "regex is anchored: matches", method: "GET", target: "/", headers: map[string][]string{"X-Tenant": {"acme-12"}}, want: "big"},
		{name: "regex is anchored: no partial match", method: "GET", target: "/", headers: map[string][]string{"X-Tenant": {"acme-12x"}}, want: "stable"},
		{name: "all query conditions hold", method: "GET", target: "/?beta=true&region=eu", want: "beta-eu"},
		{name: "one query condition fails", method: "GET", target: "/?beta=true&region=us", want: "stable"},
		{name: "regex alternation anchored as a whole", method: "GET", target: "/?beta=1&region=eu", want: "beta-eu"},
		{name: "method list", method: "PATCH", target: "/", want: "writes"},
		{name: "missing header never matches a regex", method: "GET", target: "/", want: "stable"},
		{name: "present empty header matches .*", method: "GET", target: "/", headers: map[string][]string{"X-Any": {""}}, want: "any"},
		{name: "literal tilde through a regex", method: "GET", target: "/", headers: map[string][]string{"X-Literal": {"~x"}}, want: "tilde"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			for k, vs := range tc.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("X-Upstream"); got != tc.want {
				t.Errorf("upstream = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNoDefaultRecordsNothing(t *testing.T) {
	h := build(t, `{"rules": [{"match": {"method": "DELETE"}, "upstream": "admin"}]}`)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("X-Upstream"); got != "-" {
		t.Errorf("upstream = %q, want none", got)
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		wantField string
		wantMsg   string
	}{
		{name: "nothing to do", settings: `{}`, wantField: "rules", wantMsg: "at least one"},
		{name: "bad regex", settings: `{"rules": [{"match": {"headers": {"X-A": "~("}}, "upstream": "a"}]}`, wantField: "rules.0.match.headers.X-A", wantMsg: "regular expression"},
		{name: "bad query regex", settings: `{"default": "d", "rules": [{"match": {"method": "GET"}, "upstream": "a"}, {"match": {"query": {"q": "~[a-"}}, "upstream": "b"}]}`, wantField: "rules.1.match.query.q", wantMsg: "regular expression"},
		{name: "missing upstream", settings: `{"rules": [{"match": {"method": "GET"}}]}`, wantField: "rules.0.upstream", wantMsg: "required"},
		{name: "empty match", settings: `{"rules": [{"match": {}, "upstream": "a"}]}`, wantField: "rules.0.match", wantMsg: "every request"},
		{name: "bad method", settings: `{"rules": [{"match": {"method": ["GET", "BAD METHOD"]}, "upstream": "a"}]}`, wantField: "rules.0.match.method.1", wantMsg: "not an HTTP method"},
		{name: "method of wrong type", settings: `{"rules": [{"match": {"method": 3}, "upstream": "a"}]}`, wantMsg: "list of methods"},
		{name: "bad header name", settings: `{"rules": [{"match": {"headers": {"X A": "1"}}, "upstream": "a"}]}`, wantField: "rules.0.match.headers.X A", wantMsg: "header name"},
		{name: "unknown setting", settings: `{"default": "a", "fallback": "b"}`, wantField: "fallback", wantMsg: "unknown"},
		{name: "blank default", settings: `{"default": "  "}`, wantField: "default", wantMsg: "upstream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newRouting(json.RawMessage(tc.settings), policy.Env{})
			var fe *policy.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *policy.FieldError", err)
			}
			if tc.wantField != "" && fe.Field != tc.wantField {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tc.wantField, err)
			}
			if !strings.Contains(fe.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to mention %q", fe.Message, tc.wantMsg)
			}
		})
	}
}

func TestContextHelpers(t *testing.T) {
	tests := []struct {
		name   string
		ctx    context.Context
		want   string
		wantOK bool
	}{
		{name: "unset", ctx: context.Background()},
		{name: "set", ctx: WithUpstream(context.Background(), "v2"), want: "v2", wantOK: true},
		{name: "empty name is none", ctx: WithUpstream(context.Background(), "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := UpstreamFrom(tc.ctx)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("UpstreamFrom = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestDefinitionsRegister(t *testing.T) {
	var reg policy.Registry
	for _, d := range Definitions() {
		if err := reg.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	h, err := reg.Build([]policy.Config{{Name: Name, Settings: json.RawMessage(`{"default": "x"}`)}}, policy.Env{},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			up, _ := UpstreamFrom(r.Context())
			w.Header().Set("X-Upstream", up)
		}))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("X-Upstream"); got != "x" {
		t.Errorf("upstream = %q", got)
	}
}
