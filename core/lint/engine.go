package lint

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// Lint runs every enabled rule of rs that applies to d's format and returns the findings
// sorted by file (root first), line, column and rule, without duplicates. Dangling $refs
// are reported as invalid-ref errors and files that do not parse as parser errors,
// whatever the ruleset.
//
// A rule whose function fails does not stop the others: Lint returns the findings of the
// rest together with an error naming each failed rule. Lint stops early with ctx's error
// when ctx is done.
func Lint(ctx context.Context, d *Document, rs *Ruleset) ([]Finding, error) {
	l := &linter{ctx: ctx, d: d, rs: rs, formats: d.formats, queries: map[queryKey][]qnode{}}
	l.out = append(l.out, d.problemsFor(rs)...)
	l.out = append(l.out, d.refProblems()...)
	var failed []error
	anyFormat := false
	for _, r := range rs.sorted {
		if !r.Enabled {
			continue
		}
		if r.formats != 0 {
			anyFormat = true
		}
		if !r.appliesTo(d.formats) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := l.runRule(r); err != nil {
			failed = append(failed, err)
		}
	}
	if anyFormat && d.formats == 0 {
		l.out = append(l.out, Finding{
			Rule: "unrecognized-format", Severity: SeverityWarn,
			Message: "The provided document does not match any of the registered formats [OpenAPI 2.0 (Swagger), OpenAPI 3.x]",
			File:    d.root, Line: 1, Column: 1, EndLine: 1, EndColumn: 1, Path: "$",
		})
	}
	return sortFindings(d.root, l.out), errors.Join(failed...)
}

// problemsFor returns the parser findings with the severity the ruleset gives duplicate keys.
func (d *Document) problemsFor(rs *Ruleset) []Finding {
	out := make([]Finding, 0, len(d.problems))
	for _, p := range d.problems {
		if strings.HasPrefix(p.Message, "Duplicate key: ") {
			if rs.dupKeysOff {
				continue
			}
			p.Severity = rs.duplicateKeys
		}
		out = append(out, p)
	}
	return out
}

// refProblems reports $refs that cannot be followed (remote ones are not followed and not
// reported).
func (d *Document) refProblems() []Finding {
	d.refOnce.Do(d.checkRefs)
	return d.refFindings
}

// refTargets returns the set of nodes some $ref points at.
func (d *Document) refTargets() map[*yaml.Node]bool {
	d.refOnce.Do(d.checkRefs)
	return d.targets
}

// checkRefs follows every $ref once.
func (d *Document) checkRefs() {
	d.targets = make(map[*yaml.Node]bool, len(d.refs))
	d.referrers = make(map[*yaml.Node]*yaml.Node, len(d.refs))
	for _, r := range d.refs {
		t, _, err := d.lookupRef(r.file, r.value.Value)
		if err == nil {
			t = deref(t)
			d.targets[t] = true
			if _, ok := d.referrers[t]; !ok && t != r.owner {
				d.referrers[t] = r.owner
			}
			continue
		}
		if errors.Is(err, errRemoteRef) {
			continue
		}
		_, segs, _ := d.pathOf(r.value)
		l, c, el, ec := d.rangeOf(r.value)
		d.refFindings = append(d.refFindings, Finding{
			Rule: "invalid-ref", Severity: SeverityError,
			Message: fmt.Sprintf("%s cannot be resolved: %v", quote(r.value.Value), err),
			File:    d.files[r.file].path, Line: l, Column: c, EndLine: el, EndColumn: ec,
			Path: formatPath(segs),
		})
	}
}

// viewOf returns the flattened graph of the raw or the resolved root.
func (d *Document) viewOf(resolved bool) *qview {
	if resolved {
		d.flatResOnce.Do(func() { d.flatRes = newView(d.resolvedRoot()) })
		return d.flatRes
	}
	d.flatRawOnce.Do(func() { d.flatRaw = newView(d.rootNode()) })
	return d.flatRaw
}

// queryKey identifies a given evaluated on a view.
type queryKey struct {
	expr     string
	resolved bool
}

// linter is the state of one Lint call.
type linter struct {
	ctx     context.Context
	d       *Document
	rs      *Ruleset
	formats formatSet
	queries map[queryKey][]qnode
	out     []Finding

	schemaCache map[schemaCacheKey]*compiledSchema
	hashes      map[*yaml.Node][16]byte
}

// call is what a rule function sees of its invocation.
type call struct {
	l        *linter
	rule     *Rule
	given    *yaml.Node
	resolved bool
}

// doc returns the linted document.
func (c *call) doc() *Document { return c.l.d }

// formats returns the document's formats.
func (c *call) formats() formatSet { return c.l.formats }

// target is a value a rule function checks.
type target struct {
	n       *yaml.Node // the value; nil when it is undefined
	isKey   bool       // n is a property name (field @key)
	base    *yaml.Node // the closest existing node when n is nil
	missing []string   // the path below base that does not exist
}

// result is one problem a function reports.
type result struct {
	msg     string
	n       *yaml.Node // the node the problem is about; nil means the target
	missing []string   // a path below n that does not exist
}

// runRule evaluates one rule, turning a panic of its function into an error.
func (l *linter) runRule(r *Rule) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rule %s failed: %v", r.Name, p)
		}
	}()
	resolved := r.Resolved
	var seen map[*yaml.Node]struct{}
	givens := r.expandedGiven(l.formats)
	if len(givens) > 1 {
		seen = map[*yaml.Node]struct{}{}
	}
	for _, g := range givens {
		for _, m := range l.query(g, resolved) {
			if seen != nil {
				if _, dup := seen[m.n]; dup {
					continue
				}
				seen[m.n] = struct{}{}
			}
			l.lintNode(r, m.n, m.isKey, resolved)
		}
	}
	return nil
}

// query evaluates a given on a view, once per Lint call.
func (l *linter) query(expr string, resolved bool) []qnode {
	k := queryKey{expr, resolved}
	if res, ok := l.queries[k]; ok {
		return res
	}
	q, err := compileQuery(expr)
	var res []qnode
	if err == nil {
		root := l.d.rootNode()
		if resolved {
			root = l.d.resolvedRoot()
		}
		res = uniqueNodes(q.run(l.d, root, l.d.viewOf(resolved)))
	}
	l.queries[k] = res
	return res
}

// lintNode applies every `then` of r to the given node n (a property name when isKey).
func (l *linter) lintNode(r *Rule, n *yaml.Node, isKey, resolved bool) {
	c := call{l: l, rule: r, given: n, resolved: resolved}
	if !isKey {
		isKey = l.d.idx[n].isKey
	}
	var buf [1]target
	for _, th := range r.then {
		targets := l.targets(th, n, buf[:0])
		if isKey && len(targets) == 1 && targets[0].n == n {
			targets[0].isKey = true
		}
		for i := range targets {
			t := &targets[i]
			if th.fn.input != nil && !th.fn.input(t) {
				continue
			}
			for _, res := range th.fn.run(&c, t, th.opts) {
				l.report(r, t, res)
			}
		}
	}
}

// targets resolves a then's field against the given node, as Spectral's getLintTargets.
func (l *linter) targets(th *thenClause, n *yaml.Node, out []target) []target {
	dn := deref(n)
	if th.field == "" || !isMap(dn) && !isSeq(dn) {
		return append(out, target{n: dn})
	}
	switch {
	case th.fieldKey:
		if isMap(dn) {
			for i := 0; i+1 < len(dn.Content); i += 2 {
				out = append(out, target{n: dn.Content[i], isKey: true})
			}
		}
	case th.fieldQuery != nil:
		for _, m := range th.fieldQuery.run(l.d, dn, nil) {
			out = append(out, target{n: deref(m.n), isKey: m.isKey})
		}
	default:
		cur := dn
		for i, seg := range th.fieldSegs {
			var next *yaml.Node
			switch {
			case isMap(cur):
				next = get(cur, seg)
			case isSeq(cur):
				if idx, err := strconv.Atoi(seg); err == nil && idx >= 0 && idx < len(cur.Content) {
					next = deref(cur.Content[idx])
				}
			}
			if next == nil {
				return append(out, target{base: cur, missing: th.fieldSegs[i:]})
			}
			cur = next
		}
		return append(out, target{n: cur})
	}
	if len(out) == 0 {
		out = append(out, target{base: dn})
	}
	return out
}

// report turns a function result into a finding.
func (l *linter) report(r *Rule, t *target, res result) {
	d := l.d
	node, missing := res.n, res.missing
	if node == nil {
		node, missing = t.n, t.missing
		if node == nil {
			node = t.base
		}
	}
	if node == nil {
		return
	}
	file, segs, ok := d.pathOf(node)
	f := Finding{Rule: r.Name, Severity: r.Severity}
	if ok {
		f.File = d.files[file].path
		f.Path = formatPath(segs)
		f.Line, f.Column, f.EndLine, f.EndColumn = d.rangeOf(node)
	} else {
		f.File, f.Path = d.root, "$"
	}
	var value *yaml.Node
	if len(missing) == 0 {
		value = node
		if t.isKey && res.n == nil && node.Tag != "!!str" {
			// Property names are strings, whatever they look like.
			value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: node.Value}
		}
	}
	vars := msgVars{
		property:    propertyName(missing, segs, t.isKey && res.n == nil, node),
		value:       value,
		description: r.Description,
		segs:        segs,
	}
	vars.err = renderMessage(res.msg, &vars)
	switch {
	case r.Message != "":
		f.Message = renderMessage(r.Message, &vars)
	case r.Description != "":
		f.Message = r.Description
	default:
		f.Message = vars.err
	}
	f.Message = strings.TrimSpace(f.Message)
	l.out = append(l.out, f)
}

// propertyName returns the {{property}} of a result: the last segment of its path, or, for
// a value that does not exist, the missing path from the last existing segment on, printed
// the way Spectral prints it ("servers[0].x-internal", "responses[401]").
func propertyName(missing []string, segs []pathSeg, isKey bool, n *yaml.Node) string {
	if len(missing) > 0 {
		var parts []pathSeg
		if len(segs) > 0 {
			parts = append(parts, segs[len(segs)-1])
		}
		for _, m := range missing {
			parts = append(parts, pathSeg{key: m, index: -1})
		}
		return dotPath(parts)
	}
	if isKey {
		return n.Value
	}
	if len(segs) == 0 {
		return ""
	}
	last := segs[len(segs)-1]
	if last.index >= 0 {
		return strconv.Itoa(last.index)
	}
	return last.key
}

// dotPath prints segments in Spectral's dot style.
func dotPath(segs []pathSeg) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case s.key == "":
			b.WriteString("['']")
		case strings.ContainsAny(s.key, " \t\n\r"):
			b.WriteString("['" + s.key + "']")
		case isNumeric(s.key):
			b.WriteString("[" + s.key + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// isNumeric reports whether JavaScript's Number(s) is a number.
func isNumeric(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

// rangeOf returns the range to highlight for node n: the key for a property whose value is
// an object or array, the scalar itself otherwise.
func (d *Document) rangeOf(n *yaml.Node) (line, col, endLine, endCol int) {
	o := d.original(n)
	info, ok := d.idx[o]
	show := o
	if ok && !info.isKey && info.key != nil && (o.Kind == yaml.MappingNode || o.Kind == yaml.SequenceNode || o.Kind == yaml.AliasNode) {
		show = info.key
	}
	line, col = show.Line, show.Column
	if line == 0 {
		line, col = 1, 1
	}
	endLine, endCol = line, col
	if show.Kind == yaml.ScalarNode {
		endLine, endCol = scalarEnd(show)
	}
	return line, col, endLine, endCol
}

// scalarEnd estimates where a scalar's text ends.
func scalarEnd(n *yaml.Node) (int, int) {
	v := n.Value
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		lines := strings.Count(strings.TrimRight(v, "\n"), "\n")
		return n.Line + lines + 1, n.Column + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if !strings.Contains(v, "\n") {
			return n.Line, n.Column + len([]rune(v)) + 2
		}
	default:
		if !strings.Contains(v, "\n") {
			return n.Line, n.Column + len([]rune(v))
		}
	}
	return n.Line + strings.Count(v, "\n"), 1
}

// msgVars are the values a message template can use.
type msgVars struct {
	property    string
	err         string
	description string
	value       *yaml.Node
	segs        []pathSeg
}

// renderMessage fills a Spectral message template: {{error}}, {{description}}, {{path}},
// {{property}} and {{value}}, and the #{{print("property")}} / #{{print("value")}} forms.
func renderMessage(tpl string, v *msgVars) string {
	if !strings.Contains(tpl, "{{") {
		return tpl
	}
	var b strings.Builder
	for {
		i := strings.Index(tpl, "{{")
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		end := strings.Index(tpl[i+2:], "}}")
		if end < 0 || strings.ContainsAny(tpl[i+2:i+2+end], "}\n") {
			b.WriteString(tpl[:i+2])
			tpl = tpl[i+2:]
			continue
		}
		expr := strings.TrimSpace(tpl[i+2 : i+2+end])
		eval := i > 0 && tpl[i-1] == '#'
		if eval {
			b.WriteString(tpl[:i-1])
		} else {
			b.WriteString(tpl[:i])
		}
		tpl = tpl[i+2+end+2:]
		if eval {
			b.WriteString(evalTemplate(expr, v))
			continue
		}
		b.WriteString(templateVar(expr, v, false))
	}
}

// templateVar returns a placeholder's text.
func templateVar(name string, v *msgVars, print bool) string {
	switch name {
	case "property":
		if print {
			if v.property != "" {
				return `"` + v.property + `" property `
			}
			return "The document "
		}
		return v.property
	case "error":
		return v.err
	case "description":
		return v.description
	case "path":
		return formatPointer(v.segs)
	case "value":
		if print {
			return printValue(v.value)
		}
		return plainValue(v.value)
	}
	return ""
}

// evalTemplate evaluates the expression of a #{{...}} placeholder: print("name") or a name.
func evalTemplate(expr string, v *msgVars) string {
	if strings.HasPrefix(expr, "print(") && strings.HasSuffix(expr, ")") {
		arg := strings.TrimSpace(expr[len("print(") : len(expr)-1])
		if len(arg) >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len(arg)-1] == arg[0] {
			return templateVar(arg[1:len(arg)-1], v, true)
		}
		return ""
	}
	return templateVar(expr, v, false)
}
