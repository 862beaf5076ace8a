package transform

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// varKind is what a $(...) variable expands to.
type varKind uint8

const (
	varLiteral   varKind = iota // no variable: seg.arg is literal text
	varConsumer                 // $(consumer)
	varRequestID                // $(requestId)
	varHeader                   // $(header.NAME): seg.arg is the canonical header name
	varQuery                    // $(query.NAME): seg.arg is the parameter name
)

// segment is a piece of a header value template.
type segment struct {
	kind varKind
	arg  string
}

// template is a parsed header value: literal text and variables.
type template struct {
	segs []segment
	// static is the value when the template has no variables.
	static string
	// dynamic is true when the template has variables.
	dynamic bool
}

// parseTemplate parses a header value with $(...) variables; "$$" stands for "$".
func parseTemplate(s string) (template, error) {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.segs = append(t.segs, segment{kind: varLiteral, arg: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) || (s[i+1] != '(' && s[i+1] != '$') {
			lit.WriteByte(c)
			continue
		}
		if s[i+1] == '$' {
			lit.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], ')')
		if end < 0 {
			return template{}, fmt.Errorf("%q has an unclosed \"$(\"", s)
		}
		name := s[i+2 : i+2+end]
		seg, err := parseVariable(name)
		if err != nil {
			return template{}, err
		}
		flush()
		t.segs = append(t.segs, seg)
		t.dynamic = true
		i += 2 + end
	}
	flush()
	if !t.dynamic {
		for _, sg := range t.segs {
			t.static += sg.arg
		}
		t.segs = nil
	}
	if !t.dynamic && !validValue(t.static) {
		return template{}, fmt.Errorf("%q contains control characters", s)
	}
	return t, nil
}

func parseVariable(name string) (segment, error) {
	switch {
	case name == "consumer":
		return segment{kind: varConsumer}, nil
	case name == "requestId":
		return segment{kind: varRequestID}, nil
	case strings.HasPrefix(name, "header."):
		h := strings.TrimPrefix(name, "header.")
		if !policy.IsToken(h) {
			return segment{}, fmt.Errorf("$(%s): %q is not a valid header name", name, h)
		}
		return segment{kind: varHeader, arg: http.CanonicalHeaderKey(h)}, nil
	case strings.HasPrefix(name, "query."):
		q := strings.TrimPrefix(name, "query.")
		if q == "" {
			return segment{}, fmt.Errorf("$(%s): the query parameter name is empty", name)
		}
		return segment{kind: varQuery, arg: q}, nil
	}
	return segment{}, fmt.Errorf("unknown variable $(%s) (known: $(consumer), $(requestId), $(header.NAME), $(query.NAME))", name)
}

// expand returns the template's value for r, with control characters (which a query
// parameter may smuggle in) replaced by spaces.
func (t *template) expand(r *http.Request) string {
	if !t.dynamic {
		return t.static
	}
	if len(t.segs) == 1 {
		return sanitize(t.segs[0].value(r))
	}
	var b strings.Builder
	for i := range t.segs {
		b.WriteString(t.segs[i].value(r))
	}
	return sanitize(b.String())
}

func (sg *segment) value(r *http.Request) string {
	switch sg.kind {
	case varLiteral:
		return sg.arg
	case varConsumer:
		if id := policy.IdentityFrom(r.Context()); id != nil {
			return id.Subject
		}
	case varRequestID:
		if v := r.Header.Get("X-Request-Id"); v != "" {
			return v
		}
		if x := capture.FromContext(r.Context()); x != nil {
			return x.ID
		}
	case varHeader:
		if v := r.Header[sg.arg]; len(v) > 0 {
			return v[0]
		}
	case varQuery:
		return queryValue(r.URL.RawQuery, sg.arg)
	}
	return ""
}

// queryValue returns the first value of the query parameter name in raw, decoded, without
// parsing the whole query into a map.
func queryValue(raw, name string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			if strings.ContainsAny(k, "%+") {
				if uk, err := url.QueryUnescape(k); err != nil || uk != name {
					continue
				}
			} else {
				continue
			}
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			return uv
		}
		return v
	}
	return ""
}

// sanitize replaces the control characters a header value must not carry with spaces.
func sanitize(s string) string {
	if validValue(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}

// validValue reports whether s can be a header value as it is.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
