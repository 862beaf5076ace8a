package capture

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// DefaultBodyLimit is the default CaptureOptions.BodyLimit: 64 KiB.
const DefaultBodyLimit = 64 << 10

// Redacted replaces secret values in captured traffic.
const Redacted = "[REDACTED]"

// DefaultRedactHeaders are the headers whose values are always redacted unless
// CaptureOptions.KeepSecrets is set.
var DefaultRedactHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
	"X-Api-Key", "Api-Key", "Apikey", "X-Auth-Token",
}

// DefaultRedactQuery are the query parameters (matched case-insensitively) whose values are
// always redacted in the captured URL unless CaptureOptions.KeepSecrets is set.
var DefaultRedactQuery = []string{"api_key", "apikey", "access_token", "token", "key"}

// CaptureOptions tune Middleware. The zero value captures up to 64 KiB of each body and
// redacts the default secrets.
type CaptureOptions struct {
	// BodyLimit is how many bytes of each request and response body are kept; bodies beyond
	// it are truncated in the capture but always passed through whole, and their full size is
	// still counted. 0 means DefaultBodyLimit; a negative value keeps no body bytes.
	BodyLimit int64
	// KeepSecrets turns redaction off: headers and query parameters are captured verbatim.
	KeepSecrets bool
	// RedactHeaders names further headers (any case) to redact, besides DefaultRedactHeaders.
	RedactHeaders []string
	// RedactQuery names further query parameters (any case) to redact in the captured URL,
	// besides DefaultRedactQuery.
	RedactQuery []string
}

// ctxKey is the context key under which the middleware stores the exchange.
type ctxKey struct{}

// FromContext returns the exchange being captured for the request with context ctx, or nil
// if the request does not pass through Middleware. Handlers may set its API, Operation,
// Mode, Violations and Warnings; the exchange is recorded when the outermost handler returns.
func FromContext(ctx context.Context) *model.Exchange {
	x, _ := ctx.Value(ctxKey{}).(*model.Exchange)
	return x
}

// NewContext returns a copy of ctx carrying x, for handlers that run outside Middleware
// (tests, or a gateway that captures by other means).
func NewContext(ctx context.Context, x *model.Exchange) context.Context {
	return context.WithValue(ctx, ctxKey{}, x)
}

// Middleware captures every request and response passing through it and hands the exchange
// to rec when the wrapped handler returns (also when it panics). The exchange is available
// to inner handlers through FromContext. Live headers and bodies are never modified:
// redaction applies to copies.
func Middleware(rec *Recorder, opts CaptureOptions) func(http.Handler) http.Handler {
	c := newCapturer(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.serve(rec, next, w, r)
		})
	}
}

// capturer holds the middleware's resolved options.
type capturer struct {
	limit       int64
	keepSecrets bool
	headers     map[string]bool // canonical header names to redact
	queryParams map[string]bool // lower-case query parameter names to redact
}

func newCapturer(opts CaptureOptions) *capturer {
	c := &capturer{limit: opts.BodyLimit, keepSecrets: opts.KeepSecrets, headers: map[string]bool{}, queryParams: map[string]bool{}}
	if c.limit == 0 {
		c.limit = DefaultBodyLimit
	}
	if c.limit < 0 {
		c.limit = 0
	}
	for _, h := range append(append([]string{}, DefaultRedactHeaders...), opts.RedactHeaders...) {
		c.headers[http.CanonicalHeaderKey(h)] = true
	}
	for _, q := range append(append([]string{}, DefaultRedactQuery...), opts.RedactQuery...) {
		c.queryParams[strings.ToLower(q)] = true
	}
	return c
}

// requestState is the middleware's per-request state besides the exchange (and a request
// body's tee), allocated at once.
type requestState struct {
	ctx exchangeCtx
	rw  responseWriter
}

// exchangeCtx is a context carrying the exchange under ctxKey, like context.WithValue.
type exchangeCtx struct {
	context.Context
	x *model.Exchange
}

// Value returns the exchange for ctxKey{} and asks the parent context otherwise.
func (c *exchangeCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return c.x
	}
	return c.Context.Value(key)
}

func (c *capturer) serve(rec *Recorder, next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	x := &model.Exchange{
		ID:             newIDAt(start),
		StartedAt:      start,
		ClientAddr:     r.RemoteAddr,
		Scheme:         requestScheme(r),
		Method:         r.Method,
		URL:            c.redactURL(uri),
		Host:           r.Host,
		Proto:          r.Proto,
		RequestHeaders: c.redact(r.Header.Clone()),
	}

	st := &requestState{ctx: exchangeCtx{Context: r.Context(), x: x}, rw: responseWriter{w: w, limit: c.limit}}
	r2 := r.WithContext(&st.ctx)
	var body *bodyTee
	if r.Body != nil && r.Body != http.NoBody {
		body = &bodyTee{rc: r.Body, limit: c.limit}
		r2.Body = body
	}
	rw := &st.rw

	completed := false
	defer func() {
		x.Duration = time.Since(start)
		if body != nil {
			x.RequestBody, x.RequestSize = body.result()
		}
		if x.RequestSize < r.ContentLength {
			x.RequestSize = r.ContentLength // the handler stopped reading early
		}
		if !rw.wroteHeader {
			if completed {
				rw.status = http.StatusOK // net/http's answer when a handler writes nothing
			}
			rw.header, rw.ownHeader = w.Header(), false
		}
		x.Status = rw.status
		x.ResponseHeaders = c.responseHeaders(rw.header, rw.ownHeader)
		x.ResponseBody, x.ResponseSize = rw.body, rw.size
		if !completed {
			x.Warnings = append(x.Warnings, "the handler panicked; the response may be incomplete")
		}
		rec.Record(x)
	}()
	next.ServeHTTP(rw, r2)
	completed = true
}

// redact replaces secret values in h, a copy the capture owns, and returns it.
func (c *capturer) redact(h http.Header) http.Header {
	if c.keepSecrets {
		return h
	}
	for name, vals := range h {
		if !c.headers[name] {
			continue
		}
		for i, v := range vals {
			vals[i] = redactValue(name, v)
		}
	}
	return h
}

// responseHeaders returns the response headers to record from h, which the capture owns
// if own is set and is otherwise the handler's live map (whose value slices may be shared
// too, with a mock's cached response for one). A live map is kept as it is unless a value
// must be redacted, or it holds trailers that net/http's HTTP/2 server still moves once
// the handler returns: then a copy is recorded.
func (c *capturer) responseHeaders(h http.Header, own bool) http.Header {
	if own {
		return c.redact(h)
	}
	for name := range h {
		if (!c.keepSecrets && c.headers[name]) || strings.HasPrefix(name, http.TrailerPrefix) {
			return c.redact(h.Clone())
		}
	}
	return h
}

// redactValue hides the secret in one header value. Authorization-style headers keep their
// scheme ("Bearer [REDACTED]"); cookies keep their names and attributes.
func redactValue(name, v string) string {
	switch name {
	case "Authorization", "Proxy-Authorization":
		if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && scheme != "" {
			return scheme + " " + Redacted
		}
		return Redacted
	case "Cookie":
		parts := strings.Split(v, ";")
		for i, p := range parts {
			n, _, ok := strings.Cut(p, "=")
			if !ok {
				return Redacted
			}
			parts[i] = n + "=" + Redacted
		}
		return strings.Join(parts, ";")
	case "Set-Cookie":
		cookie, attrs, _ := strings.Cut(v, ";")
		n, _, ok := strings.Cut(cookie, "=")
		if !ok {
			return Redacted
		}
		if attrs != "" {
			return n + "=" + Redacted + ";" + attrs
		}
		return n + "=" + Redacted
	}
	return Redacted
}

// redactURL replaces the values of secret query parameters in a request URI, keeping the
// order and encoding of everything else.
func (c *capturer) redactURL(uri string) string {
	if c.keepSecrets {
		return uri
	}
	return redactQuery(uri, c.isSecretParam)
}

// redactQuery replaces the values of the query parameters for which secret returns true.
func redactQuery(uri string, secret func(escapedName string) bool) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || query == "" {
		return uri
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	// Most queries hold no secret: look before building anything.
	found := false
	for rest := query; rest != "" && !found; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		name, _, _ := strings.Cut(part, "=")
		found = secret(name)
	}
	if !found {
		return uri
	}
	var b strings.Builder
	changed := false
	for i, part := range strings.Split(query, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, _ := strings.Cut(part, "=")
		if secret(name) {
			b.WriteString(name)
			b.WriteString("=" + Redacted)
			changed = true
			continue
		}
		b.WriteString(part)
	}
	if !changed {
		return uri
	}
	out := path + "?" + b.String()
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// RedactSecret hides one more credential in a captured exchange: the request header (in
// "header") or query parameter (in "query") called name, which a handler knows carries a
// secret, such as an API key the spec declares. Callers skip it when secrets are kept.
func RedactSecret(x *model.Exchange, in, name string) {
	switch in {
	case "header":
		key := http.CanonicalHeaderKey(name)
		for i := range x.RequestHeaders[key] {
			x.RequestHeaders[key][i] = Redacted
		}
	case "query":
		x.URL = redactQuery(x.URL, func(n string) bool { return strings.EqualFold(unescapeParam(n), name) })
	}
}

func unescapeParam(name string) string {
	if strings.ContainsAny(name, "%+") {
		if u, err := url.QueryUnescape(name); err == nil {
			return u
		}
	}
	return name
}

// isSecretParam reports whether the (possibly escaped) query parameter name is redacted.
func (c *capturer) isSecretParam(name string) bool {
	if c.queryParams[name] {
		return true
	}
	// Most names are plain lower-case ASCII, which normalizing would not change.
	for i := 0; i < len(name); i++ {
		if b := name[i]; b == '%' || b == '+' || ('A' <= b && b <= 'Z') || b >= 0x80 {
			return c.queryParams[strings.ToLower(unescapeParam(name))]
		}
	}
	return false
}

// bodyTee passes a request body through, keeping up to limit bytes and counting all.
// It is safe against a handler whose goroutines read the body after it returns.
type bodyTee struct {
	rc    io.ReadCloser
	limit int64

	mu   sync.Mutex
	buf  []byte
	size int64
	done bool
}

func (t *bodyTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.mu.Lock()
		if !t.done {
			if room := t.limit - int64(len(t.buf)); room > 0 {
				t.buf = append(t.buf, p[:min(int64(n), room)]...)
			}
			t.size += int64(n)
		}
		t.mu.Unlock()
	}
	return n, err
}

func (t *bodyTee) Close() error { return t.rc.Close() }

// result stops capturing and returns the kept bytes and the count read.
func (t *bodyTee) result() ([]byte, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	return t.buf, t.size
}

// responseWriter captures the status, headers and body a handler writes.
type responseWriter struct {
	w     http.ResponseWriter
	limit int64

	wroteHeader bool
	status      int
	// header is the headers as they were at WriteHeader time (not yet redacted). Until the
	// handler asks for the headers again, it is the live map itself, which net/http no
	// longer changes once the header is written; ownHeader says it is a copy made then.
	header    http.Header
	ownHeader bool
	body      []byte
	size      int64
}

// Header returns the live response headers. After WriteHeader, the headers captured are
// first copied: changes from then on are not sent (but trailers), and not recorded.
func (rw *responseWriter) Header() http.Header {
	if rw.wroteHeader && !rw.ownHeader {
		rw.header, rw.ownHeader = rw.header.Clone(), true
	}
	return rw.w.Header()
}

// WriteHeader records the status and the headers, then passes it on. Informational (1xx)
// statuses other than 101 pass through without being recorded.
func (rw *responseWriter) WriteHeader(code int) {
	if !rw.wroteHeader && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.wroteHeader = true
		rw.status = code
		rw.header = rw.w.Header()
	}
	rw.w.WriteHeader(code)
}

// Write records up to the limit of b and passes all of it on.
func (rw *responseWriter) Write(b []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.w.Write(b)
	if n > 0 {
		if room := rw.limit - int64(len(rw.body)); room > 0 {
			rw.body = append(rw.body, b[:min(int64(n), room)]...)
		}
		rw.size += int64(n)
	}
	return n, err
}

// Flush sends buffered data to the client (writing a 200 header first if none was written),
// if the underlying writer can flush.
func (rw *responseWriter) Flush() {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(rw.w).Flush()
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

var _ http.Flusher = (*responseWriter)(nil)

// requestScheme is the scheme the client used to reach the gateway.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
