package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/gantry-dev/gantry/embedded-gateway/rawsock"
)

// h1Transport sends bodiless idempotent requests to plain-HTTP targets over pooled
// HTTP/1.1 keep-alive connections, writing the request and reading the response on the
// calling goroutine. net/http's Transport hands every request to a write goroutine and
// every response over from a read goroutine; for a gateway on few cores those hand-offs
// cost as much as the proxying itself. Everything else (https targets, request bodies,
// other methods, protocol upgrades, Expect: 100-continue) goes to the wrapped Transport,
// which knows how to stream a body while a response arrives.
//
// What net/http's Transport does that matters here, it does too: a connection is reused
// only after its response was read to the end and neither side asked to close; a
// connection the target closed while idle is noticed on use and the request sent again
// on a new one (safe: the methods it takes are idempotent); 1xx interim responses are
// skipped; the response header must arrive within readTimeout; a cancelled request
// context aborts the exchange and the connection.
type h1Transport struct {
	fallback    *http.Transport
	dialer      *net.Dialer
	readTimeout time.Duration
	idleTimeout time.Duration
	maxIdle     int // per host

	mu     sync.Mutex
	idle   map[string][]*h1Conn // by host:port, most recently used last
	closed bool
}

// h1Conn is one upstream connection with its buffers.
type h1Conn struct {
	nc        net.Conn
	host      string
	br        *bufio.Reader
	bw        *bufio.Writer
	rr        respReader
	idleSince time.Time
}

// aLongTimeAgo is a deadline in the past: setting it aborts blocked reads and writes.
var aLongTimeAgo = time.Unix(1, 0)

func newH1Transport(fallback *http.Transport, d *net.Dialer, readTimeout time.Duration, maxIdle int) *h1Transport {
	return &h1Transport{
		fallback:    fallback,
		dialer:      d,
		readTimeout: readTimeout,
		idleTimeout: fallback.IdleConnTimeout,
		maxIdle:     maxIdle,
		idle:        make(map[string][]*h1Conn),
	}
}

// eligible reports whether req takes the direct path.
func (t *h1Transport) eligible(req *http.Request) bool {
	return req.URL.Scheme == "http" && plainBodiless(req)
}

// plainBodiless reports whether r is a GET, HEAD, OPTIONS or DELETE without a body, an
// upgrade, Expect, trailers or a transfer coding: a request whose head is all there is.
func plainBodiless(r *http.Request) bool {
	if (r.Body != nil && r.Body != http.NoBody) || r.ContentLength != 0 {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete:
	default:
		return false
	}
	h := r.Header
	return len(h["Upgrade"]) == 0 && len(h["Expect"]) == 0 && len(r.Trailer) == 0 && len(r.TransferEncoding) == 0
}

// RoundTrip sends req and returns the response, whose body must be closed.
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.eligible(req) {
		return t.fallback.RoundTrip(req)
	}
	return t.do(req.Context(), hostPort(req.URL), req, req.Close, func(w *bufio.Writer) error {
		return writeRequestHead(w, req)
	})
}

// do sends a bodiless request, whose head writeHead writes, to host (host:port) over an
// idle connection or a new one, and returns the response, whose body must be closed. req
// tells the method the response answers (a HEAD's has no body) and becomes the response's
// Request; closing says the request asked to close the connection afterwards.
func (t *h1Transport) do(ctx context.Context, host string, req *http.Request, closing bool, writeHead func(*bufio.Writer) error) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(ctx, host)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(ctx, c, req, closing, writeHead)
		if err == nil {
			return resp, nil
		}
		c.nc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if reused && attempt == 0 && staleConn(err) {
			continue // the target closed the connection while it was idle
		}
		return nil, err
	}
}

// hostPort returns u's host and port, the scheme's default port when u names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// staleConn reports whether err is what writing to or reading from a connection the peer
// has closed gives before any response byte arrived.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// get returns an idle connection to host, or dials one; reused tells which.
func (t *h1Transport) get(ctx context.Context, host string) (*h1Conn, bool, error) {
	now := time.Now()
	var expired []*h1Conn
	t.mu.Lock()
	list := t.idle[host]
	var c *h1Conn
	for len(list) > 0 {
		last := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		if t.idleTimeout > 0 && now.Sub(last.idleSince) > t.idleTimeout {
			expired = append(expired, last)
			continue
		}
		c = last
		break
	}
	t.idle[host] = list
	t.mu.Unlock()
	for _, e := range expired {
		e.nc.Close()
	}
	if c != nil {
		return c, true, nil
	}
	nc, err := t.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, false, err
	}
	sock := rawsock.Wrap(nc)
	return &h1Conn{nc: nc, host: host, br: bufio.NewReaderSize(sock, 4<<10), bw: bufio.NewWriterSize(sock, 4<<10)}, false, nil
}

// put returns c to the idle pool, or closes it when the pool is full or closed.
func (t *h1Transport) put(c *h1Conn) {
	c.idleSince = time.Now()
	t.mu.Lock()
	if !t.closed && len(t.idle[c.host]) < t.maxIdle {
		t.idle[c.host] = append(t.idle[c.host], c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	c.nc.Close()
}

// CloseIdleConnections closes the idle connections of both paths. Later requests dial anew.
func (t *h1Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*h1Conn)
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.nc.Close()
		}
	}
	t.fallback.CloseIdleConnections()
}

// close closes the idle connections and makes the pool keep no more.
func (t *h1Transport) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.CloseIdleConnections()
}

// exchange writes a request head on c and reads the response header. On success the
// response's body owns c: it returns c to the pool once read to the end, or closes it.
func (t *h1Transport) exchange(ctx context.Context, c *h1Conn, req *http.Request, closing bool, writeHead func(*bufio.Writer) error) (*http.Response, error) {
	// A cancelled context aborts whatever c is blocked on, until the body is done with c.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(aLongTimeAgo) })
	if err := writeHead(c.bw); err != nil {
		stop()
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		stop()
		return nil, err
	}
	if t.readTimeout > 0 {
		if err := c.nc.SetReadDeadline(time.Now().Add(t.readTimeout)); err != nil {
			stop()
			return nil, err
		}
	}
	var resp *http.Response
	for {
		r, err := c.rr.read(c.br, req)
		if err != nil {
			stop()
			return nil, err
		}
		if r.StatusCode >= 100 && r.StatusCode < 200 {
			if r.StatusCode == http.StatusSwitchingProtocols {
				stop()
				return nil, fmt.Errorf("proxy: target switched protocols on a request that asked for no upgrade")
			}
			continue // interim response; the final one follows
		}
		resp = r
		break
	}
	if t.readTimeout > 0 {
		if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
			stop()
			return nil, err
		}
	}
	keep := !resp.Close && !closing
	if resp.Body == http.NoBody || resp.Body == nil {
		t.release(c, stop, keep)
		return resp, nil
	}
	resp.Body = &h1Body{t: t, c: c, rc: resp.Body, stop: stop, keep: keep}
	return resp, nil
}

// release hands c back to the pool when the exchange ended cleanly and the context's
// abort did not fire, and closes it otherwise.
func (t *h1Transport) release(c *h1Conn, stop func() bool, keep bool) {
	if stop() && keep {
		t.put(c)
		return
	}
	c.nc.Close()
}

// h1Body is a response body that gives its connection back when read to the end.
type h1Body struct {
	t    *h1Transport
	c    *h1Conn
	rc   io.ReadCloser
	stop func() bool
	keep bool
	done atomic.Bool // the connection was released or closed
}

// Read reads the body; at its end the connection goes back to the pool.
func (b *h1Body) Read(p []byte) (int, error) {
	if b.done.Load() {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF && b.done.CompareAndSwap(false, true) {
		b.t.release(b.c, b.stop, b.keep)
	}
	return n, err
}

// Close ends the exchange. A body not read to its end takes its connection with it: what
// is left on the wire could be anything up to the whole body.
func (b *h1Body) Close() error {
	if b.done.CompareAndSwap(false, true) {
		b.stop()
		b.c.nc.Close()
	}
	return nil
}

// writeRequestLine writes the request line of an HTTP/1.1 request and its Host field,
// the host made ASCII (punycode) and refused when invalid, as net/http's Transport does.
func writeRequestLine(w *bufio.Writer, method, uri, host string) error {
	if !isASCII(host) {
		h, err := httpguts.PunycodeHostPort(host)
		if err != nil {
			return err
		}
		host = h
	}
	if !httpguts.ValidHostHeader(host) {
		return fmt.Errorf("proxy: invalid Host %q", host)
	}
	_, _ = w.WriteString(method)
	_ = w.WriteByte(' ')
	_, _ = w.WriteString(uri)
	_, _ = w.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = w.WriteString(host)
	_, _ = w.WriteString("\r\n")
	return nil
}

// writeRequestHead writes the head of a bodiless HTTP/1.1 request: what Request.Write
// writes for one, without sorting the header fields, and refusing an invalid field name
// or value as net/http's Transport does. Host comes from req.Host, else the URL; a
// missing User-Agent is not replaced by Go's default.
func writeRequestHead(w *bufio.Writer, req *http.Request) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if err := writeRequestLine(w, req.Method, req.URL.RequestURI(), host); err != nil {
		return err
	}
	closing := false
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue // written above, or not for a bodiless request
		}
		if err := writeFields(w, k, vs); err != nil {
			return err
		}
		closing = closing || (k == "Connection" && httpguts.HeaderValuesContainsToken(vs, "close"))
	}
	if req.Close && !closing {
		_, _ = w.WriteString("Connection: close\r\n")
	}
	_, err := w.WriteString("\r\n")
	return err
}

// writeFields writes the field k with each of its values, trimmed, refusing an invalid
// name or value as net/http's Transport does; an empty User-Agent is left out.
func writeFields(w *bufio.Writer, k string, vs []string) error {
	if !httpguts.ValidHeaderFieldName(k) {
		return fmt.Errorf("proxy: invalid header field name %q", k)
	}
	for _, v := range vs {
		if !httpguts.ValidHeaderFieldValue(v) {
			return fmt.Errorf("proxy: invalid header field value for %q", k)
		}
		if v == "" && k == "User-Agent" {
			continue // an empty User-Agent means none
		}
		writeField(w, k, textproto.TrimString(v))
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// idleCount returns how many idle connections the pool holds.
func (t *h1Transport) idleCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, list := range t.idle {
		n += len(list)
	}
	return n
}
