package access

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIPRestriction(t *testing.T) {
	tests := []struct {
		name       string
		settings   string
		remote     string
		xff        []string
		wantStatus int
		wantDetail string
	}{
		{"allowed by range", `{"allow": ["10.0.0.0/8"]}`, "10.1.2.3:5555", nil, 200, ""},
		{"not in the allow list", `{"allow": ["10.0.0.0/8", "192.0.2.7"]}`, "192.0.2.8:5555", nil, 403, "192.0.2.8 is not allowed"},
		{"single address allowed", `{"allow": ["10.0.0.0/8", "192.0.2.7"]}`, "192.0.2.7:5555", nil, 200, ""},
		{"deny wins over allow", `{"allow": ["10.0.0.0/8"], "deny": ["10.9.0.0/16"]}`, "10.9.1.1:1", nil, 403, "10.9.1.1 is denied"},
		{"deny only lets others in", `{"deny": ["203.0.113.0/24"]}`, "198.51.100.1:1", nil, 200, ""},
		{"deny only", `{"deny": ["203.0.113.0/24"]}`, "203.0.113.77:1", nil, 403, "denied"},
		{"IPv6 range", `{"allow": ["2001:db8::/32"]}`, "[2001:db8:1::5]:443", nil, 200, ""},
		{"IPv6 outside", `{"allow": ["2001:db8::/32"]}`, "[2001:db9::5]:443", nil, 403, "2001:db9::5 is not allowed"},
		{"mapped peer matches an IPv4 rule", `{"deny": ["192.0.2.0/24"]}`, "[::ffff:192.0.2.1]:80", nil, 403, "192.0.2.1 is denied"},
		{"mapped rule matches an IPv4 peer", `{"deny": ["::ffff:192.0.2.0/120"]}`, "192.0.2.1:80", nil, 403, "denied"},
		{"host bits are ignored", `{"allow": ["10.1.2.3/8"]}`, "10.200.0.1:1", nil, 200, ""},
		{"X-Forwarded-For ignored without trusted proxies", `{"deny": ["203.0.113.5"]}`, "10.0.0.1:1", []string{"203.0.113.5"}, 200, ""},
		{"X-Forwarded-For ignored from an untrusted peer", `{"deny": ["203.0.113.5"], "trustedProxies": ["10.0.0.0/8"]}`, "198.51.100.1:1", []string{"203.0.113.5"}, 200, ""},
		{"client behind a trusted proxy", `{"deny": ["203.0.113.5"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"203.0.113.5"}, 403, "203.0.113.5 is denied"},
		{"spoofed left-most entry is not believed", `{"allow": ["198.51.100.0/24"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"198.51.100.9, 203.0.113.5"}, 403, "203.0.113.5 is not allowed"},
		{"right-most untrusted across fields and proxy chains", `{"allow": ["198.51.100.0/24"], "trustedProxies": ["10.0.0.0/8", "172.16.0.0/12"]}`, "10.0.0.1:1", []string{"203.0.113.1, 198.51.100.9", "172.16.0.4 , 10.3.3.3"}, 200, ""},
		{"all trusted uses the left-most", `{"deny": ["10.0.0.9"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"10.0.0.9, 10.0.0.2"}, 403, "10.0.0.9 is denied"},
		{"no X-Forwarded-For from a trusted proxy uses the proxy", `{"deny": ["10.0.0.1"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", nil, 403, "10.0.0.1 is denied"},
		{"entries with ports", `{"deny": ["203.0.113.5", "2001:db8::1"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"[2001:db8::1]:4711"}, 403, "2001:db8::1 is denied"},
		{"garbage before an untrusted entry is never read", `{"allow": ["198.51.100.0/24"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"unknown, 198.51.100.9"}, 200, ""},
		{"garbage from a trusted proxy refuses", `{"deny": ["203.0.113.0/24"], "trustedProxies": ["10.0.0.0/8"]}`, "10.0.0.1:1", []string{"203.0.113.9, unknown"}, 403, "could not be determined"},
		{"unparsable peer refuses", `{"deny": ["203.0.113.0/24"]}`, "pipe", nil, 403, "could not be determined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, called := build(t, "ipRestriction", tc.settings)
			r := httptest.NewRequest(http.MethodGet, "/pets", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if tc.wantStatus == 200 {
				if rec.Code != 200 || !*called {
					t.Fatalf("status %d, next called %v; want 200 and called: %s", rec.Code, *called, rec.Body)
				}
				return
			}
			checkProblem(t, rec, tc.wantStatus, tc.wantDetail)
			if *called {
				t.Fatal("next was called for a refused request")
			}
		})
	}
}
