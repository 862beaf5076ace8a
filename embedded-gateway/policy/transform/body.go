package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// DefaultMaxBytes is the largest body requestBody and responseBody transform when their
// maxBytes setting is absent: 1 MiB.
const DefaultMaxBytes = 1 << 20

// bodySettings are the settings of requestBody and responseBody.
type bodySettings struct {
	Set      map[string]json.RawMessage `json:"set"`
	Remove   []string                   `json:"remove"`
	Rename   map[string]string          `json:"rename"`
	MaxBytes *int64                     `json:"maxBytes"`
}

// bodyOps is a compiled JSON body transform.
type bodyOps struct {
	remove   []Pointer
	rename   []pointerRename // sorted by source pointer
	set      []pointerValue  // sorted by pointer
	maxBytes int64
}

type pointerRename struct{ from, to Pointer }

type pointerValue struct {
	ptr Pointer
	val any // decoded with json.Number; copied before each use
}

// compileBody decodes and checks body transform settings.
func compileBody(raw json.RawMessage) (*bodyOps, error) {
	var s bodySettings
	if err := policy.Decode(raw, &s); err != nil {
		return nil, err
	}
	ops := &bodyOps{maxBytes: DefaultMaxBytes}
	if s.MaxBytes != nil {
		if *s.MaxBytes <= 0 {
			return nil, policy.Errorf("maxBytes", "must be a positive number of bytes")
		}
		ops.maxBytes = *s.MaxBytes
	}
	for i, ps := range s.Remove {
		field := fmt.Sprintf("remove.%d", i)
		p, err := ParsePointer(ps)
		if err != nil {
			return nil, &policy.FieldError{Field: field, Message: err.Error(), Err: err}
		}
		if len(p) == 0 {
			return nil, policy.Errorf(field, "the whole document cannot be removed")
		}
		ops.remove = append(ops.remove, p)
	}
	for _, fs := range sortedKeys(s.Rename) {
		field := "rename." + fs
		from, err := ParsePointer(fs)
		if err != nil {
			return nil, &policy.FieldError{Field: field, Message: err.Error(), Err: err}
		}
		to, err := ParsePointer(s.Rename[fs])
		if err != nil {
			return nil, &policy.FieldError{Field: field, Message: err.Error(), Err: err}
		}
		switch {
		case len(from) == 0 || len(to) == 0:
			return nil, policy.Errorf(field, "the whole document cannot be renamed")
		case to.hasPrefix(from):
			return nil, policy.Errorf(field, "%q lies inside %q", s.Rename[fs], fs)
		}
		ops.rename = append(ops.rename, pointerRename{from, to})
	}
	for _, ps := range sortedKeys(s.Set) {
		field := "set." + ps
		p, err := ParsePointer(ps)
		if err != nil {
			return nil, &policy.FieldError{Field: field, Message: err.Error(), Err: err}
		}
		dec := json.NewDecoder(bytes.NewReader(s.Set[ps]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, &policy.FieldError{Field: field, Message: "not a JSON value: " + err.Error(), Err: err}
		}
		ops.set = append(ops.set, pointerValue{p, v})
	}
	if len(ops.remove)+len(ops.rename)+len(ops.set) == 0 {
		return nil, policy.Errorf("", "nothing to do: give at least one of set, remove or rename")
	}
	return ops, nil
}

// transform applies the operations to a JSON document: remove, rename, set, each in turn.
// ok is false if body is not a single valid JSON value (it is then to be left alone).
func (o *bodyOps) transform(body []byte) (out []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // trailing data
	}
	for _, p := range o.remove {
		doc, _ = removeIn(doc, p)
	}
	for _, rn := range o.rename {
		v, found := rn.from.get(doc)
		if !found {
			continue
		}
		doc, _ = removeIn(doc, rn.from)
		var moved bool
		if doc, moved = setIn(doc, rn.to, v, true); !moved {
			doc, _ = setIn(doc, rn.from, v, true) // put it back where it was
		}
	}
	for _, sv := range o.set {
		doc, _ = setIn(doc, sv.ptr, deepCopy(sv.val), false)
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + 64)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// deepCopy copies the objects and arrays in v, so that a configured value can be placed
// in many documents and then changed in one.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// isJSON reports whether a Content-Type value names JSON: application/json or a +json
// suffix type.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	if strings.EqualFold(mt, "application/json") {
		return true
	}
	n := len(mt)
	return n > len("a/+json") && strings.EqualFold(mt[n-5:], "+json") && strings.IndexByte(mt, '/') > 0
}

// encoded reports whether h declares a content coding other than identity, in which case
// the body is compressed (or otherwise encoded) and cannot be read as JSON.
func encoded(h http.Header) bool {
	for _, v := range h["Content-Encoding"] {
		if v = strings.TrimSpace(v); v != "" && !strings.EqualFold(v, "identity") {
			return true
		}
	}
	return false
}

// dropDigests removes the headers that describe the old body's bytes.
func dropDigests(h http.Header) {
	for _, k := range []string{"Content-Md5", "Digest", "Content-Digest", "Repr-Digest"} {
		delete(h, k)
	}
}

// bodyPolicy is one configured requestBody or responseBody policy.
type bodyPolicy struct {
	name string
	ops  *bodyOps
	log  *slog.Logger
}

func newBodyPolicy(name string, raw json.RawMessage, env policy.Env) (*bodyPolicy, error) {
	ops, err := compileBody(raw)
	if err != nil {
		return nil, err
	}
	log := env.Log().With("policy", name, "api", env.API)
	if env.Operation != "" {
		log = log.With("operation", env.Operation)
	}
	return &bodyPolicy{name: name, ops: ops, log: log}, nil
}

// tooLarge logs that a body over maxBytes passed through; size is -1 when unknown.
func (p *bodyPolicy) tooLarge(r *http.Request, what string, size int64) {
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int64("maxBytes", p.ops.maxBytes)}
	if size >= 0 {
		attrs = append(attrs, slog.Int64("size", size))
	}
	p.log.LogAttrs(r.Context(), slog.LevelWarn, what+" body is larger than maxBytes; passed through untransformed", attrs...)
}

// newRequestBody builds the requestBody policy.
func newRequestBody(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	p, err := newBodyPolicy("requestBody", raw, env)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, p.request(r))
		})
	}, nil
}

// request returns r with its body transformed, or r itself when the body is not one to
// transform.
func (p *bodyPolicy) request(r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 ||
		!isJSON(r.Header.Get("Content-Type")) || encoded(r.Header) {
		return r
	}
	limit := p.ops.maxBytes
	if r.ContentLength > limit {
		p.tooLarge(r, "request", r.ContentLength)
		return r
	}
	hint := r.ContentLength
	if hint < 0 {
		hint = 512
	}
	buf, err := readUpTo(r.Body, limit+1, hint)
	r2 := new(http.Request)
	*r2 = *r
	if err != nil || int64(len(buf)) > limit {
		// Hand the next handler what was read followed by the rest (or by the error).
		if err == nil {
			p.tooLarge(r, "request", -1)
		}
		r2.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(buf), errOr(err, r.Body)), c: r.Body}
		return r2
	}
	out, ok := p.ops.transform(buf)
	if !ok {
		out = buf
	}
	r2.Body = &replayBody{Reader: bytes.NewReader(out), c: r.Body}
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	if ok {
		r2.ContentLength = int64(len(out))
		r2.TransferEncoding = nil
		r2.Header = r.Header.Clone()
		r2.Header.Set("Content-Length", strconv.Itoa(len(out)))
		dropDigests(r2.Header)
	}
	return r2
}

// errOr returns a reader that fails with err, or r if err is nil.
func errOr(err error, r io.Reader) io.Reader {
	if err == nil {
		return r
	}
	return errReader{err}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// replayBody reads from Reader and closes the original body.
type replayBody struct {
	io.Reader
	c io.Closer
}

func (b *replayBody) Close() error { return b.c.Close() }

// readUpTo reads at most limit bytes from r, preallocating hint bytes.
func readUpTo(r io.Reader, limit, hint int64) ([]byte, error) {
	if hint > limit {
		hint = limit
	}
	buf := make([]byte, 0, hint+1)
	lr := io.LimitReader(r, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// newResponseBody builds the responseBody policy.
func newResponseBody(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	p, err := newBodyPolicy("responseBody", raw, env)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bw := &bodyWriter{w: w, p: p, r: r}
			next.ServeHTTP(bw, r)
			bw.finish()
		})
	}, nil
}

// bodyWriter states.
const (
	undecided = iota // no status yet
	buffering        // a JSON response being collected for the transform
	streaming        // anything else: written straight through
)

// bodyWriter buffers a JSON response of at most maxBytes to transform it when the handler
// returns, and streams every other response (and any response the handler flushes)
// straight through.
type bodyWriter struct {
	w      http.ResponseWriter
	p      *bodyPolicy
	r      *http.Request
	state  int
	status int
	buf    []byte
}

// Header returns the response header.
func (bw *bodyWriter) Header() http.Header { return bw.w.Header() }

// WriteHeader decides, from the final status and header, whether to buffer the response.
func (bw *bodyWriter) WriteHeader(code int) {
	if bw.state != undecided || (code < 200 && code != http.StatusSwitchingProtocols) {
		if bw.state != buffering {
			bw.w.WriteHeader(code)
		}
		return
	}
	bw.status = code
	h := bw.w.Header()
	if bw.r.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified ||
		code < 200 || !isJSON(h.Get("Content-Type")) || encoded(h) || len(h["Trailer"]) > 0 {
		bw.stream()
		return
	}
	if cl := h.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n > bw.p.ops.maxBytes {
			if err == nil {
				bw.p.tooLarge(bw.r, "response", n)
			}
			bw.stream()
			return
		}
		bw.buf = make([]byte, 0, n)
	}
	bw.state = buffering
}

// stream sends the header and whatever was buffered, and writes the rest straight through.
func (bw *bodyWriter) stream() error {
	bw.state = streaming
	bw.w.WriteHeader(bw.status)
	if len(bw.buf) == 0 {
		return nil
	}
	_, err := bw.w.Write(bw.buf)
	bw.buf = nil
	return err
}

// Write buffers or streams b.
func (bw *bodyWriter) Write(b []byte) (int, error) {
	if bw.state == undecided {
		bw.WriteHeader(http.StatusOK)
	}
	if bw.state == buffering {
		if int64(len(bw.buf)+len(b)) <= bw.p.ops.maxBytes {
			bw.buf = append(bw.buf, b...)
			return len(b), nil
		}
		bw.p.tooLarge(bw.r, "response", -1)
		if err := bw.stream(); err != nil {
			return 0, err
		}
	}
	return bw.w.Write(b)
}

// Flush ends buffering (a handler that flushes is streaming) and flushes.
func (bw *bodyWriter) Flush() {
	if bw.state == undecided {
		bw.WriteHeader(http.StatusOK)
	}
	if bw.state == buffering {
		if bw.stream() != nil {
			return
		}
	}
	_ = http.NewResponseController(bw.w).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (bw *bodyWriter) Unwrap() http.ResponseWriter { return bw.w }

// finish transforms and sends a buffered response.
func (bw *bodyWriter) finish() {
	if bw.state != buffering {
		return
	}
	h := bw.w.Header()
	out, ok := bw.p.ops.transform(bw.buf)
	if ok {
		h.Set("Content-Length", strconv.Itoa(len(out)))
		dropDigests(h)
		if et := h.Get("Etag"); et != "" && !strings.HasPrefix(et, "W/") {
			h.Set("Etag", "W/"+et) // the bytes changed; the meaning, per this transform, did not
		}
	} else {
		out = bw.buf
	}
	bw.state = streaming
	bw.w.WriteHeader(bw.status)
	_, _ = bw.w.Write(out)
}
