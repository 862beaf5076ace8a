package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// WarningHeader is the response header that carries mock warnings, one value per warning.
const WarningHeader = "Gantry-Warning"

// maxCached bounds the number of prepared responses a Responder keeps.
const maxCached = 16384

// maxSeedBody is how much of a request body feeds the seed of a dynamic response.
const maxSeedBody = 1 << 20

// Options configures a Responder. The zero value serves static responses (examples first)
// with DefaultMaxDepth.
type Options struct {
	// Dynamic generates every body from its schema instead of serving examples, like
	// `prism mock --dynamic`; a request's `Prefer: dynamic=false` turns it off again.
	Dynamic bool
	// MaxDepth bounds the nesting of generated values; 0 means DefaultMaxDepth.
	MaxDepth int
}

// Result describes the response Respond sent.
type Result struct {
	// Status is the HTTP status code sent.
	Status int
	// Warnings lists problems with the definition met while responding (also sent in the
	// Gantry-Warning header); nil when there were none.
	Warnings []string
	// MediaType is the Content-Type of the body sent (without parameters); "" for no body.
	MediaType string
	// Example names the example served: its key under `examples`, "example" for a media
	// type's single example; "" when the body was generated or there is no body.
	Example string
}

// Responder answers requests for the operations of one Definition with mock responses,
// choosing the response the way Stoplight Prism does. It is safe for concurrent use: static
// responses (everything except dynamic ones) are prepared once per operation, status, media
// type and example and then served from a cache.
type Responder struct {
	def     *apidef.Definition
	gen     *Generator
	opts    Options
	cache   sync.Map // cacheKey -> *prepared
	cached  atomic.Int64
	defResp sync.Map // *apidef.Operation -> defaultResp
}

// NewResponder returns a Responder for def; checker (which may be nil) validates generated bodies.
func NewResponder(def *apidef.Definition, checker *apidef.Checker, opts Options) *Responder {
	return &Responder{def: def, gen: NewGenerator(def, checker), opts: opts}
}

// Generator returns the Generator the Responder uses.
func (r *Responder) Generator() *Generator { return r.gen }

type cacheKey struct {
	op      *apidef.Operation
	resp    int
	status  int
	mt      int
	served  string
	example string
}

// prepared is a response ready to be written.
type prepared struct {
	status int
	header http.Header // complete, including Content-Type and Content-Length
	// fields are the entries of header, which write copies without iterating a map.
	fields   []headerField
	body     []byte
	prob     *problem.Details // set instead of body for errors
	result   Result
	dynamics bool // depends on the request seed: never cached
}

// prefs are the mock preferences of one request.
type prefs struct {
	code    int
	example string
	dynamic *bool
}

// Respond writes a mock response for req, which was routed to op, and reports what it sent.
//
// Response selection mirrors Prism: `Prefer: code=N` (or the query parameter __code) picks the
// response declared for N, else the "NXX" range, else "default" — each sent with status N;
// a code none of these covers gets a 404 problem listing the declared statuses. Without a code
// the lowest of the "2nn"/"2XX" responses is used (ranges are sent as N00), then "default"
// as 200, then the first declared response. `Prefer: example=KEY` (__example) serves that
// example verbatim, `Prefer: dynamic=true` (__dynamic) generates the body from the schema;
// several preferences may be combined in one header.
func (r *Responder) Respond(w http.ResponseWriter, req *http.Request, op *apidef.Operation) Result {
	pr, err := parsePrefs(req)
	if err != nil {
		return writeProblem(w, req, problem.New(http.StatusBadRequest, "mock-preference", err.Error()))
	}
	idx, status, p := r.selectResponse(op, pr.code)
	if p != nil {
		return writeProblem(w, req, p)
	}
	resp := op.Responses[idx]
	mtIdx, served, ok := negotiate(resp, req.Header.Get("Accept"))
	if !ok {
		types := make([]string, len(resp.Content))
		for i, mt := range resp.Content {
			types[i] = mt.Type
		}
		d := problem.New(http.StatusNotAcceptable, "not-acceptable",
			fmt.Sprintf("no declared media type of the %s response matches Accept %q; available: %s",
				resp.Status, req.Header.Get("Accept"), strings.Join(types, ", ")))
		d.Extra = map[string]any{"available": types}
		return writeProblem(w, req, d)
	}
	dynamic := r.opts.Dynamic
	if pr.dynamic != nil {
		dynamic = *pr.dynamic
	}
	key := cacheKey{op: op, resp: idx, status: status, mt: mtIdx, served: served, example: pr.example}
	if !dynamic || pr.example != "" {
		if v, ok := r.cache.Load(key); ok {
			return v.(*prepared).write(w, req)
		}
	}
	var seed uint64
	if dynamic {
		seed = requestSeed(req)
	}
	prep := r.prepare(resp, status, mtIdx, served, pr.example, dynamic, seed)
	// Problems are not cached (their keys come from the client: an unknown example name, say),
	// and the cache is bounded because `served` can echo a client's Accept for */* responses.
	if !prep.dynamics && prep.prob == nil && r.cached.Load() < maxCached {
		if _, loaded := r.cache.LoadOrStore(key, prep); !loaded {
			r.cached.Add(1)
		}
	}
	return prep.write(w, req)
}

func writeProblem(w http.ResponseWriter, req *http.Request, d *problem.Details) Result {
	problem.Write(w, req, d)
	return Result{Status: d.Status, MediaType: problem.ContentType}
}

// headerField is one header of a prepared response.
type headerField struct {
	name   string
	values []string
}

// seal lists p's headers in p.fields, once p.header is complete, and returns p.
func (p *prepared) seal() *prepared {
	p.fields = make([]headerField, 0, len(p.header))
	for k, v := range p.header {
		p.fields = append(p.fields, headerField{k, v})
	}
	return p
}

// write sends p.
func (p *prepared) write(w http.ResponseWriter, req *http.Request) Result {
	h := w.Header()
	for _, f := range p.fields {
		if f.name == WarningHeader {
			h[f.name] = append(h[f.name], f.values...) // keep warnings the gateway added
			continue
		}
		h[f.name] = f.values
	}
	if p.prob != nil {
		d := *p.prob
		problem.Write(w, req, &d)
		return p.result
	}
	w.WriteHeader(p.status)
	if req.Method != http.MethodHead && len(p.body) > 0 {
		_, _ = w.Write(p.body)
	}
	return p.result
}

// parsePrefs reads the Prefer header(s) and Prism's __code, __example and __dynamic query
// parameters (the header wins).
func parsePrefs(req *http.Request) (prefs, error) {
	var p prefs
	set := func(k, v string) error {
		switch strings.ToLower(k) {
		case "code":
			n, err := strconv.Atoi(v)
			if err != nil || n < 100 || n > 599 {
				return fmt.Errorf("preference code=%q is not an HTTP status code", v)
			}
			p.code = n
		case "example":
			p.example = v
		case "dynamic":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("preference dynamic=%q is not true or false", v)
			}
			p.dynamic = &b
		}
		return nil
	}
	if q := req.URL.RawQuery; strings.Contains(q, "__") {
		vals := req.URL.Query()
		for _, k := range [...]string{"code", "example", "dynamic"} {
			if v := vals.Get("__" + k); v != "" {
				if err := set(k, v); err != nil {
					return p, err
				}
			}
		}
	}
	for _, line := range req.Header.Values("Prefer") {
		for _, tok := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' }) {
			k, v, ok := strings.Cut(strings.TrimSpace(tok), "=")
			if !ok {
				continue
			}
			v = strings.Trim(strings.TrimSpace(v), `"`)
			if err := set(strings.TrimSpace(k), v); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// selectResponse returns the index of the response to serve and the status to send, or a problem.
func (r *Responder) selectResponse(op *apidef.Operation, code int) (int, int, *problem.Details) {
	if code != 0 {
		if i := findStatus(op.Responses, code); i >= 0 {
			return i, code, nil
		}
		d := problem.New(http.StatusNotFound, "mock-status-not-declared",
			fmt.Sprintf("requested status code %d is not defined in the document for %s %s; declared: %s",
				code, op.Method, op.Path, declared(op.Responses)))
		return 0, 0, d
	}
	if v, ok := r.defResp.Load(op); ok {
		d := v.(defaultResp)
		return d.index, d.status, nil
	}
	i := defaultResponse(op.Responses)
	if i < 0 {
		return 0, 0, problem.New(http.StatusInternalServerError, "mock-no-response",
			fmt.Sprintf("%s %s declares no response to mock", op.Method, op.Path))
	}
	d := defaultResp{index: i, status: statusOf(op.Responses[i].Status)}
	r.defResp.Store(op, d)
	return d.index, d.status, nil
}

// defaultResp is an operation's default response: its index and the status it is sent with.
type defaultResp struct{ index, status int }

// findStatus finds the response for code: exact, then its range ("4XX"), then "default".
func findStatus(rs []*apidef.Response, code int) int {
	exact := strconv.Itoa(code)
	rng := exact[:1] + "XX"
	for i, r := range rs {
		if r.Status == exact {
			return i
		}
	}
	for i, r := range rs {
		if strings.EqualFold(r.Status, rng) {
			return i
		}
	}
	for i, r := range rs {
		if r.Status == "default" {
			return i
		}
	}
	return -1
}

// defaultResponse mirrors Prism: the lowest "2nn"/"2XX" (by string order, so 2XX comes after
// every 2nn), then "default", then the first response.
func defaultResponse(rs []*apidef.Response) int {
	best := -1
	for i, r := range rs {
		st := strings.ToUpper(r.Status)
		if len(st) == 3 && st[0] == '2' && (isDigits(st[1:]) || st[1:] == "XX") {
			if best < 0 || st < strings.ToUpper(rs[best].Status) {
				best = i
			}
		}
	}
	if best >= 0 {
		return best
	}
	for i, r := range rs {
		if r.Status == "default" {
			return i
		}
	}
	if len(rs) > 0 {
		return 0
	}
	return -1
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// statusOf turns a declared status into the status sent: ranges become N00, default 200.
func statusOf(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if len(s) == 3 && (s[1] == 'X' || s[1] == 'x') && s[0] >= '1' && s[0] <= '5' {
		return int(s[0]-'0') * 100
	}
	return http.StatusOK
}

func declared(rs []*apidef.Response) string {
	if len(rs) == 0 {
		return "none"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return strings.Join(out, ", ")
}

// requestSeed hashes method, URL and body so that equal requests get equal dynamic bodies.
func requestSeed(req *http.Request) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, req.Method)
	_, _ = io.WriteString(h, " ")
	_, _ = io.WriteString(h, req.URL.RequestURI())
	if req.Body != nil && req.Body != http.NoBody {
		b, _ := io.ReadAll(io.LimitReader(req.Body, maxSeedBody))
		// Put back what was read in front of whatever is left, so later readers see it all.
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
		_, _ = h.Write([]byte{0})
		_, _ = h.Write(b)
	}
	return h.Sum64()
}

// prepare builds the response for one selection.
func (r *Responder) prepare(resp *apidef.Response, status, mtIdx int, served, exampleName string, dynamic bool, seed uint64) *prepared {
	p := &prepared{status: status, header: http.Header{}, result: Result{Status: status}}
	opts := GenOptions{Seed: seed, Dynamic: dynamic, MaxDepth: r.opts.MaxDepth}
	var warnings []string
	fail := func(d *problem.Details) *prepared {
		p.prob = d
		p.result = Result{Status: d.Status, MediaType: problem.ContentType, Warnings: warnings}
		p.header = http.Header{}
		AddWarnings(p.header, warnings...)
		return p.seal()
	}
	// Body.
	var body []byte
	if mtIdx >= 0 {
		mt := resp.Content[mtIdx]
		var ex *apidef.Example
		switch {
		case exampleName != "":
			ex = findExample(mt, exampleName)
			if ex == nil {
				return fail(problem.New(http.StatusNotFound, "mock-example-not-found",
					fmt.Sprintf("response %s for content type %s has no example %q; available: %s",
						resp.Status, mt.Type, exampleName, exampleNames(mt))))
			}
			if ex.Invalid != "" {
				warnings = append(warnings, fmt.Sprintf("example %q (%s) served as asked although it is invalid: %s", exampleLabel(ex), ex.Source, ex.Invalid))
			}
		case dynamic && mt.Schema != nil:
		default:
			ex = mt.Example
			if ex == nil && len(mt.Examples) > 0 {
				ex = mt.Examples[0]
			}
			if ex != nil && ex.Invalid != "" {
				if mt.Schema != nil {
					warnings = append(warnings, fmt.Sprintf("example %q (%s) is invalid and was not served: %s; a generated body was served instead", exampleLabel(ex), ex.Source, ex.Invalid))
					ex = nil
				} else {
					warnings = append(warnings, fmt.Sprintf("example %q (%s) is invalid: %s", exampleLabel(ex), ex.Source, ex.Invalid))
				}
			}
		}
		var err error
		switch {
		case ex != nil:
			body, err = encodeExample(served, ex.Value)
			p.result.Example = exampleLabel(ex)
		case mt.Schema != nil:
			var v any
			v, err = r.gen.Generate(mt.Schema, opts)
			if err != nil {
				return fail(problem.New(http.StatusInternalServerError, "mock-generation-failed",
					fmt.Sprintf("cannot generate a %s body valid against the schema of the %s response: %v", mt.Type, resp.Status, err)))
			}
			p.dynamics = dynamic
			body, err = encodeValue(served, v, mt.Schema.RefName())
		}
		if err != nil {
			return fail(problem.New(http.StatusInternalServerError, "mock-encoding-failed", err.Error()))
		}
		if status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
			body = nil
		} else {
			p.header["Content-Type"] = []string{contentType(served)}
			p.result.MediaType = served
		}
	}
	// Headers.
	for _, h := range resp.Headers {
		name := http.CanonicalHeaderKey(h.Name)
		if name == "Content-Type" || name == "Content-Length" {
			continue
		}
		var raw []byte
		if h.Example != nil && !dynamic {
			raw = h.Example
		} else {
			s := h.Schema
			if s == nil {
				s = &apidef.Schema{Type: []string{"string"}}
			}
			v, err := r.gen.Generate(s, opts)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("header %s not sent: %v", h.Name, err))
				continue
			}
			if dynamic {
				p.dynamics = true
			}
			raw, _ = json.Marshal(v)
		}
		p.header[name] = []string{simpleStyle(raw)}
	}
	if p.status != http.StatusNoContent && p.status != http.StatusNotModified && p.status >= 200 {
		p.header["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	AddWarnings(p.header, warnings...)
	p.body = body
	p.result.Warnings = warnings
	return p.seal()
}

// AddWarnings appends each warning to h's Gantry-Warning values, made safe for a header.
func AddWarnings(h http.Header, warnings ...string) {
	for _, w := range warnings {
		h[WarningHeader] = append(h[WarningHeader], headerSafe(w))
	}
	if v := h[WarningHeader]; v != nil {
		h[WarningHeader] = v[:len(v):len(v)]
	}
}

func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r < 0x20 && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

func findExample(mt *apidef.MediaType, name string) *apidef.Example {
	for _, ex := range mt.Examples {
		if ex.Name == name {
			return ex
		}
	}
	if mt.Example != nil && (mt.Example.Name == name || mt.Example.Name == "" && name == "example") {
		return mt.Example
	}
	return nil
}

func exampleLabel(ex *apidef.Example) string {
	if ex.Name == "" {
		return "example"
	}
	return ex.Name
}

func exampleNames(mt *apidef.MediaType) string {
	var names []string
	if mt.Example != nil {
		names = append(names, exampleLabel(mt.Example))
	}
	for _, ex := range mt.Examples {
		names = append(names, ex.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// simpleStyle serialises a JSON value as an OpenAPI simple-style header value.
func simpleStyle(raw []byte) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return headerSafe(string(raw))
	}
	var parts []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			parts = append(parts, scalarString(e))
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k, scalarString(x[k]))
		}
	default:
		return headerSafe(scalarString(v))
	}
	return headerSafe(strings.Join(parts, ","))
}

func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
