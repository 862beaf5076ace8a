package auth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestBasicAuth(t *testing.T) {
	env := policy.Env{API: "petstore", Consumers: testConsumers(t)}
	tests := []struct {
		name          string
		settings      string
		authorization []string
		wantStatus    int
		wantDetail    string
		wantSubject   string
		wantForwarded string
		wantRealm     string
	}{
		{name: "plain password", settings: `{}`, authorization: []string{basic("alice", "wonderland")}, wantStatus: 204, wantSubject: "alice"},
		{name: "hashed password", settings: `{}`, authorization: []string{basic("bob", "builder")}, wantStatus: 204, wantSubject: "bob"},
		{name: "scheme is case-insensitive", settings: `{}`, authorization: []string{"bAsIc  " + strings.TrimPrefix(basic("bob", "builder"), "Basic ")}, wantStatus: 204, wantSubject: "bob"},
		{name: "password with colon", settings: `{}`, authorization: []string{basic("alice", "wonder:land")}, wantStatus: 401, wantDetail: "not valid"},
		{name: "kept when not hiding", settings: `{"hideCredentials":false}`, authorization: []string{basic("alice", "wonderland")}, wantStatus: 204, wantSubject: "alice", wantForwarded: basic("alice", "wonderland")},
		{name: "missing", settings: `{}`, wantStatus: 401, wantDetail: "No credentials", wantRealm: "petstore"},
		{name: "custom realm", settings: `{"realm":"staff \"only\""}`, wantStatus: 401, wantDetail: "No credentials", wantRealm: `staff \"only\"`},
		{name: "bearer instead", settings: `{}`, authorization: []string{"Bearer abc"}, wantStatus: 401, wantDetail: "not hold valid Basic credentials"},
		{name: "bad base64", settings: `{}`, authorization: []string{"Basic !!!"}, wantStatus: 401, wantDetail: "not hold valid Basic credentials"},
		{name: "no colon", settings: `{}`, authorization: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))}, wantStatus: 401, wantDetail: "not hold valid Basic credentials"},
		{name: "wrong password", settings: `{}`, authorization: []string{basic("alice", "s3cret-guess")}, wantStatus: 401, wantDetail: "The username or password is not valid."},
		{name: "unknown user", settings: `{}`, authorization: []string{basic("mallory", "s3cret-guess")}, wantStatus: 401, wantDetail: "The username or password is not valid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got := build(t, NewBasicAuth, tt.settings, env)
			r := httptest.NewRequest(http.MethodGet, "/pets", nil)
			for _, a := range tt.authorization {
				r.Header.Add("Authorization", a)
			}
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				checkProblem(t, rec, tt.wantStatus, tt.wantDetail)
				if strings.Contains(rec.Body.String(), "s3cret-guess") || strings.Contains(rec.Body.String(), "mallory") {
					t.Errorf("credentials echoed: %s", rec.Body)
				}
				wa := rec.Header().Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, "Basic realm=") || !strings.HasSuffix(wa, `, charset="UTF-8"`) {
					t.Errorf("WWW-Authenticate = %q", wa)
				}
				if tt.wantRealm != "" && !strings.Contains(wa, `realm="`+tt.wantRealm+`"`) {
					t.Errorf("WWW-Authenticate = %q, want realm %q", wa, tt.wantRealm)
				}
				return
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := got.identity
			if id == nil || id.Subject != tt.wantSubject || id.Method != "basicAuth" || id.Consumer == nil || id.Credential != tt.wantSubject {
				t.Fatalf("identity = %+v", id)
			}
			if v := got.request.Header.Get("Authorization"); v != tt.wantForwarded {
				t.Errorf("forwarded Authorization %q, want %q", v, tt.wantForwarded)
			}
			if r.Header.Get("Authorization") == "" {
				t.Error("the incoming request was modified")
			}
		})
	}
}

func TestBasicAuthSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		env      policy.Env
		field    string
		msg      string
	}{
		{"unknown setting", `{"users":[]}`, policy.Env{Consumers: testConsumers(t)}, "users", "unknown setting"},
		{"wrong type", `{"realm":1}`, policy.Env{Consumers: testConsumers(t)}, "realm", "a string"},
		{"no consumers", `{}`, policy.Env{}, "", "no consumers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBasicAuth([]byte(tt.settings), tt.env)
			checkFieldError(t, err, tt.field, tt.msg)
		})
	}
}
