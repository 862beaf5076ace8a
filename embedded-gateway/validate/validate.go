// Package validate checks requests against an API definition with libopenapi-validator.
//
// Each operation gets its own small OpenAPI 3.1 document rendered from the compiled
// apidef.Definition (the operation plus the schemas it reaches), built into a validator the
// first time the operation is called and reused afterwards. That keeps start-up instant
// even for APIs with hundreds of operations, and never parses the original spec again.
package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Validator validates requests for the operations of one Definition. It is safe for
// concurrent use; the zero value is not usable, call New.
//
// Results are memoised per operation: the outcome depends only on the path, the query, the
// declared header and cookie parameters, the Content-Type and the body, so a request equal in
// those to a recent one reuses its result (bounded by cacheSize entries per operation).
type Validator struct {
	def *apidef.Definition
	ops map[*apidef.Operation]*opState // one per operation, made by New; read-only after

	extraMu sync.Mutex
	extra   map[*apidef.Operation]*respState // response states of operations outside def
}

// cacheSize bounds the memoised results per operation; the cache is emptied when full.
const cacheSize = 4096

type opState struct {
	once     sync.Once
	err      error
	v        validator.Validator
	pathItem *v3.PathItem
	checks   []check
	headers  []string // declared header parameter names, canonicalised
	cookies  bool

	cache  sync.Map // cacheKey -> []model.Violation
	cached atomic.Int64

	resp respState // the response side, built separately on first use
}

type check func(*http.Request, *v3.PathItem, string) (bool, []*verrors.ValidationError)

// cacheKey identifies the inputs of one validation by hashes, so that a cache entry costs
// the same whatever the size of the query, headers or body it stands for.
type cacheKey struct {
	request uint64 // path, query, Content-Type, declared headers and cookies
	body    uint64
	bodyLen int
}

var seed = maphash.MakeSeed()

// New returns a Validator for def. def must not change afterwards.
func New(def *apidef.Definition) *Validator {
	v := &Validator{def: def, ops: make(map[*apidef.Operation]*opState, len(def.Operations))}
	for _, op := range def.Operations {
		v.ops[op] = &opState{}
	}
	return v
}

// Request validates r against op; relPath is r's escaped path (as from URL.EscapedPath)
// relative to the API's base path. It reads r's body; use RequestWithBody when the body has
// been read already. An error means the operation's validator could not be built.
func (v *Validator) Request(r *http.Request, op *apidef.Operation, relPath string) ([]model.Violation, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return []model.Violation{{In: "body", Message: "the request body could not be read: " + err.Error()}}, nil
		}
	}
	return v.RequestWithBody(r, op, relPath, body)
}

// RequestWithBody is Request for a request whose body was read into body (nil for none);
// r.Body is not touched.
func (v *Validator) RequestWithBody(r *http.Request, op *apidef.Operation, relPath string, body []byte) ([]model.Violation, error) {
	st := v.state(op)
	st.once.Do(func() { st.build(v.def, op) })
	if st.err != nil {
		return nil, st.err
	}
	key := st.key(r, relPath, body)
	if vs, hit := st.cache.Load(key); hit {
		return vs.([]model.Violation), nil
	}
	vs := st.validate(r, op, relPath, body)
	if st.cached.Add(1) > cacheSize {
		st.cache.Clear()
		st.cached.Store(1)
	}
	st.cache.Store(key, vs)
	return vs, nil
}

// key hashes what the outcome depends on.
func (st *opState) key(r *http.Request, relPath string, body []byte) cacheKey {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(relPath)
	h.WriteByte(0)
	h.WriteString(r.URL.RawQuery)
	h.WriteByte(0)
	h.WriteString(r.Header.Get("Content-Type"))
	for _, name := range st.headers {
		for _, v := range r.Header.Values(name) {
			h.WriteByte(0)
			h.WriteString(v)
		}
		h.WriteByte(1)
	}
	if st.cookies {
		for _, v := range r.Header.Values("Cookie") {
			h.WriteByte(0)
			h.WriteString(v)
		}
	}
	return cacheKey{request: h.Sum64(), body: maphash.Bytes(seed, body), bodyLen: len(body)}
}

func (st *opState) validate(r *http.Request, op *apidef.Operation, relPath string, body []byte) []model.Violation {
	rr := r.Clone(r.Context())
	u := *r.URL
	u.Path = relPath
	u.RawPath = ""
	if p, err := url.PathUnescape(relPath); err == nil {
		u.Path, u.RawPath = p, relPath
	}
	rr.URL = &u
	rr.Body = io.NopCloser(bytes.NewReader(body))
	rr.ContentLength = int64(len(body))
	var errs []*verrors.ValidationError
	for _, c := range st.checks {
		if ok, e := c(rr, st.pathItem, op.Path); !ok {
			errs = append(errs, e...)
		}
	}
	errs = slices.DeleteFunc(errs, spurious)
	if len(errs) == 0 {
		return nil
	}
	return Violations(errs)
}

// state returns op's state; an operation that is not part of the definition gets a fresh,
// uncached one (it still validates).
func (v *Validator) state(op *apidef.Operation) *opState {
	if st := v.ops[op]; st != nil {
		return st
	}
	return &opState{}
}

// build makes the operation's validator and picks the checks it needs: only the parameter
// locations the operation declares, and the body only if it takes one.
func (st *opState) build(def *apidef.Definition, op *apidef.Operation) {
	doc, err := OperationDocument(def, op)
	if err != nil {
		st.err = err
		return
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		st.err = fmt.Errorf("validator for %s: %w", op.ID, err)
		return
	}
	m, err := d.BuildV3Model()
	if m == nil {
		st.err = fmt.Errorf("validator for %s: %w", op.ID, err)
		return
	}
	pi := m.Model.Paths.PathItems.GetOrZero(op.Path)
	if pi == nil {
		st.err = fmt.Errorf("validator for %s: path %s missing from rendered document", op.ID, op.Path)
		return
	}
	val := validator.NewValidatorFromV3Model(&m.Model,
		config.WithoutSecurityValidation(),
		config.WithFormatAssertions(),
		config.WithURLEncodedBodyValidation(),
	)
	st.v, st.pathItem = val, pi
	pv := val.GetParameterValidator()
	in := map[string]bool{}
	for _, p := range op.Parameters {
		in[p.In] = true
		if p.In == "header" {
			st.headers = append(st.headers, http.CanonicalHeaderKey(p.Name))
		}
	}
	st.cookies = in["cookie"]
	if in["path"] {
		st.checks = append(st.checks, pv.ValidatePathParamsWithPathItem)
	}
	if in["query"] {
		st.checks = append(st.checks, pv.ValidateQueryParamsWithPathItem)
	}
	if in["header"] {
		st.checks = append(st.checks, pv.ValidateHeaderParamsWithPathItem)
	}
	if in["cookie"] {
		st.checks = append(st.checks, pv.ValidateCookieParamsWithPathItem)
	}
	if op.RequestBody != nil {
		st.checks = append(st.checks, val.GetRequestBodyValidator().ValidateRequestBodyWithPathItem)
	}
}

// spurious reports validator findings that are not real violations. libopenapi-validator
// checks allowReserved on form values after percent-decoding them, so a correctly encoded
// reserved character ("%3A") would be reported; that check is dropped.
func spurious(e *verrors.ValidationError) bool {
	return e.ValidationType == helpers.URLEncodedValidation && e.ValidationSubType == helpers.ReservedValues
}

// OperationDocument renders op and every schema its parameters and request body reach as a
// self-contained OpenAPI 3.1 JSON document whose only server is "/". Its responses are a
// single "default" that accepts anything (see Validator.Response for the responses).
func OperationDocument(def *apidef.Definition, op *apidef.Operation) ([]byte, error) {
	return operationDocument(def, op, false)
}

// operationDocument renders the operation document for one side of the exchange: the
// parameters and request body, or (responses true) only the declared responses with their
// headers, content and the schemas they reach. Each side's validator so compiles only the
// schemas it uses.
func operationDocument(def *apidef.Definition, op *apidef.Operation, responses bool) ([]byte, error) {
	used := map[string]*apidef.Schema{}
	var visit func(s *apidef.Schema)
	visit = func(s *apidef.Schema) {
		walkSchema(s, func(x *apidef.Schema) {
			if name := x.RefName(); name != "" {
				if _, seen := used[name]; !seen {
					if target, ok := def.Schemas[name]; ok {
						used[name] = target
						visit(target)
					}
				}
			}
			if x.Discriminator != nil {
				for _, ref := range x.Discriminator.Mapping {
					name := strings.TrimPrefix(ref, apidef.SchemaRefPrefix)
					if _, seen := used[name]; !seen {
						if target, ok := def.Schemas[name]; ok {
							used[name] = target
							visit(target)
						}
					}
				}
			}
		})
	}
	o := map[string]any{"operationId": "op", "responses": map[string]any{"default": map[string]any{"description": "any"}}}
	var params []any
	for _, p := range op.Parameters {
		if responses {
			break
		}
		visit(p.Schema)
		pm := map[string]any{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path"}
		if p.Style != "" {
			pm["style"] = p.Style
		}
		if p.Explode != nil {
			pm["explode"] = *p.Explode
		}
		if p.Schema != nil {
			pm["schema"] = p.Schema
		} else {
			pm["schema"] = map[string]any{}
		}
		params = append(params, pm)
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content) > 0 && !responses {
		content := map[string]any{}
		for _, mt := range rb.Content {
			visit(mt.Schema)
			m := map[string]any{}
			if mt.Schema != nil {
				m["schema"] = mt.Schema
			}
			content[mt.Type] = m
		}
		o["requestBody"] = map[string]any{"required": rb.Required, "content": content}
	}
	if responses {
		o["responses"] = renderResponses(op, visit)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": def.Title, "version": def.Version},
		"servers": []any{map[string]any{"url": "/"}},
		"paths": map[string]any{op.Path: map[string]any{
			strings.ToLower(op.Method): o,
		}},
	}
	if len(used) > 0 {
		doc["components"] = map[string]any{"schemas": used}
	}
	// Discriminators select one branch; libopenapi-validator would check every branch.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(apidef.RewriteDiscriminators(generic))
}

// walkSchema calls fn on s and every schema nested in it (not following refs).
func walkSchema(s *apidef.Schema, fn func(*apidef.Schema)) {
	if s == nil {
		return
	}
	fn(s)
	walkSchema(s.Items, fn)
	walkSchema(s.AdditionalProperties, fn)
	walkSchema(s.Not, fn)
	for _, list := range [][]*apidef.Schema{s.PrefixItems, s.AllOf, s.OneOf, s.AnyOf} {
		for _, c := range list {
			walkSchema(c, fn)
		}
	}
	for _, c := range s.Properties {
		walkSchema(c, fn)
	}
}

// Violations turns libopenapi-validator errors into Gantry violations: where (path, query,
// header, cookie, body) and what, one per schema failure.
func Violations(errs []*verrors.ValidationError) []model.Violation {
	var out []model.Violation
	for _, e := range errs {
		in := location(e)
		name := e.ParameterName
		if len(e.SchemaValidationErrors) == 0 {
			msg := e.Message
			if e.Reason != "" && !strings.Contains(msg, e.Reason) {
				msg += ": " + e.Reason
			}
			out = append(out, model.Violation{In: in, Name: name, Message: msg})
			continue
		}
		for _, f := range e.SchemaValidationErrors {
			n := name
			if in == "body" {
				n = pointer(f)
			}
			msg := f.Reason
			if in != "body" && name != "" {
				msg = e.Message + ": " + f.Reason
			}
			out = append(out, model.Violation{In: in, Name: n, Message: msg})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].In != out[j].In {
			return out[i].In < out[j].In
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Message < out[j].Message
	})
	// Branches of a oneOf/anyOf often fail for the same reason; say it once.
	return slices.CompactFunc(out, func(a, b model.Violation) bool { return a == b })
}

func location(e *verrors.ValidationError) string {
	switch {
	case e.ValidationType == "requestBody" || e.ValidationType == "request" || e.ValidationType == helpers.URLEncodedValidation:
		return "body"
	case e.ValidationSubType == "path", e.ValidationSubType == "query", e.ValidationSubType == "header", e.ValidationSubType == "cookie":
		return e.ValidationSubType
	case e.ValidationType == "security":
		return "security"
	case e.ValidationType == "parameter":
		return "parameter"
	}
	return e.ValidationType
}

// pointer renders a schema failure's instance location as a JSON pointer ("" = whole body).
func pointer(f *verrors.SchemaValidationFailure) string {
	if len(f.InstancePath) == 0 {
		if f.FieldPath != "" && f.FieldPath != "$" {
			return f.FieldPath
		}
		return ""
	}
	var b strings.Builder
	for _, seg := range f.InstancePath {
		b.WriteString("/")
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(seg, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
