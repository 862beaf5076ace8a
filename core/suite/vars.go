package suite

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// placeholder is a variable reference: {{name}}, spaces inside the braces allowed. Names
// starting with $ are built-in ($uuid, $timestamp, $isoTimestamp, $randomInt).
var placeholder = regexp.MustCompile(`\{\{\s*(\$?[A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}`)

// BaseURLVar is the variable holding the URL requests are relative to.
const BaseURLVar = "baseUrl"

// builtins are the variables every request may use; each use gets a fresh value.
var builtins = map[string]func() string{
	"$uuid": func() string {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	},
	"$timestamp":    func() string { return strconv.FormatInt(time.Now().Unix(), 10) },
	"$isoTimestamp": func() string { return time.Now().UTC().Format(time.RFC3339) },
	"$randomInt": func() string {
		n, _ := rand.Int(rand.Reader, big.NewInt(1000))
		return n.String()
	},
}

// Vars holds the variables of a run: the environment's, then those captured from answers.
// The zero value holds none.
type Vars struct {
	text   map[string]string
	raw    map[string]json.RawMessage // captured JSON values that are not strings
	origin map[string]string          // who set each variable, for messages
	failed map[string]string          // variables a request should have captured but did not
}

// NewVars returns variables holding env (environment values, by name).
func NewVars(env map[string]string) *Vars {
	v := &Vars{}
	for k, val := range env {
		v.Set(k, val, "the environment")
	}
	return v
}

func (v *Vars) init() {
	if v.text == nil {
		v.text, v.raw, v.origin, v.failed = map[string]string{}, map[string]json.RawMessage{}, map[string]string{}, map[string]string{}
	}
}

// Set sets a text variable; origin says where it came from ("the environment").
func (v *Vars) Set(name, value, origin string) {
	v.init()
	v.text[name] = value
	delete(v.raw, name)
	delete(v.failed, name)
	v.origin[name] = origin
}

// setJSON sets a captured value: strings as text, anything else as JSON that a body or an
// expected value using exactly "{{name}}" receives with its type.
func (v *Vars) setJSON(name string, val *value, origin string) {
	v.Set(name, val.text(), origin)
	if val.kind != kString {
		b, _ := val.MarshalJSON()
		v.raw[name] = b
	}
}

// Get returns a variable's text and whether it is set.
func (v *Vars) Get(name string) (string, bool) {
	s, ok := v.text[name]
	return s, ok
}

// Names returns the names of the variables set, sorted.
func (v *Vars) Names() []string {
	return sortedKeys(v.text)
}

// Expand replaces every {{name}} in s (spaces inside the braces allowed, built-ins such as
// {{$uuid}} included) and returns an error naming the first variable that has no value.
func (v *Vars) Expand(s string) (string, error) {
	var problem string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if f, ok := builtins[name]; ok {
			return f()
		}
		if val, ok := v.text[name]; ok {
			return val
		}
		if problem == "" {
			problem = v.missing(name)
		}
		return m
	})
	if problem != "" {
		return "", errors.New(problem)
	}
	return out, nil
}

// ValidName reports whether name can be a variable's name, one that {{name}} refers to.
func ValidName(name string) bool {
	return variableName.MatchString(name)
}

// variableName is the name part of placeholder, whole.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// missing explains why name has no value.
func (v *Vars) missing(name string) string {
	if by, ok := v.failed[name]; ok {
		return fmt.Sprintf("{{%s}} has no value: %s did not capture it", name, by)
	}
	known := v.Names()
	if len(known) == 0 {
		return fmt.Sprintf("unknown variable {{%s}} (no variables are set)", name)
	}
	return fmt.Sprintf("unknown variable {{%s}} (known: %s)", name, strings.Join(known, ", "))
}

// expand replaces every {{name}} in s; an unknown name is a problem at field of r.
func (v *Vars) expand(r *Request, field, s string, problems *Problems) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if f, ok := builtins[name]; ok {
			return f()
		}
		if val, ok := v.text[name]; ok {
			return val
		}
		*problems = append(*problems, r.Problem(field, "%s", v.missing(name)))
		return m
	})
}

// expandValue replaces variables in the strings of a JSON value (keys are left alone); a
// string that is exactly "{{name}}" of a captured non-string value becomes that value.
func (v *Vars) expandValue(r *Request, field string, val *value, problems *Problems) *value {
	switch val.kind {
	case kString:
		if m := placeholder.FindStringSubmatch(val.str); m != nil && m[0] == val.str {
			if raw, ok := v.raw[m[1]]; ok {
				if typed, err := parseJSON(raw); err == nil {
					return typed
				}
			}
		}
		return &value{kind: kString, str: v.expand(r, field, val.str, problems)}
	case kArray, kObject:
		out := &value{kind: val.kind, keys: val.keys, vals: make([]*value, len(val.vals))}
		for i, c := range val.vals {
			f := fmt.Sprintf("%s[%d]", field, i)
			if val.kind == kObject {
				f = field + "." + val.keys[i]
			}
			out.vals[i] = v.expandValue(r, f, c, problems)
		}
		return out
	}
	return val
}

// reference is one use of a variable.
type reference struct {
	name, field string
}

// references lists the variables r uses, in field order.
func references(r *Request) []reference {
	var out []reference
	scan := func(field, s string) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			out = append(out, reference{m[1], field})
		}
	}
	var scanValue func(field string, v *value)
	scanValue = func(field string, v *value) {
		switch v.kind {
		case kString:
			scan(field, v.str)
		case kArray:
			for i, c := range v.vals {
				scanValue(fmt.Sprintf("%s[%d]", field, i), c)
			}
		case kObject:
			for i, c := range v.vals {
				scanValue(field+"."+v.keys[i], c)
			}
		}
	}
	scan("url", r.URL)
	for _, k := range sortedKeys(r.Headers) {
		scan("headers."+k, r.Headers[k])
	}
	for _, k := range sortedKeys(r.Query) {
		for i, s := range r.Query[k] {
			f := "query." + k
			if len(r.Query[k]) > 1 {
				f = fmt.Sprintf("%s[%d]", f, i)
			}
			scan(f, s)
		}
	}
	if b := r.Body; b != nil {
		if b.JSON == nil {
			scan("body", b.Text)
		} else if v, err := parseJSON(b.JSON); err == nil {
			scanValue("body", v)
		}
	}
	for i, a := range r.Assert {
		f := fmt.Sprintf("assert[%d]", i)
		if a.Equals != nil {
			if v, err := parseJSON(a.Equals); err == nil {
				scanValue(f+".equals", v)
			}
		}
		scan(f+".matches", a.Matches)
	}
	return out
}

// Check reports every {{variable}} of the suite's requests that is neither in vars (the
// names the environment defines; baseUrl is always defined), nor captured by an earlier
// request of the suite, nor built in. Each problem names the file, line and field.
func Check(s *Suite, vars []string) error {
	known := map[string]bool{BaseURLVar: true}
	for _, n := range vars {
		known[n] = true
	}
	var problems Problems
	for _, r := range s.Requests {
		for _, ref := range references(r) {
			if known[ref.name] || builtins[ref.name] != nil {
				continue
			}
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			problems = append(problems, r.Problem(ref.field, "unknown variable {{%s}}: neither the environment nor an earlier request's capture sets it (known: %s)",
				ref.name, strings.Join(names, ", ")))
		}
		for name := range r.Capture {
			known[name] = true
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}
