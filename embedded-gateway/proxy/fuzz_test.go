package proxy

import (
	"reflect"
	"strings"
	"testing"
)

// nonEmpty drops elements without any known parameter, which format to nothing.
func nonEmpty(es []ForwardedElement) []ForwardedElement {
	var out []ForwardedElement
	for _, e := range es {
		if e != (ForwardedElement{}) {
			out = append(out, e)
		}
	}
	return out
}

// FuzzParseForwarded checks that parsing never panics and that what parses survives a
// format-and-parse round trip.
func FuzzParseForwarded(f *testing.F) {
	for _, s := range []string{
		`for=192.0.2.60;proto=http;by=203.0.113.43`,
		`for="[2001:db8:cafe::17]:4711"`,
		`for=192.0.2.43, for=198.51.100.17;host="example.com:8080"`,
		`host="a\"b\\c";proto=https`,
		`for=_hidden,,for=unknown;ext="x,y"`,
		`for="`, `;;,`, "for=\"a\tb\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		es, err := ParseForwarded(s)
		if err != nil {
			return
		}
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = e.String()
		}
		again, err := ParseForwarded(strings.Join(parts, ", "))
		if err != nil {
			t.Fatalf("%q parsed to %+v, formatted as %q, which does not parse: %v", s, es, parts, err)
		}
		if !reflect.DeepEqual(nonEmpty(es), nonEmpty(again)) {
			t.Fatalf("round trip of %q: %+v became %+v", s, es, again)
		}
	})
}

// FuzzForwardedElement checks that any element formats to a header that parses back to
// it, minus values a header cannot carry.
func FuzzForwardedElement(f *testing.F) {
	f.Add("2001:db8::1", "", "example.com:8080", "https")
	f.Add("192.0.2.1:80", "_gw", `we"ird\`, "")
	f.Add("a,b;c=d", "\x00", "\t ", "\x80\xff")
	f.Fuzz(func(t *testing.T, forv, by, host, proto string) {
		e := ForwardedElement{For: ForwardedNode(forv), By: by, Host: host, Proto: proto}
		want := e
		for _, v := range []*string{&want.For, &want.By, &want.Host, &want.Proto} {
			if _, ok := forwardedValue(*v); !ok {
				*v = ""
			}
		}
		got, err := ParseForwarded(e.String())
		if err != nil {
			t.Fatalf("%+v formatted as %q, which does not parse: %v", e, e.String(), err)
		}
		if !reflect.DeepEqual(got, nonEmpty([]ForwardedElement{want})) {
			t.Fatalf("%+v formatted as %q parsed back as %+v", e, e.String(), got)
		}
	})
}

// FuzzTraceParent checks that a traceparent that parses formats back to itself (for
// version 00) or to an equivalent version 00 header.
func FuzzTraceParent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")
	f.Add("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Fuzz(func(t *testing.T, s string) {
		tp, ok := ParseTraceParent(s)
		if !ok {
			return
		}
		out := tp.String()
		if strings.HasPrefix(s, "00-") && out != s {
			t.Fatalf("%q formatted back as %q", s, out)
		}
		again, ok := ParseTraceParent(out)
		if !ok || again != tp {
			t.Fatalf("%q → %q does not parse back (%v)", s, out, ok)
		}
		next, continued := nextHop([]string{s})
		if !continued || next.TraceID != tp.TraceID || next.ParentID == ([8]byte{}) {
			t.Fatalf("next hop of %q: %+v %v", s, next, continued)
		}
	})
}
