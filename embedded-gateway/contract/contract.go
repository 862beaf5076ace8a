// Package contract builds requests from an API definition for contract testing: for each
// operation a request that satisfies its parameters, credentials and body schema, and
// negative variants that each break one requirement.
package contract

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
)

// Builder makes requests for the operations of one Definition. It is safe for concurrent use.
type Builder struct {
	def *apidef.Definition
	gen *mock.Generator

	chkOnce sync.Once
	chk     *apidef.Checker // confirms that invalid values are invalid; made on first use if nil
}

// New returns a Builder for def that generates values with gen.
func New(def *apidef.Definition, gen *mock.Generator) *Builder {
	return &Builder{def: def, gen: gen}
}

// checker returns the Builder's schema checker, making one on first use.
func (b *Builder) checker() *apidef.Checker {
	b.chkOnce.Do(func() {
		if b.chk == nil {
			b.chk = apidef.NewChecker(b.def)
		}
	})
	return b.chk
}

// Negative is a request that breaks exactly one requirement of its operation.
type Negative struct {
	// Kind is KindMissing, KindInvalid, KindMalformed or KindUnauthenticated.
	Kind string
	// What names the requirement broken, e.g. "missing query parameter limit".
	What string
	// In is where: "query", "header", "path", "body" or "security".
	In string
	// Name is the parameter broken ("" for the body and for credentials).
	Name string
	// Request is the request to send.
	Request *http.Request
}

// Valid returns a request for op under baseURL (scheme, host and the API's base path) whose
// parameters, credentials and body satisfy the operation. seed makes the values repeatable.
func (b *Builder) Valid(op *apidef.Operation, baseURL string, seed uint64) (*http.Request, error) {
	parts, err := b.parts(op, seed)
	if err != nil {
		return nil, err
	}
	return parts.request(op.Method, baseURL)
}

// Negatives returns one request per required query parameter, required header and required
// body, each missing just that one.
func (b *Builder) Negatives(op *apidef.Operation, baseURL string, seed uint64) ([]Negative, error) {
	var out []Negative
	for _, p := range op.Parameters {
		if !p.Required || (p.In != "query" && p.In != "header") {
			continue
		}
		parts, err := b.parts(op, seed)
		if err != nil {
			return nil, err
		}
		if p.In == "query" {
			parts.query.Del(p.Name)
		} else {
			parts.header.Del(p.Name)
		}
		r, err := parts.request(op.Method, baseURL)
		if err != nil {
			return nil, err
		}
		out = append(out, Negative{Kind: KindMissing, What: fmt.Sprintf("missing %s parameter %s", p.In, p.Name), In: p.In, Name: p.Name, Request: r})
	}
	if op.RequestBody != nil && op.RequestBody.Required {
		parts, err := b.parts(op, seed)
		if err != nil {
			return nil, err
		}
		parts.body = nil
		r, err := parts.request(op.Method, baseURL)
		if err != nil {
			return nil, err
		}
		out = append(out, Negative{Kind: KindMissing, What: "missing request body", In: "body", Request: r})
	}
	return out, nil
}

type requestParts struct {
	path   string
	query  url.Values
	header http.Header
	body   []byte
}

func (p *requestParts) request(method, baseURL string) (*http.Request, error) {
	u := strings.TrimRight(baseURL, "/") + p.path
	if len(p.query) > 0 {
		u += "?" + p.query.Encode()
	}
	var body *bytes.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	} else {
		body = bytes.NewReader(nil)
	}
	r, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range p.header {
		r.Header[k] = vs
	}
	if p.body == nil {
		r.Header.Del("Content-Type")
		r.Body = http.NoBody
		r.ContentLength = 0
	}
	return r, nil
}

func (b *Builder) parts(op *apidef.Operation, seed uint64) (*requestParts, error) {
	return b.partsWith(op, seed, true)
}

// partsWith builds the parts of the valid request, with or without credentials.
func (b *Builder) partsWith(op *apidef.Operation, seed uint64, credentials bool) (*requestParts, error) {
	p := &requestParts{path: op.Path, query: url.Values{}, header: http.Header{}}
	for i, prm := range op.Parameters {
		if !prm.Required && prm.In != "path" {
			continue
		}
		v, err := b.value(prm, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %s in %s: %w", op.ID, prm.Name, prm.In, err)
		}
		switch prm.In {
		case "path":
			p.path = strings.ReplaceAll(p.path, "{"+prm.Name+"}", url.PathEscape(strings.Join(v, ",")))
		case "query":
			explode := prm.Explode == nil || *prm.Explode
			if explode {
				for _, s := range v {
					p.query.Add(prm.Name, s)
				}
			} else {
				p.query.Set(prm.Name, strings.Join(v, ","))
			}
		case "header":
			p.header.Set(prm.Name, strings.Join(v, ","))
		case "cookie":
			p.header.Add("Cookie", prm.Name+"="+strings.Join(v, ","))
		}
	}
	if credentials {
		b.credentials(op, p)
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content) > 0 {
		mt := pickMediaType(rb.Content)
		body, ctype, err := b.body(mt, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: request body %s: %w", op.ID, mt.Type, err)
		}
		p.body = body
		p.header.Set("Content-Type", ctype)
	}
	return p, nil
}

// value generates a parameter value as its serialised strings (one per array item).
func (b *Builder) value(p *apidef.Parameter, seed uint64) ([]string, error) {
	if p.Example != nil {
		var v any
		if json.Unmarshal(p.Example, &v) == nil {
			if s, ok := scalarStrings(v); ok {
				return s, nil
			}
		}
	}
	if p.Schema == nil {
		return []string{"x"}, nil
	}
	v, err := b.gen.Generate(p.Schema, mock.GenOptions{Seed: seed, Direction: mock.Request})
	if err != nil {
		return nil, err
	}
	s, ok := scalarStrings(normalize(v))
	if !ok {
		return nil, fmt.Errorf("cannot serialise generated value %v", v)
	}
	return s, nil
}

func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func scalarStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, true
	case bool:
		return []string{strconv.FormatBool(x)}, true
	case nil:
		return []string{""}, true
	case []any:
		var out []string
		for _, e := range x {
			s, ok := scalarStrings(e)
			if !ok || len(s) != 1 {
				return nil, false
			}
			out = append(out, s[0])
		}
		return out, true
	}
	return nil, false
}

// credentials adds what the operation's first security requirement asks for.
func (b *Builder) credentials(op *apidef.Operation, p *requestParts) {
	reqs := b.def.EffectiveSecurity(op)
	if len(reqs) == 0 {
		return
	}
	req := reqs[0]
	names := make([]string, 0, len(req))
	for n := range req {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := b.def.SecuritySchemes[n]
		if s == nil {
			continue
		}
		switch s.Type {
		case "apiKey":
			switch s.In {
			case "query":
				p.query.Set(s.Name, "test-key")
			case "cookie":
				p.header.Add("Cookie", s.Name+"=test-key")
			default:
				p.header.Set(s.Name, "test-key")
			}
		case "http":
			if strings.EqualFold(s.Scheme, "basic") {
				p.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("user:pass")))
			} else {
				p.header.Set("Authorization", titleCase(s.Scheme)+" test-token")
			}
		case "oauth2", "openIdConnect":
			p.header.Set("Authorization", "Bearer test-token")
		}
	}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// pickMediaType prefers JSON, then form encodings, then the first declared type.
func pickMediaType(mts []*apidef.MediaType) *apidef.MediaType {
	for _, mt := range mts {
		if isJSON(mt.Type) {
			return mt
		}
	}
	for _, mt := range mts {
		if mt.Type == "application/x-www-form-urlencoded" {
			return mt
		}
	}
	return mts[0]
}

func isJSON(t string) bool {
	t = strings.ToLower(t)
	return t == "application/json" || strings.HasSuffix(t, "+json") || t == "*/*"
}

func (b *Builder) body(mt *apidef.MediaType, seed uint64) ([]byte, string, error) {
	ctype := mt.Type
	if strings.Contains(ctype, "*") {
		ctype = "application/json"
	}
	var v any
	switch {
	case mt.Example != nil && mt.Example.Invalid == "":
		if err := json.Unmarshal(mt.Example.Value, &v); err != nil {
			return nil, "", err
		}
	case mt.Schema != nil:
		g, err := b.gen.Generate(mt.Schema, mock.GenOptions{Seed: seed, Direction: mock.Request})
		if err != nil {
			return nil, "", err
		}
		v = normalize(g)
	default:
		v = map[string]any{}
	}
	if ctype == "application/x-www-form-urlencoded" {
		form := url.Values{}
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := scalarStrings(m[k]); ok {
					for _, x := range s {
						form.Add(k, x)
					}
				} else {
					j, _ := json.Marshal(m[k])
					form.Add(k, string(j))
				}
			}
		}
		return []byte(form.Encode()), ctype, nil
	}
	if !isJSON(ctype) {
		if s, ok := v.(string); ok {
			return []byte(s), ctype, nil
		}
	}
	out, err := json.Marshal(v)
	return out, ctype, err
}
