package proxy

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
)

// ForwardedElement is one element of an RFC 7239 Forwarded header: what one proxy saw of
// the request it forwarded. An empty field is left out of the header.
type ForwardedElement struct {
	// For is the node the request came from: an IPv4 address, a bracketed IPv6 address,
	// either with an optional ":port", "unknown", or an obfuscated "_name".
	For string
	// By is the node of the proxy interface that received the request.
	By string
	// Host is the Host header the proxy received.
	Host string
	// Proto is the scheme the proxy received the request with ("http" or "https").
	Proto string
}

// String returns e as a forwarded-element ("for=192.0.2.1;host=example.com;proto=https"),
// quoting values that are not tokens (IPv6 addresses, ports). Values holding control
// characters, which a header cannot carry, are left out.
func (e ForwardedElement) String() string {
	var b strings.Builder
	// Room for the names and separators (and two quotes), so that one allocation does.
	b.Grow(len(e.For) + len(e.By) + len(e.Host) + len(e.Proto) + 28)
	for _, p := range [...]struct{ name, value string }{{"for", e.For}, {"by", e.By}, {"host", e.Host}, {"proto", e.Proto}} {
		if p.value == "" {
			continue
		}
		v, ok := forwardedValue(p.value)
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// ForwardedNode formats a network address as an RFC 7239 node: IPv6 addresses are put in
// brackets ("[2001:db8::1]", "[2001:db8::1]:4711"); zones are dropped; anything that is not
// an IP address, with or without a port, is returned unchanged.
func ForwardedNode(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		ip := ap.Addr().WithZone("").Unmap()
		if ip.Is6() {
			return fmt.Sprintf("[%s]:%d", ip, ap.Port())
		}
		return fmt.Sprintf("%s:%d", ip, ap.Port())
	}
	if ip, err := netip.ParseAddr(strings.Trim(addr, "[]")); err == nil {
		ip = ip.WithZone("").Unmap()
		if ip.Is6() {
			return "[" + ip.String() + "]"
		}
		return ip.String()
	}
	return addr
}

// forwardedValue renders v as a token if it is one, else as a quoted-string. It reports
// false if v holds a byte a quoted-string cannot carry.
func forwardedValue(v string) (string, bool) {
	token := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isTokenChar(c) {
			token = false
		}
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return "", false
		}
	}
	if token && v != "" {
		return v, true
	}
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String(), true
}

// isTokenChar reports whether c is an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// ParseForwarded parses the values of one or more Forwarded header lines into their
// elements, in order. Parameter names are case-insensitive; parameters other than for,
// by, host and proto are ignored; empty list members are skipped. It fails on a syntax
// error or on a parameter given twice in one element.
func ParseForwarded(values ...string) ([]ForwardedElement, error) {
	var out []ForwardedElement
	for _, s := range values {
		var (
			cur   ForwardedElement
			seen  uint8
			pairs int
			i     int
		)
		flush := func() {
			if pairs > 0 {
				out = append(out, cur)
			}
			cur, seen, pairs = ForwardedElement{}, 0, 0
		}
		for {
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i == len(s) {
				flush()
				break
			}
			switch s[i] {
			case ',':
				flush()
				i++
				continue
			case ';':
				i++
				continue
			}
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			if i == start {
				return nil, fmt.Errorf("forwarded: unexpected %q at offset %d", s[i], i)
			}
			name := strings.ToLower(s[start:i])
			if i == len(s) || s[i] != '=' {
				return nil, fmt.Errorf("forwarded: parameter %q has no value", name)
			}
			i++
			var value string
			if i < len(s) && s[i] == '"' {
				v, n, err := parseQuoted(s[i:])
				if err != nil {
					return nil, fmt.Errorf("forwarded: parameter %q: %w", name, err)
				}
				value, i = v, i+n
			} else {
				vs := i
				for i < len(s) && isTokenChar(s[i]) {
					i++
				}
				if i == vs {
					return nil, fmt.Errorf("forwarded: parameter %q has an empty value", name)
				}
				value = s[vs:i]
			}
			var bit uint8
			var dst *string
			switch name {
			case "for":
				bit, dst = 1, &cur.For
			case "by":
				bit, dst = 2, &cur.By
			case "host":
				bit, dst = 4, &cur.Host
			case "proto":
				bit, dst = 8, &cur.Proto
			}
			if dst != nil {
				if seen&bit != 0 {
					return nil, fmt.Errorf("forwarded: parameter %q occurs twice in one element", name)
				}
				seen |= bit
				*dst = value
			}
			pairs++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i < len(s) && s[i] != ';' && s[i] != ',' {
				return nil, fmt.Errorf("forwarded: unexpected %q after parameter %q", s[i], name)
			}
		}
	}
	return out, nil
}

// parseQuoted reads the quoted-string at the start of s and returns its unescaped
// content and the number of bytes consumed.
func parseQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			i++
			if i == len(s) {
				return "", 0, errors.New("unterminated quoted string")
			}
			c = s[i]
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return "", 0, fmt.Errorf("control character %#x in quoted string", c)
			}
			b.WriteByte(c)
		case (c < 0x20 && c != '\t') || c == 0x7f:
			return "", 0, fmt.Errorf("control character %#x in quoted string", c)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated quoted string")
}

// TraceParent is a parsed W3C Trace Context traceparent header.
type TraceParent struct {
	// TraceID identifies the whole trace; never all zeros in a valid header.
	TraceID [16]byte
	// ParentID identifies the caller's span; never all zeros in a valid header.
	ParentID [8]byte
	// Flags holds the trace flags; bit 0 is "sampled".
	Flags byte
}

// ParseTraceParent parses a traceparent header value. It accepts version 00 exactly and,
// as the specification asks, the leading fields of a higher version; it rejects version
// ff, upper-case hex and all-zero IDs.
func ParseTraceParent(s string) (TraceParent, bool) {
	var tp TraceParent
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return tp, false
	}
	var ver [1]byte
	if !lowerHex(ver[:], s[0:2]) || ver[0] == 0xff {
		return tp, false
	}
	if (ver[0] == 0 && len(s) != 55) || (ver[0] != 0 && len(s) > 55 && s[55] != '-') {
		return tp, false
	}
	var flags [1]byte
	if !lowerHex(tp.TraceID[:], s[3:35]) || !lowerHex(tp.ParentID[:], s[36:52]) || !lowerHex(flags[:], s[53:55]) {
		return tp, false
	}
	if tp.TraceID == [16]byte{} || tp.ParentID == [8]byte{} {
		return tp, false
	}
	tp.Flags = flags[0]
	return tp, true
}

// lowerHex decodes s, which must be lower-case hex of exactly 2*len(dst) digits, into dst.
func lowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

// String returns tp as a version 00 traceparent header value.
func (tp TraceParent) String() string {
	var b [55]byte
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], tp.TraceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], tp.ParentID[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{tp.Flags})
	return string(b[:])
}

// nextHop returns the traceparent to send upstream for the incoming value in: the same
// trace with a new parent-id when in is valid (keeping the sampled and random flags),
// else a new, unsampled trace. continued reports which.
func nextHop(in []string) (tp TraceParent, continued bool) {
	if len(in) == 1 {
		if tp, ok := ParseTraceParent(in[0]); ok {
			tp.ParentID = newSpanID()
			tp.Flags &= 0x03
			return tp, true
		}
	}
	for tp.TraceID == [16]byte{} {
		fillRandom(tp.TraceID[:])
	}
	tp.ParentID = newSpanID()
	return tp, false
}

// fillRandom fills b from the runtime's per-thread ChaCha8 generator, which the OS seeds:
// unpredictable enough for trace and request ids (they are not secrets) at a fraction of
// the cost of the system's random source on every request.
func fillRandom(b []byte) {
	for ; len(b) >= 8; b = b[8:] {
		binary.LittleEndian.PutUint64(b, rand.Uint64())
	}
	if len(b) > 0 {
		var t [8]byte
		binary.LittleEndian.PutUint64(t[:], rand.Uint64())
		copy(b, t[:])
	}
}

func newSpanID() (id [8]byte) {
	for id == [8]byte{} {
		fillRandom(id[:])
	}
	return id
}

// maxRequestIDLen is the longest X-Request-Id passed on as received.
const maxRequestIDLen = 128

// saneRequestID reports whether a client's X-Request-Id is safe to pass on and log: 1 to
// 128 letters, digits and -_.:/+=@.
func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:/+=@", c) >= 0) {
			return false
		}
	}
	return true
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var u [16]byte
	fillRandom(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
