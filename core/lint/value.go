package lint

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// The helpers in this file read YAML node trees the way JavaScript reads the parsed JSON
// value Spectral works on: a nil *yaml.Node is `undefined`, aliases are followed, and scalar
// types come from the YAML 1.2 core schema tags.

// deref follows aliases and unwraps document nodes; nil stays nil.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 64; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return n
}

// isMap reports whether n is a mapping.
func isMap(n *yaml.Node) bool { return n != nil && n.Kind == yaml.MappingNode }

// isSeq reports whether n is a sequence.
func isSeq(n *yaml.Node) bool { return n != nil && n.Kind == yaml.SequenceNode }

// isScalar reports whether n is a scalar.
func isScalar(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode }

// lookup returns the key and value nodes of key in mapping n, or nils.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	c := n.Content
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Value == key && c[i].Kind == yaml.ScalarNode {
			return c[i], deref(c[i+1])
		}
	}
	return nil, nil
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	_, v := lookup(n, key)
	return v
}

// has reports whether mapping n has key (even with a null value).
func has(n *yaml.Node, key string) bool {
	k, _ := lookup(n, key)
	return k != nil
}

// scalarKind classifies a scalar by its resolved tag.
type scalarKind uint8

const (
	kindString scalarKind = iota
	kindNull
	kindBool
	kindInt
	kindFloat
)

// kindOf returns the JSON-ish type of scalar n.
func kindOf(n *yaml.Node) scalarKind {
	tag := n.Tag
	if tag == "" || tag == "!" {
		tag = n.ShortTag()
	}
	switch tag {
	case "!!null":
		return kindNull
	case "!!bool":
		return kindBool
	case "!!int":
		return kindInt
	case "!!float":
		return kindFloat
	}
	return kindString
}

// isString reports whether n is a string scalar.
func isString(n *yaml.Node) bool { return isScalar(n) && kindOf(n) == kindString }

// isNumber reports whether n is a numeric scalar.
func isNumber(n *yaml.Node) bool {
	if !isScalar(n) {
		return false
	}
	k := kindOf(n)
	return k == kindInt || k == kindFloat
}

// isNull reports whether n is an explicit null.
func isNull(n *yaml.Node) bool { return isScalar(n) && kindOf(n) == kindNull }

// str returns the string value of n when it is a string scalar.
func str(n *yaml.Node) (string, bool) {
	if isString(n) {
		return n.Value, true
	}
	return "", false
}

// boolValue returns the value of a boolean scalar.
func boolValue(n *yaml.Node) (v, ok bool) {
	if !isScalar(n) || kindOf(n) != kindBool {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// num returns the numeric value of a number scalar.
func num(n *yaml.Node) (float64, bool) {
	if !isNumber(n) {
		return 0, false
	}
	v := strings.ReplaceAll(n.Value, "_", "")
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f, true
	}
	if i, err := strconv.ParseInt(v, 0, 64); err == nil {
		return float64(i), true
	}
	switch strings.ToLower(v) {
	case ".inf", "+.inf":
		return math.Inf(1), true
	case "-.inf":
		return math.Inf(-1), true
	case ".nan":
		return math.NaN(), true
	}
	return 0, false
}

// truthy applies JavaScript truthiness: undefined, null, false, 0, NaN and "" are falsy;
// every object and array is truthy.
func truthy(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		return true
	}
	switch kindOf(n) {
	case kindNull:
		return false
	case kindBool:
		v, _ := boolValue(n)
		return v
	case kindInt, kindFloat:
		f, ok := num(n)
		return ok && f != 0 && !math.IsNaN(f)
	}
	return n.Value != ""
}

// typeName returns the JSON type of n: "undefined", "null", "boolean", "integer", "number",
// "string", "array" or "object".
func typeName(n *yaml.Node) string {
	if n == nil {
		return "undefined"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	}
	switch kindOf(n) {
	case kindNull:
		return "null"
	case kindBool:
		return "boolean"
	case kindInt:
		return "integer"
	case kindFloat:
		if f, ok := num(n); ok && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "integer"
		}
		return "number"
	}
	return "string"
}

// printValue renders a value the way Spectral's printValue does: JSON for scalars,
// "Object{}" and "Array[]" for containers, "undefined" for a missing value.
func printValue(n *yaml.Node) string {
	if n == nil {
		return "undefined"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "Object{}"
	case yaml.SequenceNode:
		return "Array[]"
	}
	switch kindOf(n) {
	case kindNull:
		return "null"
	case kindBool:
		v, _ := boolValue(n)
		return strconv.FormatBool(v)
	case kindInt, kindFloat:
		if f, ok := num(n); ok {
			return formatNumber(f)
		}
	}
	return quote(n.Value)
}

// plainValue renders a value for the {{value}} placeholder: strings as they are, other
// scalars as JSON, containers as printValue does.
func plainValue(n *yaml.Node) string {
	if isString(n) {
		return n.Value
	}
	return printValue(n)
}

// formatNumber prints f as JavaScript would.
func formatNumber(f float64) string {
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// quote returns s as a JSON string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// maxValueDepth bounds the nesting toValue follows; deeper values become null.
const maxValueDepth = 512

// toValue converts a node to the Go value encoding/json would produce (map[string]any,
// []any, json.Number, string, bool, nil). A nil node gives nil.
func toValue(n *yaml.Node) any {
	budget := maxValueNodes
	return toValueDepth(n, 0, maxValueDepth, &budget)
}

// maxValueNodes bounds how many nodes one conversion produces, so that aliases nested in
// aliases (a "billion laughs" document) cannot blow up; what is beyond becomes null.
const maxValueNodes = 4 << 20

// toValueLimited converts a node like toValue down to depth limit; the objects and arrays
// below it are empty stand-ins of the right type (enough for checks that only look at the
// type or the keys of a value). A negative limit converts everything.
func toValueLimited(n *yaml.Node, limit int) any {
	if limit < 0 || limit > maxValueDepth {
		limit = maxValueDepth
	}
	budget := maxValueNodes
	return toValueDepth(n, 0, limit, &budget)
}

func toValueDepth(n *yaml.Node, depth, limit int, budget *int) any {
	n = deref(n)
	if n == nil || depth > maxValueDepth || *budget <= 0 {
		return nil
	}
	*budget--
	switch n.Kind {
	case yaml.MappingNode:
		if depth > limit {
			return map[string]any{}
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" {
				continue
			}
			m[k.Value] = toValueDepth(n.Content[i+1], depth+1, limit, budget)
		}
		return m
	case yaml.SequenceNode:
		if depth > limit {
			return []any{}
		}
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = toValueDepth(c, depth+1, limit, budget)
		}
		return s
	}
	switch kindOf(n) {
	case kindNull:
		return nil
	case kindBool:
		v, _ := boolValue(n)
		return v
	case kindInt, kindFloat:
		f, ok := num(n)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value
		}
		v := strings.ReplaceAll(n.Value, "_", "")
		if _, err := strconv.ParseFloat(v, 64); err == nil && jsonNumberSyntax(v) {
			return json.Number(v)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return n.Value
}

// jsonNumberSyntax reports whether s is a number in JSON syntax.
func jsonNumberSyntax(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else {
		if s[i] < '1' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
