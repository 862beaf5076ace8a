package h1server

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// replayConn is an in-memory connection that delivers the same request n times, then EOF,
// and discards what the server writes.
type replayConn struct {
	req     []byte
	n       int
	off     int
	written int64
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.off == len(c.req) {
		if c.n == 0 {
			return 0, io.EOF
		}
		c.n--
		c.off = 0
	}
	k := copy(p, c.req[c.off:])
	c.off += k
	return k, nil
}

func (c *replayConn) Write(p []byte) (int, error) { c.written += int64(len(p)); return len(p), nil }
func (c *replayConn) Close() error                { return nil }
func (c *replayConn) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *replayConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

const keepAliveGET = "GET /v1/items?id=7 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bench/1.0\r\n" +
	"Accept: application/json\r\nAccept-Encoding: gzip\r\nX-Request-Id: 3f2a9c\r\n\r\n"

var smallJSON = []byte(`{"id":7,"name":"widget"}`)

func smallHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(smallJSON)
}

// serveReplay serves n copies of req on one in-memory connection.
func serveReplay(s *Server, req string, n int) *replayConn {
	rc := &replayConn{req: []byte(req), n: n - 1}
	c := newConn(s, rc, context.Background())
	s.track(c, true)
	c.serve()
	return rc
}

func BenchmarkKeepAliveGET(b *testing.B) {
	s := &Server{Handler: http.HandlerFunc(smallHandler)}
	b.ReportAllocs()
	b.ResetTimer()
	serveReplay(s, keepAliveGET, b.N)
}

// maxAllocsPerGET is what a small keep-alive GET costs: the request and its URL, the header
// map and its strings, the contexts, the response and its header map, the Date and
// Content-Type slices of the handler's header.
const maxAllocsPerGET = 15

// TestKeepAliveGETAllocs guards the hot path: a small keep-alive GET must not gain
// allocations.
func TestKeepAliveGETAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	s := &Server{Handler: http.HandlerFunc(smallHandler)}
	const n = 1000
	serveReplay(s, keepAliveGET, 10) // warm the pools
	perReq := testing.AllocsPerRun(5, func() { serveReplay(s, keepAliveGET, n) }) / n
	t.Logf("%.2f allocations per request", perReq)
	if perReq > maxAllocsPerGET+0.5 {
		t.Errorf("a keep-alive GET costs %.2f allocations, want at most %d", perReq, maxAllocsPerGET)
	}
}
