package proxy

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestForwardedElementString(t *testing.T) {
	tests := []struct {
		name string
		in   ForwardedElement
		want string
	}{
		{name: "ipv4 token", in: ForwardedElement{For: "192.0.2.60", Proto: "http"}, want: "for=192.0.2.60;proto=http"},
		{name: "ipv6 quoted", in: ForwardedElement{For: ForwardedNode("2001:db8:cafe::17")}, want: `for="[2001:db8:cafe::17]"`},
		{name: "ipv6 with port", in: ForwardedElement{For: ForwardedNode("[2001:db8:cafe::17]:4711")}, want: `for="[2001:db8:cafe::17]:4711"`},
		{name: "ipv4 with port", in: ForwardedElement{For: ForwardedNode("192.0.2.43:47011")}, want: `for="192.0.2.43:47011"`},
		{name: "host with port", in: ForwardedElement{Host: "example.com:8080"}, want: `host="example.com:8080"`},
		{name: "all fields in order", in: ForwardedElement{Proto: "https", Host: "h", By: "_gw", For: "unknown"}, want: "for=unknown;by=_gw;host=h;proto=https"},
		{name: "escapes quote and backslash", in: ForwardedElement{Host: `a"b\c`}, want: `host="a\"b\\c"`},
		{name: "comma quoted", in: ForwardedElement{Host: "a,b"}, want: `host="a,b"`},
		{name: "control character dropped", in: ForwardedElement{For: "x\ny", Proto: "http"}, want: "proto=http"},
		{name: "empty", in: ForwardedElement{}, want: ""},
		{name: "mapped ipv4 unmapped", in: ForwardedElement{For: ForwardedNode("::ffff:192.0.2.1")}, want: "for=192.0.2.1"},
		{name: "zone dropped", in: ForwardedElement{For: ForwardedNode("fe80::1%eth0")}, want: `for="[fe80::1]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseForwarded(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []ForwardedElement
		wantErr bool
	}{
		{name: "rfc example", in: []string{`for="_gazonk"`}, want: []ForwardedElement{{For: "_gazonk"}}},
		{name: "case-insensitive names", in: []string{`For="[2001:db8:cafe::17]:4711"`}, want: []ForwardedElement{{For: "[2001:db8:cafe::17]:4711"}}},
		{name: "pairs and elements", in: []string{`for=192.0.2.60;proto=http;by=203.0.113.43`, `for=192.0.2.43, for=198.51.100.17`},
			want: []ForwardedElement{{For: "192.0.2.60", Proto: "http", By: "203.0.113.43"}, {For: "192.0.2.43"}, {For: "198.51.100.17"}}},
		{name: "whitespace and empty members", in: []string{` for=a ; host=b ,, for=c `}, want: []ForwardedElement{{For: "a", Host: "b"}, {For: "c"}}},
		{name: "escaped quote", in: []string{`host="a\"b"`}, want: []ForwardedElement{{Host: `a"b`}}},
		{name: "extension ignored", in: []string{`for=a;secret=x`}, want: []ForwardedElement{{For: "a"}}},
		{name: "empty", in: []string{""}, want: nil},
		{name: "missing value", in: []string{"for="}, wantErr: true},
		{name: "no equals", in: []string{"for"}, wantErr: true},
		{name: "unterminated quote", in: []string{`for="abc`}, wantErr: true},
		{name: "duplicate parameter", in: []string{"for=a;for=b"}, wantErr: true},
		{name: "ipv6 unquoted", in: []string{"for=[2001:db8::1]"}, wantErr: true},
		{name: "junk after value", in: []string{`for="a"b`}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseForwarded(tt.in...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestForwardingHeaders checks what the upstream receives: X-Forwarded-*, Forwarded,
// Host, and that hop-by-hop headers (including those Connection names) are gone.
func TestForwardingHeaders(t *testing.T) {
	up := newServer(t, http.HandlerFunc(echoHandler))
	upHost := strings.TrimPrefix(up.URL, "http://")
	tests := []struct {
		name         string
		remoteAddr   string
		host         string
		tls          bool
		header       http.Header
		preserveHost bool
		want         map[string]string // header → value; "" means absent
		wantHost     string
	}{
		{
			name: "first hop", remoteAddr: "192.0.2.1:1234", host: "example.com",
			want: map[string]string{
				"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Host": "example.com", "X-Forwarded-Proto": "http",
				"Forwarded": "for=192.0.2.1;host=example.com;proto=http",
			},
			wantHost: upHost,
		},
		{
			name: "appends to prior hops", remoteAddr: "192.0.2.1:1234", host: "example.com",
			header: http.Header{"X-Forwarded-For": {"198.51.100.1", "198.51.100.2"}, "Forwarded": {"for=198.51.100.1", `for="[2001:db8::2]"`}},
			want: map[string]string{
				"X-Forwarded-For": "198.51.100.1, 198.51.100.2, 192.0.2.1",
				"Forwarded":       `for=198.51.100.1, for="[2001:db8::2]", for=192.0.2.1;host=example.com;proto=http`,
			},
		},
		{
			name: "ipv6 client, host with port, tls", remoteAddr: "[2001:db8::1]:4711", host: "example.com:8443", tls: true,
			want: map[string]string{
				"X-Forwarded-For": "2001:db8::1", "X-Forwarded-Host": "example.com:8443", "X-Forwarded-Proto": "https",
				"Forwarded": `for="[2001:db8::1]";host="example.com:8443";proto=https`,
			},
		},
		{
			name: "malformed prior Forwarded dropped", remoteAddr: "192.0.2.1:1234", host: "example.com",
			header: http.Header{"Forwarded": {"for=;;;"}},
			want:   map[string]string{"Forwarded": "for=192.0.2.1;host=example.com;proto=http"},
		},
		{
			name: "client forwarding headers not trusted", remoteAddr: "192.0.2.1:1234", host: "example.com",
			header: http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"}},
			want:   map[string]string{"X-Forwarded-Host": "example.com", "X-Forwarded-Proto": "http"},
		},
		{
			name: "non-IP remote address", remoteAddr: "pipe", host: "example.com",
			want: map[string]string{"X-Forwarded-For": "", "Forwarded": "for=unknown;host=example.com;proto=http"},
		},
		{
			name: "hop-by-hop and connection-listed headers removed", remoteAddr: "192.0.2.1:1234", host: "example.com",
			header: http.Header{
				"Connection": {"X-Secret, Keep-Alive", "x-other"}, "X-Secret": {"1"}, "X-Other": {"2"}, "Keep-Alive": {"timeout=5"},
				"Proxy-Authorization": {"Basic Zm9vOmJhcg=="}, "X-Kept": {"yes"},
			},
			want: map[string]string{"Connection": "", "X-Secret": "", "X-Other": "", "Keep-Alive": "", "Proxy-Authorization": "", "X-Kept": "yes"},
		},
		{
			name: "preserve host", remoteAddr: "192.0.2.1:1234", host: "api.example.com", preserveHost: true,
			wantHost: "api.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProxy(t, Upstream{Name: "echo", Targets: []Target{{URL: up.URL}}, PreserveHost: tt.preserveHost}, Options{})
			r := httptest.NewRequest(http.MethodGet, "http://"+tt.host+"/pets", nil)
			r.RemoteAddr = tt.remoteAddr
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			e := decodeEcho(t, serve(p, r))
			for k, want := range tt.want {
				got := strings.Join(e.Header.Values(k), ", ")
				if got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.wantHost != "" && e.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", e.Host, tt.wantHost)
			}
		})
	}
}

func TestResponseHopByHopHeadersRemoved(t *testing.T) {
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Internal")
		w.Header().Set("X-Internal", "secret")
		w.Header().Set("X-Public", "ok")
		_, _ = w.Write([]byte("hi"))
	}))
	p := newProxy(t, Upstream{Name: "up", Targets: []Target{{URL: up.URL}}}, Options{})
	rec := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Header().Get("X-Internal") != "" || rec.Header().Get("X-Public") != "ok" {
		t.Fatalf("response headers %v", rec.Header())
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own-id" {
			w.Header().Set("X-Request-Id", "upstream-made-this")
		}
		echoHandler(w, r)
	}))
	tests := []struct {
		name     string
		path     string
		in       []string
		wantSame bool // the incoming id is passed on
	}{
		{name: "sane id passed on", path: "/", in: []string{"req-42_a.b:c/d+e=f@g"}, wantSame: true},
		{name: "absent generated", path: "/"},
		{name: "too long replaced", path: "/", in: []string{strings.Repeat("a", 129)}},
		{name: "128 characters kept", path: "/", in: []string{strings.Repeat("a", 128)}, wantSame: true},
		{name: "unsafe characters replaced", path: "/", in: []string{"<script>alert(1)</script>"}},
		{name: "space replaced", path: "/", in: []string{"a b"}},
		{name: "two values replaced", path: "/", in: []string{"a", "b"}},
		{name: "upstream id overridden", path: "/own-id", in: []string{"abc"}, wantSame: true},
	}
	p := newProxy(t, Upstream{Name: "echo", Targets: []Target{{URL: up.URL}}}, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.Header["X-Request-Id"] = tt.in
			rec := serve(p, r)
			e := decodeEcho(t, rec)
			sent := e.Header.Values("X-Request-Id")
			back := rec.Header().Values("X-Request-Id")
			if len(sent) != 1 || len(back) != 1 || sent[0] != back[0] {
				t.Fatalf("sent %q, echoed on the response %q", sent, back)
			}
			switch {
			case tt.wantSame && sent[0] != tt.in[0]:
				t.Fatalf("id %q, want %q", sent[0], tt.in[0])
			case !tt.wantSame && !uuidRE.MatchString(sent[0]):
				t.Fatalf("generated id %q is not a UUID", sent[0])
			}
		})
	}
}

func TestTraceParent(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	up := newServer(t, http.HandlerFunc(echoHandler))
	p := newProxy(t, Upstream{Name: "echo", Targets: []Target{{URL: up.URL}}}, Options{})
	tests := []struct {
		name         string
		traceparent  []string
		tracestate   string
		wantContinue bool
		wantFlags    string
	}{
		{name: "valid sampled", traceparent: []string{"00-" + traceID + "-" + spanID + "-01"}, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", wantContinue: true, wantFlags: "01"},
		{name: "valid unsampled", traceparent: []string{"00-" + traceID + "-" + spanID + "-00"}, tracestate: "congo=t61rcWkgMzE", wantContinue: true, wantFlags: "00"},
		{name: "reserved flags cleared", traceparent: []string{"00-" + traceID + "-" + spanID + "-ff"}, wantContinue: true, wantFlags: "03"},
		{name: "higher version with more fields", traceparent: []string{"cc-" + traceID + "-" + spanID + "-01-what-the-future-holds"}, wantContinue: true, wantFlags: "01"},
		{name: "upper-case hex", traceparent: []string{"00-" + strings.ToUpper(traceID) + "-" + spanID + "-01"}, tracestate: "congo=x", wantFlags: "00"},
		{name: "zero trace id", traceparent: []string{"00-00000000000000000000000000000000-" + spanID + "-01"}, wantFlags: "00"},
		{name: "zero parent id", traceparent: []string{"00-" + traceID + "-0000000000000000-01"}, wantFlags: "00"},
		{name: "version ff", traceparent: []string{"ff-" + traceID + "-" + spanID + "-01"}, wantFlags: "00"},
		{name: "version 00 too long", traceparent: []string{"00-" + traceID + "-" + spanID + "-01-xx"}, wantFlags: "00"},
		{name: "truncated", traceparent: []string{"00-" + traceID + "-" + spanID}, wantFlags: "00"},
		{name: "two headers", traceparent: []string{"00-" + traceID + "-" + spanID + "-01", "00-" + traceID + "-" + spanID + "-01"}, wantFlags: "00"},
		{name: "absent", tracestate: "orphan=1", wantFlags: "00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Traceparent"] = tt.traceparent
			if tt.tracestate != "" {
				r.Header.Set("Tracestate", tt.tracestate)
			}
			e := decodeEcho(t, serve(p, r))
			got := e.Header.Values("Traceparent")
			if len(got) != 1 {
				t.Fatalf("upstream got traceparent %q", got)
			}
			tp, ok := ParseTraceParent(got[0])
			if !ok || len(got[0]) != 55 || !strings.HasPrefix(got[0], "00-") {
				t.Fatalf("upstream got an invalid traceparent %q", got[0])
			}
			parts := strings.Split(got[0], "-")
			if parts[2] == spanID {
				t.Errorf("parent-id not renewed for the hop: %s", got[0])
			}
			if parts[3] != tt.wantFlags {
				t.Errorf("flags %s, want %s", parts[3], tt.wantFlags)
			}
			if tt.wantContinue != (parts[1] == traceID) {
				t.Errorf("trace id %s; continue=%v", parts[1], tt.wantContinue)
			}
			if tp.TraceID == [16]byte{} {
				t.Errorf("zero trace id")
			}
			wantState := ""
			if tt.wantContinue {
				wantState = tt.tracestate
			}
			if gs := e.Header.Get("Tracestate"); gs != wantState {
				t.Errorf("tracestate %q, want %q", gs, wantState)
			}
		})
	}
}

func TestTraceParentRoundTrip(t *testing.T) {
	in := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tp, ok := ParseTraceParent(in)
	if !ok || tp.String() != in || tp.Flags != 1 {
		t.Fatalf("parse %q: %+v %v → %s", in, tp, ok, tp.String())
	}
}
