package transform

import (
	"fmt"
	"strings"
)

// Pointer is a parsed RFC 6901 JSON Pointer: the unescaped reference tokens, in order.
// The zero value (no tokens) refers to the whole document.
type Pointer []string

// ParsePointer parses an RFC 6901 JSON Pointer such as "/a~1b/0" (tokens "a/b" and "0").
// The empty string is the whole document; any other pointer starts with "/". In a token,
// "~0" stands for "~" and "~1" for "/"; any other "~" is an error.
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("%q is not a JSON pointer: it must be empty or start with \"/\"", s)
	}
	p := make(Pointer, 0, strings.Count(s, "/"))
	for tok := range strings.SplitSeq(s[1:], "/") {
		if strings.IndexByte(tok, '~') < 0 {
			p = append(p, tok)
			continue
		}
		var b strings.Builder
		b.Grow(len(tok))
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if c != '~' {
				b.WriteByte(c)
				continue
			}
			if i+1 == len(tok) || (tok[i+1] != '0' && tok[i+1] != '1') {
				return nil, fmt.Errorf("%q is not a JSON pointer: \"~\" must be followed by 0 or 1", s)
			}
			if tok[i+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			i++
		}
		p = append(p, b.String())
	}
	return p, nil
}

// String returns p in its escaped text form, the inverse of ParsePointer.
func (p Pointer) String() string {
	var b strings.Builder
	for _, tok := range p {
		b.WriteByte('/')
		for i := 0; i < len(tok); i++ {
			switch tok[i] {
			case '~':
				b.WriteString("~0")
			case '/':
				b.WriteString("~1")
			default:
				b.WriteByte(tok[i])
			}
		}
	}
	return b.String()
}

// hasPrefix reports whether q is p or lies inside it.
func (p Pointer) hasPrefix(q Pointer) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// arrayIndex parses an RFC 6901 array index: "0" or digits without a leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// get returns the value p refers to in doc.
func (p Pointer) get(doc any) (any, bool) {
	node := doc
	for _, tok := range p {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, false
			}
			node = v
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
	}
	return node, true
}

// setIn puts v at toks below node and returns the new node, or ok=false (and node
// unchanged) if the location cannot exist. Missing object members on the way are created
// as objects. In an array, the last token may be "-" or the array's length (append), or an
// existing index: with insert, v is inserted there (JSON Patch "add"); otherwise it
// replaces the element.
func setIn(node any, toks []string, v any, insert bool) (any, bool) {
	if len(toks) == 0 {
		return v, true
	}
	tok, rest := toks[0], toks[1:]
	switch n := node.(type) {
	case map[string]any:
		child, ok := n[tok]
		if !ok && len(rest) > 0 {
			child = map[string]any{}
		}
		nc, ok := setIn(child, rest, v, insert)
		if !ok {
			return node, false
		}
		n[tok] = nc
		return n, true
	case []any:
		if tok == "-" {
			if len(rest) > 0 {
				return node, false
			}
			return append(n, v), true
		}
		i, ok := arrayIndex(tok)
		if !ok || i > len(n) || (i == len(n) && len(rest) > 0) {
			return node, false
		}
		if len(rest) == 0 {
			if i == len(n) {
				return append(n, v), true
			}
			if insert {
				n = append(n, nil)
				copy(n[i+1:], n[i:])
				n[i] = v
				return n, true
			}
			n[i] = v
			return n, true
		}
		nc, ok := setIn(n[i], rest, v, insert)
		if !ok {
			return node, false
		}
		n[i] = nc
		return n, true
	}
	return node, false
}

// removeIn deletes the value at toks below node and returns the new node, or ok=false if
// there is nothing there. toks is never empty.
func removeIn(node any, toks []string) (any, bool) {
	tok, rest := toks[0], toks[1:]
	switch n := node.(type) {
	case map[string]any:
		child, ok := n[tok]
		if !ok {
			return node, false
		}
		if len(rest) == 0 {
			delete(n, tok)
			return n, true
		}
		nc, ok := removeIn(child, rest)
		if ok {
			n[tok] = nc
		}
		return n, ok
	case []any:
		i, ok := arrayIndex(tok)
		if !ok || i >= len(n) {
			return node, false
		}
		if len(rest) == 0 {
			return append(n[:i], n[i+1:]...), true
		}
		nc, ok := removeIn(n[i], rest)
		if ok {
			n[i] = nc
		}
		return n, ok
	}
	return node, false
}
