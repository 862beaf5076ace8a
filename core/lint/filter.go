package lint

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	yaml "github.com/pb33f/go-yaml"
)

// Filter expressions (the part inside [?( ... )]) are the safe JavaScript subset Spectral
// rulesets use. They evaluate to JavaScript-like values.

// jsKind is the type of a jsVal.
type jsKind uint8

const (
	jsUndef jsKind = iota
	jsNull
	jsBool
	jsNum
	jsStr
	jsNode // an object or an array
)

// jsVal is a JavaScript value seen by a filter.
type jsVal struct {
	k jsKind
	b bool
	f float64
	s string
	n *yaml.Node
}

// valOf converts a node to a jsVal.
func valOf(n *yaml.Node) jsVal {
	n = deref(n)
	if n == nil {
		return jsVal{}
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return jsVal{k: jsNode, n: n}
	}
	switch kindOf(n) {
	case kindNull:
		return jsVal{k: jsNull}
	case kindBool:
		b, _ := boolValue(n)
		return jsVal{k: jsBool, b: b}
	case kindInt, kindFloat:
		if f, ok := num(n); ok {
			return jsVal{k: jsNum, f: f}
		}
	}
	return jsVal{k: jsStr, s: n.Value}
}

// truthy applies JavaScript truthiness.
func (v jsVal) truthy() bool {
	switch v.k {
	case jsBool:
		return v.b
	case jsNum:
		return v.f != 0 && !math.IsNaN(v.f)
	case jsStr:
		return v.s != ""
	case jsNode:
		return true
	}
	return false
}

// toNumber applies JavaScript's ToNumber to primitives; objects give NaN.
func (v jsVal) toNumber() float64 {
	switch v.k {
	case jsNull:
		return 0
	case jsBool:
		if v.b {
			return 1
		}
		return 0
	case jsNum:
		return v.f
	case jsStr:
		s := strings.TrimSpace(v.s)
		if s == "" {
			return 0
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return math.NaN()
}

// asString returns the string form used by .match, .includes and .indexOf: strings as they
// are and numbers (sequence indexes in @property) printed.
func (v jsVal) asString() (string, bool) {
	switch v.k {
	case jsStr:
		return v.s, true
	case jsNum:
		return formatNumber(v.f), true
	}
	return "", false
}

func strictEqual(a, b jsVal) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case jsUndef, jsNull:
		return true
	case jsBool:
		return a.b == b.b
	case jsNum:
		return a.f == b.f
	case jsStr:
		return a.s == b.s
	}
	return a.n == b.n
}

func looseEqual(a, b jsVal) bool {
	if a.k == b.k {
		return strictEqual(a, b)
	}
	nullish := func(v jsVal) bool { return v.k == jsUndef || v.k == jsNull }
	if nullish(a) || nullish(b) {
		return nullish(a) && nullish(b)
	}
	if a.k == jsNode || b.k == jsNode {
		return false
	}
	return a.toNumber() == b.toNumber()
}

// relational compares a and b for <, <=, >, >=; ok is false when either is NaN.
func relational(a, b jsVal) (c int, ok bool) {
	if a.k == jsStr && b.k == jsStr {
		return strings.Compare(a.s, b.s), true
	}
	if a.k == jsNode || b.k == jsNode {
		return 0, false
	}
	x, y := a.toNumber(), b.toNumber()
	if math.IsNaN(x) || math.IsNaN(y) {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// fop is a filter expression operation.
type fop uint8

const (
	fLit fop = iota
	fCur
	fProp
	fParentProp
	fRoot
	fMember
	fMatch
	fIncludes
	fIndexOf
	fStartsWith
	fEndsWith
	fCtorName
	fNot
	fAnd
	fOr
	fStrictEq
	fStrictNe
	fLooseEq
	fLooseNe
	fLt
	fLe
	fGt
	fGe
)

// fexpr is a node of a filter expression.
type fexpr struct {
	op   fop
	a, b *fexpr
	c    *fexpr // optional third operand (indexOf's fromIndex)
	lit  jsVal
	name string
	re   *regexp.Regexp
}

// fctx is the evaluation context of a filter.
type fctx struct {
	cur        *yaml.Node
	prop       jsVal
	parentProp jsVal
	root       *yaml.Node
}

func (e *fexpr) eval(c *fctx) jsVal {
	switch e.op {
	case fLit:
		return e.lit
	case fCur:
		return valOf(c.cur)
	case fProp:
		return c.prop
	case fParentProp:
		return c.parentProp
	case fRoot:
		return valOf(c.root)
	case fMember:
		return member(e.a.eval(c), e.name)
	case fMatch:
		s, ok := e.a.eval(c).asString()
		return jsVal{k: jsBool, b: ok && e.re.MatchString(s)}
	case fIncludes:
		v, arg := e.a.eval(c), e.b.eval(c)
		if v.k == jsNode && v.n.Kind == yaml.SequenceNode {
			for _, it := range v.n.Content {
				iv := valOf(it)
				if strictEqual(iv, arg) || iv.k == jsNum && arg.k == jsNum && math.IsNaN(iv.f) && math.IsNaN(arg.f) {
					return jsVal{k: jsBool, b: true}
				}
			}
			return jsVal{k: jsBool}
		}
		s, ok := v.asString()
		sub, ok2 := arg.asString()
		return jsVal{k: jsBool, b: ok && ok2 && strings.Contains(s, sub)}
	case fIndexOf:
		v, arg := e.a.eval(c), e.b.eval(c)
		from := 0
		if e.c != nil {
			if f := e.c.eval(c).toNumber(); !math.IsNaN(f) && f > 0 {
				from = int(f)
			}
		}
		if v.k == jsNode && v.n.Kind == yaml.SequenceNode {
			for i := from; i < len(v.n.Content); i++ {
				if strictEqual(valOf(v.n.Content[i]), arg) {
					return jsVal{k: jsNum, f: float64(i)}
				}
			}
			return jsVal{k: jsNum, f: -1}
		}
		s, ok := v.asString()
		sub, ok2 := arg.asString()
		if !ok || !ok2 {
			return jsVal{}
		}
		return jsVal{k: jsNum, f: float64(utf16IndexOf(s, sub, from))}
	case fStartsWith, fEndsWith:
		s, ok := e.a.eval(c).asString()
		arg, ok2 := e.b.eval(c).asString()
		if !ok || !ok2 {
			return jsVal{}
		}
		if e.op == fStartsWith {
			return jsVal{k: jsBool, b: strings.HasPrefix(s, arg)}
		}
		return jsVal{k: jsBool, b: strings.HasSuffix(s, arg)}
	case fCtorName:
		v := e.a.eval(c)
		switch v.k {
		case jsNode:
			if v.n.Kind == yaml.SequenceNode {
				return jsVal{k: jsStr, s: "Array"}
			}
			return jsVal{k: jsStr, s: "Object"}
		case jsStr:
			return jsVal{k: jsStr, s: "String"}
		case jsNum:
			return jsVal{k: jsStr, s: "Number"}
		case jsBool:
			return jsVal{k: jsStr, s: "Boolean"}
		}
		return jsVal{}
	case fNot:
		return jsVal{k: jsBool, b: !e.a.eval(c).truthy()}
	case fAnd:
		a := e.a.eval(c)
		if !a.truthy() {
			return a
		}
		return e.b.eval(c)
	case fOr:
		a := e.a.eval(c)
		if a.truthy() {
			return a
		}
		return e.b.eval(c)
	case fStrictEq:
		return jsVal{k: jsBool, b: strictEqual(e.a.eval(c), e.b.eval(c))}
	case fStrictNe:
		return jsVal{k: jsBool, b: !strictEqual(e.a.eval(c), e.b.eval(c))}
	case fLooseEq:
		return jsVal{k: jsBool, b: looseEqual(e.a.eval(c), e.b.eval(c))}
	case fLooseNe:
		return jsVal{k: jsBool, b: !looseEqual(e.a.eval(c), e.b.eval(c))}
	case fLt, fLe, fGt, fGe:
		r, ok := relational(e.a.eval(c), e.b.eval(c))
		if !ok {
			return jsVal{k: jsBool}
		}
		var b bool
		switch e.op {
		case fLt:
			b = r < 0
		case fLe:
			b = r <= 0
		case fGt:
			b = r > 0
		default:
			b = r >= 0
		}
		return jsVal{k: jsBool, b: b}
	}
	return jsVal{}
}

// member reads property name of v the way JavaScript does for JSON values.
func member(v jsVal, name string) jsVal {
	switch v.k {
	case jsNode:
		if v.n.Kind == yaml.MappingNode {
			k, val := lookup(v.n, name)
			if k == nil {
				return jsVal{}
			}
			return valOf(val)
		}
		if name == "length" {
			return jsVal{k: jsNum, f: float64(len(v.n.Content))}
		}
		if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(v.n.Content) && strconv.Itoa(i) == name {
			return valOf(v.n.Content[i])
		}
	case jsStr:
		if name == "length" {
			return jsVal{k: jsNum, f: float64(utf16Len(v.s))}
		}
	}
	return jsVal{}
}

// utf16Len returns the length of s in UTF-16 code units, as JavaScript counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// utf16IndexOf returns the UTF-16 index of sub in s at or after from, or -1.
func utf16IndexOf(s, sub string, from int) int {
	units := utf16.Encode([]rune(s))
	subUnits := utf16.Encode([]rune(sub))
	for i := from; i+len(subUnits) <= len(units); i++ {
		match := true
		for j := range subUnits {
			if units[i+j] != subUnits[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// fparser parses a filter expression starting at s[i].
type fparser struct {
	s string
	i int
}

func (p *fparser) fail(format string, args ...any) error {
	q := &qparser{s: p.s, i: p.i}
	return q.fail(format, args...)
}

func (p *fparser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *fparser) peek(tok string) bool {
	p.skip()
	return strings.HasPrefix(p.s[p.i:], tok)
}

func (p *fparser) parseExpr() (*fexpr, error) { return p.parseOr() }

func (p *fparser) parseOr() (*fexpr, error) {
	a, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peek("||") {
		p.i += 2
		b, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		a = &fexpr{op: fOr, a: a, b: b}
	}
	return a, nil
}

func (p *fparser) parseAnd() (*fexpr, error) {
	a, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.peek("&&") {
		p.i += 2
		b, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		a = &fexpr{op: fAnd, a: a, b: b}
	}
	return a, nil
}

func (p *fparser) parseUnary() (*fexpr, error) {
	if p.peek("!") && !p.peek("!=") {
		p.i++
		a, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &fexpr{op: fNot, a: a}, nil
	}
	return p.parseCmp()
}

var cmpOps = []struct {
	tok string
	op  fop
}{
	{"===", fStrictEq}, {"!==", fStrictNe}, {"==", fLooseEq}, {"!=", fLooseNe},
	{"<=", fLe}, {">=", fGe}, {"<", fLt}, {">", fGt},
}

func (p *fparser) parseCmp() (*fexpr, error) {
	a, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	p.skip()
	for _, o := range cmpOps {
		if strings.HasPrefix(p.s[p.i:], o.tok) {
			p.i += len(o.tok)
			b, err := p.parsePostfix()
			if err != nil {
				return nil, err
			}
			return &fexpr{op: o.op, a: a, b: b}, nil
		}
	}
	return a, nil
}

func (p *fparser) parsePostfix() (*fexpr, error) {
	e, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for {
		p.skip()
		if p.i >= len(p.s) {
			return e, nil
		}
		switch p.s[p.i] {
		case '.':
			p.i++
			name := p.ident()
			if name == "" {
				return nil, p.fail("expected a property name")
			}
			if name == "constructor" && strings.HasPrefix(p.s[p.i:], ".name") {
				p.i += len(".name")
				e = &fexpr{op: fCtorName, a: e}
				continue
			}
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == '(' {
				e, err = p.parseMethod(e, name)
				if err != nil {
					return nil, err
				}
				continue
			}
			e = &fexpr{op: fMember, a: e, name: name}
		case '[':
			p.i++
			p.skip()
			if p.i >= len(p.s) {
				return nil, p.fail("unterminated [")
			}
			var name string
			switch c := p.s[p.i]; {
			case c == '\'' || c == '"':
				s, n, err := readQuoted(p.s[p.i:])
				if err != nil {
					return nil, p.fail("%v", err)
				}
				p.i += n
				name = s
			case c >= '0' && c <= '9':
				start := p.i
				for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
					p.i++
				}
				name = p.s[start:p.i]
			default:
				return nil, p.fail("computed member access is not supported")
			}
			p.skip()
			if p.i >= len(p.s) || p.s[p.i] != ']' {
				return nil, p.fail("expected ]")
			}
			p.i++
			e = &fexpr{op: fMember, a: e, name: name}
		default:
			return e, nil
		}
	}
}

// ident reads a JavaScript identifier.
func (p *fparser) ident() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.i > start && c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *fparser) parseMethod(recv *fexpr, name string) (*fexpr, error) {
	p.i++ // (
	var args []*fexpr
	for {
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		return nil, p.fail("expected , or )")
	}
	switch name {
	case "match", "test":
		if len(args) != 1 || args[0].op != fLit || args[0].re == nil && args[0].lit.k != jsStr {
			return nil, p.fail(".%s takes one regular expression", name)
		}
		re := args[0].re
		if re == nil {
			var err error
			if re, err = compileJSSource(args[0].lit.s, ""); err != nil {
				return nil, p.fail("%v", err)
			}
		}
		if name == "test" {
			return nil, p.fail(".test is not supported")
		}
		return &fexpr{op: fMatch, a: recv, re: re}, nil
	case "includes":
		if len(args) != 1 {
			return nil, p.fail(".includes takes one argument")
		}
		return &fexpr{op: fIncludes, a: recv, b: args[0]}, nil
	case "indexOf":
		if len(args) < 1 || len(args) > 2 {
			return nil, p.fail(".indexOf takes one or two arguments")
		}
		e := &fexpr{op: fIndexOf, a: recv, b: args[0]}
		if len(args) == 2 {
			e.c = args[1]
		}
		return e, nil
	case "startsWith", "endsWith":
		if len(args) != 1 {
			return nil, p.fail(".%s takes one argument", name)
		}
		op := fStartsWith
		if name == "endsWith" {
			op = fEndsWith
		}
		return &fexpr{op: op, a: recv, b: args[0]}, nil
	}
	return nil, p.fail("method %q is not supported", name)
}

func (p *fparser) parsePrimary() (*fexpr, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end of expression")
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.fail("expected )")
		}
		p.i++
		return e, nil
	case c == '@':
		p.i++
		name := p.ident()
		switch name {
		case "":
			return &fexpr{op: fCur}, nil
		case "property":
			return &fexpr{op: fProp}, nil
		case "parentProperty":
			return &fexpr{op: fParentProp}, nil
		case "root":
			return &fexpr{op: fRoot}, nil
		}
		return nil, p.fail("@%s is left to the library", name)
	case c == '$':
		p.i++
		return &fexpr{op: fRoot}, nil
	case c == '\'' || c == '"':
		s, n, err := readQuoted(p.s[p.i:])
		if err != nil {
			return nil, p.fail("%v", err)
		}
		p.i += n
		return &fexpr{op: fLit, lit: jsVal{k: jsStr, s: s}}, nil
	case c == '/':
		end := p.i + 1
		inClass := false
		for end < len(p.s) {
			ch := p.s[end]
			if ch == '\\' {
				end += 2
				continue
			}
			if ch == '[' {
				inClass = true
			} else if ch == ']' {
				inClass = false
			} else if ch == '/' && !inClass {
				break
			}
			end++
		}
		if end >= len(p.s) {
			return nil, p.fail("unterminated regular expression")
		}
		source := p.s[p.i+1 : end]
		p.i = end + 1
		fl := p.i
		for p.i < len(p.s) && p.s[p.i] >= 'a' && p.s[p.i] <= 'z' {
			p.i++
		}
		re, err := compileJSSource(source, p.s[fl:p.i])
		if err != nil {
			return nil, p.fail("%v", err)
		}
		return &fexpr{op: fLit, re: re}, nil
	case c == '-' || c >= '0' && c <= '9' || c == '.':
		start := p.i
		p.i++
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			return nil, p.fail("bad number %q", p.s[start:p.i])
		}
		return &fexpr{op: fLit, lit: jsVal{k: jsNum, f: f}}, nil
	}
	word := p.ident()
	switch word {
	case "true":
		return &fexpr{op: fLit, lit: jsVal{k: jsBool, b: true}}, nil
	case "false":
		return &fexpr{op: fLit, lit: jsVal{k: jsBool}}, nil
	case "null":
		return &fexpr{op: fLit, lit: jsVal{k: jsNull}}, nil
	case "undefined":
		return &fexpr{op: fLit}, nil
	case "void":
		p.skip()
		if _, err := p.parsePrimary(); err != nil {
			return nil, err
		}
		return &fexpr{op: fLit}, nil
	}
	return nil, p.fail("unexpected %q", c)
}

// impliesObject reports whether the expression can only be truthy when @ is an object:
// it requires a property of @ (other than length or an index) to be defined.
func (e *fexpr) impliesObject() bool {
	switch e.op {
	case fAnd:
		return e.a.impliesObject() || e.b.impliesObject()
	case fOr:
		return e.a.impliesObject() && e.b.impliesObject()
	case fMember, fMatch, fIncludes, fStartsWith, fEndsWith, fCtorName:
		return e.definesCurMember()
	case fStrictEq, fLooseEq:
		// `@.x === lit` holds only when @.x is defined, unless lit is undefined (or null
		// for loose equality).
		for _, pair := range [][2]*fexpr{{e.a, e.b}, {e.b, e.a}} {
			side, other := pair[0], pair[1]
			if other.op == fLit && other.re == nil && other.lit.k != jsUndef && !(e.op == fLooseEq && other.lit.k == jsNull) && side.definesCurMember() {
				return true
			}
		}
	}
	return false
}

// requiredKey returns a property name @ must have for the expression to be truthy, or "".
func (e *fexpr) requiredKey() string {
	switch e.op {
	case fAnd:
		if k := e.a.requiredKey(); k != "" {
			return k
		}
		return e.b.requiredKey()
	case fOr:
		if ka := e.a.requiredKey(); ka != "" && ka == e.b.requiredKey() {
			return ka
		}
	case fMember, fMatch, fIncludes, fStartsWith, fEndsWith, fCtorName:
		return e.firstCurMember()
	case fStrictEq, fLooseEq:
		for _, pair := range [][2]*fexpr{{e.a, e.b}, {e.b, e.a}} {
			side, other := pair[0], pair[1]
			if other.op == fLit && other.re == nil && other.lit.k != jsUndef && !(e.op == fLooseEq && other.lit.k == jsNull) {
				if k := side.firstCurMember(); k != "" {
					return k
				}
			}
		}
	}
	return ""
}

// firstCurMember returns the first property name of a chain read from @ when the chain
// only exists on an object, or "".
func (e *fexpr) firstCurMember() string {
	if !e.definesCurMember() {
		return ""
	}
	cur := e
	for cur.op != fMember {
		cur = cur.a
	}
	for cur.a != nil && cur.a.op == fMember {
		cur = cur.a
	}
	return cur.name
}

// definesCurMember reports whether e reads a chain of properties of @ that only exists on
// an object (the first step is not "length" or a number).
func (e *fexpr) definesCurMember() bool {
	cur := e
	for cur.op == fMatch || cur.op == fIncludes || cur.op == fStartsWith || cur.op == fEndsWith || cur.op == fCtorName {
		cur = cur.a
	}
	if cur.op != fMember {
		return false
	}
	first := cur
	for first.a != nil && first.a.op == fMember {
		first = first.a
	}
	if first.a == nil || first.a.op != fCur {
		return false
	}
	if first.name == "length" {
		return false
	}
	if _, err := strconv.Atoi(first.name); err == nil {
		return false
	}
	return true
}
