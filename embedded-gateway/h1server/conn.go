package h1server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/rawsock"
)

// Connection states, for Shutdown: only an idle connection may be closed under a client.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
	stateHijacked
)

// Disconnect-watch states of the request in flight.
const (
	watchOff = iota
	watchArmed
	watchAwaitBody // the check came while the handler was still reading the body
	watchRunning
	watchDone
)

// aLongTimeAgo is a deadline in the past, to interrupt a pending read.
var aLongTimeAgo = time.Unix(1, 0)

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

// conn is one client connection and the state of the request it serves.
type conn struct {
	srv        *Server
	rwc        net.Conn
	remoteAddr string
	ctx        context.Context
	cancel     context.CancelFunc
	br         *bufio.Reader
	bw         *bufio.Writer
	state      atomic.Int32
	p          parser
	served     int
	linger     bool     // the client may still be sending: close gently
	scratch    []byte   // a response's held body
	keys       []string // header names being sorted
	extras     []field  // the header fields a response's server adds

	// The disconnect watch of the request in flight.
	wmu         sync.Mutex
	wstate      int
	wtimer      *time.Timer
	wdone       chan struct{}
	wcancel     context.CancelFunc
	wclientGone atomic.Bool
	wbody       *body
}

func newConn(s *Server, nc net.Conn, base context.Context) *conn {
	c := &conn{srv: s, rwc: nc, remoteAddr: nc.RemoteAddr().String(), scratch: make([]byte, 0, bufferLimit)}
	c.ctx, c.cancel = context.WithCancel(context.WithValue(base, http.LocalAddrContextKey, nc.LocalAddr()))
	return c
}

// closeIfIdle closes the connection if it waits for a request and reports whether it did.
func (c *conn) closeIfIdle() bool {
	if c.state.CompareAndSwap(stateIdle, stateClosed) {
		_ = c.rwc.Close()
		return true
	}
	st := c.state.Load()
	return st == stateClosed || st == stateHijacked
}

// serve reads requests until the client or the server ends the connection.
func (c *conn) serve() {
	sock := rawsock.Wrap(c.rwc)
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(sock)
	c.bw = writerPool.Get().(*bufio.Writer)
	c.bw.Reset(sock)
	defer func() {
		c.cancel()
		if c.wtimer != nil {
			c.wtimer.Stop()
		}
		hijacked := c.state.Load() == stateHijacked
		if !hijacked {
			c.state.Store(stateClosed)
			if c.linger {
				c.lingerClose()
			}
			_ = c.rwc.Close()
			c.br.Reset(nil)
			readerPool.Put(c.br)
			c.bw.Reset(nil)
			writerPool.Put(c.bw)
		}
		c.srv.track(c, false)
	}()
	for {
		if !c.awaitRequest() {
			return
		}
		if !c.serveOne() {
			return
		}
		c.served++
		if !c.state.CompareAndSwap(stateActive, stateIdle) || c.srv.closing.Load() {
			return
		}
	}
}

// awaitRequest waits for the first byte of the next request and marks the connection
// active; false means the connection is done (idle timeout, client gone, shutdown).
func (c *conn) awaitRequest() bool {
	if c.br.Buffered() == 0 {
		wait := c.srv.idleTimeout()
		if c.served == 0 {
			wait = c.srv.readHeaderTimeout()
		}
		_ = c.rwc.SetReadDeadline(time.Now().Add(wait))
		if _, err := c.br.Peek(1); err != nil {
			return false
		}
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return false
	}
	if c.served > 0 || c.br.Buffered() > 0 {
		_ = c.rwc.SetReadDeadline(time.Now().Add(c.srv.readHeaderTimeout()))
	}
	return true
}

// serveOne reads one request, runs the handler and finishes the response; false means the
// connection must not serve another request.
func (c *conn) serveOne() (keep bool) {
	start := time.Now()
	req, b, perr := c.p.readRequest(c.br, c.srv.maxHeaderBytes())
	if perr != nil {
		c.refuse(perr)
		return false
	}
	if e := req.Header["Expect"]; len(e) > 0 {
		if len(e) != 1 || !asciiEqualFold(e[0], "100-continue") {
			c.refuse(&protocolError{status: http.StatusExpectationFailed,
				detail: fmt.Sprintf("The expectation %q is not supported; only 100-continue is.", strings.Join(e, ", "))})
			return false
		}
		if b != nil && req.ProtoAtLeast(1, 1) {
			b.expect = true
		}
	}
	if b != nil || c.srv.ReadTimeout > 0 {
		var d time.Time
		if c.srv.ReadTimeout > 0 {
			d = start.Add(c.srv.ReadTimeout)
		}
		_ = c.rwc.SetReadDeadline(d)
	}
	if c.srv.WriteTimeout > 0 {
		_ = c.rwc.SetWriteDeadline(start.Add(c.srv.WriteTimeout))
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	req = req.WithContext(ctx)
	req.RemoteAddr = c.remoteAddr
	w := &response{c: c, req: req, header: make(http.Header, 8), contentLength: -1, body: b}
	if b != nil {
		b.w = w
		b.req = req // trailers go to the request the handler has
		req.Body = b
	} else {
		req.Body = http.NoBody
	}
	w.closeAfter = req.Close
	c.armWatch(cancel, b)
	h := c.srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	if req.RequestURI == "*" && req.Method == http.MethodOptions {
		h = optionsHandler{}
	}
	handled := c.runHandler(h, w, req)
	c.stopWatch()
	if c.state.Load() == stateHijacked {
		return false
	}
	if !handled {
		return false
	}
	if err := w.finish(); err != nil {
		return false
	}
	if w.closeAfter || c.wclientGone.Load() {
		c.linger = b != nil && !b.done()
		return false
	}
	if b != nil && !b.done() {
		// Skip what the handler left of the body, which must come about as fast as a
		// header section would, to read the next request.
		if c.srv.ReadTimeout <= 0 {
			_ = c.rwc.SetReadDeadline(time.Now().Add(c.srv.readHeaderTimeout()))
		}
		if !b.drain() {
			c.linger = true
			return false
		}
	}
	return true
}

// runHandler calls the handler and reports whether it returned normally; a panic is logged
// (unless it is http.ErrAbortHandler) and ends the connection, as in net/http.
func (c *conn) runHandler(h http.Handler, w *response, req *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				buf := make([]byte, 16<<10)
				buf = buf[:runtime.Stack(buf, false)]
				c.srv.logger().Error("panic serving a request", "remote", c.remoteAddr,
					"method", req.Method, "uri", req.RequestURI, "panic", fmt.Sprint(p), "stack", string(buf))
			}
			ok = false
		}
	}()
	h.ServeHTTP(w, req)
	return true
}

// optionsHandler answers "OPTIONS *", a question about the server rather than a resource,
// as net/http does unless told otherwise: 200 with no content.
type optionsHandler struct{}

func (optionsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		// A body is reserved for future use: read a little, refuse the rest.
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10))
	}
}

// refuse answers a request that could not be read, when that is still possible, and the
// caller then closes the connection.
func (c *conn) refuse(err error) {
	var pe *protocolError
	if !errors.As(err, &pe) {
		// Timeouts, resets and EOFs mid-request: nobody to answer.
		c.srv.logger().Debug("reading a request failed", "remote", c.remoteAddr, "err", err)
		return
	}
	c.srv.logger().Debug("refused a request", "remote", c.remoteAddr, "status", pe.status, "detail", pe.detail)
	_ = c.rwc.SetWriteDeadline(time.Now().Add(time.Second))
	body := problemBody(pe.status, pe.detail)
	fmt.Fprintf(c.bw, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\nConnection: close\r\nDate: %s\r\n\r\n",
		pe.status, http.StatusText(pe.status), len(body), httpDate())
	_, _ = c.bw.Write(body)
	_ = c.bw.Flush()
	c.linger = true
}

// lingerClose lets the client read the last response before the close: closing a socket
// with unread input resets the connection, and the reset can destroy the response in the
// client's buffers. So stop sending, then discard what the client still sends, for a
// moment and up to a limit.
func (c *conn) lingerClose() {
	tc, ok := c.rwc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	_ = tc.CloseWrite()
	_ = c.rwc.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.rwc, 256<<10))
}

// armWatch prepares the disconnect watch of a request: if the handler is still running
// after the server's DisconnectCheck, a read on the connection notices the client leaving
// and cancels the request's context.
func (c *conn) armWatch(cancel context.CancelFunc, b *body) {
	c.wmu.Lock()
	c.wstate = watchArmed
	c.wcancel = cancel
	c.wbody = b
	if c.wtimer == nil {
		c.wdone = make(chan struct{}, 1)
		c.wtimer = time.AfterFunc(c.srv.disconnectCheck(), c.watch)
	} else {
		c.wtimer.Reset(c.srv.disconnectCheck())
	}
	c.wmu.Unlock()
}

// watch runs on the timer's goroutine: it reads from the connection until the request
// ends (stopWatch interrupts it) or the client goes away.
func (c *conn) watch() {
	c.wmu.Lock()
	if c.wstate == watchArmed && c.wbody != nil && !c.wbody.done() {
		// The handler still reads the body, and a read error tells it if the client goes;
		// bodyDone starts the watch at the body's end, as net/http does.
		c.wstate = watchAwaitBody
		c.wmu.Unlock()
		return
	}
	if c.wstate != watchArmed || c.br.Buffered() > 0 {
		// Done already, or the next request is already here (so the client has not gone).
		c.wmu.Unlock()
		return
	}
	c.wstate = watchRunning
	_ = c.rwc.SetReadDeadline(time.Time{})
	cancel := c.wcancel
	c.wmu.Unlock()
	_, err := c.br.Peek(1)
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		c.wclientGone.Store(true)
		cancel()
	}
	c.wmu.Lock()
	c.wstate = watchDone
	c.wmu.Unlock()
	c.wdone <- struct{}{}
}

// bodyDone is called when the handler has read the request's body to its end: if the
// handler has been running longer than the disconnect check, the watch starts now.
func (c *conn) bodyDone() {
	c.wmu.Lock()
	if c.wstate == watchAwaitBody {
		c.wstate = watchArmed
		c.wtimer.Reset(0)
	}
	c.wmu.Unlock()
}

// stopWatch ends the disconnect watch once the handler has returned.
func (c *conn) stopWatch() {
	c.wmu.Lock()
	st := c.wstate
	c.wstate = watchOff
	c.wcancel = nil
	c.wbody = nil
	switch st {
	case watchArmed, watchAwaitBody:
		c.wtimer.Stop()
		c.wmu.Unlock()
		return
	case watchRunning:
		_ = c.rwc.SetReadDeadline(aLongTimeAgo)
	}
	c.wmu.Unlock()
	if st == watchRunning || st == watchDone {
		<-c.wdone
	}
}
