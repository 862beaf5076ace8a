package access

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// ipRestrictionSettings are the ipRestriction policy's settings. At least one of Allow and
// Deny is required. A refused client gets a 403 problem document; so does one whose
// address cannot be determined (an unparsable X-Forwarded-For entry from a trusted proxy).
type ipRestrictionSettings struct {
	// Allow lists the addresses and CIDR ranges that may call; empty means all that Deny
	// does not list.
	Allow []string `json:"allow"`
	// Deny lists the addresses and CIDR ranges that may not call; it wins over Allow.
	Deny []string `json:"deny"`
	// TrustedProxies lists the addresses and ranges of proxies in front of the gateway
	// whose X-Forwarded-For is believed; empty means the peer is always the client.
	TrustedProxies []string `json:"trustedProxies"`
}

type ipRestriction struct {
	allow, deny prefixes
	trusted     prefixes
}

func newIPRestriction(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	var cfg ipRestrictionSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	var p ipRestriction
	var err error
	if p.allow, err = parsePrefixes(cfg.Allow, "allow"); err != nil {
		return nil, err
	}
	if p.deny, err = parsePrefixes(cfg.Deny, "deny"); err != nil {
		return nil, err
	}
	if p.trusted, err = parsePrefixes(cfg.TrustedProxies, "trustedProxies"); err != nil {
		return nil, err
	}
	if len(p.allow) == 0 && len(p.deny) == 0 {
		return nil, policy.Errorf("", "set allow, deny or both")
	}
	return p.middleware, nil
}

func (p *ipRestriction) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), p.trusted)
		switch {
		case !ok:
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "the client's address could not be determined")
		case p.deny.contains(client):
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "client address "+client.String()+" is denied")
		case len(p.allow) > 0 && !p.allow.contains(client):
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "client address "+client.String()+" is not allowed")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// prefixes is a list of address ranges, IPv4 ones in IPv4 form.
type prefixes []netip.Prefix

// contains reports whether a (unmapped, zoneless) is in one of the ranges.
func (ps prefixes) contains(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePrefixes parses a list setting of addresses and CIDR ranges; errors name the entry
// ("allow.2").
func parsePrefixes(list []string, field string) (prefixes, error) {
	out := make(prefixes, 0, len(list))
	for i, s := range list {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, policy.Errorf(field+"."+strconv.Itoa(i), "%q: %s", s, err.msg)
		}
		out = append(out, p)
	}
	return out, nil
}

type prefixError struct{ msg string }

// parsePrefix parses an address ("192.0.2.7", "2001:db8::1") or a CIDR range
// ("10.0.0.0/8", "2001:db8::/32"). Host bits of a range are cleared, and an IPv4-mapped
// IPv6 range is turned into its IPv4 range, since client addresses are compared unmapped.
func parsePrefix(s string) (netip.Prefix, *prefixError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, &prefixError{"is empty"}
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, &prefixError{"is not an address or CIDR range like \"10.0.0.0/8\""}
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, &prefixError{"is not an address or CIDR range like \"10.0.0.0/8\""}
		}
		if a.Zone() != "" {
			return netip.Prefix{}, &prefixError{"must not have a zone"}
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	a := p.Addr()
	if a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, &prefixError{"covers more than the IPv4-mapped range ::ffff:0:0/96"}
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// clientIP returns the client's address. It is the peer's address (remoteAddr, as in
// http.Request.RemoteAddr), unless the peer is a trusted proxy: then X-Forwarded-For (all
// its fields, in order) is read from the right and the first address that is not a
// trusted proxy is the client; if all are trusted, the left-most is. An unparsable entry
// reached before an untrusted one makes the client unknown (ok is false), as does an
// unparsable remoteAddr. Addresses are returned unmapped and without zone.
func clientIP(remoteAddr string, xff []string, trusted prefixes) (client netip.Addr, ok bool) {
	peer, ok := parseHostAddr(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if len(trusted) == 0 || !trusted.contains(peer) {
		return peer, true
	}
	client = peer
	for i := len(xff) - 1; i >= 0; i-- {
		list := xff[i]
		for list != "" {
			var entry string
			if c := strings.LastIndexByte(list, ','); c >= 0 {
				entry, list = list[c+1:], list[:c]
			} else {
				entry, list = list, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseHostAddr(entry)
			if !ok {
				return netip.Addr{}, false
			}
			if !trusted.contains(a) {
				return a, true
			}
			client = a
		}
	}
	return client, true
}

// parseHostAddr parses an address with or without a port ("192.0.2.1", "192.0.2.1:80",
// "2001:db8::1", "[2001:db8::1]:80"), unmapping it and dropping any zone.
func parseHostAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			// "[2001:db8::1]" without a port.
			if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
				a, err = netip.ParseAddr(s[1 : len(s)-1])
			}
			if err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}
