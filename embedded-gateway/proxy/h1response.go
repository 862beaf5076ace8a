package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/gantry-dev/gantry/embedded-gateway/h1server"
)

// maxResponseHead bounds a target's status line and header fields together.
const maxResponseHead = 1 << 20

// respReader parses response heads for one upstream connection, reusing its scratch space.
type respReader struct {
	line   []byte // a line longer than the read buffer
	fields h1server.Fields
}

// errResponseHead is a response head that breaks HTTP/1.1's grammar.
var errResponseHead = errors.New("malformed HTTP response")

// readLine returns the next line without its line ending, valid until the next call.
func (p *respReader) readLine(br *bufio.Reader, n *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*n += len(line)
	if errors.Is(err, bufio.ErrBufferFull) {
		p.line = append(p.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) && *n <= maxResponseHead {
			line, err = br.ReadSlice('\n')
			*n += len(line)
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	if *n > maxResponseHead {
		return nil, fmt.Errorf("%w: the header exceeds %d bytes", errResponseHead, maxResponseHead)
	}
	if err != nil {
		if errors.Is(err, io.EOF) && *n > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}

// read reads one response head from br and frames its body as http.ReadResponse does:
// chunked, Content-Length, or up to the connection's close; none for HEAD, 1xx, 204 and
// 304. The body reads from br, so br must not be used until it is done.
func (p *respReader) read(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	n := 0
	line, err := p.readLine(br, &n)
	if err != nil {
		return nil, err
	}
	resp := &http.Response{Request: req}
	proto, status, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return nil, fmt.Errorf("%w: status line %q", errResponseHead, clipBytes(line))
	}
	switch string(proto) {
	case "HTTP/1.1":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		major, minor, ok := http.ParseHTTPVersion(string(proto))
		if !ok {
			return nil, fmt.Errorf("%w: protocol %q", errResponseHead, clipBytes(proto))
		}
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = string(proto), major, minor
	}
	status = bytes.TrimLeft(status, " ")
	code := status
	if i := bytes.IndexByte(status, ' '); i >= 0 {
		code = status[:i]
	}
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return nil, fmt.Errorf("%w: status code %q", errResponseHead, clipBytes(code))
	}
	resp.StatusCode = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	resp.Status = statusText(resp.StatusCode, status)
	if resp.Header, err = p.readFields(br, &n); err != nil {
		return nil, err
	}
	if err := frameResponse(resp, br); err != nil {
		return nil, err
	}
	return resp, nil
}

// statusText returns the Status of a response: "200 OK" without allocating when the
// reason phrase is the standard one.
func statusText(code int, status []byte) string {
	if std := http.StatusText(code); len(status) == 4+len(std) && string(status[4:]) == std {
		if s, ok := standardStatus[code]; ok {
			return s
		}
	}
	return string(status)
}

// standardStatus holds "200 OK" and the like for every known code.
var standardStatus = func() map[int]string {
	m := map[int]string{}
	for c := 100; c < 600; c++ {
		if t := http.StatusText(c); t != "" {
			m[c] = strconv.Itoa(c) + " " + t
		}
	}
	return m
}()

// readFields reads header fields up to the empty line, all values in one string.
func (p *respReader) readFields(br *bufio.Reader, n *int) (http.Header, error) {
	p.fields.Reset()
	for {
		line, err := p.readLine(br, n)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, fmt.Errorf("%w: a header continuation line", errResponseHead)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, fmt.Errorf("%w: header line %q", errResponseHead, clipBytes(line))
		}
		p.fields.Add(canonicalFieldKey(line[:colon]), bytes.Trim(line[colon+1:], " \t"))
	}
	return p.fields.Header(), nil
}

// canonicalFieldKey canonicalizes a field name in place, sharing the strings of frequent
// fields; a name with invalid characters is kept as sent, as net/textproto does.
func canonicalFieldKey(k []byte) string {
	for _, c := range k {
		if !httpguts.IsTokenRune(rune(c)) {
			return string(k)
		}
	}
	return h1server.CanonicalKey(k)
}

// frameResponse sets the body, ContentLength, TransferEncoding, Close and Trailer of resp
// from its fields, as net/http's transfer reader does for responses.
func frameResponse(resp *http.Response, br *bufio.Reader) error {
	h := resp.Header
	code := resp.StatusCode
	noBody := resp.Request != nil && resp.Request.Method == http.MethodHead ||
		code/100 == 1 || code == http.StatusNoContent || code == http.StatusNotModified
	hasClose := httpguts.HeaderValuesContainsToken(h["Connection"], "close")
	resp.Close = hasClose ||
		(resp.ProtoMajor == 1 && resp.ProtoMinor == 0 && !httpguts.HeaderValuesContainsToken(h["Connection"], "keep-alive"))
	if hasClose {
		delete(h, "Connection") // as net/http does: Close says it
	}

	chunked := false
	if te := h["Transfer-Encoding"]; len(te) > 0 && resp.ProtoAtLeast(1, 1) {
		if len(te) != 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return fmt.Errorf("%w: unsupported transfer encoding %q", errResponseHead, strings.Join(te, ", "))
		}
		chunked = true
		delete(h, "Transfer-Encoding")
		delete(h, "Content-Length")
	}
	length := int64(-1)
	if cl := h["Content-Length"]; len(cl) > 0 && !chunked {
		first := strings.TrimSpace(cl[0])
		for _, v := range cl[1:] {
			if strings.TrimSpace(v) != first {
				return fmt.Errorf("%w: conflicting Content-Length values %q", errResponseHead, strings.Join(cl, ", "))
			}
		}
		v, err := strconv.ParseUint(first, 10, 63)
		if err != nil {
			return fmt.Errorf("%w: bad Content-Length %q", errResponseHead, first)
		}
		length = int64(v)
		if len(cl) > 1 {
			h["Content-Length"] = cl[:1]
		}
	}
	if tr := h["Trailer"]; len(tr) > 0 && chunked {
		resp.Trailer = http.Header{}
		for _, v := range tr {
			for k := range strings.SplitSeq(v, ",") {
				if k = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)); k != "" && httpguts.ValidTrailerHeader(k) {
					resp.Trailer[k] = nil
				}
			}
		}
		delete(h, "Trailer")
	}
	switch {
	case noBody:
		resp.Body = http.NoBody
		if resp.Request == nil || resp.Request.Method != http.MethodHead {
			length = 0
		}
		resp.ContentLength = length
	case chunked:
		resp.TransferEncoding = []string{"chunked"}
		resp.ContentLength = -1
		resp.Body = &framedBody{br: br, src: httputil.NewChunkedReader(br), chunked: true, resp: resp}
	case length == 0:
		resp.ContentLength = 0
		resp.Body = http.NoBody
	case length > 0:
		resp.ContentLength = length
		b := &framedBody{br: br}
		b.lr = io.LimitedReader{R: br, N: length}
		b.src = &b.lr
		resp.Body = b
	default:
		// Neither length nor chunking: the body ends when the target closes the connection.
		resp.ContentLength = -1
		resp.Close = true
		resp.Body = &framedBody{br: br, src: br, toEOF: true}
	}
	return nil
}

// framedBody reads a response body in its framing and its trailers after the last chunk.
type framedBody struct {
	br      *bufio.Reader
	src     io.Reader
	lr      io.LimitedReader
	chunked bool
	toEOF   bool
	resp    *http.Response
	err     error
}

// Read reads the body; io.ErrUnexpectedEOF means the target closed it short.
func (b *framedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.src.Read(p)
	switch {
	case b.toEOF:
	case b.chunked:
		if err == io.EOF {
			err = b.readTrailer()
		}
	case err == nil && b.lr.N == 0:
		err = io.EOF
	case err == io.EOF && b.lr.N > 0:
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// readTrailer reads the fields after the last chunk; io.EOF means all went well.
func (b *framedBody) readTrailer() error {
	var p respReader
	n := 0
	h, err := p.readFields(b.br, &n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	for k, vs := range h {
		if b.resp.Trailer == nil {
			b.resp.Trailer = http.Header{}
		}
		b.resp.Trailer[k] = append(b.resp.Trailer[k], vs...)
	}
	return io.EOF
}

// Close is a no-op: the connection's owner decides what happens to an unread rest.
func (b *framedBody) Close() error { return nil }

func clipBytes(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
