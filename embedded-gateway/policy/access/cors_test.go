package access

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCORSPreflight(t *testing.T) {
	const exact = `{"allowOrigins": ["https://app.example.com", "https://*.example.org"], "allowMethods": ["GET", "post", "DELETE"], "allowHeaders": ["Content-Type", "X-Api-Key"], "maxAge": "10m", "privateNetwork": true}`
	tests := []struct {
		name       string
		settings   string
		origin     string
		method     string
		reqHeaders string
		privateNet bool
		wantStatus int
		wantDetail string            // for refusals
		want       map[string]string // response headers; "" means absent
	}{
		{
			name: "allowed", settings: exact, origin: "https://app.example.com", method: "DELETE", reqHeaders: "x-api-key, content-type",
			wantStatus: 204,
			want: map[string]string{
				"Access-Control-Allow-Origin":          "https://app.example.com",
				"Access-Control-Allow-Methods":         "GET, POST, DELETE",
				"Access-Control-Allow-Headers":         "content-type, x-api-key",
				"Access-Control-Max-Age":               "600",
				"Access-Control-Allow-Credentials":     "",
				"Vary":                                 "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
				"Access-Control-Allow-Private-Network": "",
			},
		},
		{
			name: "private network access", settings: exact, origin: "https://a.b.example.org", method: "GET", privateNet: true,
			wantStatus: 204,
			want:       map[string]string{"Access-Control-Allow-Origin": "https://a.b.example.org", "Access-Control-Allow-Private-Network": "true"},
		},
		{name: "origin not allowed", settings: exact, origin: "https://evil.example", method: "GET", wantStatus: 403, wantDetail: "origin https://evil.example is not allowed",
			want: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}},
		{name: "pattern does not match the apex", settings: exact, origin: "https://example.org", method: "GET", wantStatus: 403, wantDetail: "not allowed"},
		{name: "pattern does not match another scheme", settings: exact, origin: "http://app.example.org", method: "GET", wantStatus: 403, wantDetail: "not allowed"},
		{name: "pattern does not match a lookalike", settings: exact, origin: "https://evilexample.org", method: "GET", wantStatus: 403, wantDetail: "not allowed"},
		{name: "pattern does not match a suffix attack", settings: exact, origin: "https://app.example.org.evil.example", method: "GET", wantStatus: 403, wantDetail: "not allowed"},
		{name: "pattern does not match a port", settings: exact, origin: "https://app.example.org:8443", method: "GET", wantStatus: 403, wantDetail: "not allowed"},
		{name: "method not allowed", settings: exact, origin: "https://app.example.com", method: "PATCH", wantStatus: 403, wantDetail: "method PATCH is not allowed"},
		{name: "header not allowed", settings: exact, origin: "https://app.example.com", method: "GET", reqHeaders: "content-type,authorization", wantStatus: 403, wantDetail: "request header authorization is not allowed"},
		{
			name: "any origin without credentials", settings: `{"allowOrigins": ["*"]}`, origin: "https://x.example", method: "PUT", reqHeaders: "Authorization,X-Trace",
			wantStatus: 204,
			want: map[string]string{
				"Access-Control-Allow-Origin":  "*",
				"Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
				"Access-Control-Allow-Headers": "Authorization,X-Trace",
				"Access-Control-Max-Age":       "",
				"Vary":                         "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
			},
		},
		{
			name: "any origin with credentials echoes the origin", settings: `{"allowOrigins": ["*"], "allowCredentials": true, "allowMethods": ["*"], "maxAge": 0}`, origin: "https://x.example", method: "PROPFIND",
			wantStatus: 204,
			want: map[string]string{
				"Access-Control-Allow-Origin":      "https://x.example",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "PROPFIND",
				"Access-Control-Allow-Headers":     "",
				"Access-Control-Max-Age":           "0",
			},
		},
		{name: "exact origin with a default port in the settings", settings: `{"allowOrigins": ["HTTPS://App.Example.com:443"]}`, origin: "https://app.example.com", method: "GET", wantStatus: 204,
			want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
		{name: "malformed requested headers", settings: `{"allowOrigins": ["*"]}`, origin: "https://x.example", method: "GET", reqHeaders: "a b", wantStatus: 400, wantDetail: "not a list of header names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, called := build(t, "cors", tc.settings)
			r := httptest.NewRequest(http.MethodOptions, "/pets", nil)
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Access-Control-Request-Method", tc.method)
			if tc.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Headers", tc.reqHeaders)
			}
			if tc.privateNet {
				r.Header.Set("Access-Control-Request-Private-Network", "true")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if *called {
				t.Fatal("a preflight reached the next handler")
			}
			if tc.wantStatus == 204 {
				if rec.Code != 204 || rec.Body.Len() != 0 {
					t.Fatalf("status %d, body %q; want 204 and no body", rec.Code, rec.Body)
				}
			} else {
				checkProblem(t, rec, tc.wantStatus, tc.wantDetail)
			}
			for k, v := range tc.want {
				if got := strings.Join(rec.Header().Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSActualRequests(t *testing.T) {
	upstreamCORS := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "X-Secret")
		w.Header().Add("Vary", "Accept-Encoding")
		_, _ = w.Write([]byte("ok"))
	})
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct {
		name     string
		settings string
		method   string
		origin   string // "" sends none
		next     http.Handler
		want     map[string]string
	}{
		{
			name: "allowed origin", settings: `{"allowOrigins": ["https://app.example.com"], "exposeHeaders": ["RateLimit", "RateLimit-Policy"]}`,
			method: "GET", origin: "https://app.example.com",
			want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "RateLimit, RateLimit-Policy", "Vary": "Origin", "Access-Control-Allow-Credentials": ""},
		},
		{
			name: "disallowed origin passes without CORS headers", settings: `{"allowOrigins": ["https://app.example.com"]}`,
			method: "POST", origin: "https://evil.example",
			want: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
		},
		{
			name: "no origin", settings: `{"allowOrigins": ["*"]}`, method: "GET",
			want: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
		},
		{
			name: "OPTIONS without a requested method is an actual request", settings: `{"allowOrigins": ["*"]}`, method: "OPTIONS", origin: "https://x.example",
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Vary": "Origin"},
		},
		{
			name: "credentials with any origin echo it", settings: `{"allowOrigins": ["*"], "allowCredentials": true}`, method: "GET", origin: "https://x.example",
			want: map[string]string{"Access-Control-Allow-Origin": "https://x.example", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "upstream CORS headers are replaced", settings: `{"allowOrigins": ["https://app.example.com"]}`, method: "GET", origin: "https://app.example.com", next: upstreamCORS,
			want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "", "Vary": "Origin, Accept-Encoding"},
		},
		{
			name: "upstream CORS headers are dropped for a disallowed origin", settings: `{"allowOrigins": ["https://app.example.com"]}`, method: "GET", origin: "https://evil.example", next: upstreamCORS,
			want: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": ""},
		},
		{
			name: "a handler that writes nothing still gets the headers", settings: `{"allowOrigins": ["https://app.example.com"]}`, method: "DELETE", origin: "https://app.example.com", next: silent,
			want: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, called, err := tryBuild("cors", tc.settings, tc.next)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(tc.method, "/pets", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if !*called || rec.Code != 200 {
				t.Fatalf("status %d, next called %v; want 200 from next", rec.Code, *called)
			}
			for k, v := range tc.want {
				if got := strings.Join(rec.Header().Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCORSFlushesThroughTheWrapper(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		_, _ = w.Write([]byte("data: 1\n\n"))
	})
	h, _, err := tryBuild("cors", `{"allowOrigins": ["https://app.example.com"]}`, next)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/events", nil)
	r.Header.Set("Origin", "https://app.example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !rec.Flushed || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("flushed %v, Access-Control-Allow-Origin %q", rec.Flushed, rec.Header().Get("Access-Control-Allow-Origin"))
	}
}
