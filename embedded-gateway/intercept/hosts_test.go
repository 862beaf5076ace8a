package intercept

import (
	"strings"
	"testing"
)

func TestMatchHost(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		host    string
		want    bool
	}{
		{"exact", "api.example.com", "api.example.com", true},
		{"exact with any port", "api.example.com", "api.example.com:443", true},
		{"case and trailing dot", "API.Example.com.", "api.EXAMPLE.com:8443", true},
		{"other host", "api.example.com", "www.example.com", false},
		{"suffix is not a match", "example.com", "badexample.com", false},
		{"wildcard subdomain", "*.example.com", "api.example.com", true},
		{"wildcard deep subdomain", "*.example.com", "a.b.example.com:443", true},
		{"wildcard excludes apex", "*.example.com", "example.com", false},
		{"wildcard needs a dot boundary", "*.example.com", "badexample.com", false},
		{"star matches all", "*", "anything.test:1234", true},
		{"port must match", "api.example.com:8443", "api.example.com:443", false},
		{"port matches", "api.example.com:8443", "api.example.com:8443", true},
		{"port pattern needs a port", "api.example.com:8443", "api.example.com", false},
		{"ipv4", "127.0.0.1", "127.0.0.1:9000", true},
		{"ipv6 bare", "::1", "[::1]:443", true},
		{"ipv6 bracketed", "[::1]", "[::1]:443", true},
		{"ipv6 with port", "[::1]:443", "[::1]:443", true},
		{"ipv6 canonical form", "0:0:0:0:0:0:0:1", "[::1]:80", true},
		{"star with port", "*:8080", "x.test:8080", true},
		{"invalid pattern matches nothing", "a*b.com", "a*b.com", false},
		{"url is not a pattern", "https://example.com", "example.com", false},
		{"empty pattern", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchHost(tt.pattern, tt.host); got != tt.want {
				t.Errorf("MatchHost(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
			}
		})
	}
}

func TestParseHostPatternErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    string
	}{
		{"empty", " ", "empty"},
		{"url", "http://x.test", "not a host"},
		{"path", "x.test/api", "not a host"},
		{"inner wildcard", "api.*.test", "wildcard"},
		{"bare wildcard dot", "*.", "wildcard"},
		{"bad port", "x.test:99999", "port"},
		{"wildcard ip", "*.127.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseHostPattern(tt.pattern)
			if err == nil {
				// "*.127.0.0.1" is a legitimate (if odd) DNS suffix; accept either way.
				if tt.want == "" {
					return
				}
				t.Fatalf("parseHostPattern(%q) succeeded", tt.pattern)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.pattern) {
				t.Errorf("error %q lacks %q or the pattern", err, tt.want)
			}
		})
	}
}

func TestWithDefaultPort(t *testing.T) {
	tests := []struct{ name, host, scheme, want string }{
		{"http", "x.test", "http", "x.test:80"},
		{"https", "x.test", "https", "x.test:443"},
		{"kept", "x.test:8080", "https", "x.test:8080"},
		{"ipv6", "[::1]", "https", "[::1]:443"},
		{"empty", "", "https", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withDefaultPort(tt.host, tt.scheme); got != tt.want {
				t.Errorf("withDefaultPort(%q, %q) = %q, want %q", tt.host, tt.scheme, got, tt.want)
			}
		})
	}
}

func FuzzMatchHost(f *testing.F) {
	for _, s := range [][2]string{
		{"api.example.com", "api.example.com:443"},
		{"*.example.com", "a.b.example.com"},
		{"*", "x"},
		{"[::1]:443", "[::1]:443"},
		{"127.0.0.1", "127.0.0.1:80"},
		{"*.", "."},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, host string) {
		got := MatchHost(pattern, host) // must not panic
		hp, err := parseHostPattern(pattern)
		if err != nil {
			if got {
				t.Fatalf("invalid pattern %q matched %q", pattern, host)
			}
			return
		}
		if got != hp.match(host) {
			t.Fatalf("MatchHost and the parsed pattern disagree on %q, %q", pattern, host)
		}
		// Case never matters (for ASCII; Unicode case mapping is not reversible).
		if isASCII(pattern+host) && MatchHost(strings.ToUpper(pattern), strings.ToUpper(host)) != got {
			t.Fatalf("case changed the result for %q, %q", pattern, host)
		}
		if hp.any || hp.port != "" {
			return
		}
		// A plain name or IP pattern matches itself, with or without a port.
		if !hp.wildcard && !hp.any {
			self := hp.host
			if strings.Contains(self, ":") {
				self = "[" + self + "]"
			}
			if !MatchHost(pattern, self) || !MatchHost(pattern, self+":443") {
				t.Fatalf("pattern %q does not match its own host %q", pattern, self)
			}
		}
		// A wildcard matches any subdomain and never its apex.
		if hp.wildcard {
			if !MatchHost(pattern, "sub."+hp.host) {
				t.Fatalf("wildcard %q does not match sub.%s", pattern, hp.host)
			}
			if MatchHost(pattern, hp.host) {
				t.Fatalf("wildcard %q matches its apex %q", pattern, hp.host)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
