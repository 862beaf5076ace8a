// Package clientip finds a request's client address, believing X-Forwarded-For only from
// trusted proxies, and parses the address and CIDR range lists of policy settings.
package clientip

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// Prefixes is a list of address ranges, IPv4 ones in IPv4 form.
type Prefixes []netip.Prefix

// Contains reports whether a (unmapped, zoneless) is in one of the ranges.
func (ps Prefixes) Contains(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes parses a list setting of addresses and CIDR ranges; errors are policy
// setting errors naming the entry ("allow.2").
func ParsePrefixes(list []string, field string) (Prefixes, error) {
	out := make(Prefixes, 0, len(list))
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

// Resolve returns the client's address. It is the peer's address (remoteAddr, as in
// http.Request.RemoteAddr), unless the peer is a trusted proxy: then X-Forwarded-For (all
// its fields, in order) is read from the right and the first address that is not a
// trusted proxy is the client; if all are trusted, the left-most is. An unparsable entry
// reached before an untrusted one makes the client unknown (ok is false), as does an
// unparsable remoteAddr. Addresses are returned unmapped and without zone.
func Resolve(remoteAddr string, xff []string, trusted Prefixes) (client netip.Addr, ok bool) {
	peer, ok := ParseHostAddr(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if len(trusted) == 0 || !trusted.Contains(peer) {
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
			a, ok := ParseHostAddr(entry)
			if !ok {
				return netip.Addr{}, false
			}
			if !trusted.Contains(a) {
				return a, true
			}
			client = a
		}
	}
	return client, true
}

// ParseHostAddr parses an address with or without a port ("192.0.2.1", "192.0.2.1:80",
// "2001:db8::1", "[2001:db8::1]:80"), unmapping it and dropping any zone.
func ParseHostAddr(s string) (netip.Addr, bool) {
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
