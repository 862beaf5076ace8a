package h1server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
)

// maxDrain is how much of a body the handler left unread is read to keep the connection.
const maxDrain = 256 << 10

// body reads a request's body from the connection: Content-Length or chunked framing,
// the 100 Continue answer on the first read, trailers after the last chunk.
type body struct {
	mu       sync.Mutex
	br       *bufio.Reader
	src      io.Reader // the framing reader: &lr or a chunked reader
	lr       io.LimitedReader
	chunked  bool
	req      *http.Request
	w        *response
	err      error // sticky: io.EOF once the body is read, or what broke it
	closed   bool  // the handler closed it or returned
	eof      atomic.Bool
	expect   bool        // the client waits for 100 Continue before sending
	answered atomic.Bool // 100 Continue went out, or the handler sent it
}

func newLengthBody(br *bufio.Reader, n int64) *body {
	b := &body{br: br}
	b.lr = io.LimitedReader{R: br, N: n}
	b.src = &b.lr
	return b
}

func newChunkedBody(br *bufio.Reader, req *http.Request) *body {
	return &body{br: br, src: httputil.NewChunkedReader(br), chunked: true, req: req}
}

// Read reads the body; the first read answers an Expect: 100-continue.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *body) readLocked(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.expect && !b.answered.Swap(true) {
		if err := b.w.sendContinue(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.src.Read(p)
	switch {
	case err == nil && !b.chunked && b.lr.N == 0:
		err = io.EOF
	case errors.Is(err, io.EOF) && !b.chunked && b.lr.N > 0:
		err = io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.EOF) && b.chunked {
		err = b.readTrailer()
	}
	if err != nil {
		b.err = err
		if err == io.EOF {
			b.eof.Store(true)
			if b.w != nil {
				b.w.c.bodyDone()
			}
		}
	}
	return n, err
}

// readTrailer reads the fields after the last chunk; io.EOF means all is well.
func (b *body) readTrailer() error {
	var p parser
	n := 0
	for {
		line, err := p.readLine(b.br, &n, 64<<10)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if !p.crlf {
			// Bare LF is tolerated in the header section, not here: net/http does not take
			// it either, and the end of a chunked body is where framing disagreements
			// between servers turn into request smuggling.
			return errors.New("a trailer line does not end with CRLF")
		}
		if len(line) == 0 {
			return io.EOF
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !validFieldName(line[:i]) {
			return fmt.Errorf("malformed trailer line %q", clip(line))
		}
		v := bytes.Trim(line[i+1:], " \t")
		if !validFieldValue(v) {
			return fmt.Errorf("the value of trailer field %q holds a control character", line[:i])
		}
		if b.req.Trailer == nil {
			b.req.Trailer = http.Header{}
		}
		b.req.Trailer.Add(string(line[:i]), string(v))
	}
}

// Close ends the handler's use of the body; what is left is drained or the connection
// closed after the response.
func (b *body) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// done reports whether the body was read to its end.
func (b *body) done() bool { return b.eof.Load() }

// skippable reports whether drain may keep the connection: the body was read to its end,
// or what is left is not known to be too much, broken, or held back by the client.
func (b *body) skippable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.err == io.EOF:
		return true
	case b.err != nil, b.expect && !b.answered.Load():
		return false
	}
	return b.chunked || b.lr.N <= maxDrain
}

// drain reads what the handler left, up to maxDrain, and reports whether the connection
// can carry another request.
func (b *body) drain() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.err == io.EOF {
		return true
	}
	if b.err != nil || (b.expect && !b.answered.Load()) {
		// Broken, or the client still waits for our go-ahead and will not send the body.
		return false
	}
	if !b.chunked && b.lr.N > maxDrain {
		// Known to be too much to skip: read none of it.
		return false
	}
	buf := make([]byte, 4<<10)
	total := 0
	for total <= maxDrain {
		n, err := b.readLocked(buf)
		total += n
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}
