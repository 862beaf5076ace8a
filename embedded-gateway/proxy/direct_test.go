package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDirectPathMatchesReverseProxy sends the same requests through a Proxy on the direct
// path and through one whose given Transport makes it take the ReverseProxy, and wants
// the upstream to see the same request and the client the same response.
func TestDirectPathMatchesReverseProxy(t *testing.T) {
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/trailers") {
			w.Header().Set("Trailer", "X-Checksum")
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "body")
			w.Header().Set("X-Checksum", "abc")
			w.Header().Set(http.TrailerPrefix+"X-Late", "late")
			return
		}
		if strings.HasSuffix(r.URL.Path, "/hop") {
			w.Header().Set("Connection", "X-Hop-Resp")
			w.Header().Set("X-Hop-Resp", "dropped")
			w.Header().Set("Keep-Alive", "timeout=5")
			w.Header().Set("X-Request-Id", "upstream-chosen")
		}
		echoHandler(w, r)
	}))
	for _, preserveHost := range []bool{false, true} {
		u := Upstream{Name: "svc", Targets: []Target{{URL: up.URL + "/base?fixed=1"}}, StripPrefix: "/api", PreserveHost: preserveHost}
		direct := newProxy(t, u, Options{})
		stock := newProxy(t, u, Options{Transport: &http.Transport{DisableCompression: true}})
		if !direct.direct || stock.direct {
			t.Fatalf("direct path on: %v and %v, want true and false", direct.direct, stock.direct)
		}
		tests := []struct {
			name, method, target string
			header               http.Header
			remote               string
		}{
			{name: "plain", method: "GET", target: "/api/pets?limit=5"},
			{name: "head", method: "HEAD", target: "/api/pets"},
			{name: "delete", method: "DELETE", target: "/api/pets/7"},
			{name: "options", method: "OPTIONS", target: "/api/pets"},
			{name: "escaped path", method: "GET", target: "/api/a%2Fb/c"},
			{name: "bad query", method: "GET", target: "/api/pets?a=1;b=2&c=%zz&d=4"},
			{name: "outside the prefix", method: "GET", target: "/other"},
			{name: "forwarding", method: "GET", target: "/api/pets", header: http.Header{
				"X-Forwarded-For":   {"203.0.113.9", "198.51.100.2"},
				"X-Forwarded-Host":  {"spoofed"},
				"X-Forwarded-Proto": {"https"},
				"Forwarded":         {`for=203.0.113.9;proto=https`},
				"X-Request-Id":      {"req-0123456789"},
			}},
			{name: "malformed forwarded", method: "GET", target: "/api/pets", header: http.Header{"Forwarded": {`for="unterminated`}, "X-Request-Id": {"req-1"}}},
			{name: "hop by hop", method: "GET", target: "/hop", header: http.Header{
				"Connection":          {"X-Hop, close"},
				"X-Hop":               {"dropped"},
				"Keep-Alive":          {"timeout=5"},
				"Proxy-Authorization": {"Basic Zm9vOmJhcg=="},
				"Proxy-Connection":    {"keep-alive"},
				"Te":                  {"trailers, deflate"},
				"X-Request-Id":        {"req-2"},
				"User-Agent":          {"curl/8"},
				"Accept":              {"application/json", "text/plain"},
			}},
			{name: "trace continued", method: "GET", target: "/api/pets", header: http.Header{
				"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
				"Tracestate":  {"vendor=1"},
			}},
			{name: "trace restarted", method: "GET", target: "/api/pets", header: http.Header{
				"Traceparent": {"garbage"},
				"Tracestate":  {"vendor=1"},
			}},
			{name: "ipv6 client", method: "GET", target: "/api/pets", remote: "[2001:db8::1]:4711"},
			{name: "unix client", method: "GET", target: "/api/pets", remote: "@"},
			{name: "trailers", method: "GET", target: "/trailers"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				send := func(p *Proxy) *httptest.ResponseRecorder {
					r := httptest.NewRequest(tc.method, "http://gw.example"+tc.target, nil)
					for k, vs := range tc.header {
						r.Header[k] = slices.Clone(vs)
					}
					if tc.remote != "" {
						r.RemoteAddr = tc.remote
					}
					return serve(p, r)
				}
				a, b := send(direct), send(stock)
				if a.Code != b.Code {
					t.Fatalf("status: direct %d, ReverseProxy %d", a.Code, b.Code)
				}
				normalize := func(h http.Header) http.Header {
					h = h.Clone()
					for _, k := range []string{"Date", "Content-Length"} {
						delete(h, k)
					}
					if id := h.Get("X-Request-Id"); len(id) > 0 && !strings.HasPrefix(id, "req-") && id != "upstream-chosen" {
						h.Set("X-Request-Id", "generated")
					}
					return h
				}
				if ha, hb := normalize(a.Header()), normalize(b.Header()); !equalHeader(ha, hb) {
					t.Errorf("response header:\ndirect        %v\nReverseProxy  %v", ha, hb)
				}
				if tc.method == "HEAD" || tc.target == "/trailers" {
					if a.Body.String() != b.Body.String() {
						t.Errorf("body: direct %q, ReverseProxy %q", a.Body, b.Body)
					}
					return
				}
				ea, eb := decodeEcho(t, a), decodeEcho(t, b)
				for _, e := range []*echoed{&ea, &eb} {
					if tp := e.Header.Get("Traceparent"); len(tp) == 55 {
						if _, ok := ParseTraceParent(tc.header.Get("Traceparent")); !ok {
							tp = "new trace"
						} else {
							tp = tp[:36] // trace id kept; the hop's parent id is new
						}
						e.Header.Set("Traceparent", tp)
					}
					if id := e.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req-") {
						e.Header.Set("X-Request-Id", "generated")
					}
					delete(e.Header, "Accept-Encoding") // net/http's Transport adds it; the target asked for none
				}
				if ea.Method != eb.Method || ea.Path != eb.Path || ea.RawPath != eb.RawPath || ea.RawQuery != eb.RawQuery || ea.Host != eb.Host {
					t.Errorf("request line:\ndirect        %s %s %s ? %s (Host %s)\nReverseProxy  %s %s %s ? %s (Host %s)",
						ea.Method, ea.Path, ea.RawPath, ea.RawQuery, ea.Host, eb.Method, eb.Path, eb.RawPath, eb.RawQuery, eb.Host)
				}
				if !equalHeader(ea.Header, eb.Header) {
					t.Errorf("upstream saw:\ndirect        %v\nReverseProxy  %v", ea.Header, eb.Header)
				}
			})
		}
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		if !slices.Equal(va, b[k]) {
			return false
		}
	}
	return true
}

// TestDirectPathBodyBreaksOff: an upstream that closes the connection in the middle of a
// declared-length body makes the direct path abort the client's response (the server
// then drops the connection), as the ReverseProxy does; the connection is not pooled.
func TestDirectPathBodyBreaksOff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\nonly part")
			}()
		}
	}()
	p := newProxy(t, Upstream{Name: "svc", Targets: []Target{{URL: "http://" + l.Addr().String()}}}, Options{})
	gw := newServer(t, p)
	resp, err := http.Get(gw.URL + "/x")
	if err == nil { // the head may or may not have left before the abort
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil {
			t.Fatalf("read %q without an error; want the response cut short", body)
		}
	}
	if p.own.idleCount() != 0 {
		t.Errorf("%d idle upstream connections; a broken one must not be pooled", p.own.idleCount())
	}
}

// TestDirectPathStreamsEvents: an event stream reaches the client event by event, before
// the upstream ends it.
func TestDirectPathStreamsEvents(t *testing.T) {
	release := make(chan struct{})
	up := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", "") // none: chunked
		_, _ = io.WriteString(w, "data: one\n\n")
		http.NewResponseController(w).Flush()
		<-release
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	p := newProxy(t, Upstream{Name: "svc", Targets: []Target{{URL: up.URL}}}, Options{})
	gw := newServer(t, p)
	resp, err := http.Get(gw.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() {
		line, _ := br.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if line != "data: one\n" {
			t.Errorf("first line %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first event did not arrive while the stream was open")
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: two") {
		t.Errorf("rest %q", rest)
	}
}
