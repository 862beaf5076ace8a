package lint

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The schema function and the OpenAPI example checks validate values with
// github.com/pb33f/jsonschema/v6 (drafts 4, 6, 7, 2019-09 and 2020-12).

// noLoader refuses to load anything: schemas may only refer inside themselves.
type noLoader struct{}

// Load refuses every URL.
func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("loading %s: external references are not followed", url)
}

// openAPIFormats adds the OpenAPI format registry's checkable formats to JSON Schema's.
var openAPIFormats = []*jsonschema.Format{
	{Name: "int32", Validate: integerFormat(math.MinInt32, math.MaxInt32)},
	{Name: "int64", Validate: integerFormat(math.MinInt64, math.MaxInt64)},
	{Name: "byte", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return errors.New("not base64")
		}
		return nil
	}},
}

// integerFormat checks numbers are whole and within bounds; other types pass.
func integerFormat(lo, hi int64) func(any) error {
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || f < float64(lo) || f >= float64(hi)+1 {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		return nil
	}
}

// dialectDraft maps a Spectral dialect name to a draft; "" or "auto" gives nil (detect).
func dialectDraft(s string) (*jsonschema.Draft, bool) {
	switch s {
	case "", "auto":
		return nil, true
	case "draft4":
		return jsonschema.Draft4, true
	case "draft6":
		return jsonschema.Draft6, true
	case "draft7":
		return jsonschema.Draft7, true
	case "draft2019-09":
		return jsonschema.Draft2019, true
	case "draft2020-12":
		return jsonschema.Draft2020, true
	}
	return nil, false
}

// compileSchema compiles a schema value; draft applies when the schema has no $schema.
func compileSchema(v any, draft *jsonschema.Draft) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if draft == nil {
		draft = jsonschema.Draft7
	}
	c.DefaultDraft(draft)
	c.AssertFormat()
	for _, f := range openAPIFormats {
		c.RegisterFormat(f)
	}
	const url = "mem:///schema.json"
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// schemaProblem is one validation failure.
type schemaProblem struct {
	loc []string // instance location below the validated value
	msg string   // message without the property prefix
	key string   // for unexpected properties: the property name
}

// validate checks node against s and returns the failures: every independent failure when
// all is set, else the first one. For anyOf/oneOf only the branch that got furthest is
// reported. limit bounds how deep the value is converted (see instanceDepth); -1 converts all.
func validate(s *jsonschema.Schema, node *yaml.Node, all bool, limit int) []schemaProblem {
	return validateValue(s, toValueLimited(node, limit), all)
}

// validateValue is validate for a value already converted.
func validateValue(s *jsonschema.Schema, v any, all bool) []schemaProblem {
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []schemaProblem{{msg: err.Error()}}
	}
	var out []schemaProblem
	collectProblems(ve, &out)
	if len(out) == 0 {
		out = append(out, schemaProblem{loc: ve.InstanceLocation, msg: "must be valid"})
	}
	if !all {
		return out[:1]
	}
	// Drop repeats.
	seen := map[string]bool{}
	uniq := out[:0]
	for _, p := range out {
		k := strings.Join(p.loc, "\x00") + "\x01" + p.msg + "\x01" + p.key
		if seen[k] {
			continue
		}
		seen[k] = true
		uniq = append(uniq, p)
	}
	return uniq
}

// depth returns the deepest instance location in an error tree.
func depth(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	for _, c := range e.Causes {
		if cd := depth(c); cd > d {
			d = cd
		}
	}
	return d
}

// collectProblems walks an error tree to its leaves.
func collectProblems(e *jsonschema.ValidationError, out *[]schemaProblem) {
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if oneOf, ok := k.(*kind.OneOf); ok && len(oneOf.Subschemas) > 1 {
			*out = append(*out, schemaProblem{loc: e.InstanceLocation, msg: "must match exactly one schema in oneOf"})
			return
		}
		// Report the branch that got furthest: not one rejected for the value of a
		// discriminating property (an enum or const one level down), then the one whose
		// errors go deepest, then the one with the fewest errors.
		var best *jsonschema.ValidationError
		bestScore := [3]int{-1, -1, 0}
		for _, c := range e.Causes {
			score := [3]int{1, depth(c), -countLeaves(c)}
			if discriminatorMismatch(c, len(e.InstanceLocation)+1) {
				score[0] = 0
			}
			if best == nil || score[0] > bestScore[0] || score[0] == bestScore[0] && (score[1] > bestScore[1] || score[1] == bestScore[1] && score[2] > bestScore[2]) {
				best, bestScore = c, score
			}
		}
		bestDepth := bestScore[1]
		if best == nil || bestDepth <= len(e.InstanceLocation) && onlyTypeErrors(best) {
			word := "anyOf"
			if _, ok := k.(*kind.OneOf); ok {
				word = "oneOf"
			}
			m := "must match a schema in anyOf"
			if word == "oneOf" {
				m = "must match exactly one schema in oneOf"
			}
			*out = append(*out, schemaProblem{loc: e.InstanceLocation, msg: m})
			return
		}
		collectProblems(best, out)
		return
	}
	if len(e.Causes) == 0 {
		*out = append(*out, problemOf(e)...)
		return
	}
	for _, c := range e.Causes {
		collectProblems(c, out)
	}
}

// countLeaves counts the leaf errors of a tree.
func countLeaves(e *jsonschema.ValidationError) int {
	if len(e.Causes) == 0 {
		return 1
	}
	n := 0
	for _, c := range e.Causes {
		n += countLeaves(c)
	}
	return n
}

// discriminatorMismatch reports whether a branch failed because a property at depth d has
// a value outside an enum or const (such as "in: path" against the body parameter branch).
func discriminatorMismatch(e *jsonschema.ValidationError, d int) bool {
	switch e.ErrorKind.(type) {
	case *kind.Enum, *kind.Const:
		if len(e.InstanceLocation) == d {
			return true
		}
	case *kind.AnyOf, *kind.OneOf:
		return false // a mismatch in one alternative says nothing about the branch
	}
	for _, c := range e.Causes {
		if discriminatorMismatch(c, d) {
			return true
		}
	}
	return false
}

// onlyTypeErrors reports whether a branch failed only for its type, which says nothing useful.
func onlyTypeErrors(e *jsonschema.ValidationError) bool {
	if len(e.Causes) == 0 {
		_, ok := e.ErrorKind.(*kind.Type)
		return ok
	}
	for _, c := range e.Causes {
		if !onlyTypeErrors(c) {
			return false
		}
	}
	return true
}

// ratString prints a big.Rat as a number.
func ratString(r *big.Rat) string {
	if r == nil {
		return ""
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// problemOf words a leaf error the way ajv does.
func problemOf(e *jsonschema.ValidationError) []schemaProblem {
	loc := e.InstanceLocation
	p := schemaProblem{loc: loc}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]schemaProblem, 0, len(k.Missing))
		for _, m := range k.Missing {
			out = append(out, schemaProblem{loc: loc, msg: "must have required property " + quote(m)})
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]schemaProblem, 0, len(k.Properties))
		for _, prop := range k.Properties {
			out = append(out, schemaProblem{loc: loc, key: prop, msg: "Property " + quote(prop) + " is not expected to be here"})
		}
		return out
	case *kind.Type:
		p.msg = "must be " + strings.Join(k.Want, ",")
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, w := range k.Want {
			b, _ := json.Marshal(w)
			vals[i] = string(b)
		}
		p.msg = "must be equal to one of the allowed values: " + strings.Join(vals, ", ")
	case *kind.Const:
		b, _ := json.Marshal(k.Want)
		p.msg = "must be equal to constant " + string(b)
	case *kind.Format:
		p.msg = "must match format " + quote(k.Want)
	case *kind.Pattern:
		p.msg = `must match pattern "` + k.Want + `"`
	case *kind.MinLength:
		p.msg = fmt.Sprintf("must not have fewer than %d characters", k.Want)
	case *kind.MaxLength:
		p.msg = fmt.Sprintf("must not have more than %d characters", k.Want)
	case *kind.MinItems:
		p.msg = fmt.Sprintf("must not have fewer than %d items", k.Want)
	case *kind.MaxItems:
		p.msg = fmt.Sprintf("must not have more than %d items", k.Want)
	case *kind.AdditionalItems:
		p.msg = fmt.Sprintf("must not have more than %d items", k.Count)
	case *kind.MinProperties:
		p.msg = fmt.Sprintf("must not have fewer than %d properties", k.Want)
	case *kind.MaxProperties:
		p.msg = fmt.Sprintf("must not have more than %d properties", k.Want)
	case *kind.Minimum:
		p.msg = "must be >= " + ratString(k.Want)
	case *kind.Maximum:
		p.msg = "must be <= " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		p.msg = "must be > " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		p.msg = "must be < " + ratString(k.Want)
	case *kind.MultipleOf:
		p.msg = "must be multiple of " + ratString(k.Want)
	case *kind.UniqueItems:
		p.msg = fmt.Sprintf("must not have duplicate items (items ## %d and %d are identical)", k.Duplicates[1], k.Duplicates[0])
	case *kind.Not:
		p.msg = "must not be valid"
	case *kind.FalseSchema:
		p.msg = "must not be present"
	case *kind.Dependency:
		p.msg = fmt.Sprintf("must have properties %s when property %s is present", strings.Join(quoteAll(k.Missing), ", "), quote(k.Prop))
	case *kind.DependentRequired:
		p.msg = fmt.Sprintf("must have properties %s when property %s is present", strings.Join(quoteAll(k.Missing), ", "), quote(k.Prop))
	case *kind.PropertyNames:
		p.msg = "property name " + quote(k.Property) + " is invalid"
	case *kind.Contains:
		p.msg = "must contain at least 1 valid item"
	case *kind.MinContains:
		p.msg = fmt.Sprintf("must contain at least %d valid items", k.Want)
	case *kind.MaxContains:
		p.msg = fmt.Sprintf("must contain at most %d valid items", k.Want)
	default:
		p.msg = e.ErrorKind.LocalizedString(message.NewPrinter(language.English))
	}
	return []schemaProblem{p}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}

// locate finds the node at an instance location below n. It returns the deepest existing
// node and the segments that do not exist.
func locate(n *yaml.Node, loc []string) (*yaml.Node, []string) {
	cur := deref(n)
	for i, seg := range loc {
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
			return cur, loc[i:]
		}
		cur = next
	}
	return cur, nil
}

// problemResults turns validation problems on node into results, with messages prefixed
// by the property they are about, as Spectral's schema function words them.
func problemResults(node *yaml.Node, lastProp string, probs []schemaProblem) []result {
	out := make([]result, 0, len(probs))
	for _, p := range probs {
		at, missing := locate(node, p.loc)
		prop := lastProp
		if len(p.loc) > 0 {
			prop = p.loc[len(p.loc)-1]
		}
		m := p.msg
		if p.key != "" {
			if k, _ := lookup(at, p.key); k != nil {
				at = k
			}
		} else if prop != "" {
			m = quote(prop) + " property " + m
		}
		out = append(out, result{msg: m, n: at, missing: missing})
	}
	return out
}

// schemaOpts are the prepared options of the schema function.
type schemaOpts struct {
	schema *jsonschema.Schema
	all    bool
	limit  int // how deep the schema looks into a value; -1: without bound
}

// instanceDepth returns how many levels below the validated value a schema can look at,
// or -1 when that is unbounded (references, deep comparisons of containers).
func instanceDepth(v any, d int) int {
	m, ok := v.(map[string]any)
	if !ok {
		return d
	}
	if d > 64 {
		return -1
	}
	for _, k := range []string{"$ref", "$dynamicRef", "$recursiveRef"} {
		if _, has := m[k]; has {
			return -1
		}
	}
	if u, _ := m["uniqueItems"].(bool); u {
		return -1
	}
	containers := func(x any) bool {
		switch x.(type) {
		case map[string]any, []any:
			return true
		}
		return false
	}
	if list, ok := m["enum"].([]any); ok {
		for _, e := range list {
			if containers(e) {
				return -1
			}
		}
	}
	if c, ok := m["const"]; ok && containers(c) {
		return -1
	}
	best := d
	merge := func(x int) bool {
		if x < 0 {
			return false
		}
		best = max(best, x)
		return true
	}
	same := func(sub any) bool { return merge(instanceDepth(sub, d)) }
	child := func(sub any) bool { return merge(instanceDepth(sub, d+1)) }
	for _, k := range []string{"not", "if", "then", "else"} {
		if sub, ok := m[k]; ok && !same(sub) {
			return -1
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := m[k].([]any); ok {
			for _, sub := range list {
				if !same(sub) {
					return -1
				}
			}
		}
	}
	for _, k := range []string{"dependentSchemas", "dependencies"} {
		if mm, ok := m[k].(map[string]any); ok {
			for _, sub := range mm {
				if !same(sub) {
					return -1
				}
			}
		}
	}
	for _, k := range []string{"properties", "patternProperties"} {
		if mm, ok := m[k].(map[string]any); ok {
			for _, sub := range mm {
				if !child(sub) {
					return -1
				}
			}
		}
	}
	for _, k := range []string{"additionalProperties", "additionalItems", "contains", "unevaluatedProperties", "unevaluatedItems", "items"} {
		if sub, ok := m[k]; ok {
			if list, isList := sub.([]any); isList {
				for _, s := range list {
					if !child(s) {
						return -1
					}
				}
				continue
			}
			if !child(sub) {
				return -1
			}
		}
	}
	if list, ok := m["prefixItems"].([]any); ok {
		for _, sub := range list {
			if !child(sub) {
				return -1
			}
		}
	}
	return best
}

func schemaOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "schema", "dialect", "allErrors"); err != nil {
		return nil, err
	}
	sf := o.child("schema")
	if !sf.present() {
		return nil, o.errorf(`"schema" function needs a "schema" option`)
	}
	if !isMap(sf.n) && !(isScalar(sf.n) && kindOf(sf.n) == kindBool) {
		return nil, sf.errorf("must be a JSON Schema object, not %s", sf.kind())
	}
	opts := &schemaOpts{}
	var draft *jsonschema.Draft
	if df := o.child("dialect"); df.present() {
		s, err := df.str()
		if err != nil {
			return nil, err
		}
		d, ok := dialectDraft(s)
		if !ok {
			return nil, df.valueErrorf("unknown dialect %q (use auto, draft4, draft6, draft7, draft2019-09 or draft2020-12)", s)
		}
		draft = d
	}
	if af := o.child("allErrors"); af.present() {
		b, err := af.boolean()
		if err != nil {
			return nil, err
		}
		opts.all = b
	}
	v := toValue(sf.n)
	s, err := compileSchema(v, draft)
	if err != nil {
		return nil, sf.errorf("invalid schema: %v", err)
	}
	opts.schema = s
	opts.limit = instanceDepth(v, 0)
	return opts, nil
}

// lastProperty returns the property name of a target, for message prefixes.
func lastProperty(c *call, t *target) string {
	if len(t.missing) > 0 {
		return t.missing[len(t.missing)-1]
	}
	if t.n == nil {
		return ""
	}
	if k := c.doc().keyOf(t.n); k != nil {
		return k.Value
	}
	return ""
}

func schemaFn(c *call, t *target, opts any) []result {
	o := opts.(*schemaOpts)
	if t.n == nil {
		return msg(`#{{print("property")}}must exist`)
	}
	node := t.n
	if t.isKey {
		node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t.n.Value}
	}
	probs := validate(o.schema, node, o.all, o.limit)
	if len(probs) == 0 {
		return nil
	}
	res := problemResults(t.n, lastProperty(c, t), probs)
	if t.isKey {
		for i := range res {
			res[i].n, res[i].missing = t.n, nil
		}
	}
	return res
}

// oasSchemaTransform rewrites an OpenAPI 2.0/3.0 schema value into JSON Schema draft 4:
// nullable (x-nullable in 2.0) becomes a "null" type, boolean required and id keywords
// are dropped; relaxRead and relaxWrite drop readOnly / writeOnly properties from required.
type oasSchemaTransform struct {
	oas2, oas30           bool
	relaxRead, relaxWrite bool
	depth                 int
}

var schemaMapKeywords = []string{"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
var schemaKeywords = []string{"additionalProperties", "additionalItems", "not", "contains", "propertyNames",
	"if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "items"}
var schemaListKeywords = []string{"allOf", "anyOf", "oneOf", "prefixItems", "items"}

func (t *oasSchemaTransform) apply(v any) {
	m, ok := v.(map[string]any)
	if !ok || t.depth > maxValueDepth {
		return
	}
	t.depth++
	defer func() { t.depth-- }()
	if t.oas2 || t.oas30 {
		if t.oas2 {
			if xn, ok := m["x-nullable"].(bool); ok {
				delete(m, "x-nullable")
				if xn {
					m["nullable"] = true
				}
			}
		}
		if nb, ok := m["nullable"].(bool); ok {
			delete(m, "nullable")
			if nb {
				switch typ := m["type"].(type) {
				case string:
					m["type"] = []any{typ, "null"}
				case []any:
					m["type"] = append(typ, "null")
				}
				if enum, ok := m["enum"].([]any); ok {
					m["enum"] = append(enum, nil)
				}
			}
		}
		if _, ok := m["required"].(bool); ok {
			delete(m, "required")
		}
		if _, ok := m["id"].(string); ok {
			delete(m, "id")
		}
		delete(m, "$id")
		delete(m, "$schema")
	}
	if t.relaxRead || t.relaxWrite {
		if props, ok := m["properties"].(map[string]any); ok {
			if req, ok := m["required"].([]any); ok {
				kept := req[:0:0]
				for _, r := range req {
					name, _ := r.(string)
					ps, _ := props[name].(map[string]any)
					ro, _ := ps["readOnly"].(bool)
					wo, _ := ps["writeOnly"].(bool)
					if ro && t.relaxRead || wo && t.relaxWrite {
						continue
					}
					kept = append(kept, r)
				}
				if len(kept) == 0 {
					delete(m, "required")
				} else {
					m["required"] = kept
				}
			}
		}
	}
	for _, k := range schemaMapKeywords {
		if sub, ok := m[k].(map[string]any); ok {
			for _, s := range sub {
				t.apply(s)
			}
		}
	}
	for _, k := range schemaKeywords {
		t.apply(m[k])
	}
	for _, k := range schemaListKeywords {
		if list, ok := m[k].([]any); ok {
			for _, s := range list {
				t.apply(s)
			}
		}
	}
}
