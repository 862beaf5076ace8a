package proxy

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// echoed is what the echo upstream saw of a request.
type echoed struct {
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawPath  string      `json:"rawPath"`
	RawQuery string      `json:"rawQuery"`
	Host     string      `json:"host"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body"`
}

// echoHandler answers with the request it received, as JSON.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echoed{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Host: r.Host, Header: r.Header, Body: string(body),
	})
}

// newServer starts an httptest server on 127.0.0.1, closed when the test ends.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newProxy builds a Proxy that is closed when the test ends.
func newProxy(t testing.TB, u Upstream, opts Options) *Proxy {
	t.Helper()
	p, err := New(u, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// refusedURL returns an http URL of a local port nobody listens on.
func refusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// serve runs r through h and returns the recorded response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func decodeEcho(t testing.TB, rec *httptest.ResponseRecorder) echoed {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
	var e echoed
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("echo body: %v: %s", err, rec.Body)
	}
	return e
}

// problemDoc is the part of a problem document the tests look at.
type problemDoc struct {
	Type     string `json:"type"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Upstream string `json:"upstream"`
	Target   string `json:"target"`
}

func decodeProblem(t testing.TB, status int, header http.Header, body []byte) problemDoc {
	t.Helper()
	if ct := header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("status %d with content type %q, want a problem: %s", status, ct, body)
	}
	var d problemDoc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("problem body: %v: %s", err, body)
	}
	if d.Status != status {
		t.Fatalf("problem status %d, response status %d", d.Status, status)
	}
	return d
}

func slugOf(d problemDoc) string { return strings.TrimPrefix(d.Type, problem.TypeBase) }

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a settable clock for the circuit breaker.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// client is an HTTP client with a bound on every request.
var client = &http.Client{Timeout: 10 * time.Second}
