package h1server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// ioTimeout bounds every blocking step of a test, so that a bug fails the test instead of
// hanging it; nothing is asserted about how fast anything is.
const ioTimeout = 10 * time.Second

// testServer is a Server on a loopback listener.
type testServer struct {
	*Server
	addr    string
	serveCh chan error
	logs    *logBuffer
}

// startServer serves s on 127.0.0.1 until the test ends. A nil Logger is replaced by one
// that records, so tests can look at what the server logged.
func startServer(t testing.TB, s *Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, addr: ln.Addr().String(), serveCh: make(chan error, 1)}
	if s.Logger == nil {
		ts.logs = &logBuffer{}
		s.Logger = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	go func() { ts.serveCh <- s.Serve(ln) }()
	t.Cleanup(func() {
		_ = s.Close()
		select {
		case err := <-ts.serveCh:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
			ts.serveCh <- err
		case <-time.After(ioTimeout):
			t.Errorf("Serve did not return after Close")
		}
	})
	return ts
}

// serveErr waits for Serve to return.
func (ts *testServer) serveErr(t testing.TB) error {
	t.Helper()
	select {
	case err := <-ts.serveCh:
		ts.serveCh <- err
		return err
	case <-time.After(ioTimeout):
		t.Fatal("Serve did not return")
		return nil
	}
}

// startStd serves h with net/http on 127.0.0.1 until the test ends.
func startStd(t testing.TB, s *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ErrorLog = nil
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String()
}

// logBuffer is an io.Writer safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dial opens a raw connection with a deadline of ioTimeout.
func dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	return c.(*net.TCPConn)
}

// exchange sends raw bytes, ends the sending side and returns everything the server sent
// until it closed the connection.
func exchange(t testing.TB, addr, raw string) []byte {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	_ = c.CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("reading the responses: %v (after %q)", err, out)
	}
	return out
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// rawResponse is one response read off a connection.
type rawResponse struct {
	status  int
	header  http.Header
	body    []byte
	trailer http.Header
	interim []int // the 1xx statuses before it
	bodyErr error
	close   bool // the response said Connection: close (http.ReadResponse removes the field)
}

// parseResponses splits what a server sent into responses.
func parseResponses(t testing.TB, out []byte) []rawResponse {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	var rs []rawResponse
	var interim []int
	for {
		if _, err := br.Peek(1); err != nil {
			break
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d unreadable: %v in %q", len(rs)+1, err, out)
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 {
			interim = append(interim, resp.StatusCode)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		rs = append(rs, rawResponse{status: resp.StatusCode, header: resp.Header, body: body,
			trailer: resp.Trailer, interim: interim, bodyErr: err, close: resp.Close})
		interim = nil
		if err != nil {
			break
		}
	}
	return rs
}

// readResponse reads one response from a raw connection's reader.
func readResponse(t testing.TB, br *bufio.Reader, method string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading a response body: %v", err)
	}
	return resp, body
}

// expectClosed waits for the server to close c.
func expectClosed(t testing.TB, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	var r io.Reader = c
	if br != nil {
		r = br
	}
	extra, err := io.ReadAll(r)
	if err != nil && !isReset(err) {
		t.Fatalf("waiting for the server to close the connection: %v", err)
	}
	if len(extra) > 0 {
		t.Fatalf("unexpected bytes before the close: %q", extra)
	}
}

// waitFor waits for ch to be closed or to deliver, failing the test after ioTimeout.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ioTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
