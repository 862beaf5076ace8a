package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is an upstream that counts the connections it accepted.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// scriptedServer answers each connection's requests with the next of replies, one reply
// per request; a reply of "" closes the connection instead of answering, and one that
// ends in closeAfter is sent and then the connection closed. It reports the number of
// connections accepted.
func scriptedServer(t *testing.T, replies ...string) (addr string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int32)
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					mu.Lock()
					reply := ""
					if next < len(replies) {
						reply = replies[next]
						next++
					}
					mu.Unlock()
					if reply == "" {
						return
					}
					last := strings.HasSuffix(reply, closeAfter)
					if _, err := io.WriteString(c, strings.TrimSuffix(reply, closeAfter)); err != nil || last {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), conns
}

// closeAfter ends a scriptedServer reply after which the connection is closed.
const closeAfter = "\x00"

func testH1Transport() *h1Transport {
	return newH1Transport(&http.Transport{IdleConnTimeout: time.Minute, DisableCompression: true},
		&net.Dialer{Timeout: 2 * time.Second}, 2*time.Second, 4)
}

// get sends a GET through rt and returns the status and body.
func get(t *testing.T, rt http.RoundTripper, method, url string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp.StatusCode, string(body), resp.Trailer
}

func TestH1Eligible(t *testing.T) {
	tr := testH1Transport()
	for _, tc := range []struct {
		name   string
		method string
		url    string
		body   io.Reader
		header string
		want   bool
	}{
		{name: "get", method: "GET", url: "http://h/x", want: true},
		{name: "head", method: "HEAD", url: "http://h/x", want: true},
		{name: "delete", method: "DELETE", url: "http://h/x", want: true},
		{name: "options", method: "OPTIONS", url: "http://h/x", want: true},
		{name: "https", method: "GET", url: "https://h/x"},
		{name: "post", method: "POST", url: "http://h/x"},
		{name: "get with a body", method: "GET", url: "http://h/x", body: strings.NewReader("x")},
		{name: "upgrade", method: "GET", url: "http://h/x", header: "Upgrade"},
		{name: "expect", method: "GET", url: "http://h/x", header: "Expect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.url, tc.body)
			req.RequestURI = ""
			if tc.body == nil {
				req.Body, req.ContentLength = nil, 0
			}
			if tc.header != "" {
				req.Header.Set(tc.header, "x")
			}
			if got := tr.eligible(req); got != tc.want {
				t.Errorf("eligible = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestH1KeepAlive(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			_, _ = io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "b")
			w.Header().Set("X-Sum", "2")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			_, _ = io.WriteString(w, "hello "+r.Method)
		}
	}))
	tr := testH1Transport()
	defer tr.close()
	for i := range 5 {
		if code, body, _ := get(t, tr, "GET", srv.URL+"/x"); code != 200 || body != "hello GET" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		if code, body, _ := get(t, tr, "HEAD", srv.URL+"/x"); code != 200 || body != "" {
			t.Fatalf("HEAD %d: %d %q", i, code, body)
		}
		if code, _, _ := get(t, tr, "GET", srv.URL+"/empty"); code != 204 {
			t.Fatalf("204 %d: %d", i, code)
		}
		code, body, trailer := get(t, tr, "GET", srv.URL+"/chunked")
		if code != 200 || body != "ab" || trailer.Get("X-Sum") != "2" {
			t.Fatalf("chunked %d: %d %q trailer %v", i, code, body, trailer)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential requests used %d connections, want 1", n)
	}
}

func TestH1NotReused(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		_, _ = io.WriteString(w, big)
	}))
	tr := testH1Transport()
	defer tr.close()

	// A body closed before its end takes its connection with it.
	req, _ := http.NewRequest("GET", srv.URL+"/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Body.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, _, _ = get(t, tr, "GET", srv.URL+"/big"); conns.Load() != 2 {
		t.Errorf("after an unfinished body: %d connections, want 2", conns.Load())
	}
	// The target asking to close is obeyed.
	get(t, tr, "GET", srv.URL+"/close")
	get(t, tr, "GET", srv.URL+"/big")
	if n := conns.Load(); n != 3 {
		t.Errorf("after Connection: close: %d connections, want 3", n)
	}
}

func TestH1StaleConnectionRetried(t *testing.T) {
	// The first connection answers once and is then closed by the target, as an idle
	// timeout would; the request sent on it must go again on a new connection.
	addr, conns := scriptedServer(t,
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
		"", // closes the first connection when the second request arrives on it
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo",
	)
	tr := testH1Transport()
	defer tr.close()
	if _, body, _ := get(t, tr, "GET", "http://"+addr+"/a"); body != "one" {
		t.Fatalf("first body %q", body)
	}
	if _, body, _ := get(t, tr, "GET", "http://"+addr+"/b"); body != "two" {
		t.Fatalf("second body %q", body)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestH1FreshConnectionFailureNotRetried(t *testing.T) {
	addr, conns := scriptedServer(t, "")
	tr := testH1Transport()
	defer tr.close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/a", nil)
	if _, err := tr.RoundTrip(req); err == nil || classify(err) != failBadResponse {
		t.Fatalf("err = %v, want a bad response", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (a new connection that fails is not retried)", n)
	}
}

func TestH1Interim(t *testing.T) {
	addr, _ := scriptedServer(t,
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n",
	)
	tr := testH1Transport()
	defer tr.close()
	if code, body, _ := get(t, tr, "GET", "http://"+addr+"/"); code != 200 || body != "ok" {
		t.Fatalf("got %d %q, want the final 200", code, body)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "switched protocols") {
		t.Fatalf("an unasked-for 101: err = %v", err)
	}
}

func TestH1CloseDelimited(t *testing.T) {
	addr, conns := scriptedServer(t,
		"HTTP/1.0 200 OK\r\n\r\nuntil the end"+closeAfter,
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	)
	tr := testH1Transport()
	defer tr.close()
	if _, body, _ := get(t, tr, "GET", "http://"+addr+"/"); body != "until the end" {
		t.Fatalf("body %q", body)
	}
	if _, body, _ := get(t, tr, "GET", "http://"+addr+"/"); body != "ok" {
		t.Fatalf("body %q", body)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestH1Timeouts(t *testing.T) {
	release := make(chan struct{})
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, "done")
	}))
	defer close(release)
	tr := testH1Transport()
	tr.readTimeout = 50 * time.Millisecond
	defer tr.close()
	req, _ := http.NewRequest("GET", srv.URL+"/slow", nil)
	_, err := tr.RoundTrip(req)
	if err == nil || classify(err) != failReadTimeout {
		t.Fatalf("err = %v, want a read timeout", err)
	}

	// A cancelled context aborts the exchange and gives its error.
	tr.readTimeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	before := conns.Load()
	if _, body, _ := get(t, tr, "GET", srv.URL+"/fast"); body != "done" {
		t.Fatalf("after the timeouts: %q", body)
	}
	if conns.Load() != before+1 {
		t.Errorf("an aborted connection went back to the pool")
	}
}

func TestH1CloseIdle(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "x")
	}))
	tr := testH1Transport()
	get(t, tr, "GET", srv.URL)
	tr.CloseIdleConnections()
	get(t, tr, "GET", srv.URL)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 after CloseIdleConnections", n)
	}
	tr.close()
	get(t, tr, "GET", srv.URL)
	tr.mu.Lock()
	idle := 0
	for _, list := range tr.idle {
		idle += len(list)
	}
	tr.mu.Unlock()
	if idle != 0 {
		t.Errorf("a closed transport pooled a connection")
	}
}

func TestH1ConcurrentLoad(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	tr := testH1Transport()
	defer tr.close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				path := "/" + strings.Repeat("g", g+1) + strings.Repeat("i", i%3+1)
				if _, body, _ := get(t, tr, "GET", srv.URL+path); body != path {
					t.Errorf("got %q for %q: a response went to the wrong request", body, path)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 8+4 {
		t.Errorf("%d connections for 8 concurrent clients", n)
	}
}

func TestWriteRequestHead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     func() *http.Request
		want    []string // lines that must appear, in any order after the request line
		absent  []string
		wantErr string
	}{
		{
			name: "plain",
			req: func() *http.Request {
				r, _ := http.NewRequest("GET", "http://up.example:8080/a%2Fb?x=1", nil)
				r.Header.Set("Accept", " application/json ")
				r.Header.Set("User-Agent", "")
				return r
			},
			want:   []string{"GET /a%2Fb?x=1 HTTP/1.1", "Host: up.example:8080", "Accept: application/json"},
			absent: []string{"User-Agent", "Content-Length", "Connection"},
		},
		{
			name: "host header wins and close",
			req: func() *http.Request {
				r, _ := http.NewRequest("DELETE", "http://10.0.0.1/x", nil)
				r.Host = "api.example"
				r.Close = true
				r.Header.Set("User-Agent", "curl/8")
				return r
			},
			want: []string{"DELETE /x HTTP/1.1", "Host: api.example", "Connection: close", "User-Agent: curl/8"},
		},
		{
			name: "international host",
			req: func() *http.Request {
				r, _ := http.NewRequest("GET", "http://bücher.example/", nil)
				return r
			},
			want: []string{"Host: xn--bcher-kva.example"},
		},
		{
			name: "header injection",
			req: func() *http.Request {
				r, _ := http.NewRequest("GET", "http://h/", nil)
				r.Header["X-Evil"] = []string{"a\r\nX-Injected: 1"}
				return r
			},
			wantErr: "invalid header field value",
		},
		{
			name: "bad field name",
			req: func() *http.Request {
				r, _ := http.NewRequest("GET", "http://h/", nil)
				r.Header["Bad Name"] = []string{"1"}
				return r
			},
			wantErr: "invalid header field name",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf strings.Builder
			bw := bufio.NewWriter(&buf)
			err := writeRequestHead(bw, tc.req())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_ = bw.Flush()
			head := buf.String()
			if !strings.HasSuffix(head, "\r\n\r\n") {
				t.Fatalf("head does not end with an empty line: %q", head)
			}
			lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
			if lines[0] != tc.want[0] && strings.HasPrefix(tc.want[0], tc.req().Method) {
				t.Errorf("request line %q, want %q", lines[0], tc.want[0])
			}
			for _, w := range tc.want {
				if !slices.Contains(lines, w) {
					t.Errorf("missing %q in %q", w, lines)
				}
			}
			for _, a := range tc.absent {
				for _, l := range lines {
					if strings.HasPrefix(l, a+":") {
						t.Errorf("unexpected %q", l)
					}
				}
			}
			// What was written parses as the request it came from.
			parsed, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
			if err != nil {
				t.Fatalf("written head does not parse: %v", err)
			}
			if parsed.Method != tc.req().Method {
				t.Errorf("method %q", parsed.Method)
			}
		})
	}
}
