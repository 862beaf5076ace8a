package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Kinds of negative requests.
const (
	// KindMissing leaves out a required parameter or the required body.
	KindMissing = "missing"
	// KindInvalid sends a parameter value or a body the schema refuses.
	KindInvalid = "invalid"
	// KindMalformed sends a body that is not JSON where JSON is expected.
	KindMalformed = "malformed"
	// KindUnauthenticated sends no credentials to an operation that requires them.
	KindUnauthenticated = "unauthenticated"
)

// invalidCandidates are tried in order as values a parameter schema refuses.
var invalidCandidates = []string{"not-a-valid-value", "-999999999", "99999999999", "1.5"}

// Invalid returns requests that each send one value the operation's schemas refuse: a
// path, query or header parameter with a value its schema rejects (the first of a few
// candidates that the schema checker confirms invalid), a JSON body of a type the body
// schema does not allow, and a JSON body that does not parse. Parameters whose schema accepts
// every candidate (an unconstrained string, say) get none.
func (b *Builder) Invalid(op *apidef.Operation, baseURL string, seed uint64) ([]Negative, error) {
	var out []Negative
	for _, p := range op.Parameters {
		if p.In != "path" && p.In != "query" && p.In != "header" {
			continue
		}
		bad, ok := b.invalidValue(p)
		if !ok {
			continue
		}
		parts, err := b.parts(op, seed)
		if err != nil {
			return nil, err
		}
		switch p.In {
		case "path":
			// The valid request's path has the generated value in place of {name}; rebuild it.
			parts.path = b.pathWith(op, seed, p.Name, bad)
		case "query":
			parts.query.Set(p.Name, bad)
		case "header":
			parts.header.Set(p.Name, bad)
		}
		r, err := parts.request(op.Method, baseURL)
		if err != nil {
			return nil, err
		}
		out = append(out, Negative{Kind: KindInvalid, What: fmt.Sprintf("invalid %s parameter %s (%q)", p.In, p.Name, bad), In: p.In, Name: p.Name, Request: r})
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content) > 0 {
		mt := pickMediaType(rb.Content)
		if isJSON(mt.Type) && mt.Type != "*/*" {
			if body, what, ok := b.invalidBody(mt.Schema); ok {
				parts, err := b.parts(op, seed)
				if err != nil {
					return nil, err
				}
				parts.body = body
				parts.header.Set("Content-Type", mt.Type)
				r, err := parts.request(op.Method, baseURL)
				if err != nil {
					return nil, err
				}
				out = append(out, Negative{Kind: KindInvalid, What: "request body " + what, In: "body", Request: r})
			}
			parts, err := b.parts(op, seed)
			if err != nil {
				return nil, err
			}
			parts.body = []byte(`{"unterminated": `)
			parts.header.Set("Content-Type", mt.Type)
			r, err := parts.request(op.Method, baseURL)
			if err != nil {
				return nil, err
			}
			out = append(out, Negative{Kind: KindMalformed, What: "request body that is not JSON", In: "body", Request: r})
		}
	}
	return out, nil
}

// Unauthenticated returns the valid request without the credentials the operation's
// security requires, or nil when the operation allows anonymous calls.
func (b *Builder) Unauthenticated(op *apidef.Operation, baseURL string, seed uint64) (*Negative, error) {
	if !RequiresCredentials(b.def, op) {
		return nil, nil
	}
	parts, err := b.partsWith(op, seed, false)
	if err != nil {
		return nil, err
	}
	r, err := parts.request(op.Method, baseURL)
	if err != nil {
		return nil, err
	}
	return &Negative{Kind: KindUnauthenticated, What: "no credentials", In: "security", Request: r}, nil
}

// RequiresCredentials reports whether op within def requires credentials: its effective
// security requirement is not empty and none of its alternatives is anonymous.
func RequiresCredentials(def *apidef.Definition, op *apidef.Operation) bool {
	reqs := def.EffectiveSecurity(op)
	if len(reqs) == 0 {
		return false
	}
	for _, r := range reqs {
		if len(r) == 0 {
			return false
		}
	}
	return true
}

// CredentialNames returns where op's security schemes carry credentials: header names
// (canonical), query parameter names and cookie names.
func CredentialNames(def *apidef.Definition, op *apidef.Operation) (headers, query, cookies []string) {
	seen := map[string]bool{}
	add := func(list *[]string, kind, name string) {
		if !seen[kind+name] {
			seen[kind+name] = true
			*list = append(*list, name)
		}
	}
	for _, req := range def.EffectiveSecurity(op) {
		for name := range req {
			s := def.SecuritySchemes[name]
			if s == nil {
				continue
			}
			switch {
			case s.Type == "apiKey" && s.In == "query":
				add(&query, "q", s.Name)
			case s.Type == "apiKey" && s.In == "cookie":
				add(&cookies, "c", s.Name)
			case s.Type == "apiKey":
				add(&headers, "h", http.CanonicalHeaderKey(s.Name))
			default:
				add(&headers, "h", "Authorization")
			}
		}
	}
	return headers, query, cookies
}

// pathWith renders op's path with the generated values, except name, which gets value.
func (b *Builder) pathWith(op *apidef.Operation, seed uint64, name, value string) string {
	path := strings.ReplaceAll(op.Path, "{"+name+"}", url.PathEscape(value))
	for i, prm := range op.Parameters {
		if prm.In != "path" || prm.Name == name {
			continue
		}
		v, err := b.value(prm, seed+uint64(i))
		if err != nil {
			v = []string{"x"}
		}
		path = strings.ReplaceAll(path, "{"+prm.Name+"}", url.PathEscape(strings.Join(v, ",")))
	}
	return path
}

// invalidValue returns a value p's schema refuses, confirmed with the checker.
func (b *Builder) invalidValue(p *apidef.Parameter) (string, bool) {
	if p.Schema == nil {
		return "", false
	}
	s := b.def.Resolve(p.Schema)
	if s == nil {
		return "", false
	}
	item := s
	array := s.HasType("array") && len(s.Type) == 1
	if array {
		item = b.def.Resolve(s.Items)
		if item == nil {
			return "", false
		}
	}
	if len(item.Type) == 0 && len(item.Enum) == 0 && item.Const == nil && item.Format == "" && item.Pattern == "" &&
		item.MaxLength == nil && item.Minimum == nil && item.Maximum == nil {
		return "", false // nothing a single value could break
	}
	if item.HasType("object") || item.HasType("array") {
		return "", false
	}
	candidates := append([]string(nil), invalidCandidates...)
	if item.MaxLength != nil && *item.MaxLength < 64 {
		candidates = append(candidates, strings.Repeat("x", *item.MaxLength+1))
	}
	if item.MinLength != nil && *item.MinLength >= 2 {
		candidates = append(candidates, strings.Repeat("x", *item.MinLength-1))
	}
	for _, c := range candidates {
		v := paramValue(item, c)
		raw, err := json.Marshal(v)
		if err != nil {
			continue
		}
		if array {
			raw = []byte("[" + string(raw) + "]")
		}
		if err := b.checker().Validate(p.Schema, raw); err != nil && !strings.Contains(err.Error(), "compiling schema") {
			return c, true
		}
	}
	return "", false
}

// paramValue reads a parameter's text the way a validator does: as a number or boolean
// when the schema does not accept text.
func paramValue(s *apidef.Schema, text string) any {
	if s.HasType("string") {
		return text
	}
	if s.HasType("number") || s.HasType("integer") {
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			return json.Number(text)
		}
	}
	if s.HasType("boolean") {
		if v, err := strconv.ParseBool(text); err == nil {
			return v
		}
	}
	return text
}

// invalidBody returns a JSON body of a type the schema refuses, and says what it is.
func (b *Builder) invalidBody(s *apidef.Schema) ([]byte, string, bool) {
	if s == nil {
		return nil, "", false
	}
	candidates := []struct{ body, what, typ string }{
		{`[]`, "that is an array", "array"},
		{`{}`, "that is an empty object", "object"},
		{`"not-a-valid-value"`, "that is a string", "string"},
		{`true`, "that is a boolean", "boolean"},
	}
	r := b.def.Resolve(s)
	if r != nil && len(r.Type) > 0 {
		for _, c := range candidates {
			if !r.HasType(c.typ) {
				return []byte(c.body), c.what, true
			}
		}
	}
	for _, c := range candidates {
		if err := b.checker().Validate(s, []byte(c.body)); err != nil && !strings.Contains(err.Error(), "compiling schema") {
			return []byte(c.body), c.what, true
		}
	}
	return nil, "", false
}
