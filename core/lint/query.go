package lint

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/jsonpath/pkg/jsonpath"
	"github.com/pb33f/jsonpath/pkg/jsonpath/config"
)

// A query is a compiled JSONPath as Spectral rulesets write them in `given` and `field`:
// RFC 9535 plus the JSONPath-Plus extensions Spectral relies on (`..`, unquoted names in
// brackets such as [get,put], `^` for the parent, `~` for the property name, and filters
// written as safe JavaScript: @, @property, @parentProperty, ===, !==, ==, !=, <, <=, >, >=,
// &&, ||, !, void 0, .match(/re/), .includes(), .indexOf(), .length, .constructor.name).
//
// Queries run on a native evaluator that visits every node of a document graph once, which
// matters on resolved views where shared components appear many times. Expressions the
// native parser does not understand are handed to github.com/pb33f/jsonpath in its Spectral
// compatibility mode, which is also the reference the native evaluator is tested against.
type query struct {
	src  string
	segs []qseg
	lib  *jsonpath.JSONPath // non-nil when the native evaluator cannot run src
}

// qsegKind is the kind of a path segment.
type qsegKind uint8

const (
	segChild  qsegKind = iota // apply the selectors to the children of each node
	segDesc                   // apply the selectors to each node and all its descendants
	segParent                 // ^: the parent of each node
	segKey                    // ~: the property name of each node
)

// qseg is one segment of a path.
type qseg struct {
	kind qsegKind
	sels []qsel
}

// qselKind is the kind of a selector.
type qselKind uint8

const (
	selName qselKind = iota
	selIndex
	selWildcard
	selFilter
)

// qsel is one selector inside a segment.
type qsel struct {
	kind   qselKind
	name   string // selName, and the key form of selIndex
	index  int    // selIndex
	filter *fexpr // selFilter
	// mapOnly reports that the filter can only hold for objects, so other children are
	// skipped without evaluating it.
	mapOnly bool
	// key is a property the filter requires of @ ("" if none): `$..[?()]` then only looks
	// at the objects that have it.
	key string
}

// qnode is a node a query reached, with the context it was reached in.
type qnode struct {
	n      *yaml.Node
	parent *yaml.Node // nil for the query root or when unknown
	key    *yaml.Node // the key node when n is a property value, or n itself for keys
	index  int32      // the position in a sequence parent, -1 otherwise
	isKey  bool       // n is a property name (reached with ~)
}

// queryCache holds compiled queries by source; queries are immutable once compiled.
var queryCache sync.Map // string → *query or error

// compileQuery compiles a JSONPath, natively when possible.
func compileQuery(src string) (*query, error) {
	if v, ok := queryCache.Load(src); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*query), nil
	}
	q, err := compileQueryUncached(src)
	if err != nil {
		queryCache.Store(src, err)
		return nil, err
	}
	queryCache.Store(src, q)
	return q, nil
}

func compileQueryUncached(src string) (*query, error) {
	p := &qparser{s: src}
	segs, nerr := p.parsePath()
	if nerr == nil {
		return &query{src: src, segs: segs}, nil
	}
	lib, err := jsonpath.NewPath(src, config.WithSpectralCompatibility(), config.WithLazyContextTracking())
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %v", src, err)
	}
	// The library walks every path to a node separately, so chained descendant segments
	// grow exponentially with the document; the native evaluator has no such limit.
	if strings.Count(src, "..") > 2 {
		return nil, fmt.Errorf("JSONPath %q is too complex (%v)", src, nerr)
	}
	return &query{src: src, lib: lib}, nil
}

// qview is a precomputed walk of a document view: every container node reachable from the
// root once, with the context of its first occurrence, and each node's position in it.
type qview struct {
	flat  []qnode
	index map[*yaml.Node]int32

	keysOnce sync.Once
	byKey    map[string][]qedge // property name → the edges leading to objects that have it
}

// qedge is a parent/child link of a view: flat[parent].n.Content[pos] is the child.
type qedge struct{ parent, pos int32 }

// edgesByKey indexes the view's edges by the properties of the objects they lead to.
func (v *qview) edgesByKey() map[string][]qedge {
	v.keysOnce.Do(func() {
		m := map[string][]qedge{}
		for i := range v.flat {
			x := v.flat[i].n
			step, first := 1, 0
			if x.Kind == yaml.MappingNode {
				step, first = 2, 1
			}
			for j := first; j < len(x.Content); j += step {
				c := deref(x.Content[j])
				if c == nil || c.Kind != yaml.MappingNode {
					continue
				}
				for k := 0; k+1 < len(c.Content); k += 2 {
					name := c.Content[k].Value
					m[name] = append(m[name], qedge{parent: int32(i), pos: int32(j)})
				}
			}
		}
		v.byKey = m
	})
	return v.byKey
}

// filterEdges applies a filter selector with a required key to the edges that lead to
// objects with that key.
func filterEdges(out []qnode, s *qsel, v *qview, root *yaml.Node) []qnode {
	for _, e := range v.edgesByKey()[s.key] {
		x := &v.flat[e.parent]
		ctx := fctx{root: root, parentProp: propOf(x)}
		c := x.n.Content
		ctx.cur = deref(c[e.pos])
		q := qnode{n: c[e.pos], parent: x.n, index: -1}
		if x.n.Kind == yaml.MappingNode {
			q.key = c[e.pos-1]
			ctx.prop = jsVal{k: jsStr, s: q.key.Value}
		} else {
			q.index = e.pos
			ctx.prop = jsVal{k: jsNum, f: float64(e.pos)}
		}
		if s.filter.eval(&ctx).truthy() {
			out = append(out, q)
		}
	}
	return out
}

// newView flattens the graph below root.
func newView(root *yaml.Node) *qview {
	flat := flatten(root)
	v := &qview{flat: flat, index: make(map[*yaml.Node]int32, len(flat))}
	for i, q := range flat {
		v.index[q.n] = int32(i)
	}
	return v
}

// run evaluates q with root as `$`. view, when non-nil, is the flattened graph of root, so
// that `$..` need not walk shared subtrees again.
func (q *query) run(d *Document, root *yaml.Node, view *qview) []qnode {
	if root == nil {
		return nil
	}
	if q.lib != nil {
		var out []qnode
		for _, n := range q.lib.Query(root) {
			out = append(out, qnode{n: n, index: -1})
		}
		return out
	}
	cur := []qnode{{n: root, index: -1}}
	atRoot := true
	for _, s := range q.segs {
		var next []qnode
		switch s.kind {
		case segChild:
			for i := range cur {
				next = applySelectors(next, s.sels, &cur[i], root)
			}
			next = uniqueNodes(next)
		case segDesc:
			switch {
			case atRoot && view != nil && len(s.sels) == 1 && s.sels[0].kind == selFilter && s.sels[0].key != "":
				next = filterEdges(next, &s.sels[0], view, root)
			case atRoot && view != nil:
				for i := range view.flat {
					next = applySelectors(next, s.sels, &view.flat[i], root)
				}
			default:
				next = descend(cur, s.sels, root, view)
			}
			next = uniqueNodes(next)
		case segParent:
			for _, c := range cur {
				p := c.parent
				if p == nil && d != nil {
					if info, ok := d.idx[d.original(c.n)]; ok {
						p = info.parent
					}
				}
				if p != nil {
					next = append(next, qnodeOf(d, p))
				}
			}
			next = uniqueNodes(next)
		case segKey:
			for _, c := range cur {
				k := c.key
				if k == nil && !c.isKey && d != nil {
					k = d.keyOf(c.n)
				}
				if k != nil && !c.isKey {
					next = append(next, qnode{n: k, parent: c.parent, key: k, index: -1, isKey: true})
				}
			}
		}
		cur = next
		atRoot = false
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// qnodeOf returns a node with the context the document index knows for it.
func qnodeOf(d *Document, n *yaml.Node) qnode {
	q := qnode{n: n, index: -1}
	if d == nil {
		return q
	}
	if info, ok := d.idx[d.original(n)]; ok && !info.isKey {
		q.parent, q.key, q.index = info.parent, info.key, info.index
	}
	return q
}

// uniqueNodes drops repeated nodes, keeping the first occurrence.
func uniqueNodes(ns []qnode) []qnode {
	if len(ns) < 2 {
		return ns
	}
	if len(ns) <= 8 {
		out := ns[:0]
	small:
		for i, n := range ns {
			for _, m := range ns[:i] {
				if m.n == n.n {
					continue small
				}
			}
			out = append(out, n)
		}
		return out
	}
	seen := make(map[*yaml.Node]struct{}, len(ns))
	out := ns[:0]
	for _, n := range ns {
		if _, dup := seen[n.n]; dup {
			continue
		}
		seen[n.n] = struct{}{}
		out = append(out, n)
	}
	return out
}

// descend applies sels to every node at or below the nodes of cur, visiting each node once.
func descend(cur []qnode, sels []qsel, root *yaml.Node, view *qview) []qnode {
	var out []qnode
	var seen map[*yaml.Node]struct{}
	var bits []uint64
	if view != nil {
		bits = make([]uint64, (len(view.flat)+63)/64)
	} else {
		seen = map[*yaml.Node]struct{}{}
	}
	visited := func(n *yaml.Node) bool {
		if bits != nil {
			if i, ok := view.index[n]; ok {
				w, b := i/64, uint64(1)<<(i%64)
				if bits[w]&b != 0 {
					return true
				}
				bits[w] |= b
				return false
			}
			if seen == nil {
				seen = map[*yaml.Node]struct{}{}
			}
		}
		if _, dup := seen[n]; dup {
			return true
		}
		seen[n] = struct{}{}
		return false
	}
	stack := make([]qnode, 0, 64)
	for i := len(cur) - 1; i >= 0; i-- {
		stack = append(stack, cur[i])
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.n.Kind != yaml.MappingNode && x.n.Kind != yaml.SequenceNode {
			continue
		}
		if visited(x.n) {
			continue
		}
		out = applySelectors(out, sels, &x, root)
		c := x.n.Content
		if x.n.Kind == yaml.MappingNode {
			for i := len(c) - 1; i >= 1; i -= 2 {
				if v := c[i]; v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, qnode{n: v, parent: x.n, key: c[i-1], index: -1})
				}
			}
		} else {
			for i := len(c) - 1; i >= 0; i-- {
				if v := c[i]; v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, qnode{n: v, parent: x.n, index: int32(i)})
				}
			}
		}
	}
	return out
}

// flatten lists every mapping and sequence reachable from root once, in document order,
// with the context of its first occurrence.
func flatten(root *yaml.Node) []qnode {
	if root == nil {
		return nil
	}
	var out []qnode
	seen := map[*yaml.Node]struct{}{}
	stack := []qnode{{n: root, index: -1}}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, dup := seen[x.n]; dup {
			continue
		}
		seen[x.n] = struct{}{}
		out = append(out, x)
		c := x.n.Content
		if x.n.Kind == yaml.MappingNode {
			for i := len(c) - 1; i >= 1; i -= 2 {
				if v := c[i]; v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, qnode{n: v, parent: x.n, key: c[i-1], index: -1})
				}
			}
		} else if x.n.Kind == yaml.SequenceNode {
			for i := len(c) - 1; i >= 0; i-- {
				if v := c[i]; v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, qnode{n: v, parent: x.n, index: int32(i)})
				}
			}
		}
	}
	return out
}

// applySelectors appends to out what sels select among the children of x.
func applySelectors(out []qnode, sels []qsel, x *qnode, root *yaml.Node) []qnode {
	n := x.n
	if n.Kind == yaml.AliasNode {
		n = deref(n)
		if n == nil {
			return out
		}
	}
	for i := range sels {
		s := &sels[i]
		switch n.Kind {
		case yaml.MappingNode:
			c := n.Content
			switch s.kind {
			case selName, selIndex:
				for j := 0; j+1 < len(c); j += 2 {
					if c[j].Value == s.name && c[j].Kind == yaml.ScalarNode {
						out = append(out, qnode{n: c[j+1], parent: n, key: c[j], index: -1})
						break
					}
				}
			case selWildcard:
				for j := 0; j+1 < len(c); j += 2 {
					out = append(out, qnode{n: c[j+1], parent: n, key: c[j], index: -1})
				}
			case selFilter:
				ctx := fctx{root: root, parentProp: propOf(x)}
				for j := 0; j+1 < len(c); j += 2 {
					ctx.cur = deref(c[j+1])
					if s.mapOnly && (ctx.cur == nil || ctx.cur.Kind != yaml.MappingNode) {
						continue
					}
					ctx.prop = jsVal{k: jsStr, s: c[j].Value}
					if s.filter.eval(&ctx).truthy() {
						out = append(out, qnode{n: c[j+1], parent: n, key: c[j], index: -1})
					}
				}
			}
		case yaml.SequenceNode:
			c := n.Content
			switch s.kind {
			case selIndex:
				idx := s.index
				if idx < 0 {
					idx += len(c)
				}
				if idx >= 0 && idx < len(c) {
					out = append(out, qnode{n: c[idx], parent: n, index: int32(idx)})
				}
			case selWildcard:
				for j, v := range c {
					out = append(out, qnode{n: v, parent: n, index: int32(j)})
				}
			case selFilter:
				ctx := fctx{root: root, parentProp: propOf(x)}
				for j, v := range c {
					ctx.cur = deref(v)
					if s.mapOnly && (ctx.cur == nil || ctx.cur.Kind != yaml.MappingNode) {
						continue
					}
					ctx.prop = jsVal{k: jsNum, f: float64(j)}
					if s.filter.eval(&ctx).truthy() {
						out = append(out, qnode{n: v, parent: n, index: int32(j)})
					}
				}
			}
		}
	}
	return out
}

// propOf returns @property for the node x: its key or its index.
func propOf(x *qnode) jsVal {
	switch {
	case x.key != nil && !x.isKey:
		return jsVal{k: jsStr, s: x.key.Value}
	case x.index >= 0:
		return jsVal{k: jsNum, f: float64(x.index)}
	}
	return jsVal{}
}

// qparser parses a JSONPath.
type qparser struct {
	s string
	i int
}

// errUnsupported marks syntax the native evaluator leaves to the library.
type errUnsupported struct{ msg string }

// Error returns the reason.
func (e *errUnsupported) Error() string { return e.msg }

func (p *qparser) fail(format string, args ...any) error {
	return &errUnsupported{msg: fmt.Sprintf("at %d: ", p.i) + fmt.Sprintf(format, args...)}
}

func (p *qparser) parsePath() ([]qseg, error) {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '$' {
		return nil, p.fail("a path starts with $")
	}
	p.i++
	var segs []qseg
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return segs, nil
		}
		c := p.s[p.i]
		switch c {
		case '.':
			if strings.HasPrefix(p.s[p.i:], "..") {
				p.i += 2
				var sels []qsel
				var err error
				switch {
				case p.i < len(p.s) && p.s[p.i] == '[':
					sels, err = p.parseBracket()
				case p.i < len(p.s) && p.s[p.i] == '*':
					p.i++
					sels = []qsel{{kind: selWildcard}}
				default:
					var name string
					name, err = p.parseDotName()
					sels = []qsel{{kind: selName, name: name}}
				}
				if err != nil {
					return nil, err
				}
				segs = append(segs, qseg{kind: segDesc, sels: sels})
				continue
			}
			p.i++
			if p.i < len(p.s) && p.s[p.i] == '*' {
				p.i++
				segs = append(segs, qseg{kind: segChild, sels: []qsel{{kind: selWildcard}}})
				continue
			}
			name, err := p.parseDotName()
			if err != nil {
				return nil, err
			}
			segs = append(segs, qseg{kind: segChild, sels: []qsel{{kind: selName, name: name}}})
		case '[':
			sels, err := p.parseBracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, qseg{kind: segChild, sels: sels})
		case '^':
			p.i++
			segs = append(segs, qseg{kind: segParent})
		case '~':
			p.i++
			segs = append(segs, qseg{kind: segKey})
		default:
			return nil, p.fail("unexpected %q", c)
		}
	}
}

func (p *qparser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// parseDotName reads a member name after a dot: an identifier-like run, or a backtick
// escape that takes the rest of the segment literally.
func (p *qparser) parseDotName() (string, error) {
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '`' {
		p.i++
		start = p.i
		for p.i < len(p.s) && !strings.ContainsRune(".[^~", rune(p.s[p.i])) {
			p.i++
		}
		return p.s[start:p.i], nil
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '$' || c == '-' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 {
			p.i++
			continue
		}
		break
	}
	if p.i == start {
		return "", p.fail("expected a member name")
	}
	return p.s[start:p.i], nil
}

// parseBracket reads [selector, ...].
func (p *qparser) parseBracket() ([]qsel, error) {
	p.i++ // [
	var sels []qsel
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated [")
		}
		sel, err := p.parseSelector()
		if err != nil {
			return nil, err
		}
		sels = append(sels, sel)
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated [")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return sels, nil
		default:
			return nil, p.fail("expected , or ]")
		}
	}
}

func (p *qparser) parseSelector() (qsel, error) {
	c := p.s[p.i]
	switch {
	case c == '*':
		p.i++
		return qsel{kind: selWildcard}, nil
	case c == '?':
		p.i++
		ep := &fparser{s: p.s, i: p.i}
		e, err := ep.parseExpr()
		if err != nil {
			return qsel{}, err
		}
		p.i = ep.i
		return qsel{kind: selFilter, filter: e, mapOnly: e.impliesObject(), key: e.requiredKey()}, nil
	case c == '\'' || c == '"':
		s, n, err := readQuoted(p.s[p.i:])
		if err != nil {
			return qsel{}, p.fail("%v", err)
		}
		p.i += n
		return qsel{kind: selName, name: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		p.i++
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i < len(p.s) && p.s[p.i] == ':' {
			return qsel{}, p.fail("slices are left to the library")
		}
		lit := p.s[start:p.i]
		n, err := strconv.Atoi(lit)
		if err != nil {
			return qsel{}, p.fail("bad index %q", lit)
		}
		return qsel{kind: selIndex, index: n, name: lit}, nil
	case c == ':':
		return qsel{}, p.fail("slices are left to the library")
	case c == '`':
		p.i++
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ']' {
			p.i++
		}
		return qsel{kind: selName, name: p.s[start:p.i]}, nil
	default:
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ']' {
			if strings.ContainsRune("()'\"[?@ ", rune(p.s[p.i])) {
				return qsel{}, p.fail("unexpected %q in a name", p.s[p.i])
			}
			p.i++
		}
		if p.i == start {
			return qsel{}, p.fail("empty selector")
		}
		return qsel{kind: selName, name: p.s[start:p.i]}, nil
	}
}

// readQuoted reads a quoted string literal at the start of s and returns its value and
// the number of bytes it took.
func readQuoted(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if i+4 < len(s) && isHex(s[i+1:i+5]) {
					r, _ := strconv.ParseUint(s[i+1:i+5], 16, 32)
					b.WriteRune(rune(r))
					i += 4
				} else {
					return "", 0, fmt.Errorf("bad \\u escape")
				}
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}
