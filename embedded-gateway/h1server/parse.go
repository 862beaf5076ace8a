package h1server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// protocolError is a request the server refuses before any handler sees it.
type protocolError struct {
	status int
	detail string
}

func (e *protocolError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.detail) }

func badRequest(format string, args ...any) *protocolError {
	return &protocolError{status: http.StatusBadRequest, detail: fmt.Sprintf(format, args...)}
}

// problemBody is the RFC 9457 document of a refused request.
func problemBody(status int, detail string) []byte {
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{"about:blank", http.StatusText(status), status, detail})
	return b
}

// parser reads request heads; its scratch space is reused from one request to the next.
type parser struct {
	req    http.Request // the request being read; the caller copies it with WithContext
	line   []byte       // a header line longer than the read buffer
	fields Fields       // the header fields of the request being read
	crlf   bool         // the last line read ended with CRLF, not a bare LF
}

// Fields collects the header fields of one message as they are read: the values go into
// one buffer, so that the header map they become holds one string for all of them.
type Fields struct {
	vals  []byte
	spans []span
}

// span is one field: its canonical name and where its value lies in Fields.vals.
type span struct {
	key        string
	start, end int
}

// Reset empties f for the next message, keeping its space.
func (f *Fields) Reset() { f.vals, f.spans = f.vals[:0], f.spans[:0] }

// Add appends a field by its canonical name; value is copied.
func (f *Fields) Add(key string, value []byte) {
	start := len(f.vals)
	f.vals = append(f.vals, value...)
	f.spans = append(f.spans, span{key: key, start: start, end: len(f.vals)})
}

// Header returns the fields as a header map: one string holds every value and one
// backing array every single-valued field, as net/textproto does.
func (f *Fields) Header() http.Header {
	all := string(f.vals)
	h := make(http.Header, len(f.spans))
	strs := make([]string, len(f.spans))
	for i, s := range f.spans {
		v := all[s.start:s.end]
		if vv, ok := h[s.key]; ok {
			h[s.key] = append(vv[:len(vv):len(vv)], v)
			continue
		}
		strs[i] = v
		h[s.key] = strs[i : i+1 : i+1]
	}
	return h
}

// readLine returns the next line without its CRLF or LF; the slice is valid until the
// next call. n counts the bytes read so far against max.
func (p *parser) readLine(br *bufio.Reader, n *int, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*n += len(line)
	if errors.Is(err, bufio.ErrBufferFull) {
		p.line = append(p.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if *n > max {
				return nil, &protocolError{status: http.StatusRequestHeaderFieldsTooLarge,
					detail: fmt.Sprintf("The request line and header fields exceed %d bytes.", max)}
			}
			line, err = br.ReadSlice('\n')
			*n += len(line)
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	if *n > max {
		return nil, &protocolError{status: http.StatusRequestHeaderFieldsTooLarge,
			detail: fmt.Sprintf("The request line and header fields exceed %d bytes.", max)}
	}
	if err != nil {
		if errors.Is(err, io.EOF) && *n > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	p.crlf = len(line) > 0 && line[len(line)-1] == '\r'
	if p.crlf {
		line = line[:len(line)-1]
	}
	return line, nil
}

// readRequest reads a request's line and header fields and returns the request with its
// body reader (nil when it has none). The request is the parser's own, valid until the next
// call: the caller copies it with WithContext. A *protocolError is a request to refuse with
// its status; any other error means the connection failed.
func (p *parser) readRequest(br *bufio.Reader, max int) (*http.Request, *body, error) {
	n := 0
	var line []byte
	var err error
	// RFC 9112 §2.2: ignore empty lines before the request line.
	for range 4 {
		if line, err = p.readLine(br, &n, max); err != nil || len(line) > 0 {
			break
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, badRequest("The connection ended before the request line was complete.")
	}
	if err != nil {
		return nil, nil, err
	}
	if len(line) == 0 {
		return nil, nil, badRequest("The request has no request line.")
	}
	req := &p.req
	if err := parseRequestLine(line, req); err != nil {
		return nil, nil, err
	}
	if err := p.readFields(br, &n, max, req); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, badRequest("The connection ended before the request's header section was complete.")
		}
		return nil, nil, err
	}
	b, err := p.frame(br, req)
	if err != nil {
		return nil, nil, err
	}
	return req, b, nil
}

// parseRequestLine parses "METHOD target HTTP/1.x" into req, which it resets.
func parseRequestLine(line []byte, req *http.Request) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return badRequest("The request line %q is malformed: expected METHOD TARGET HTTP/1.1.", clip(line))
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return badRequest("The request line %q is malformed: expected METHOD TARGET HTTP/1.1.", clip(line))
	}
	method, target, version := line[:sp1], rest[:sp2], rest[sp2+1:]
	for _, c := range method {
		if !httpguts.IsTokenRune(rune(c)) {
			return badRequest("The method %q is not a valid token.", clip(method))
		}
	}
	major, minor, ok := parseVersion(version)
	if !ok {
		return badRequest("The protocol version %q is malformed.", clip(version))
	}
	if major != 1 {
		return &protocolError{status: http.StatusHTTPVersionNotSupported,
			detail: fmt.Sprintf("This listener speaks HTTP/1.0 and HTTP/1.1, not %s.", version)}
	}
	*req = http.Request{
		Method:     internMethod(method),
		ProtoMajor: 1,
		ProtoMinor: minor,
		Proto:      protoName(minor, version),
		RequestURI: string(target),
	}
	var err error
	switch {
	case req.Method == http.MethodConnect && !strings.HasPrefix(req.RequestURI, "/"):
		// Authority form: the URL holds only the host.
		if req.URL, err = url.ParseRequestURI("http://" + req.RequestURI); err == nil {
			req.URL.Scheme = ""
		}
	default:
		req.URL, err = url.ParseRequestURI(req.RequestURI)
	}
	if err != nil {
		return badRequest("The request target %q is not a valid URI: %v.", clip(target), unwrapURLError(err))
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseVersion parses "HTTP/M.N" with single digits.
func parseVersion(v []byte) (major, minor int, ok bool) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

func protoName(minor int, v []byte) string {
	switch minor {
	case 1:
		return "HTTP/1.1"
	case 0:
		return "HTTP/1.0"
	}
	return string(v)
}

func internMethod(m []byte) string {
	switch string(m) {
	case "GET":
		return http.MethodGet
	case "POST":
		return http.MethodPost
	case "PUT":
		return http.MethodPut
	case "DELETE":
		return http.MethodDelete
	case "PATCH":
		return http.MethodPatch
	case "HEAD":
		return http.MethodHead
	case "OPTIONS":
		return http.MethodOptions
	case "CONNECT":
		return http.MethodConnect
	case "TRACE":
		return http.MethodTrace
	}
	return string(m)
}

// commonKeys holds canonical names of frequent fields, so that reading them allocates nothing.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Apikey", "Authorization",
		"Cache-Control", "Cdn-Loop", "Connection", "Content-Disposition", "Content-Encoding",
		"Content-Language", "Content-Length", "Content-Type", "Cookie", "Date", "Dnt", "Etag",
		"Expect", "Forwarded", "From", "Host", "If-Match", "If-Modified-Since", "If-None-Match",
		"If-Range", "If-Unmodified-Since", "Keep-Alive", "Origin", "Pragma", "Prefer", "Priority",
		"Proxy-Authorization", "Range", "Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
		"Sec-Fetch-Site", "Sec-Fetch-User", "Sec-Websocket-Key", "Sec-Websocket-Protocol",
		"Sec-Websocket-Version", "Sec-Websocket-Extensions", "Te", "Traceparent", "Tracestate",
		"Trailer", "Transfer-Encoding", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent",
		"Via", "X-Api-Key", "X-Correlation-Id", "X-Forwarded-For", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id", "X-Requested-With",
		// Response fields, for readers of responses (the proxy).
		"Accept-Ranges", "Access-Control-Allow-Origin", "Age", "Content-Location", "Expires",
		"Last-Modified", "Link", "Location", "Retry-After", "Server", "Set-Cookie",
		"Strict-Transport-Security", "Vary", "Www-Authenticate", "X-Content-Type-Options",
		"X-Frame-Options",
	} {
		m[k] = k
	}
	return m
}()

// CanonicalKey turns a valid field name (a token) into its canonical form in place and
// returns it as a string, shared for frequent request and response fields.
func CanonicalKey(k []byte) string {
	upper := true
	for i, c := range k {
		switch {
		case upper && 'a' <= c && c <= 'z':
			k[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			k[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	if s, ok := commonKeys[string(k)]; ok {
		return s
	}
	return string(k)
}

// readFields reads the header fields into req.Header, with one string for all the values.
func (p *parser) readFields(br *bufio.Reader, n *int, max int, req *http.Request) error {
	p.fields.Reset()
	for {
		line, err := p.readLine(br, n, max)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return badRequest("Header field continuation lines (obsolete line folding) are not accepted.")
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return badRequest("The header line %q has no field name and colon.", clip(line))
		}
		name := line[:colon]
		if !validFieldName(name) {
			return badRequest("The header field name %q is not valid (no spaces before the colon).", clip(name))
		}
		v := bytes.Trim(line[colon+1:], " \t")
		if !validFieldValue(v) {
			return badRequest("The value of header field %q holds a control character.", string(name))
		}
		p.fields.Add(CanonicalKey(name), v)
	}
	req.Header = p.fields.Header()
	return nil
}

// frame applies the fields that shape the message: Host, Connection, Content-Length and
// Transfer-Encoding. It returns the body reader, nil for none.
func (p *parser) frame(br *bufio.Reader, req *http.Request) (*body, error) {
	h := req.Header
	hosts := h["Host"]
	switch {
	case len(hosts) > 1:
		return nil, badRequest("The request has %d Host fields; one is allowed.", len(hosts))
	case len(hosts) == 0 && req.ProtoAtLeast(1, 1):
		return nil, badRequest("An HTTP/1.1 request needs a Host field.")
	case len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]):
		return nil, badRequest("The Host field %q is malformed.", hosts[0])
	}
	req.Host = req.URL.Host
	if req.Host != "" && !httpguts.ValidHostHeader(req.Host) {
		// The URL parser lets through hosts that no Host field could carry; the handler
		// would see, and perhaps forward, this one as the request's host.
		return nil, badRequest("The authority %q of the request target is malformed.", req.Host)
	}
	if req.Host == "" && len(hosts) == 1 {
		req.Host = hosts[0]
	}
	delete(h, "Host")

	// As net/http does, for HTTP/1.0 caches: Pragma: no-cache means Cache-Control: no-cache.
	if pv := h["Pragma"]; len(pv) > 0 && pv[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
	req.Close = shouldClose(req.ProtoMajor, req.ProtoMinor, h["Connection"])

	te := h["Transfer-Encoding"]
	cl := h["Content-Length"]
	if len(te) > 0 {
		if !req.ProtoAtLeast(1, 1) {
			return nil, badRequest("An HTTP/1.0 request cannot use Transfer-Encoding.")
		}
		// The values are trimmed of spaces and tabs already; other white space (a no-break
		// space, say) makes the value invalid, as it does for net/http.
		if len(te) != 1 || !asciiEqualFold(te[0], "chunked") {
			return nil, &protocolError{status: http.StatusNotImplemented,
				detail: fmt.Sprintf("The transfer coding %q is not supported; only chunked is.", strings.Join(te, ", "))}
		}
		if len(cl) > 0 {
			return nil, badRequest("The request has both Transfer-Encoding and Content-Length; only one is allowed.")
		}
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = -1
		delete(h, "Transfer-Encoding")
		if tr, ok := h["Trailer"]; ok {
			// As in net/http: the declared names go to req.Trailer, the field away, and
			// names that frame the message are refused.
			delete(h, "Trailer")
			for _, v := range tr {
				for k := range strings.SplitSeq(v, ",") {
					k = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k))
					switch k {
					case "":
						continue
					case "Transfer-Encoding", "Trailer", "Content-Length":
						return nil, badRequest("The Trailer field declares %s, which cannot be a trailer field.", k)
					}
					if req.Trailer == nil {
						req.Trailer = http.Header{}
					}
					req.Trailer[k] = nil
				}
			}
		}
		return newChunkedBody(br, req), nil
	}
	if len(cl) == 0 {
		return nil, nil
	}
	// The values are trimmed of spaces and tabs already; anything else makes them invalid.
	first := cl[0]
	for _, v := range cl[1:] {
		if v != first {
			return nil, badRequest("The request has conflicting Content-Length fields: %s.", strings.Join(cl, ", "))
		}
	}
	size, err := strconv.ParseUint(first, 10, 63)
	if err != nil || first == "" || first[0] == '+' {
		return nil, badRequest("The Content-Length %q is not a non-negative integer.", first)
	}
	if len(cl) > 1 {
		h["Content-Length"] = cl[:1]
	}
	req.ContentLength = int64(size)
	if size == 0 {
		return nil, nil
	}
	return newLengthBody(br, int64(size)), nil
}

// shouldClose reports whether the connection ends after this request.
func shouldClose(major, minor int, connection []string) bool {
	if major < 1 {
		return true
	}
	if httpguts.HeaderValuesContainsToken(connection, "close") {
		return true
	}
	if major == 1 && minor == 0 {
		return !httpguts.HeaderValuesContainsToken(connection, "keep-alive")
	}
	return false
}

// validFieldName reports whether b is a token (RFC 9110 §5.1).
func validFieldName(b []byte) bool {
	for _, c := range b {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return len(b) > 0
}

// validFieldNameString is validFieldName for a string.
func validFieldNameString(s string) bool {
	for i := range len(s) {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return s != ""
}

// validFieldValue reports whether b has no control characters other than tab.
func validFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// clip shortens what a problem detail quotes from a request.
func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// dateCache holds the Date field value of the current second.
var dateCache atomic.Pointer[cachedDate]

type cachedDate struct {
	sec int64
	val string
}

// httpDate returns the current time in the Date field's format, formatted once a second.
func httpDate() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.val
	}
	d := &cachedDate{sec: now.Unix(), val: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.val
}
