package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParsePrefix checks that any accepted list entry is a valid, masked range in the form
// client addresses are compared in, and that it contains the address it was written with.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:192.0.2.0/120", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4/33", " 10.0.0.1 ", "", "/", "::/0", "0.0.0.0/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("parsePrefix(%q) = %v: not a valid, masked, unmapped range", s, p)
		}
		addr := strings.TrimSpace(s)
		if i := strings.IndexByte(addr, '/'); i >= 0 {
			addr = addr[:i]
		}
		a, perr := netip.ParseAddr(addr)
		if perr != nil {
			t.Fatalf("parsePrefix(%q) accepted an entry whose address does not parse: %v", s, perr)
		}
		if !p.Contains(a.Unmap()) {
			t.Fatalf("parsePrefix(%q) = %v does not contain %v", s, p, a)
		}
		again, err := parsePrefix(p.String())
		if err != nil || again != p {
			t.Fatalf("parsePrefix(%q) = %v, which does not round-trip: %v, %v", s, p, again, err)
		}
	})
}

// FuzzClientIP checks Resolve's guarantees on arbitrary peers and X-Forwarded-For values:
// it never panics; an untrusted peer is always the client whatever the header says; and a
// client found behind a trusted proxy is the peer or an address written in the header.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1", "203.0.113.5, 10.0.0.2", "")
	f.Add("198.51.100.1:1", "203.0.113.5", "")
	f.Add("[::ffff:10.0.0.1]:80", "[2001:db8::1]:4711,, 10.9.9.9", "unknown")
	f.Add("10.0.0.1:1", ",,,", " , 1.2.3.4:")
	f.Add("10.0.0.1", "fe80::1%eth0", "::ffff:203.0.113.9")
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "2001:db8::/48"}, "trustedProxies")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff1, xff2 string) {
		xff := []string{xff1, xff2}
		client, ok := Resolve(remote, xff, trusted)
		peer, peerOK := ParseHostAddr(remote)
		if !peerOK {
			if ok {
				t.Fatalf("Resolve(%q) = %v for an unparsable peer", remote, client)
			}
			return
		}
		if !ok {
			if !trusted.Contains(peer) {
				t.Fatalf("untrusted peer %v gave no client", peer)
			}
			return
		}
		if !client.IsValid() || client.Is4In6() || client.Zone() != "" {
			t.Fatalf("client %v is not a valid unmapped zoneless address", client)
		}
		if !trusted.Contains(peer) {
			if client != peer {
				t.Fatalf("untrusted peer %v, but client %v taken from X-Forwarded-For", peer, client)
			}
			return
		}
		if client == peer {
			return
		}
		found := false
		for _, field := range xff {
			for entry := range strings.SplitSeq(field, ",") {
				if a, ok := ParseHostAddr(strings.TrimSpace(entry)); ok && a == client {
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("client %v is neither the peer nor in X-Forwarded-For %q", client, xff)
		}
	})
}
