package spec

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/apidef"
)

// at is a YAML node together with the file it belongs to.
type at struct {
	file string
	n    *yaml.Node
}

// loc returns the node's source location.
func (a at) loc() apidef.Location {
	if a.n == nil {
		return apidef.Location{File: a.file}
	}
	return apidef.Location{File: a.file, Line: a.n.Line, Column: a.n.Column}
}

// deref follows YAML aliases and unwraps document nodes.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 32; i++ {
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

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// getKey returns the key node of key in mapping n, or nil.
func getKey(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// has reports whether mapping n has key.
func has(n *yaml.Node, key string) bool { return getKey(n, key) != nil }

// pairs calls fn for every key/value of mapping n in document order.
func pairs(n *yaml.Node, fn func(k, v *yaml.Node)) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], deref(n.Content[i+1]))
	}
}

// items returns the elements of sequence n.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = deref(c); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// str returns the scalar value of n, or "".
func str(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// boolean returns the boolean value of scalar n and whether it is one.
func boolean(n *yaml.Node) (v, ok bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// number returns the numeric value of scalar n.
func number(n *yaml.Node) (*float64, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	return &f, true
}

// integer returns the non-negative integer value of scalar n.
func integer(n *yaml.Node) (*int, bool) {
	f, ok := number(n)
	if !ok || *f < 0 || *f > math.MaxInt32 || *f != math.Trunc(*f) {
		return nil, false
	}
	i := int(*f)
	return &i, true
}

// strs returns the scalar values of sequence n (or of scalar n as a one-element list).
func strs(n *yaml.Node) []string {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range items(n) {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

// errJSONTooBig is returned when a YAML value expands (through aliases) beyond maxJSON.
var errJSONTooBig = errors.New("value too large")

const (
	maxJSON  = 8 << 20
	maxDepth = 256
)

// toJSON encodes a YAML value as JSON.
func toJSON(n *yaml.Node) ([]byte, error) {
	var buf []byte
	buf, err := appendJSON(buf, n, 0)
	if err != nil {
		return nil, err
	}
	return buf, nil
}

func appendJSON(buf []byte, n *yaml.Node, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	if len(buf) > maxJSON {
		return nil, errJSONTooBig
	}
	n = deref(n)
	if n == nil {
		return append(buf, "null"...), nil
	}
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		buf = append(buf, '{')
		first := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k != nil && k.Value == "<<" && k.Tag == "!!merge" {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			key := ""
			if k != nil {
				key = k.Value
			}
			buf = appendJSONString(buf, key)
			buf = append(buf, ':')
			if buf, err = appendJSON(buf, n.Content[i+1], depth+1); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case yaml.SequenceNode:
		buf = append(buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendJSON(buf, c, depth+1); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case yaml.ScalarNode:
		return appendScalar(buf, n), nil
	}
	return append(buf, "null"...), nil
}

// isJSONNumber reports whether v is exactly one JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(v string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(v) && v[i] == '-' {
		i++
	}
	switch {
	case i < len(v) && v[i] == '0':
		i++
	case i < len(v) && v[i] >= '1' && v[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(v)
}

func appendScalar(buf []byte, n *yaml.Node) []byte {
	switch n.ShortTag() {
	case "!!null":
		return append(buf, "null"...)
	case "!!bool":
		if v, ok := boolean(n); ok {
			return strconv.AppendBool(buf, v)
		}
	case "!!int", "!!float":
		v := strings.ReplaceAll(n.Value, "_", "")
		if isJSONNumber(v) {
			return append(buf, v...)
		}
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return strconv.AppendInt(buf, i, 10)
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.AppendFloat(buf, f, 'g', -1, 64)
		}
	}
	return appendJSONString(buf, n.Value)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// pointerTokens splits a JSON pointer ("/a/b~1c") into unescaped tokens.
func pointerTokens(ptr string) []string {
	ptr = strings.TrimPrefix(ptr, "/")
	if ptr == "" {
		return nil
	}
	toks := strings.Split(ptr, "/")
	for i, t := range toks {
		if u, err := url.PathUnescape(t); err == nil {
			t = u
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

// walkPointer follows ptr from n.
func walkPointer(n *yaml.Node, ptr string) (*yaml.Node, error) {
	n = deref(n)
	for _, tok := range pointerTokens(ptr) {
		if n == nil {
			break
		}
		switch n.Kind {
		case yaml.MappingNode:
			next := get(n, tok)
			if next == nil && getKey(n, tok) == nil {
				return nil, fmt.Errorf("no %q in %s", tok, ptr)
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("no index %q in %s", tok, ptr)
			}
			n = deref(n.Content[i])
		default:
			return nil, fmt.Errorf("cannot descend into a scalar at %q in %s", tok, ptr)
		}
	}
	if n == nil {
		return nil, fmt.Errorf("%s is null", ptr)
	}
	return n, nil
}

// joinRef resolves the file part of a reference relative to the file it appears in.
// Files are slash paths relative to the root's folder, or absolute http(s) URLs.
func joinRef(from, file string) string {
	if isRemote(file) {
		return file
	}
	if isRemote(from) {
		base, err := url.Parse(from)
		if err != nil {
			return file
		}
		rel, err := url.Parse(file)
		if err != nil {
			return file
		}
		return base.ResolveReference(rel).String()
	}
	file = strings.ReplaceAll(file, "\\", "/")
	if u, err := url.PathUnescape(file); err == nil {
		file = u
	}
	return path.Clean(path.Join(path.Dir(from), file))
}

// isRemote reports whether s is an http(s) URL.
func isRemote(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// jsonPointerOf builds a pointer from tokens.
func jsonPointerOf(toks ...string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
