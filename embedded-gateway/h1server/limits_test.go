package h1server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func okHandler(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	_, _ = io.WriteString(w, "ok")
}

// checkServing makes a normal request on a new connection.
func checkServing(t testing.TB, addr string) {
	t.Helper()
	resp, body := get(t, newClient(t), "http://"+addr+"/")
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("normal request: %d %q", resp.StatusCode, body)
	}
}

// trickle writes s a byte at a time every gap until it is sent or a write fails, and
// reports how many bytes went out.
func trickle(c net.Conn, s string, gap time.Duration) <-chan int {
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for i := range len(s) {
			if _, err := c.Write([]byte{s[i]}); err != nil {
				return
			}
			n++
			time.Sleep(gap)
		}
	}()
	return sent
}

func TestSlowloris(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(okHandler), ReadHeaderTimeout: 200 * time.Millisecond})
	for _, head := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: slow-client\r\nAccept: */*\r\n\r\n",
		// The second request of a connection gets the same treatment.
		"",
	} {
		c := dial(t, ts.addr)
		br := bufio.NewReader(c)
		if head == "" {
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			if resp, _ := readResponse(t, br, "GET"); resp.StatusCode != 200 {
				t.Fatalf("first request: %d", resp.StatusCode)
			}
			head = "GET /second HTTP/1.1\r\nHost: h\r\nUser-Agent: slow-client\r\nAccept: */*\r\n\r\n"
		}
		sent := trickle(c, head, 50*time.Millisecond)
		// Others are served meanwhile.
		checkServing(t, ts.addr)
		got, err := io.ReadAll(br)
		if err != nil && !isReset(err) {
			t.Fatalf("waiting for the close: %v", err)
		}
		if len(got) > 0 {
			t.Errorf("the slow client got an answer: %q", got)
		}
		_ = c.Close()
		if n := waitFor(t, sent, "the writer"); n == len(head) {
			t.Errorf("the whole header went out before the server gave up")
		}
	}
	checkServing(t, ts.addr)
}

func TestSilentClientTimesOut(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(okHandler), ReadHeaderTimeout: 100 * time.Millisecond})
	c := dial(t, ts.addr)
	expectClosed(t, c, nil)
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(okHandler), IdleTimeout: 100 * time.Millisecond})
	c, br := sendRaw(t, ts.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := readResponse(t, br, "GET"); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("%d close=%v", resp.StatusCode, resp.Close)
	}
	// Nothing more is sent: the server closes the idle connection on its own (the test's
	// own deadline is far longer).
	expectClosed(t, c, br)
	checkServing(t, ts.addr)
}

func TestReadTimeoutBody(t *testing.T) {
	errs := make(chan error, 1)
	ts := startServer(t, &Server{ReadTimeout: 200 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		errs <- err
	})})
	c, _ := sendRaw(t, ts.addr, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
	sent := trickle(c, strings.Repeat("b", 100), 50*time.Millisecond)
	if err := waitFor(t, errs, "the handler"); err == nil {
		t.Error("reading a body slower than ReadTimeout succeeded")
	}
	_ = c.Close()
	waitFor(t, sent, "the writer")
}

func TestWriteTimeout(t *testing.T) {
	errs := make(chan error, 1)
	ts := startServer(t, &Server{WriteTimeout: 200 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/big" {
			okHandler(w, r)
			return
		}
		chunk := make([]byte, 64<<10)
		for range 4096 { // 256 MiB at most: far more than socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	})})
	// The client never reads.
	_, _ = sendRaw(t, ts.addr, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n")
	err := waitFor(t, errs, "the handler")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("writing to a client that does not read: %v, want a timeout", err)
	}
	checkServing(t, ts.addr)
}

func TestMaxHeaderBytes(t *testing.T) {
	const limit = 4 << 10
	ts := startServer(t, &Server{Handler: http.HandlerFunc(okHandler), MaxHeaderBytes: limit})
	under := "GET / HTTP/1.1\r\nHost: h\r\nX-Fill: " + strings.Repeat("f", limit-200) + "\r\n\r\n"
	rs := parseResponses(t, exchange(t, ts.addr, under))
	if len(rs) != 1 || rs[0].status != 200 {
		t.Errorf("a header under the limit: %s", statuses(rs))
	}
	for name, over := range map[string]string{
		"one-field":   "GET / HTTP/1.1\r\nHost: h\r\nX-Fill: " + strings.Repeat("f", limit) + "\r\n\r\n",
		"many-fields": "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Fill: ffffffffffffffffffff\r\n", limit/20) + "\r\n",
		"target":      "GET /" + strings.Repeat("p", limit) + " HTTP/1.1\r\nHost: h\r\n\r\n",
		"huge":        "GET / HTTP/1.1\r\nHost: h\r\nX-Fill: " + strings.Repeat("f", 1<<20) + "\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			rs := parseResponses(t, exchange(t, ts.addr, over))
			if len(rs) != 1 || rs[0].status != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("responses %s", statuses(rs))
			}
			checkProblem(t, rs[0])
			checkServing(t, ts.addr)
		})
	}
}

// TestManyConnections serves concurrent clients, some of them slow or broken, at once.
func TestManyConnections(t *testing.T) {
	ts := startServer(t, &Server{Handler: http.HandlerFunc(okHandler), ReadHeaderTimeout: 200 * time.Millisecond})
	done := make(chan struct{})
	for i := range 40 {
		go func() {
			defer func() { done <- struct{}{} }()
			c, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(ioTimeout))
			switch i % 4 {
			case 0: // silent
				_, _ = io.ReadAll(c)
			case 1: // garbage
				_, _ = io.WriteString(c, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
				_, _ = io.ReadAll(c)
			default: // good keep-alive client
				br := bufio.NewReader(c)
				for range 20 {
					_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Error(err)
						return
					}
					b, _ := io.ReadAll(resp.Body)
					if string(b) != "ok" {
						t.Errorf("got %q", b)
						return
					}
				}
			}
		}()
	}
	for range 40 {
		waitFor(t, done, "a client")
	}
}
