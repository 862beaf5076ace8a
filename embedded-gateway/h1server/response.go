package h1server

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// bufferLimit is how much body a response holds before it commits to a framing: a handler
// that returns within it gets a Content-Length, a longer one chunked encoding.
const bufferLimit = 4 << 10

// statusLines holds "HTTP/1.x NNN Text\r\n" for every known status code.
var statusLines = func() (t [2][600]string) {
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			t[0][code] = "HTTP/1.0 " + strconv.Itoa(code) + " " + text + "\r\n"
			t[1][code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func statusLine(minor1 bool, code int) string {
	i := 0
	if minor1 {
		i = 1
	}
	if code < 600 && statusLines[i][code] != "" {
		return statusLines[i][code]
	}
	proto := "HTTP/1.0 "
	if minor1 {
		proto = "HTTP/1.1 "
	}
	return proto + strconv.Itoa(code) + " " + cmp.Or(http.StatusText(code), "status code "+strconv.Itoa(code)) + "\r\n"
}

// bodyAllowed reports whether a response with this status may have a body.
func bodyAllowed(code int) bool {
	return !(code >= 100 && code <= 199) && code != http.StatusNoContent && code != http.StatusNotModified
}

// response is the http.ResponseWriter of one request.
type response struct {
	c      *conn
	req    *http.Request
	header http.Header
	body   *body

	mu            sync.Mutex // orders the 100 Continue answer against the final header
	status        int
	wroteHeader   bool // the handler chose the final status
	committed     bool // the status line and fields are in the write buffer
	contentLength int64
	written       int64
	buf           []byte
	chunked       bool
	closeAfter    bool
	hijacked      bool
}

// Header returns the response's header fields, which WriteHeader or the first Write sends.
func (w *response) Header() http.Header { return w.header }

// WriteHeader sends an informational status at once, or sets the final status.
func (w *response) WriteHeader(code int) {
	if w.hijacked {
		w.c.srv.logger().Debug("WriteHeader on a hijacked connection", "remote", w.c.remoteAddr)
		return
	}
	if w.wroteHeader {
		w.c.srv.logger().Debug("superfluous WriteHeader call", "remote", w.c.remoteAddr, "code", code)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	if v := w.header.Get("Content-Length"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			w.c.srv.logger().Debug("ignoring an invalid Content-Length from the handler", "value", v)
			w.header.Del("Content-Length")
		} else {
			w.contentLength = n
		}
	}
}

// writeInformational sends a 1xx response with the current header fields.
func (w *response) writeInformational(code int) {
	if !w.req.ProtoAtLeast(1, 1) {
		return
	}
	if code == http.StatusContinue && w.body != nil && w.body.answered.Swap(true) {
		return // the body's first read sent it already
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	bw := w.c.bw
	_, _ = bw.WriteString(statusLine(true, code))
	w.writeFields(bw, false, nil)
	_, _ = bw.WriteString("\r\n")
	_ = bw.Flush()
}

// sendContinue answers Expect: 100-continue, unless the final response has begun.
func (w *response) sendContinue() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.committed || w.hijacked {
		return nil
	}
	if _, err := w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
		return err
	}
	return w.c.bw.Flush()
}

// Write sends body bytes: held until bufferLimit, then streamed.
func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		// Nothing of p goes out, so written stays what the client gets: finish sees a
		// short body and closes the connection.
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		if len(w.buf)+len(p) <= bufferLimit {
			w.hold(p)
			return len(p), nil
		}
		// Fill the held body first, so that Content-Type sniffing sees the start of the
		// body even when the first Write is larger than the buffer.
		k := bufferLimit - len(w.buf)
		w.hold(p[:k])
		w.commit(false)
		n, err := w.writeBody(p[k:])
		return k + n, err
	}
	return w.writeBody(p)
}

// hold appends p to the body held back until the framing is chosen.
func (w *response) hold(p []byte) {
	if w.buf == nil {
		w.buf = w.c.scratch[:0]
	}
	w.buf = append(w.buf, p...)
}

// WriteString is Write without a conversion, for io.WriteString.
func (w *response) WriteString(s string) (int, error) {
	if !w.hijacked && !w.committed && w.wroteHeader && bodyAllowed(w.status) &&
		len(w.buf)+len(s) <= bufferLimit && (w.contentLength < 0 || w.written+int64(len(s)) <= w.contentLength) {
		if w.buf == nil {
			w.buf = w.c.scratch[:0]
		}
		w.buf = append(w.buf, s...)
		w.written += int64(len(s))
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// writeBody sends body bytes in the chosen framing; a HEAD response sends none.
func (w *response) writeBody(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	bw := w.c.bw
	if !w.chunked {
		return bw.Write(p)
	}
	_, _ = bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
	_, _ = bw.WriteString("\r\n")
	n, err := bw.Write(p)
	if err != nil {
		return n, err
	}
	_, err = bw.WriteString("\r\n")
	return n, err
}

// commit writes the status line and fields, choosing the framing: final means the handler
// has returned, so a held body's length is known.
func (w *response) commit(final bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The handler's map is never changed here: what the server adds or replaces goes to
	// the wire only, since the handler's middleware may still hold the map (capture
	// records it after the handler returns).
	h := w.header
	head := w.req.Method == http.MethodHead
	allowed := bodyAllowed(w.status)
	minor1 := w.req.ProtoAtLeast(1, 1)
	extras := w.c.extras[:0]
	var skip fieldSet
	skip.add("Transfer-Encoding") // the framing is the server's to choose
	switch {
	case !allowed:
		if w.status == http.StatusNoContent || w.status < 200 {
			skip.add("Content-Length")
		}
	case w.contentLength >= 0:
	case final && !(minor1 && hasTrailers(h)) && (!head || w.written > 0):
		w.contentLength = w.written
		extras = append(extras, field{"Content-Length", strconv.FormatInt(w.written, 10)})
	case head:
	case minor1:
		w.chunked = true
	default:
		// An HTTP/1.0 client reads an unframed body to the connection's end.
		w.closeAfter = true
	}
	if w.body != nil && w.body.expect && !w.body.answered.Load() {
		// The client waits for a go-ahead it will not get: it sends no body, and the
		// connection cannot carry another request.
		w.closeAfter = true
	}
	if httpguts.HeaderValuesContainsToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	if w.c.srv.closing.Load() {
		w.closeAfter = true
	}
	switch {
	case w.closeAfter:
		skip.add("Connection")
		extras = append(extras, field{"Connection", "close"})
	case !minor1:
		skip.add("Connection")
		extras = append(extras, field{"Connection", "keep-alive"})
	}
	if _, ok := h["Date"]; !ok {
		extras = append(extras, field{"Date", httpDate()})
	}
	if _, ok := h["Content-Type"]; !ok && allowed && len(w.buf) > 0 {
		extras = append(extras, field{"Content-Type", http.DetectContentType(w.buf)})
	}
	if w.chunked {
		extras = append(extras, field{"Transfer-Encoding", "chunked"})
	}
	bw := w.c.bw
	_, _ = bw.WriteString(statusLine(minor1, w.status))
	w.writeFields(bw, false, &skip)
	for _, f := range extras {
		_, _ = bw.WriteString(f.name)
		_, _ = bw.WriteString(": ")
		_, _ = bw.WriteString(f.value)
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	w.c.extras = extras[:0]
	w.committed = true
	if len(w.buf) > 0 {
		_, _ = w.writeBody(w.buf)
	}
	w.buf = nil
}

// field is a header field the server writes itself.
type field struct{ name, value string }

// fieldSet is a few field names the server writes instead of the handler's.
type fieldSet struct {
	names [3]string
	n     int
}

func (s *fieldSet) add(k string) { s.names[s.n] = k; s.n++ }

func (s *fieldSet) has(k string) bool {
	return s != nil && slices.Contains(s.names[:s.n], k)
}

// hasTrailers reports whether the handler declared trailers, with the Trailer field or a
// field named with http.TrailerPrefix: the body is then chunked, to carry them.
func hasTrailers(h http.Header) bool {
	if _, ok := h["Trailer"]; ok {
		return true
	}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// writeFields writes the header fields in name order; trailers selects the ones named
// with http.TrailerPrefix or declared in Trailer instead.
func (w *response) writeFields(bw *bufio.Writer, trailers bool, skip *fieldSet) {
	var declared []string
	for _, v := range w.header["Trailer"] {
		for k := range strings.SplitSeq(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
				declared = append(declared, k)
			}
		}
	}
	keys := w.c.keys[:0]
	for k := range w.header {
		if skip.has(k) {
			continue
		}
		prefixed := strings.HasPrefix(k, http.TrailerPrefix)
		isTrailer := prefixed || slices.Contains(declared, k)
		if isTrailer != trailers {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := strings.TrimPrefix(k, http.TrailerPrefix)
		if !validFieldNameString(name) {
			continue
		}
		for _, v := range w.header[k] {
			_, _ = bw.WriteString(name)
			_, _ = bw.WriteString(": ")
			if strings.ContainsAny(v, "\r\n") {
				v = strings.Map(func(r rune) rune {
					if r == '\r' || r == '\n' {
						return ' '
					}
					return r
				}, v)
			}
			_, _ = bw.WriteString(strings.TrimSpace(v))
			_, _ = bw.WriteString("\r\n")
		}
	}
	w.c.keys = keys[:0]
}

// finish completes the response after the handler returned and flushes it.
func (w *response) finish() error {
	if w.hijacked {
		return nil
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if b := w.body; b != nil && !b.skippable() {
			// The rest of the body will not be read: say so, as net/http does.
			w.closeAfter = true
		}
		w.commit(true)
	}
	bw := w.c.bw
	if w.chunked {
		_, _ = bw.WriteString("0\r\n")
		w.writeFields(bw, true, nil)
		_, _ = bw.WriteString("\r\n")
	}
	if w.contentLength >= 0 && w.written != w.contentLength && bodyAllowed(w.status) &&
		w.req.Method != http.MethodHead {
		// The body is shorter than announced: the client cannot tell where it ends.
		w.closeAfter = true
	}
	return bw.Flush()
}

// Flush sends the header and the body written so far.
func (w *response) Flush() { _ = w.FlushError() }

// FlushError is Flush with its error, for http.ResponseController.
func (w *response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false)
	}
	return w.c.bw.Flush()
}

// Hijack hands the connection to the handler, as for a WebSocket upgrade.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	c := w.c
	c.stopWatch()
	if w.committed {
		if err := c.bw.Flush(); err != nil {
			return nil, nil, err
		}
	}
	if !c.state.CompareAndSwap(stateActive, stateHijacked) {
		return nil, nil, errors.New("h1server: the connection is closing")
	}
	w.hijacked = true
	_ = c.rwc.SetDeadline(time.Time{})
	return c.rwc, bufio.NewReadWriter(c.br, c.bw), nil
}

// SetReadDeadline sets the connection's read deadline, for http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error { return w.c.rwc.SetReadDeadline(t) }

// SetWriteDeadline sets the connection's write deadline, for http.ResponseController.
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

// EnableFullDuplex is a no-op: a handler may always read the body while it writes.
func (w *response) EnableFullDuplex() error { return nil }
