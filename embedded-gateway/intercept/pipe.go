package intercept

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// errAborted ends the body of a response whose handler failed after it started answering,
// so that the client sees a truncated response rather than a complete-looking one.
var errAborted = errors.New("intercept: the handler failed while writing the response")

// pipeWriter is an http.ResponseWriter that turns what a handler writes into an
// *http.Response whose body streams through a pipe: the response is handed over when the
// handler writes its header, and each Write blocks until the reader has taken the bytes,
// so nothing is buffered beyond one write. It lets the handlers that serve plain proxy
// requests also serve the requests goproxy decrypts, which it answers from a response.
//
// The ResponseWriter methods are called from the handler's goroutine only; response is
// called from another, once.
type pipeWriter struct {
	req    *http.Request
	header http.Header
	pr     *io.PipeReader
	pw     *io.PipeWriter
	head   chan *http.Response // receives exactly one response

	sent     bool // the response head was handed over
	bodyless bool // the response has no body (HEAD, 204, 304)
	hijacked bool // the handler took the connection over to switch protocols
}

func newPipeWriter(req *http.Request) *pipeWriter {
	pr, pw := io.Pipe()
	return &pipeWriter{req: req, header: http.Header{}, pr: pr, pw: pw, head: make(chan *http.Response, 1)}
}

// response waits for the handler's response head.
func (w *pipeWriter) response() *http.Response { return <-w.head }

// Header returns the header map the handler fills before WriteHeader.
func (w *pipeWriter) Header() http.Header { return w.header }

// WriteHeader hands the response over. Informational statuses are not relayed (goproxy
// answers Expect: 100-continue itself), and 101 waits for the handler to hijack.
func (w *pipeWriter) WriteHeader(code int) {
	if w.sent || w.hijacked || code < 200 {
		return
	}
	if code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	w.sent = true
	h := w.header.Clone()
	h.Del("Trailer") // trailers are not relayed to intercepted clients
	resp := &http.Response{
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          w.pr,
		ContentLength: -1,
		Request:       w.req,
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	if w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified {
		w.bodyless = true
		resp.Body = http.NoBody
		if code == http.StatusNoContent || code == http.StatusNotModified {
			resp.ContentLength = 0
		}
	}
	w.head <- resp
}

// Write streams b to the reader of the response body, blocking until it is read.
func (w *pipeWriter) Write(b []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	if w.bodyless {
		return 0, http.ErrBodyNotAllowed
	}
	return w.pw.Write(b)
}

// Flush hands the response head over if it has not been; the pipe holds no data to flush.
func (w *pipeWriter) Flush() {
	if !w.sent && !w.hijacked {
		w.WriteHeader(http.StatusOK)
	}
}

// Hijack gives the handler a connection to write a protocol switch on (as
// httputil.ReverseProxy does for WebSocket upgrades). The response head the handler
// writes there is parsed and handed over with a body that reads and writes the rest of
// the connection, which goproxy relays to the client.
func (w *pipeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.sent || w.hijacked {
		return nil, nil, errors.New("intercept: cannot hijack after the response started")
	}
	w.hijacked = true
	ours, theirs := net.Pipe()
	go func() {
		br := bufio.NewReader(theirs)
		resp, err := http.ReadResponse(br, w.req)
		if err != nil {
			theirs.Close()
			w.head <- problemResponse(problem.New(http.StatusBadGateway, SlugBadGateway,
				fmt.Sprintf("Switching protocols with %s failed: %v", w.req.URL.Host, err)))
			return
		}
		resp.Body = upgradedBody{r: br, c: theirs}
		w.head <- resp
	}()
	return ours, bufio.NewReadWriter(bufio.NewReader(ours), bufio.NewWriter(ours)), nil
}

// finish ends the response once the handler has returned. If the handler failed
// (panicked) before answering, the client gets problem d; if it failed while answering,
// the body ends with an error so the client sees it truncated.
func (w *pipeWriter) finish(failed bool, d *problem.Details) {
	if failed && w.sent {
		w.pw.CloseWithError(errAborted)
		return
	}
	if !w.sent && !w.hijacked {
		if failed {
			clear(w.header)
			problem.Write(w, w.req, d)
		} else {
			w.WriteHeader(http.StatusOK)
		}
	}
	w.pw.Close()
}

// upgradedBody is the body of a 101 response: the switched connection.
type upgradedBody struct {
	r *bufio.Reader // the connection, after the response head
	c net.Conn
}

func (b upgradedBody) Read(p []byte) (int, error)  { return b.r.Read(p) }
func (b upgradedBody) Write(p []byte) (int, error) { return b.c.Write(p) }
func (b upgradedBody) Close() error                { return b.c.Close() }

var (
	_ http.Flusher  = (*pipeWriter)(nil)
	_ http.Hijacker = (*pipeWriter)(nil)
)
