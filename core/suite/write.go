package suite

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	yaml "github.com/pb33f/go-yaml"
)

// MarshalRequest writes r as a request file with a stable layout: the fields in the
// documented order (name, description, operationId, method, url, headers, query, body,
// capture, assert), map keys sorted, two-space indentation. ParseRequest reads it back to
// an equal request.
func MarshalRequest(r *Request) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(key string, v *yaml.Node) { root.Content = append(root.Content, textNode(key), v) }
	add("name", textNode(r.Name))
	if r.Description != "" {
		add("description", textNode(r.Description))
	}
	if r.OperationID != "" {
		add("operationId", textNode(r.OperationID))
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	add("method", textNode(method))
	add("url", textNode(r.URL))
	if len(r.Headers) > 0 {
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range sortedKeys(r.Headers) {
			n.Content = append(n.Content, textNode(k), textNode(r.Headers[k]))
		}
		add("headers", n)
	}
	if len(r.Query) > 0 {
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range sortedKeys(r.Query) {
			vs := r.Query[k]
			if len(vs) == 1 {
				n.Content = append(n.Content, textNode(k), textNode(vs[0]))
				continue
			}
			list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for _, v := range vs {
				list.Content = append(list.Content, textNode(v))
			}
			n.Content = append(n.Content, textNode(k), list)
		}
		add("query", n)
	}
	if b := r.Body; b != nil {
		if b.JSON != nil {
			v, err := parseJSON(b.JSON)
			if err != nil {
				return nil, fmt.Errorf("request %q: body: %w", r.Name, err)
			}
			if v.kind == kString {
				// A bare JSON string would read back as a text body; send the same bytes.
				add("body", textNode(string(b.JSON)))
			} else if v.kind != kNull {
				add("body", v.toYAML())
			}
		} else {
			add("body", textNode(b.Text))
		}
	}
	if len(r.Capture) > 0 {
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range sortedKeys(r.Capture) {
			n.Content = append(n.Content, textNode(k), textNode(r.Capture[k]))
		}
		add("capture", n)
	}
	if len(r.Assert) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i, a := range r.Assert {
			n, err := assertionNode(a)
			if err != nil {
				return nil, fmt.Errorf("request %q: assert[%d]: %w", r.Name, i, err)
			}
			list.Content = append(list.Content, n)
		}
		add("assert", list)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("request %q: %w", r.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func assertionNode(a Assertion) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(key string, v *yaml.Node) { n.Content = append(n.Content, textNode(key), v) }
	switch a.Kind() {
	case KindStatus:
		if code, err := strconv.Atoi(a.Status); err == nil {
			add("status", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(code)})
		} else {
			add("status", textNode(a.Status))
		}
	case KindHeader:
		add("header", textNode(a.Header))
	case KindJSONPointer:
		add("jsonPointer", textNode(*a.JSONPointer))
	case KindSchemaValid:
		add("schemaValid", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	case KindMaxDuration:
		add("maxDurationMs", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(a.MaxDurationMs, 10)})
	default:
		return nil, fmt.Errorf("the assertion checks nothing")
	}
	switch {
	case a.Equals != nil:
		v, err := parseJSON(a.Equals)
		if err != nil {
			return nil, fmt.Errorf("equals: %w", err)
		}
		add("equals", v.toYAML())
	case a.Matches != "":
		add("matches", textNode(a.Matches))
	case a.Exists != nil:
		add("exists", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*a.Exists)})
	}
	return n, nil
}

// textNode is a YAML string; multi-line text is written as a literal block when that
// keeps it exactly.
func textNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") && literalSafe(s) {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// literalSafe reports whether a literal block scalar can carry s unchanged: printable
// text, no trailing spaces on a line, no carriage returns, not starting with a space.
func literalSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\n' {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return false
		}
	}
	for _, r := range s {
		if r == '\n' {
			continue
		}
		if r == '\r' || r == '\uFEFF' || !unicode.IsPrint(r) && r != '\t' {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
