package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Ruleset is a loaded set of rules: a Spectral ruleset file with everything it extends
// merged in, the way Spectral merges it.
//
// A Ruleset is immutable once loaded and safe for concurrent use by several Lint calls.
type Ruleset struct {
	// Source names where the ruleset came from: the file path given to LoadRuleset, or a
	// built-in ruleset's name.
	Source string
	rules  map[string]*Rule
	sorted []*Rule
	// duplicateKeys is the severity of duplicate-key findings; dupKeysOff disables them.
	duplicateKeys Severity
	dupKeysOff    bool
}

// Rules returns every rule, enabled or not, sorted by name.
func (rs *Ruleset) Rules() []*Rule { return rs.sorted }

// Rule returns the rule called name, or nil.
func (rs *Ruleset) Rule(name string) *Rule { return rs.rules[name] }

// Enabled returns the rules that run, sorted by name.
func (rs *Ruleset) Enabled() []*Rule {
	var out []*Rule
	for _, r := range rs.sorted {
		if r.Enabled {
			out = append(out, r)
		}
	}
	return out
}

// Rule is one rule of a ruleset.
type Rule struct {
	// Name is the rule's code, e.g. "operation-description".
	Name string
	// Description says what the rule checks; "" if none.
	Description string
	// Message is the message template ({{error}}, {{description}}, {{path}}, {{property}},
	// {{value}}); "" means the description, else the function's own message.
	Message string
	// Severity is the severity of the rule's findings; the zero value is SeverityError
	// (a ruleset that gives none gets SeverityWarn, as in Spectral).
	Severity Severity
	// Enabled reports whether the rule runs (false for rules turned off or not recommended
	// when the ruleset was extended with "recommended").
	Enabled bool
	// Recommended reports whether the rule is part of its ruleset's recommended set.
	Recommended bool
	// Resolved reports whether the rule sees $refs followed (the default) or the raw root document.
	Resolved bool
	// Formats lists the document formats the rule applies to; empty means every document.
	Formats []string
	// Given lists the JSONPath expressions (or #Alias references) that select the nodes
	// the rule checks.
	Given []string
	// DocumentationURL points at the rule's documentation; "" if none.
	DocumentationURL string
	// Definition is where the rule was defined, as "file:line:col".
	Definition string

	formats formatSet
	aliases aliasTable
	then    []*thenClause
}

// thenClause is one `then` entry of a rule.
type thenClause struct {
	field      string
	fieldKey   bool     // field is @key
	fieldSegs  []string // a plain property path
	fieldQuery *query   // a JSONPath field
	fn         *function
	opts       any
}

// aliasTable holds the aliases of the ruleset a rule was defined in.
type aliasTable map[string]*alias

// alias is a named list of givens, optionally chosen per document format.
type alias struct {
	given   []string
	targets []aliasTarget
}

// aliasTarget is the givens an alias stands for in documents of some formats.
type aliasTarget struct {
	formats formatSet
	given   []string
}

// extendMode is how an extended ruleset's rules are enabled.
type extendMode uint8

const (
	modeRecommended extendMode = iota
	modeAll
	modeOff
)

// isEnabled tells whether mode enables r.
func (m extendMode) isEnabled(r *Rule) bool {
	return m == modeAll || m == modeRecommended && r.Recommended
}

// LoadRuleset reads a Spectral ruleset (YAML or JSON) and everything it extends. Relative
// paths in `extends` are resolved against the folder of the file that names them. Errors
// are *RulesetError values that name the file, line, column and field.
func LoadRuleset(path string) (*Ruleset, error) {
	data, err := readRulesetFile(path)
	if err != nil {
		return nil, &RulesetError{File: path, Msg: fmt.Sprintf("cannot read the ruleset: %v", err)}
	}
	return ParseRuleset(path, data)
}

// maxRulesetSize bounds the size of a ruleset file.
const maxRulesetSize = 16 << 20

// readRulesetFile reads a regular file of reasonable size.
func readRulesetFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxRulesetSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxRulesetSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return data, nil
}

// ParseRuleset loads a ruleset held in memory; name is used in errors and to resolve
// relative `extends` paths (against name's folder).
func ParseRuleset(name string, data []byte) (*Ruleset, error) {
	l := &loader{}
	rules, err := l.loadData(name, data, modeRecommended, false)
	if err != nil {
		return nil, err
	}
	return newRuleset(name, rules, l), nil
}

// Builtin returns a built-in ruleset: "spectral:oas" or "owasp" (also called
// "@stoplight/spectral-owasp-ruleset"), with its recommended rules enabled.
func Builtin(name string) (*Ruleset, error) {
	canonical, ok := builtinName(name)
	if !ok {
		return nil, fmt.Errorf("unknown built-in ruleset %q (known: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	l := &loader{}
	rules, err := l.loadBuiltin(canonical, rnode{file: canonical}, modeRecommended, false)
	if err != nil {
		return nil, err
	}
	return newRuleset(canonical, rules, l), nil
}

// DefaultRuleset returns the ruleset used when none is given or found: spectral:oas with
// its recommended rules.
func DefaultRuleset() *Ruleset {
	rs, err := Builtin("spectral:oas")
	if err != nil {
		panic("built-in ruleset spectral:oas does not load: " + err.Error())
	}
	return rs
}

// unwrapPathError drops the path an *os.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func newRuleset(source string, rules map[string]*Rule, l *loader) *Ruleset {
	rs := &Ruleset{Source: source, rules: rules, duplicateKeys: l.dupKeys, dupKeysOff: l.dupKeysOff}
	for _, r := range rules {
		rs.sorted = append(rs.sorted, r)
	}
	sort.Slice(rs.sorted, func(i, j int) bool { return rs.sorted[i].Name < rs.sorted[j].Name })
	return rs
}

// loader loads a ruleset and what it extends.
type loader struct {
	stack      []string // ruleset sources being loaded, to skip circular extends
	dupKeys    Severity
	dupKeysOff bool
	topDone    bool
}

func (l *loader) onStack(src string) bool { return slices.Contains(l.stack, src) }

// loadData parses a ruleset file's bytes and loads it.
func (l *loader) loadData(name string, data []byte, mode extendMode, explicit bool) (map[string]*Rule, error) {
	n, se := parseYAML(name, data)
	if se != nil {
		return nil, syntaxRulesetError(name, se)
	}
	key := name
	if abs, err := filepath.Abs(name); err == nil {
		key = abs
	}
	l.stack = append(l.stack, key)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	return l.load(rnode{file: name, n: n}, filepath.Dir(name), mode, explicit)
}

// load builds the rules of one ruleset definition, extended rulesets first.
func (l *loader) load(def rnode, dir string, mode extendMode, explicit bool) (map[string]*Rule, error) {
	top := !l.topDone
	l.topDone = true
	if err := def.mapping("extends", "rules", "formats", "aliases", "documentationUrl", "description",
		"functions", "functionsDir", "overrides", "parserOptions"); err != nil {
		if def.key == nil && !isMap(def.n) {
			return nil, &RulesetError{File: def.file, Line: 1, Column: 1, Msg: "a ruleset must be an object with rules or extends"}
		}
		return nil, err
	}
	if !def.child("extends").present() && !def.child("rules").present() && !def.child("overrides").present() {
		return nil, &RulesetError{File: def.file, Line: def.n.Line, Column: def.n.Column, Msg: `a ruleset needs "extends" or "rules"`}
	}
	if f := def.child("functions"); f.present() {
		return nil, f.errorf("custom JavaScript functions are not supported; use the built-in functions (%s)", strings.Join(FunctionNames(), ", "))
	}
	if f := def.child("functionsDir"); f.present() {
		return nil, f.errorf("custom JavaScript functions are not supported")
	}
	if o := def.child("overrides"); o.present() {
		return nil, o.errorf("overrides are not supported; use a separate ruleset per group of files")
	}
	if po := def.child("parserOptions"); po.present() {
		if err := po.mapping("duplicateKeys", "incompatibleValues"); err != nil {
			return nil, err
		}
		for _, e := range po.entries() {
			s, err := e.str()
			if err != nil {
				return nil, err
			}
			sev, off, perr := ParseSeverity(s)
			if perr != nil {
				return nil, e.valueErrorf("%v", perr)
			}
			if e.name() == "duplicateKeys" && top {
				l.dupKeys, l.dupKeysOff = sev, off
			}
		}
	}
	if d := def.child("description"); d.present() {
		if _, err := d.str(); err != nil {
			return nil, err
		}
	}
	docURL := ""
	if d := def.child("documentationUrl"); d.present() {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		docURL = s
	}
	var ownFormats []string
	var ownFmtSet formatSet
	if f := def.child("formats"); f.present() {
		var err error
		if ownFormats, ownFmtSet, err = parseFormats(f); err != nil {
			return nil, err
		}
	}
	aliases, err := parseAliases(def.child("aliases"))
	if err != nil {
		return nil, err
	}

	rules := map[string]*Rule{}
	if ext := def.child("extends"); ext.present() {
		entries := []rnode{ext}
		if isSeq(ext.n) {
			entries = ext.items()
		}
		for _, e := range entries {
			name, emode, eexplicit, err := parseExtendsEntry(e)
			if err != nil {
				return nil, err
			}
			var got map[string]*Rule
			if canonical, ok := builtinName(name); ok {
				if l.onStack(canonical) {
					continue
				}
				got, err = l.loadBuiltin(canonical, e, emode, eexplicit)
			} else {
				if isRemoteRef(name) {
					return nil, e.valueErrorf("remote rulesets are not supported: download %s and extend the local copy", name)
				}
				if !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "/") && filepath.Ext(name) == "" {
					return nil, e.valueErrorf("unknown ruleset %q: use spectral:oas, owasp or a path to a ruleset file", name)
				}
				p := name
				if !filepath.IsAbs(p) {
					p = filepath.Join(dir, filepath.FromSlash(name))
				}
				key := p
				if abs, aerr := filepath.Abs(p); aerr == nil {
					key = abs
				}
				if l.onStack(key) {
					continue
				}
				data, rerr := readRulesetFile(p)
				if rerr != nil {
					return nil, e.valueErrorf("cannot read extended ruleset %s: %v", p, rerr)
				}
				got, err = l.loadData(p, data, emode, eexplicit)
			}
			if err != nil {
				return nil, err
			}
			for _, rname := range sortedKeys(got) {
				r := got[rname]
				if explicit {
					r.Enabled = mode.isEnabled(r)
				}
				rules[rname] = r
			}
		}
	}

	if r := def.child("rules"); r.present() && !isMap(r.n) {
		return nil, r.errorf("must be an object of rules, not %s", r.kind())
	}
	for _, e := range def.child("rules").entries() {
		name := e.name()
		existing := rules[name]
		r, own, err := mergeRule(existing, e, aliases, ownFormats, ownFmtSet)
		if err != nil {
			return nil, err
		}
		if own {
			r.Enabled = mode.isEnabled(r) && r.Enabled
		}
		if docURL != "" && r.DocumentationURL == "" {
			r.DocumentationURL = docURL + "#" + name
		}
		rules[name] = r
	}
	return rules, nil
}

// parseExtendsEntry reads one entry of `extends`: "name" or [name, severity].
func parseExtendsEntry(e rnode) (name string, mode extendMode, explicit bool, err error) {
	if isSeq(e.n) {
		items := e.items()
		if len(items) != 2 {
			return "", 0, false, e.errorf(`must be a ruleset name or [name, "recommended"|"all"|"off"]`)
		}
		if name, err = items[0].str(); err != nil {
			return "", 0, false, err
		}
		m, err := items[1].str()
		if err != nil {
			return "", 0, false, err
		}
		switch m {
		case "recommended":
			mode = modeRecommended
		case "all":
			mode = modeAll
		case "off":
			mode = modeOff
		default:
			return "", 0, false, items[1].errorf(`must be "recommended", "all" or "off", not %q`, m)
		}
		return name, mode, true, nil
	}
	name, err = e.str()
	if err != nil {
		return "", 0, false, e.errorf(`must be a ruleset name or [name, "recommended"|"all"|"off"]`)
	}
	return name, modeRecommended, false, nil
}

// parseFormats reads a list of format names.
func parseFormats(f rnode) ([]string, formatSet, error) {
	if !isSeq(f.n) {
		return nil, 0, f.errorf("must be a list of formats (oas2, oas3, oas3_0, oas3_1), not %s", f.kind())
	}
	var names []string
	var set formatSet
	for _, it := range f.items() {
		s, err := it.str()
		if err != nil {
			return nil, 0, err
		}
		fs, ok := parseFormat(s)
		if !ok {
			return nil, 0, it.errorf("unknown format %q (use oas2, oas3, oas3_0, oas3_1 or oas3_2)", s)
		}
		set |= fs
		names = append(names, s)
	}
	if len(names) == 0 {
		return nil, 0, f.errorf("must not be empty")
	}
	return names, set, nil
}

// parseAliases reads the `aliases` object.
func parseAliases(a rnode) (aliasTable, error) {
	if !a.present() {
		return nil, nil
	}
	if !isMap(a.n) {
		return nil, a.errorf("must be an object, not %s", a.kind())
	}
	t := aliasTable{}
	for _, e := range a.entries() {
		name := e.name()
		if !validAliasName(name) {
			return nil, e.errorf("alias names must match ^[A-Za-z][A-Za-z0-9_-]*$")
		}
		if isMap(e.n) {
			if err := e.mapping("description", "targets"); err != nil {
				return nil, err
			}
			tg := e.child("targets")
			if !isSeq(tg.n) || len(tg.n.Content) == 0 {
				return nil, e.errorf("a scoped alias needs a non-empty list of targets")
			}
			al := &alias{}
			for _, it := range tg.items() {
				if err := it.mapping("formats", "given"); err != nil {
					return nil, err
				}
				if !it.child("formats").present() || !it.child("given").present() {
					return nil, it.errorf("a target needs formats and given")
				}
				_, fs, err := parseFormats(it.child("formats"))
				if err != nil {
					return nil, err
				}
				g, err := parseGivenList(it.child("given"))
				if err != nil {
					return nil, err
				}
				al.targets = append(al.targets, aliasTarget{formats: fs, given: g})
			}
			t[name] = al
			continue
		}
		g, err := parseGivenList(e)
		if err != nil {
			return nil, err
		}
		t[name] = &alias{given: g}
	}
	// Validate every alias against the others now that all are known.
	for _, e := range a.entries() {
		if _, err := t.expandAll("#"+e.name(), nil); err != nil {
			return nil, e.errorf("%v", err)
		}
	}
	return t, nil
}

// validAliasName reports whether s can name an alias.
func validAliasName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseGivenList reads a given: a string or a non-empty list of strings, each a JSONPath
// ($...) or an alias reference (#Name...).
func parseGivenList(g rnode) ([]string, error) {
	list, err := g.strList()
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, g.errorf("must not be empty")
	}
	for i, s := range list {
		if !strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "#") {
			at := g
			if isSeq(g.n) {
				at = g.item(i)
			}
			return nil, at.valueErrorf("%q is not a JSONPath (it must start with $) or an alias (#Name)", s)
		}
	}
	return list, nil
}

// aliasName splits "#Name.rest" into the alias name and the rest.
func aliasName(expr string) (name, rest string) {
	i := 1
	for i < len(expr) {
		c := expr[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			i++
			continue
		}
		break
	}
	return expr[1:i], expr[i:]
}

// expand resolves aliases in expr for a document of the given formats, the way Spectral
// does: a scoped alias picks the last target that matches one of the formats.
func (t aliasTable) expand(expr string, formats formatSet) []string {
	out, _ := t.expandRec(expr, formats, false, nil)
	return out
}

// expandAll resolves expr with every target of scoped aliases, to validate a ruleset.
func (t aliasTable) expandAll(expr string, stack []string) ([]string, error) {
	return t.expandRec(expr, 0, true, stack)
}

func (t aliasTable) expandRec(expr string, formats formatSet, all bool, stack []string) ([]string, error) {
	if !strings.HasPrefix(expr, "#") {
		return []string{expr}, nil
	}
	name, rest := aliasName(expr)
	if name == "" {
		return nil, fmt.Errorf("alias %q must match #[A-Za-z0-9_-]+", expr)
	}
	if slices.Contains(stack, name) {
		return nil, fmt.Errorf("alias %q is circular: %s -> %s", stack[0], strings.Join(stack, " -> "), name)
	}
	a, ok := t[name]
	if !ok {
		return nil, fmt.Errorf("alias %q does not exist", name)
	}
	var given []string
	switch {
	case a.targets == nil:
		given = a.given
	case all:
		for _, tg := range a.targets {
			given = append(given, tg.given...)
		}
	default:
		for i := len(a.targets) - 1; i >= 0; i-- {
			if a.targets[i].formats&formats != 0 {
				given = a.targets[i].given
				break
			}
		}
	}
	stack = append(stack[:len(stack):len(stack)], name)
	var out []string
	for _, g := range given {
		got, err := t.expandRec(g+rest, formats, all, stack)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// mergeRule applies one entry of `rules` to the rule of that name inherited from an extended
// ruleset (existing, may be nil). own reports whether the result is a rule this ruleset defines.
func mergeRule(existing *Rule, e rnode, aliases aliasTable, formats []string, fmtSet formatSet) (r *Rule, own bool, err error) {
	name := e.name()
	switch {
	case e.n == nil || isNull(e.n):
		return nil, false, e.errorf("must be a rule definition, a severity or a boolean")
	case isScalar(e.n):
		if existing == nil {
			return nil, false, e.errorf("cannot change rule %q: no extended ruleset defines it", name)
		}
		r := *existing
		if b, ok := boolValue(e.n); ok {
			r.Enabled = b
			return &r, false, nil
		}
		sev, off, perr := ParseSeverity(e.n.Value)
		if perr != nil {
			return nil, false, e.valueErrorf("%v", perr)
		}
		if off {
			r.Enabled = false
		} else {
			r.Severity, r.Enabled = sev, true
		}
		return &r, false, nil
	case isMap(e.n):
		if existing != nil {
			r := *existing
			r.Enabled = true
			if err := applyRuleFields(&r, e, aliases, true); err != nil {
				return nil, false, err
			}
			return &r, false, nil
		}
		r := &Rule{Name: name, Severity: SeverityWarn, Enabled: true, Recommended: true, Resolved: true,
			aliases: aliases, Formats: formats, formats: fmtSet,
			Definition: fmt.Sprintf("%s:%d:%d", e.file, e.key.Line, e.key.Column)}
		if !e.child("given").present() || !e.child("then").present() {
			return nil, false, e.errorf(`the rule must have at least "given" and "then" properties`)
		}
		if err := applyRuleFields(r, e, aliases, false); err != nil {
			return nil, false, err
		}
		return r, true, nil
	}
	return nil, false, e.errorf("must be a rule definition, a severity or a boolean, not %s", e.kind())
}

// applyRuleFields reads the fields of a rule definition into r (for an override, only the
// fields present change).
func applyRuleFields(r *Rule, e rnode, aliases aliasTable, override bool) error {
	if err := e.mapping("description", "documentationUrl", "recommended", "given", "resolved",
		"severity", "message", "tags", "formats", "then", "type", "extensions"); err != nil {
		return err
	}
	if f := e.child("description"); f.present() {
		s, err := f.str()
		if err != nil {
			return err
		}
		r.Description = s
	}
	if f := e.child("message"); f.present() {
		s, err := f.str()
		if err != nil {
			return err
		}
		r.Message = s
	}
	if f := e.child("documentationUrl"); f.present() {
		s, err := f.str()
		if err != nil {
			return err
		}
		r.DocumentationURL = s
	}
	if f := e.child("recommended"); f.present() {
		b, err := f.boolean()
		if err != nil {
			return err
		}
		r.Recommended = b
	}
	if f := e.child("resolved"); f.present() {
		b, err := f.boolean()
		if err != nil {
			return err
		}
		r.Resolved = b
	}
	if f := e.child("severity"); f.present() {
		if !isScalar(f.n) {
			return f.errorf("must be error, warn, info, hint or off (or 0 to 3), not %s", f.kind())
		}
		sev, off, err := ParseSeverity(f.n.Value)
		if err != nil {
			return f.valueErrorf("%v", err)
		}
		if off {
			r.Enabled = false
		} else {
			r.Severity = sev
		}
	}
	if f := e.child("tags"); f.present() {
		if !isSeq(f.n) {
			return f.errorf("must be a list of strings, not %s", f.kind())
		}
		if _, err := f.strList(); err != nil {
			return err
		}
	}
	if f := e.child("type"); f.present() {
		s, err := f.str()
		if err != nil {
			return err
		}
		if s != "style" && s != "validation" {
			return f.valueErrorf(`must be "style" or "validation", not %q`, s)
		}
	}
	if f := e.child("extensions"); f.present() && !isMap(f.n) {
		return f.errorf("must be an object, not %s", f.kind())
	}
	if f := e.child("formats"); f.present() {
		names, set, err := parseFormats(f)
		if err != nil {
			return err
		}
		r.Formats, r.formats = names, set
	}
	if f := e.child("given"); f.present() {
		given, err := parseGivenList(f)
		if err != nil {
			return err
		}
		if override {
			aliases = r.aliases
		}
		for i, g := range given {
			at := f
			if isSeq(f.n) {
				at = f.item(i)
			}
			exprs, err := aliases.expandAll(g, nil)
			if err != nil {
				return at.valueErrorf("%v", err)
			}
			for _, x := range exprs {
				if _, err := compileQuery(x); err != nil {
					return at.valueErrorf("%v", err)
				}
			}
		}
		r.Given = given
	}
	if f := e.child("then"); f.present() {
		var clauses []*thenClause
		items := []rnode{f}
		if isSeq(f.n) {
			items = f.items()
			if len(items) == 0 {
				return f.errorf("must not be empty")
			}
		}
		for _, it := range items {
			tc, err := parseThen(it)
			if err != nil {
				return err
			}
			clauses = append(clauses, tc)
		}
		r.then = clauses
	}
	return nil
}

// parseThen reads one `then` entry: {field, function, functionOptions}.
func parseThen(t rnode) (*thenClause, error) {
	if err := t.mapping("field", "function", "functionOptions"); err != nil {
		return nil, err
	}
	fnField := t.child("function")
	if !fnField.present() {
		return nil, t.errorf(`"function" is required`)
	}
	fnName, err := fnField.str()
	if err != nil {
		return nil, err
	}
	fn, ok := functions[fnName]
	if !ok {
		msg := fmt.Sprintf("unknown function %q", fnName)
		if s := suggest(fnName, FunctionNames()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, fnField.errorf("%s", msg)
	}
	tc := &thenClause{fn: fn}
	if f := t.child("field"); f.present() {
		s, err := f.str()
		if err != nil {
			return nil, err
		}
		tc.field = s
		switch {
		case s == "@key":
			tc.fieldKey = true
		case strings.HasPrefix(s, "$"):
			q, err := compileQuery(s)
			if err != nil {
				return nil, f.valueErrorf("%v", err)
			}
			tc.fieldQuery = q
		default:
			segs, err := parseFieldPath(s)
			if err != nil {
				return nil, f.valueErrorf("%v", err)
			}
			tc.fieldSegs = segs
		}
	}
	opts := t.child("functionOptions")
	if opts.present() && isNull(opts.n) {
		opts.n = nil
	}
	if fn.options == nil {
		if opts.present() {
			return nil, opts.errorf("%q function does not accept any options", fnName)
		}
	} else {
		o, err := fn.options(opts)
		if err != nil {
			return nil, err
		}
		tc.opts = o
	}
	return tc, nil
}

// parseFieldPath splits a lodash-style property path ("a.b[0]['c.d']") into segments.
func parseFieldPath(s string) ([]string, error) {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field %q has an unterminated [", s)
			}
			inner := strings.TrimSpace(s[i+1 : i+end])
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				inner = inner[1 : len(inner)-1]
			}
			segs = append(segs, inner)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	if len(segs) == 0 {
		return nil, fmt.Errorf("field %q is empty", s)
	}
	return segs, nil
}

// suggest returns the candidate closest to s when it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// expandedGiven returns the rule's JSONPaths for a document of the given formats.
func (r *Rule) expandedGiven(formats formatSet) []string {
	var out []string
	for _, g := range r.Given {
		out = append(out, r.aliases.expand(g, formats)...)
	}
	return out
}

// appliesTo reports whether the rule runs on documents of the given formats.
func (r *Rule) appliesTo(formats formatSet) bool {
	return r.formats == 0 || r.formats&formats != 0
}
