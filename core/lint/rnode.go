package lint

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// RulesetError reports a ruleset that cannot be used, with the position and the field of
// the problem, e.g. "ruleset.yaml:12:7: rules.my-rule.then.function: unknown function "patern"".
type RulesetError struct {
	// File is the ruleset file as it was named (the path given, a path relative to the
	// extending ruleset, or a built-in ruleset's name).
	File string
	// Line and Column are 1-based; 0 when the problem has no position.
	Line, Column int
	// Field is the dotted path of the offending field, e.g. "rules.my-rule.then[0].function";
	// "" for the whole file.
	Field string
	// Msg describes the problem.
	Msg string
}

// Error formats the error as "file:line:col: field: message".
func (e *RulesetError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// rnode is a node of a ruleset file together with the field path leading to it, so that
// every problem can be reported at its position.
type rnode struct {
	file  string
	field string
	key   *yaml.Node // the field's key; nil for list items and the document
	n     *yaml.Node // the value; nil when the field is absent
	at    *yaml.Node // for an absent field: the node of the object it is missing from
}

// errorf returns a RulesetError at the field's key (or its value when it has no key).
func (r rnode) errorf(format string, args ...any) *RulesetError {
	e := &RulesetError{File: r.file, Field: r.field, Msg: fmt.Sprintf(format, args...)}
	switch {
	case r.key != nil:
		e.Line, e.Column = r.key.Line, r.key.Column
	case r.n != nil:
		e.Line, e.Column = r.n.Line, r.n.Column
	case r.at != nil:
		e.Line, e.Column = r.at.Line, r.at.Column
	}
	return e
}

// valueErrorf returns a RulesetError at the field's value.
func (r rnode) valueErrorf(format string, args ...any) *RulesetError {
	e := r.errorf(format, args...)
	if r.n != nil {
		e.Line, e.Column = r.n.Line, r.n.Column
	}
	return e
}

// present reports whether the field is there.
func (r rnode) present() bool { return r.n != nil }

// kind names the YAML type of the value for messages.
func (r rnode) kind() string {
	switch {
	case r.n == nil:
		return "nothing"
	case r.n.Kind == yaml.MappingNode:
		return "an object"
	case r.n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(r.n):
		return "null"
	}
	return "a " + typeName(r.n)
}

// join appends a field name to a field path.
func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// child returns the field name of a mapping (absent when missing).
func (r rnode) child(name string) rnode {
	c := rnode{file: r.file, field: join(r.field, name)}
	if isMap(r.n) {
		c.key, c.n = lookup(r.n, name)
	}
	if c.key == nil {
		c.at = r.key
		if c.at == nil {
			c.at = r.n
		}
		if c.at == nil {
			c.at = r.at
		}
	}
	return c
}

// item returns the i-th element of a sequence.
func (r rnode) item(i int) rnode {
	return rnode{file: r.file, field: r.field + "[" + strconv.Itoa(i) + "]", n: deref(r.n.Content[i])}
}

// items returns the elements of a sequence.
func (r rnode) items() []rnode {
	if !isSeq(r.n) {
		return nil
	}
	out := make([]rnode, len(r.n.Content))
	for i := range r.n.Content {
		out[i] = r.item(i)
	}
	return out
}

// entries returns the fields of a mapping in order.
func (r rnode) entries() []rnode {
	if !isMap(r.n) {
		return nil
	}
	out := make([]rnode, 0, len(r.n.Content)/2)
	for i := 0; i+1 < len(r.n.Content); i += 2 {
		k := r.n.Content[i]
		out = append(out, rnode{file: r.file, field: join(r.field, k.Value), key: k, n: deref(r.n.Content[i+1])})
	}
	return out
}

// name returns the key of a field.
func (r rnode) name() string {
	if r.key == nil {
		return ""
	}
	return r.key.Value
}

// mapping checks the value is an object and has only the allowed keys (x- extensions are
// always allowed).
func (r rnode) mapping(allowed ...string) error {
	if !isMap(r.n) {
		return r.errorf("must be an object, not %s", r.kind())
	}
	for _, e := range r.entries() {
		k := e.name()
		if strings.HasPrefix(k, "x-") {
			continue
		}
		ok := false
		for _, a := range allowed {
			if a == k {
				ok = true
				break
			}
		}
		if !ok {
			return e.errorf("unknown field %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// str returns the value as a string.
func (r rnode) str() (string, error) {
	if s, ok := str(r.n); ok {
		return s, nil
	}
	if isScalar(r.n) && !isNull(r.n) {
		// Numbers and booleans written where a string is expected keep their spelling.
		return r.n.Value, nil
	}
	return "", r.errorf("must be a string, not %s", r.kind())
}

// boolean returns the value as a boolean.
func (r rnode) boolean() (bool, error) {
	if v, ok := boolValue(r.n); ok {
		return v, nil
	}
	return false, r.errorf("must be true or false, not %s", r.kind())
}

// number returns the value as a finite number.
func (r rnode) number() (float64, error) {
	if f, ok := num(r.n); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f, nil
	}
	return 0, r.errorf("must be a number, not %s", r.kind())
}

// strList returns a string or a list of strings as a list.
func (r rnode) strList() ([]string, error) {
	if isSeq(r.n) {
		var out []string
		for _, it := range r.items() {
			s, err := it.str()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := r.str()
	if err != nil {
		return nil, r.errorf("must be a string or a list of strings, not %s", r.kind())
	}
	return []string{s}, nil
}

// syntaxRulesetError turns a parse error into a RulesetError.
func syntaxRulesetError(file string, se *SyntaxError) *RulesetError {
	return &RulesetError{File: file, Line: se.Line, Column: se.Column, Msg: "syntax error: " + se.Msg}
}
