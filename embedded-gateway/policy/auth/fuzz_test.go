package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name         string
		header       string
		wantUser     string
		wantPassword string
		wantBasic    bool
		wantBearer   string
	}{
		{name: "basic", header: basic("alice", "wonder:land"), wantUser: "alice", wantPassword: "wonder:land", wantBasic: true},
		{name: "basic, empty password", header: basic("alice", ""), wantUser: "alice", wantBasic: true},
		{name: "basic, lower case, extra spaces", header: "  basic   " + base64.StdEncoding.EncodeToString([]byte("a:b")) + " ", wantUser: "a", wantPassword: "b", wantBasic: true},
		{name: "basic, no colon", header: "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")), wantBasic: false},
		{name: "basic, bad base64", header: "Basic a", wantBasic: false},
		{name: "basic, no credentials", header: "Basic", wantBasic: false},
		{name: "basic, scheme prefix only", header: "Basically abc", wantBasic: false},
		{name: "bearer", header: "Bearer abc.def-_~+/=", wantBearer: "abc.def-_~+/="},
		{name: "bearer, case-insensitive", header: "BEARER xyz", wantBearer: "xyz"},
		{name: "bearer, tab", header: "Bearer\txyz"},
		{name: "bearer, inner space", header: "Bearer abc def"},
		{name: "bearer, only padding", header: "Bearer =="},
		{name: "bearer, padding inside", header: "Bearer a=b"},
		{name: "empty", header: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p, ok := parseBasic(tt.header)
			if ok != tt.wantBasic || u != tt.wantUser || p != tt.wantPassword {
				t.Errorf("parseBasic = %q, %q, %v; want %q, %q, %v", u, p, ok, tt.wantUser, tt.wantPassword, tt.wantBasic)
			}
			tok, ok := parseBearer(tt.header)
			if tok != tt.wantBearer || ok != (tt.wantBearer != "") {
				t.Errorf("parseBearer = %q, %v; want %q", tok, ok, tt.wantBearer)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		basic("alice", "wonderland"),
		basic("", ""),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b:c")),
		"Basic ====",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
		"bearer  a==",
		"Bearer \x00",
		"Digest username=\"x\"",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if user, password, ok := parseBasic(header); ok {
			if strings.Contains(user, ":") {
				t.Fatalf("user %q contains a colon", user)
			}
			// What was parsed encodes back to credentials that parse the same.
			again := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
			if u2, p2, ok2 := parseBasic(again); !ok2 || u2 != user || p2 != password {
				t.Fatalf("round trip of %q: %q, %q, %v", header, u2, p2, ok2)
			}
		}
		if tok, ok := parseBearer(header); ok {
			if tok == "" || !isToken68(tok) || strings.ContainsAny(tok, " \t\r\n") {
				t.Fatalf("bearer token %q from %q", tok, header)
			}
			if !strings.Contains(header, tok) {
				t.Fatalf("token %q not in header %q", tok, header)
			}
		}
		// The query helpers never panic and agree with each other.
		v, found := queryValue(header, "apikey")
		if found {
			if _, again := queryValue(withoutQueryParam(header, "apikey"), "apikey"); again {
				t.Fatalf("withoutQueryParam(%q) kept the parameter (value %q)", header, v)
			}
		}
		_ = quote(header)
	})
}
