package intercept

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// hostPattern is a parsed host pattern (see MatchHost).
type hostPattern struct {
	host     string // lower-case name or canonical IP; the suffix after "*." for wildcards
	wildcard bool   // "*.host": any subdomain of host
	any      bool   // "*": every host
	port     string // "" matches any port
}

// parseHostPattern checks and parses a host pattern.
func parseHostPattern(p string) (hostPattern, error) {
	s := strings.ToLower(strings.TrimSpace(p))
	bad := func(why string) (hostPattern, error) {
		return hostPattern{}, fmt.Errorf("host pattern %q: %s (write a host name, *.domain, * or an IP address, optionally with :port)", p, why)
	}
	if s == "" {
		return bad("empty")
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@ \t\r\n\\") {
		return bad("not a host")
	}
	var hp hostPattern
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad("invalid port")
		}
		host, hp.port = h, strconv.Itoa(n)
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if strings.HasPrefix(host, "*.") {
		hp.wildcard = true
		host = host[2:]
	} else if host == "*" {
		hp.any = true
		return hp, nil
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || strings.Contains(host, "*") {
		return bad("a wildcard may only be a leading \"*.\"")
	}
	if strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return bad("empty label")
	}
	if ip := net.ParseIP(host); ip != nil {
		if hp.wildcard {
			return bad("an IP address takes no wildcard")
		}
		host = ip.String()
	} else if strings.ContainsAny(host, ":[]") {
		return bad("not a host")
	}
	hp.host = host
	return hp, nil
}

// match reports whether hostport (a host, optionally with a port) matches the pattern.
func (hp hostPattern) match(hostport string) bool {
	host, port := splitHost(hostport)
	if hp.port != "" && hp.port != port {
		return false
	}
	switch {
	case hp.any:
		return true
	case hp.wildcard:
		return len(host) > len(hp.host)+1 && strings.HasSuffix(host, hp.host) && host[len(host)-len(hp.host)-1] == '.'
	}
	return host == hp.host
}

// splitHost splits host[:port] into a normalized host (lower case, no trailing dot, IPs in
// canonical form, no brackets) and the port ("" if none).
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	return host, port
}

// MatchHost reports whether host (a host name or IP address, optionally with a port)
// matches pattern. A pattern is a host name ("api.example.com", any case, matching only
// that host), "*.example.com" (any subdomain of example.com at any depth, but not
// example.com itself), "*" (every host) or an IP address ("127.0.0.1", "::1" or "[::1]").
// A pattern with a port ("api.example.com:8443") matches that port only; without one it
// matches every port. An invalid pattern matches nothing.
func MatchHost(pattern, host string) bool {
	hp, err := parseHostPattern(pattern)
	return err == nil && hp.match(host)
}

// withDefaultPort adds the scheme's default port to a host that has none.
func withDefaultPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil || host == "" {
		return host
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), port)
}
