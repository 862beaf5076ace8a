// Package route matches request paths against OpenAPI path templates.
//
// Templates may hold parameters as whole segments ("/pets/{id}") or inside a segment
// ("/lists.{format}", "/files/{name}.{ext}"). Matching follows OpenAPI's rule that concrete
// paths win over templated ones: at every segment a literal child is tried before
// templated ones, and backtracking finds the most specific template that matches.
package route

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Table maps (method, path template) pairs to values of type T. Build it with Add, then
// use Match; a built Table is safe for concurrent reads but Add must not run concurrently
// with anything.
type Table[T any] struct {
	root node[T]
	n    int
}

type node[T any] struct {
	literal  map[string]*node[T]
	params   []*paramChild[T] // whole-segment "{x}" last; in-segment patterns first
	methods  map[string]*entry[T]
	template string
}

type paramChild[T any] struct {
	raw   string         // the segment as written, e.g. "{id}" or "lists.{format}"
	names []string       // parameter names in order
	re    *regexp.Regexp // nil for a whole-segment parameter
	next  *node[T]
}

type entry[T any] struct {
	value T
	names []string // the template's parameter names, in path order
}

// Match is the outcome of a lookup.
type Match[T any] struct {
	// Value is the value stored for the matched method and template.
	Value T
	// Template is the matched path template.
	Template string
	// Params maps the matched template's path parameter names to their percent-decoded values.
	Params map[string]string
}

// Result says how a lookup ended.
type Result int

const (
	// NotFound means no template matches the path.
	NotFound Result = iota
	// Found means a template and method matched.
	Found
	// MethodNotAllowed means a template matched but not for this method.
	MethodNotAllowed
)

// Len returns how many (method, template) pairs the table holds.
func (t *Table[T]) Len() int { return t.n }

// Add registers v for method on the path template tmpl (which starts with "/").
// It returns an error if the pair is already taken or the template is malformed.
func (t *Table[T]) Add(method, tmpl string, v T) error {
	if !strings.HasPrefix(tmpl, "/") {
		return fmt.Errorf("path template %q must start with /", tmpl)
	}
	n := &t.root
	var names []string
	for _, seg := range splitPath(tmpl) {
		var err error
		var p *paramChild[T]
		n, p, err = n.child(seg)
		if err != nil {
			return fmt.Errorf("path template %q: %w", tmpl, err)
		}
		if p != nil {
			names = append(names, paramNames(seg)...)
		}
	}
	if n.methods == nil {
		n.methods = map[string]*entry[T]{}
	}
	method = strings.ToUpper(method)
	if _, dup := n.methods[method]; dup {
		return fmt.Errorf("%s %s is declared twice (as %s)", method, tmpl, n.template)
	}
	n.methods[method] = &entry[T]{value: v, names: names}
	if n.template == "" {
		n.template = tmpl
	}
	t.n++
	return nil
}

// child returns the node for seg below n, creating it; p is the parameter child for a
// templated segment (nil for a literal one).
func (n *node[T]) child(seg string) (c *node[T], p *paramChild[T], err error) {
	if !strings.Contains(seg, "{") {
		if n.literal == nil {
			n.literal = map[string]*node[T]{}
		}
		c := n.literal[seg]
		if c == nil {
			c = &node[T]{}
			n.literal[seg] = c
		}
		return c, nil, nil
	}
	for _, p := range n.params {
		if p.raw == seg || (p.re == nil && isWholeParam(seg)) {
			return p.next, p, nil
		}
	}
	p, err = compileSegment[T](seg)
	if err != nil {
		return nil, nil, err
	}
	n.params = append(n.params, p)
	// Patterns with literal parts are more specific than a bare "{x}": try them first,
	// longer literal text first.
	sort.SliceStable(n.params, func(i, j int) bool {
		return literalLen(n.params[i].raw) > literalLen(n.params[j].raw)
	})
	return p.next, p, nil
}

// paramNames returns the parameter names of one templated segment, in order.
func paramNames(seg string) []string {
	var names []string
	for {
		i := strings.IndexByte(seg, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(seg[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, seg[i+1:i+j])
		seg = seg[i+j+1:]
	}
}

func isWholeParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && strings.Count(seg, "{") == 1
}

func literalLen(seg string) int {
	n, depth := 0, 0
	for _, r := range seg {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
		case depth == 0:
			n++
		}
	}
	return n
}

func compileSegment[T any](seg string) (*paramChild[T], error) {
	p := &paramChild[T]{raw: seg, next: &node[T]{}}
	if isWholeParam(seg) {
		name := seg[1 : len(seg)-1]
		if name == "" {
			return nil, fmt.Errorf("empty parameter name in segment %q", seg)
		}
		p.names = []string{name}
		return p, nil
	}
	var re strings.Builder
	re.WriteString("^")
	rest := seg
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			re.WriteString(regexp.QuoteMeta(rest))
			break
		}
		re.WriteString(regexp.QuoteMeta(rest[:i]))
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed { in segment %q", seg)
		}
		name := rest[i+1 : i+j]
		if name == "" || strings.ContainsAny(name, "{") {
			return nil, fmt.Errorf("bad parameter in segment %q", seg)
		}
		p.names = append(p.names, name)
		re.WriteString("(.+?)")
		rest = rest[i+j+1:]
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("segment %q: %w", seg, err)
	}
	p.re = compiled
	return p, nil
}

// splitPath splits "/a/b/" into ["a", "b"]; a trailing slash is ignored.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Lookup finds the value for method on the escaped request path (as from URL.EscapedPath).
// On MethodNotAllowed, allowed lists the methods the matched template accepts, sorted.
// A HEAD request falls back to GET when no HEAD is declared.
func (t *Table[T]) Lookup(method, escapedPath string) (m Match[T], res Result, allowed []string) {
	segs := splitPath(escapedPath)
	var caps []string
	n := t.root.find(segs, &caps, method)
	if n == nil {
		return m, NotFound, nil
	}
	e := n.methods[method]
	if e == nil && method == "HEAD" {
		e = n.methods["GET"]
	}
	if e == nil {
		for k := range n.methods {
			allowed = append(allowed, k)
		}
		if n.methods["GET"] != nil && n.methods["HEAD"] == nil {
			allowed = append(allowed, "HEAD")
		}
		sort.Strings(allowed)
		return Match[T]{Template: n.template}, MethodNotAllowed, allowed
	}
	m = Match[T]{Value: e.value, Template: n.template}
	if len(caps) > 0 && len(caps) == len(e.names) {
		m.Params = make(map[string]string, len(caps))
		for i, raw := range caps {
			v, err := url.PathUnescape(raw)
			if err != nil {
				v = raw
			}
			m.Params[e.names[i]] = v
		}
	}
	return m, Found, nil
}

// find walks the trie depth-first, literal children first. It prefers a node that has the
// requested method, but falls back to any node with methods (for a 405 answer).
func (n *node[T]) find(segs []string, caps *[]string, method string) *node[T] {
	var fallback *node[T]
	var fallbackCaps []string
	var walk func(n *node[T], segs []string) *node[T]
	walk = func(n *node[T], segs []string) *node[T] {
		if len(segs) == 0 {
			if len(n.methods) == 0 {
				return nil
			}
			if n.methods[method] != nil || (method == "HEAD" && n.methods["GET"] != nil) {
				return n
			}
			if fallback == nil {
				fallback = n
				fallbackCaps = append([]string(nil), (*caps)...)
			}
			return nil
		}
		seg := segs[0]
		lit := seg
		if strings.IndexByte(seg, '%') >= 0 {
			if u, err := url.PathUnescape(seg); err == nil {
				lit = u
			}
		}
		if c := n.literal[lit]; c != nil {
			if r := walk(c, segs[1:]); r != nil {
				return r
			}
		}
		if seg == "" {
			return nil
		}
		for _, p := range n.params {
			mark := len(*caps)
			if p.re == nil {
				*caps = append(*caps, seg)
			} else {
				sub := p.re.FindStringSubmatch(seg)
				if sub == nil {
					continue
				}
				*caps = append(*caps, sub[1:]...)
			}
			if r := walk(p.next, segs[1:]); r != nil {
				return r
			}
			*caps = (*caps)[:mark]
		}
		return nil
	}
	if r := walk(n, segs); r != nil {
		return r
	}
	*caps = fallbackCaps
	return fallback
}
