package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// value is a JSON value that keeps the order of object keys, so that a body or an expected
// value is sent and written back the way the file has it.
type value struct {
	kind kind
	str  string // string value, or number literal
	b    bool
	keys []string // object keys, in order
	vals []*value // object values or array items
}

type kind byte

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

// maxDepth bounds the nesting of bodies and expected values.
const maxDepth = 64

// fromYAML converts a YAML node to a value; field names the node in problems, and mark
// records the position of every nested value.
func fromYAML(n *yaml.Node, field string, depth int, mark func(string, *yaml.Node)) (*value, error) {
	mark(field, n)
	if depth > maxDepth {
		return nil, fmt.Errorf("is nested more than %d levels deep", maxDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		v := &value{kind: kObject}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, c := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("has a key that is not text (line %d)", k.Line)
			}
			if seen[k.Value] {
				return nil, fmt.Errorf("has the key %q twice (line %d)", k.Value, k.Line)
			}
			seen[k.Value] = true
			cv, err := fromYAML(c, field+"."+k.Value, depth+1, mark)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k.Value)
			v.vals = append(v.vals, cv)
		}
		return v, nil
	case yaml.SequenceNode:
		v := &value{kind: kArray}
		for i, c := range n.Content {
			cv, err := fromYAML(c, fmt.Sprintf("%s[%d]", field, i), depth+1, mark)
			if err != nil {
				return nil, err
			}
			v.vals = append(v.vals, cv)
		}
		return v, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	case yaml.AliasNode:
		return nil, fmt.Errorf("uses a YAML alias (*%s); write the value out", n.Value)
	}
	return nil, fmt.Errorf("cannot be read")
}

// scalarValue reads a YAML scalar with YAML's types: null, booleans, numbers, else text.
func scalarValue(n *yaml.Node) (*value, error) {
	switch n.ShortTag() {
	case "!!null":
		return &value{kind: kNull}, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("%q is not a boolean", n.Value)
		}
		return &value{kind: kBool, b: b}, nil
	case "!!int", "!!float":
		var f any
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("%q is not a number", n.Value)
		}
		b, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number JSON can carry", n.Value)
		}
		if x, ok := f.(float64); ok && (math.IsInf(x, 0) || math.IsNaN(x)) {
			return nil, fmt.Errorf("%q is not a number JSON can carry", n.Value)
		}
		if string(b) == "-0" {
			b = []byte("0")
		}
		return &value{kind: kNumber, str: string(b)}, nil
	}
	return &value{kind: kString, str: n.Value}, nil
}

// parseJSON reads one JSON value, keeping key order.
func parseJSON(b []byte) (*value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (*value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: kNull}, nil
	case bool:
		return &value{kind: kBool, b: t}, nil
	case json.Number:
		return &value{kind: kNumber, str: t.String()}, nil
	case string:
		return &value{kind: kString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &value{kind: kArray}
			for dec.More() {
				c, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, c)
			}
			_, err := dec.Token()
			return v, err
		case '{':
			v := &value{kind: kObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				c, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, c)
			}
			_, err := dec.Token()
			return v, err
		}
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}

// MarshalJSON writes v as compact JSON with its keys in order.
func (v *value) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	v.write(&b)
	return b.Bytes(), nil
}

func (v *value) write(b *bytes.Buffer) {
	switch v.kind {
	case kNull:
		b.WriteString("null")
	case kBool:
		b.WriteString(strconv.FormatBool(v.b))
	case kNumber:
		b.WriteString(v.str)
	case kString:
		s, _ := json.Marshal(v.str)
		b.Write(s)
	case kArray:
		b.WriteByte('[')
		for i, c := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			c.write(b)
		}
		b.WriteByte(']')
	case kObject:
		b.WriteByte('{')
		for i, c := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(v.keys[i])
			b.Write(k)
			b.WriteByte(':')
			c.write(b)
		}
		b.WriteByte('}')
	}
}

// toYAML converts v to a YAML node.
func (v *value) toYAML() *yaml.Node {
	switch v.kind {
	case kNull:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case kBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.b)}
	case kNumber:
		tag := "!!float"
		if isInteger(v.str) {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v.str}
	case kString:
		return textNode(v.str)
	case kArray:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(v.vals) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, c := range v.vals {
			n.Content = append(n.Content, c.toYAML())
		}
		return n
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(v.vals) == 0 {
		n.Style = yaml.FlowStyle
	}
	for i, c := range v.vals {
		n.Content = append(n.Content, textNode(v.keys[i]), c.toYAML())
	}
	return n
}

// isInteger reports whether a number literal is written as a whole number (digits only).
func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// equal reports whether a and b are the same JSON value; numbers compare by value and
// object keys in any order.
func equal(a, b *value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kNull:
		return true
	case kBool:
		return a.b == b.b
	case kString:
		return a.str == b.str
	case kNumber:
		if a.str == b.str {
			return true
		}
		x, err1 := strconv.ParseFloat(a.str, 64)
		y, err2 := strconv.ParseFloat(b.str, 64)
		return err1 == nil && err2 == nil && x == y
	case kArray:
		if len(a.vals) != len(b.vals) {
			return false
		}
		for i := range a.vals {
			if !equal(a.vals[i], b.vals[i]) {
				return false
			}
		}
		return true
	}
	if len(a.keys) != len(b.keys) {
		return false
	}
	for i, k := range a.keys {
		j := indexOf(b.keys, k)
		if j < 0 || !equal(a.vals[i], b.vals[j]) {
			return false
		}
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// text returns v as text: a string as is, anything else as JSON.
func (v *value) text() string {
	if v.kind == kString {
		return v.str
	}
	b, _ := v.MarshalJSON()
	return string(b)
}

// pointer resolves an RFC 6901 JSON pointer in v; ok is false when nothing is there.
func (v *value) pointer(p string) (*value, bool) {
	if p == "" {
		return v, true
	}
	if p[0] != '/' {
		return nil, false
	}
	cur := v
	for _, tok := range splitPointer(p) {
		switch cur.kind {
		case kObject:
			i := indexOf(cur.keys, tok)
			if i < 0 {
				return nil, false
			}
			cur = cur.vals[i]
		case kArray:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur.vals) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			cur = cur.vals[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
