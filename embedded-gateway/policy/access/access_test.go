package access

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// build builds the named policy from settings around a handler that records whether it
// was called and answers 200 "ok".
func build(t *testing.T, name, settings string) (http.Handler, *bool) {
	t.Helper()
	h, called, err := tryBuild(name, settings, nil)
	if err != nil {
		t.Fatalf("building %s %s: %v", name, settings, err)
	}
	return h, called
}

func tryBuild(name, settings string, next http.Handler) (http.Handler, *bool, error) {
	var reg policy.Registry
	for _, d := range Definitions() {
		if err := reg.Register(d); err != nil {
			return nil, nil, err
		}
	}
	called := new(bool)
	if next == nil {
		next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*called = true
		next.ServeHTTP(w, r)
	})
	h, err := reg.Build([]policy.Config{{Name: name, Settings: json.RawMessage(settings)}}, policy.Env{API: "petstore"}, inner)
	return h, called, err
}

// checkProblem checks a problem+json response.
func checkProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, detailHas string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q, want %q", ct, problem.ContentType)
	}
	var d problem.Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("body is not a problem: %v: %s", err, rec.Body)
	}
	if d.Status != status || !strings.Contains(d.Detail, detailHas) {
		t.Fatalf("problem %+v, want status %d and a detail containing %q", d, status, detailHas)
	}
}

func TestDefinitions(t *testing.T) {
	want := map[string]policy.Phase{"ipRestriction": policy.PhaseAccess, "cors": policy.PhaseCORS, "requestSize": policy.PhaseLimits}
	defs := Definitions()
	if len(defs) != len(want) {
		t.Fatalf("%d definitions, want %d", len(defs), len(want))
	}
	for _, d := range defs {
		if p, ok := want[d.Name]; !ok || p != d.Phase || d.New == nil {
			t.Errorf("definition %s (phase %d)", d.Name, d.Phase)
		}
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
		{"ip: nothing to do", "ipRestriction", `{}`, "", "allow, deny"},
		{"ip: bad address", "ipRestriction", `{"allow": ["10.0.0.1", "10.0.0.300"]}`, "allow.1", "10.0.0.300"},
		{"ip: bad prefix length", "ipRestriction", `{"deny": ["10.0.0.0/33"]}`, "deny.0", "CIDR"},
		{"ip: empty entry", "ipRestriction", `{"deny": [""]}`, "deny.0", "empty"},
		{"ip: zone", "ipRestriction", `{"deny": ["fe80::1%eth0"]}`, "deny.0", "zone"},
		{"ip: wide mapped range", "ipRestriction", `{"deny": ["::ffff:0:0/64"]}`, "deny.0", "IPv4-mapped"},
		{"ip: bad proxy", "ipRestriction", `{"allow": ["10.0.0.0/8"], "trustedProxies": ["proxy.local"]}`, "trustedProxies.0", "proxy.local"},
		{"ip: not a list", "ipRestriction", `{"allow": "10.0.0.0/8"}`, "allow", "a list"},
		{"ip: unknown setting", "ipRestriction", `{"allowed": ["10.0.0.0/8"]}`, "allowed", "unknown"},
		{"cors: no origins", "cors", `{}`, "allowOrigins", "required"},
		{"cors: path", "cors", `{"allowOrigins": ["https://app.example.com/"]}`, "allowOrigins.0", "without a path"},
		{"cors: no scheme", "cors", `{"allowOrigins": ["app.example.com"]}`, "allowOrigins.0", "not an origin"},
		{"cors: null", "cors", `{"allowOrigins": ["https://a.example", "null"]}`, "allowOrigins.1", "not safe"},
		{"cors: wildcard in the middle", "cors", `{"allowOrigins": ["https://api.*.example.com"]}`, "allowOrigins.0", "wildcard"},
		{"cors: wildcard without a domain", "cors", `{"allowOrigins": ["https://*."]}`, "allowOrigins.0", "not an origin"},
		{"cors: bad port", "cors", `{"allowOrigins": ["https://a.example:99999"]}`, "allowOrigins.0", "not an origin"},
		{"cors: unicode", "cors", `{"allowOrigins": ["https://bücher.example"]}`, "allowOrigins.0", "xn--"},
		{"cors: credentials", "cors", `{"allowOrigins": ["https://user@a.example"]}`, "allowOrigins.0", "credentials"},
		{"cors: bad method", "cors", `{"allowOrigins": ["*"], "allowMethods": ["GET", "PO ST"]}`, "allowMethods.1", "method"},
		{"cors: bad header", "cors", `{"allowOrigins": ["*"], "allowHeaders": ["X-Ok", "X:Bad"]}`, "allowHeaders.1", "header"},
		{"cors: expose * with credentials", "cors", `{"allowOrigins": ["https://a.example"], "allowCredentials": true, "exposeHeaders": ["*"]}`, "exposeHeaders.0", "literally"},
		{"cors: bad maxAge", "cors", `{"allowOrigins": ["*"], "maxAge": "soon"}`, "maxAge", "not a duration"},
		{"cors: negative maxAge", "cors", `{"allowOrigins": ["*"], "maxAge": "-1s"}`, "maxAge", "zero or more"},
		{"cors: fractional maxAge", "cors", `{"allowOrigins": ["*"], "maxAge": "1.5s"}`, "maxAge", "whole number"},
		{"cors: unknown setting", "cors", `{"allowOrigins": ["*"], "origins": ["*"]}`, "origins", "unknown"},
		{"size: missing", "requestSize", `{}`, "maxBytes", "positive"},
		{"size: negative", "requestSize", `{"maxBytes": -1}`, "maxBytes", "positive"},
		{"size: not a number", "requestSize", `{"maxBytes": "1MB"}`, "maxBytes", "integer"},
		{"size: unknown setting", "requestSize", `{"maxBytes": 10, "maxHeaderBytes": 10}`, "maxHeaderBytes", "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tryBuild(tc.policy, tc.settings, nil)
			var fe *policy.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *policy.FieldError", err)
			}
			if fe.Policy != tc.policy || fe.Field != tc.wantField || !strings.Contains(fe.Message, tc.wantIn) {
				t.Fatalf("got %q (field %q), want field %q mentioning %q", err, fe.Field, tc.wantField, tc.wantIn)
			}
		})
	}
}
