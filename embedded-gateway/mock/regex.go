package mock

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPatternOutput caps the length (in runes) of a string generated from a pattern.
const maxPatternOutput = 4096

// unbounded marks an unbounded maximum length.
const unbounded = -1

// pattern is a parsed and compiled `pattern` keyword.
type pattern struct {
	src   string
	re    *regexp.Regexp
	tree  *syntax.Regexp
	begin bool // anchored at the start of the text
	end   bool // anchored at the end of the text
	lens  map[*syntax.Regexp][2]int
}

// compilePattern parses src with Perl syntax (the dialect regexp.Compile accepts).
func compilePattern(src string) (*pattern, error) {
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parsing pattern %q: %w", src, err)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("compiling pattern %q: %w", src, err)
	}
	p := &pattern{src: src, re: re, tree: tree, lens: map[*syntax.Regexp][2]int{}}
	p.begin, p.end = anchors(tree)
	p.lengths(tree)
	return p, nil
}

// anchors reports whether every match of t must start at the beginning and end at the end of
// the text; padding is only added on a side that is not anchored.
func anchors(t *syntax.Regexp) (begin, end bool) {
	switch t.Op {
	case syntax.OpBeginText, syntax.OpBeginLine:
		return true, false
	case syntax.OpEndText, syntax.OpEndLine:
		return false, true
	case syntax.OpCapture:
		return anchors(t.Sub[0])
	case syntax.OpConcat:
		if len(t.Sub) == 0 {
			return false, false
		}
		b, _ := anchors(t.Sub[0])
		_, e := anchors(t.Sub[len(t.Sub)-1])
		return b, e
	case syntax.OpAlternate:
		begin, end = true, true
		for _, s := range t.Sub {
			b, e := anchors(s)
			begin = begin && b
			end = end && e
		}
		return begin, end
	}
	return false, false
}

// regexGen generates strings for one syntax tree.
type regexGen struct {
	p      *pattern
	rng    *rand.Rand
	static bool
	out    []rune
	budget int
}

var errNoMatch = errors.New("pattern cannot match")

// lengths returns the minimum and maximum rune length of strings t matches (max may be
// unbounded), memoised per node: compilePattern fills the table for the whole tree, so later
// calls only read it.
func (p *pattern) lengths(t *syntax.Regexp) (int, int) {
	if l, ok := p.lens[t]; ok {
		return l[0], l[1]
	}
	m, M := p.computeLengths(t)
	p.lens[t] = [2]int{m, M}
	return m, M
}

func (p *pattern) computeLengths(t *syntax.Regexp) (int, int) {
	lengths := p.lengths
	switch t.Op {
	case syntax.OpNoMatch:
		return 0, 0
	case syntax.OpLiteral:
		return len(t.Rune), len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, 1
	case syntax.OpCapture:
		return lengths(t.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := repeatBounds(t)
		m, M := lengths(t.Sub[0])
		min := satMul(lo, m)
		if hi == unbounded || M == unbounded {
			if M == 0 {
				return min, 0
			}
			return min, unbounded
		}
		return min, satMul(hi, M)
	case syntax.OpConcat:
		min, max := 0, 0
		for _, s := range t.Sub {
			m, M := lengths(s)
			min = satAdd(min, m)
			if max != unbounded {
				if M == unbounded {
					max = unbounded
				} else {
					max = satAdd(max, M)
				}
			}
		}
		return min, max
	case syntax.OpAlternate:
		min, max := -1, 0
		for _, s := range t.Sub {
			m, M := lengths(s)
			if min < 0 || m < min {
				min = m
			}
			if max != unbounded && (M == unbounded || M > max) {
				max = M
			}
		}
		if min < 0 {
			min = 0
		}
		return min, max
	}
	return 0, 0 // anchors, boundaries, empty match
}

func satAdd(a, b int) int {
	if a > 1<<40 || b > 1<<40 {
		return 1 << 40
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > (1<<40)/a {
		return 1 << 40
	}
	return a * b
}

func repeatBounds(t *syntax.Regexp) (int, int) {
	switch t.Op {
	case syntax.OpStar:
		return 0, unbounded
	case syntax.OpPlus:
		return 1, unbounded
	case syntax.OpQuest:
		return 0, 1
	}
	return t.Min, t.Max
}

// clampHi returns the smaller of two maxima, either of which may be unbounded.
func clampHi(a, b int) int {
	if a == unbounded {
		return b
	}
	if b == unbounded || a < b {
		return a
	}
	return b
}

// gen appends to g.out a string matched by t whose rune length lies in [lo, hi] (hi may be unbounded).
func (g *regexGen) gen(t *syntax.Regexp, lo, hi int) error {
	g.budget--
	if g.budget < 0 {
		return errors.New("pattern too complex")
	}
	switch t.Op {
	case syntax.OpNoMatch:
		return errNoMatch
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return nil
	case syntax.OpLiteral:
		for _, r := range t.Rune {
			if t.Flags&syntax.FoldCase != 0 && !g.static && g.rng.IntN(2) == 0 {
				if o := unicode.SimpleFold(r); o != r && utf8.ValidRune(o) {
					r = o
				}
			}
			g.out = append(g.out, r)
		}
		return nil
	case syntax.OpCharClass:
		r, ok := g.pickClass(t.Rune)
		if !ok {
			return errNoMatch
		}
		g.out = append(g.out, r)
		return nil
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		if g.static {
			g.out = append(g.out, 'a')
		} else {
			g.out = append(g.out, rune('a'+g.rng.IntN(26)))
		}
		return nil
	case syntax.OpCapture:
		return g.gen(t.Sub[0], lo, hi)
	case syntax.OpAlternate:
		return g.alternate(t, lo, hi)
	case syntax.OpConcat:
		return g.concat(t.Sub, lo, hi)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		return g.repeat(t, lo, hi)
	}
	return fmt.Errorf("unsupported regexp operator %v", t.Op)
}

func (g *regexGen) alternate(t *syntax.Regexp, lo, hi int) error {
	var fit []*syntax.Regexp
	for _, s := range t.Sub {
		m, M := g.p.lengths(s)
		if (hi == unbounded || m <= hi) && (M == unbounded || M >= lo) {
			fit = append(fit, s)
		}
	}
	if len(fit) == 0 {
		fit = t.Sub
	}
	if len(fit) == 0 {
		return errNoMatch
	}
	start := 0
	if !g.static {
		start = g.rng.IntN(len(fit))
	}
	mark := len(g.out)
	var err error
	for i := range fit {
		g.out = g.out[:mark]
		if err = g.gen(fit[(start+i)%len(fit)], lo, hi); err == nil {
			return nil
		}
	}
	return err
}

// concat generates the parts in order, giving each a length range that leaves the others room.
func (g *regexGen) concat(parts []*syntax.Regexp, lo, hi int) error {
	n := len(parts)
	mins := make([]int, n+1)
	maxs := make([]int, n+1) // suffix sums from i
	for i := n - 1; i >= 0; i-- {
		m, M := g.p.lengths(parts[i])
		mins[i] = satAdd(mins[i+1], m)
		if maxs[i+1] == unbounded || M == unbounded {
			maxs[i] = unbounded
		} else {
			maxs[i] = satAdd(maxs[i+1], M)
		}
	}
	start := len(g.out)
	for i, p := range parts {
		acc := len(g.out) - start
		plo := lo - acc
		if maxs[i+1] != unbounded {
			plo -= maxs[i+1]
		} else {
			plo = 0
		}
		if plo < 0 {
			plo = 0
		}
		phi := unbounded
		if hi != unbounded {
			phi = hi - acc - mins[i+1]
			if phi < 0 {
				phi = 0
			}
		}
		if err := g.gen(p, plo, phi); err != nil {
			return err
		}
	}
	return nil
}

func (g *regexGen) repeat(t *syntax.Regexp, lo, hi int) error {
	min, max := repeatBounds(t)
	m, M := g.p.lengths(t.Sub[0])
	// Feasible counts: n*m <= hi and n*M >= lo.
	nlo := min
	if M != unbounded && M > 0 && lo > 0 {
		if need := (lo + M - 1) / M; need > nlo {
			nlo = need
		}
	} else if M == unbounded && lo > 0 && nlo == 0 {
		nlo = 1
	}
	nhi := max
	if hi != unbounded && m > 0 {
		nhi = clampHi(nhi, hi/m)
	}
	if nhi != unbounded && nlo > nhi {
		nlo = nhi
		if nlo < min {
			nlo = min
		}
	}
	n := nlo
	if !g.static {
		top := nlo + 3
		if nhi != unbounded && nhi < top {
			top = nhi
		}
		if top > nlo {
			n = nlo + g.rng.IntN(top-nlo+1)
		}
	}
	if n > maxPatternOutput {
		return errors.New("pattern repeats too often")
	}
	if n == 0 {
		return nil
	}
	parts := make([]*syntax.Regexp, n)
	for i := range parts {
		parts[i] = t.Sub[0]
	}
	return g.concat(parts, lo, hi)
}

// pickClass picks a rune from a class given as sorted [lo, hi] pairs, preferring printable ASCII
// letters and digits so generated values stay readable.
func (g *regexGen) pickClass(ranges []rune) (rune, bool) {
	if len(ranges) == 0 {
		return 0, false
	}
	var nice []rune // candidate runes inside the readable set
	for _, set := range [...]string{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "-_.~!*'();:@&=+$,/?#[] "} {
		for _, r := range set {
			if inRanges(ranges, r) {
				nice = append(nice, r)
			}
		}
		if len(nice) > 0 {
			break
		}
	}
	if len(nice) > 0 {
		if g.static {
			return nice[0], true
		}
		return nice[g.rng.IntN(len(nice))], true
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 1024; r++ {
			if utf8.ValidRune(r) && unicode.IsPrint(r) {
				return r, true
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 1024; r++ {
			if utf8.ValidRune(r) {
				return r, true
			}
		}
	}
	return 0, false
}

func inRanges(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if r >= ranges[i] && r <= ranges[i+1] {
			return true
		}
	}
	return false
}

// padRune is appended or prepended to reach a minimum length outside anchored matches.
const padRune = 'x'

// generate returns a string matching p whose rune length is within [minLen, maxLen]
// (maxLen < 0: unbounded). It tries a few times and verifies every candidate.
func (p *pattern) generate(rng *rand.Rand, static bool, minLen, maxLen int) (string, error) {
	if maxLen >= 0 && minLen > maxLen {
		return "", fmt.Errorf("minLength %d exceeds maxLength %d", minLen, maxLen)
	}
	m, M := p.lengths(p.tree)
	if m > maxPatternOutput {
		return "", fmt.Errorf("pattern %q only matches strings longer than %d characters", p.src, maxPatternOutput)
	}
	var last error
	for attempt := 0; attempt < 8; attempt++ {
		g := &regexGen{p: p, rng: rng, static: static && attempt == 0, budget: 1 << 16}
		lo, hi := minLen, maxLen
		if hi < 0 {
			hi = unbounded
			if !p.end || !p.begin {
				// padding can extend it; keep the match itself small
				hi = clampHi(M, satAdd(m, 16))
				if hi < lo && M == unbounded {
					hi = lo
				}
			}
		}
		if hi != unbounded && hi > maxPatternOutput {
			hi = maxPatternOutput
			if lo > hi {
				lo = hi
			}
		}
		if err := g.gen(p.tree, lo, hi); err != nil {
			last = err
			if errors.Is(err, errNoMatch) {
				break
			}
			continue
		}
		s := string(g.out)
		if n := utf8.RuneCountInString(s); n < minLen {
			pad := strings.Repeat(string(padRune), minLen-n)
			switch {
			case !p.end:
				s += pad
			case !p.begin:
				s = pad + s
			}
		}
		n := utf8.RuneCountInString(s)
		if n < minLen || (maxLen >= 0 && n > maxLen) {
			last = fmt.Errorf("pattern %q: no match of length %d..%s", p.src, minLen, fmtMax(maxLen))
			continue
		}
		if !utf8.ValidString(s) || !p.re.MatchString(s) {
			last = fmt.Errorf("pattern %q: generated %q does not match", p.src, s)
			continue
		}
		return s, nil
	}
	if last == nil || errors.Is(last, errNoMatch) {
		return "", fmt.Errorf("pattern %q matches no string", p.src)
	}
	return "", last
}

func fmtMax(n int) string {
	if n < 0 {
		return "∞"
	}
	return fmt.Sprint(n)
}
