package suite

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// maxFileBytes bounds the size of a request file.
const maxFileBytes = 4 << 20

// ParseRequest reads one saved request. file names it in problems (and gives the default
// name); every problem found is returned as Problems, each with its line, column and field.
func ParseRequest(file string, data []byte) (*Request, error) {
	r := &Request{Source: Location{File: file}, pos: map[string]Position{}}
	if len(data) > maxFileBytes {
		return nil, Problems{{File: file, Message: fmt.Sprintf("the file is larger than %d bytes", maxFileBytes)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{syntaxProblem(file, err)}
	}
	if len(root.Content) == 0 {
		return nil, Problems{{File: file, Message: "the file is empty: a saved request needs at least `url:`"}}
	}
	doc := root.Content[0]
	r.Source.Line, r.Source.Column = doc.Line, doc.Column
	p := &parser{r: r}
	p.request(doc)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool {
			if p.problems[i].Line != p.problems[j].Line {
				return p.problems[i].Line < p.problems[j].Line
			}
			return p.problems[i].Column < p.problems[j].Column
		})
		return nil, p.problems
	}
	return r, nil
}

// syntaxPos finds "line N" or "LN.CM" positions in the YAML parser's messages.
var syntaxPos = regexp.MustCompile(`\bL(\d+)\.C(\d+)\b|\bline (\d+)\b`)

// syntaxProblem turns a YAML parse error into a positioned problem.
func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pr := Problem{File: file, Message: "not valid YAML: " + msg}
	if m := syntaxPos.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			pr.Line, _ = strconv.Atoi(m[1])
			pr.Column, _ = strconv.Atoi(m[2])
		} else {
			pr.Line, _ = strconv.Atoi(m[3])
			pr.Column = 1
		}
	}
	return pr
}

// parser walks a request file's YAML tree, filling the request and collecting problems.
type parser struct {
	r        *Request
	problems Problems
}

func (p *parser) fail(n *yaml.Node, field, format string, args ...any) {
	pr := Problem{File: p.r.Source.File, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

func (p *parser) mark(field string, n *yaml.Node) {
	if n != nil {
		p.r.pos[field] = Position{n.Line, n.Column}
	}
}

// fields walks mapping n, calling the handler for each known key and reporting unknown
// and duplicated keys.
func (p *parser) fields(n *yaml.Node, field string, handlers map[string]func(v *yaml.Node, field string)) {
	p.pairs(n, field, func(k, v *yaml.Node, f string) {
		h, ok := handlers[k.Value]
		if !ok {
			p.fail(k, f, "unknown field (known: %s)", knownKeys(handlers))
			return
		}
		h(v, f)
	})
}

// pairs walks mapping n, calling fn for each key and value (positions recorded) and
// reporting duplicated keys.
func (p *parser) pairs(n *yaml.Node, field string, fn func(k, v *yaml.Node, field string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, field, "must be a mapping (key: value lines), not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		if k.Kind != yaml.ScalarNode {
			p.fail(k, field, "keys must be text, not %s", kindName(k))
			continue
		}
		if seen[k.Value] {
			p.fail(k, f, "appears twice")
			continue
		}
		seen[k.Value] = true
		p.mark(f, v)
		fn(k, v, f)
	}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func knownKeys(handlers map[string]func(*yaml.Node, string)) string {
	keys := make([]string, 0, len(handlers))
	for k := range handlers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "this"
}

// str reads a text scalar (numbers and booleans are taken as their text).
func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.fail(n, field, "must be a text value, not %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// request reads the whole document.
func (p *parser) request(doc *yaml.Node) {
	r := p.r
	var assertNode *yaml.Node
	p.fields(doc, "", map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, f string) {
			if s, ok := p.str(v, f); ok {
				if strings.TrimSpace(s) == "" {
					p.fail(v, f, "must not be empty")
				}
				r.Name = s
			}
		},
		"description": func(v *yaml.Node, f string) {
			r.Description, _ = p.str(v, f)
		},
		"operationId": func(v *yaml.Node, f string) {
			r.OperationID, _ = p.str(v, f)
		},
		"method": func(v *yaml.Node, f string) {
			if s, ok := p.str(v, f); ok {
				if !isToken(s) {
					p.fail(v, f, "%q is not an HTTP method", s)
				}
				r.Method = strings.ToUpper(s)
			}
		},
		"url": func(v *yaml.Node, f string) {
			if s, ok := p.str(v, f); ok {
				if strings.TrimSpace(s) == "" {
					p.fail(v, f, "must not be empty")
				}
				r.URL = s
			}
		},
		"headers": func(v *yaml.Node, f string) { r.Headers = p.headers(v, f) },
		"query":   func(v *yaml.Node, f string) { r.Query = p.query(v, f) },
		"body":    func(v *yaml.Node, f string) { r.Body = p.body(v, f) },
		"capture": func(v *yaml.Node, f string) { r.Capture = p.capture(v, f) },
		"assert":  func(v *yaml.Node, f string) { assertNode = v },
	})
	if doc.Kind != yaml.MappingNode {
		return
	}
	if r.URL == "" && !p.has("url") {
		p.fail(doc, "url", "is required: where to send the request, such as {{baseUrl}}/pets")
	}
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.Name == "" {
		base := filepath.Base(filepath.ToSlash(r.Source.File))
		r.Name = strings.TrimSuffix(base, filepath.Ext(base))
		if r.Name == "" || r.Name == "." {
			r.Name = "request"
		}
	}
	if assertNode != nil {
		r.Assert = p.assertions(assertNode, "assert")
	}
}

func (p *parser) has(field string) bool {
	for _, pr := range p.problems {
		if pr.Field == field {
			return true
		}
	}
	return false
}

// isToken reports whether s is an HTTP token (method names, header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func (p *parser) headers(n *yaml.Node, field string) map[string]string {
	if isNull(n) {
		return nil
	}
	out := map[string]string{}
	lower := map[string]string{}
	p.pairs(n, field, func(k, v *yaml.Node, f string) {
		if !isToken(k.Value) {
			p.fail(k, f, "%q is not a header name", k.Value)
			return
		}
		if prev, dup := lower[strings.ToLower(k.Value)]; dup {
			p.fail(k, f, "is the same header as %s (header names ignore case)", prev)
			return
		}
		lower[strings.ToLower(k.Value)] = k.Value
		if s, ok := p.str(v, f); ok {
			if strings.ContainsAny(s, "\r\n") {
				p.fail(v, f, "a header value cannot span lines")
				return
			}
			out[k.Value] = s
		}
	})
	return out
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func (p *parser) query(n *yaml.Node, field string) map[string][]string {
	if isNull(n) {
		return nil
	}
	out := map[string][]string{}
	p.pairs(n, field, func(k, v *yaml.Node, f string) {
		if k.Value == "" {
			p.fail(k, f, "a query parameter needs a name")
			return
		}
		if v.Kind == yaml.SequenceNode {
			if len(v.Content) == 0 {
				p.fail(v, f, "must list at least one value")
				return
			}
			for j, c := range v.Content {
				cf := fmt.Sprintf("%s[%d]", f, j)
				p.mark(cf, c)
				if s, ok := p.str(c, cf); ok {
					out[k.Value] = append(out[k.Value], s)
				}
			}
			return
		}
		if s, ok := p.str(v, f); ok {
			out[k.Value] = []string{s}
		}
	})
	return out
}

// body reads a text body (a YAML string) or a JSON value (anything else).
func (p *parser) body(n *yaml.Node, field string) *Body {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return &Body{Text: n.Value}
	}
	v, err := fromYAML(n, field, 0, p.mark)
	if err != nil {
		p.fail(n, field, "%v", err)
		return nil
	}
	b, _ := v.MarshalJSON()
	return &Body{JSON: b}
}

// varName matches the names variables may have.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func (p *parser) capture(n *yaml.Node, field string) map[string]string {
	if isNull(n) {
		return nil
	}
	out := map[string]string{}
	p.pairs(n, field, func(k, v *yaml.Node, f string) {
		if !varName.MatchString(k.Value) {
			p.fail(k, f, "%q is not a variable name: use letters, digits, '_', '.' and '-', starting with a letter or '_'", k.Value)
			return
		}
		s := ""
		if !isNull(v) {
			var ok bool
			if s, ok = p.str(v, f); !ok {
				return
			}
		}
		if err := checkCaptureSource(s); err != nil {
			p.fail(v, f, "%v", err)
			return
		}
		out[k.Value] = s
	})
	return out
}

// checkCaptureSource checks a capture's source: a JSON pointer or "header:NAME".
func checkCaptureSource(s string) error {
	if name, ok := strings.CutPrefix(s, "header:"); ok {
		if !isToken(strings.TrimSpace(name)) {
			return fmt.Errorf("%q: give a header name after \"header:\" (header:Location)", s)
		}
		return nil
	}
	if err := checkPointer(s); err != nil {
		return fmt.Errorf("%q: capture from a JSON pointer into the body (/access_token) or from header:NAME (%v)", s, err)
	}
	return nil
}

// checkPointer checks that s is an RFC 6901 JSON pointer.
func checkPointer(s string) error {
	if s == "" {
		return nil
	}
	if s[0] != '/' {
		return fmt.Errorf("a JSON pointer starts with /")
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && (i+1 == len(s) || (s[i+1] != '0' && s[i+1] != '1')) {
			return fmt.Errorf("~ must be followed by 0 or 1")
		}
	}
	return nil
}

// splitPointer returns the unescaped reference tokens of a JSON pointer.
func splitPointer(p string) []string {
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

// statusRe matches a status code or class.
var statusRe = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5][xX][xX])$`)

func (p *parser) assertions(n *yaml.Node, field string) []Assertion {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, field, "must be a list of checks (- status: 200), not %s", kindName(n))
		return nil
	}
	var out []Assertion
	for i, c := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		p.mark(f, c)
		if a, ok := p.assertion(c, f); ok {
			out = append(out, a)
		}
	}
	return out
}

// assertion reads one check.
func (p *parser) assertion(n *yaml.Node, field string) (Assertion, bool) {
	var a Assertion
	before := len(p.problems)
	var kinds []string
	var modifiers []string
	var modNode *yaml.Node
	p.fields(n, field, map[string]func(*yaml.Node, string){
		"status": func(v *yaml.Node, f string) {
			kinds = append(kinds, KindStatus)
			s, ok := p.str(v, f)
			if !ok {
				return
			}
			if !statusRe.MatchString(s) {
				p.fail(v, f, "%q is not a status code (201) or class (2xx)", s)
				return
			}
			a.Status = strings.ToLower(s)
		},
		"header": func(v *yaml.Node, f string) {
			kinds = append(kinds, KindHeader)
			if s, ok := p.str(v, f); ok {
				if !isToken(s) {
					p.fail(v, f, "%q is not a header name", s)
					return
				}
				a.Header = s
			}
		},
		"jsonPointer": func(v *yaml.Node, f string) {
			kinds = append(kinds, KindJSONPointer)
			s := ""
			if !isNull(v) {
				var ok bool
				if s, ok = p.str(v, f); !ok {
					return
				}
			}
			if err := checkPointer(s); err != nil {
				p.fail(v, f, "%q is not a JSON pointer: %v", s, err)
				return
			}
			a.JSONPointer = &s
		},
		"schemaValid": func(v *yaml.Node, f string) {
			kinds = append(kinds, KindSchemaValid)
			var b bool
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil || !b {
				p.fail(v, f, "must be true (the answer keeps the spec's contract), not %s", kindName(v))
				return
			}
			a.SchemaValid = true
		},
		"maxDurationMs": func(v *yaml.Node, f string) {
			kinds = append(kinds, KindMaxDuration)
			ms, err := strconv.ParseInt(v.Value, 10, 64)
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil || ms <= 0 {
				p.fail(v, f, "must be a positive whole number of milliseconds, not %s", kindName(v))
				return
			}
			a.MaxDurationMs = ms
		},
		"equals": func(v *yaml.Node, f string) {
			modifiers, modNode = append(modifiers, "equals"), v
			val, err := fromYAML(v, f, 0, p.mark)
			if err != nil {
				p.fail(v, f, "%v", err)
				return
			}
			a.Equals, _ = val.MarshalJSON()
		},
		"matches": func(v *yaml.Node, f string) {
			modifiers, modNode = append(modifiers, "matches"), v
			s, ok := p.str(v, f)
			if !ok {
				return
			}
			if !strings.Contains(s, "{{") {
				if _, err := regexp.Compile(s); err != nil {
					p.fail(v, f, "%q is not a regular expression: %v", s, err)
					return
				}
			}
			a.Matches = s
		},
		"exists": func(v *yaml.Node, f string) {
			modifiers, modNode = append(modifiers, "exists"), v
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				p.fail(v, f, "must be true or false, not %s", kindName(v))
				return
			}
			var b bool
			_ = v.Decode(&b)
			a.Exists = &b
		},
	})
	if n.Kind != yaml.MappingNode {
		return a, false
	}
	switch {
	case len(kinds) == 0:
		p.fail(n, field, "say what to check: status, header, jsonPointer, schemaValid or maxDurationMs")
	case len(kinds) > 1:
		p.fail(n, field, "one check per list item: %s are given together", strings.Join(kinds, " and "))
	case len(modifiers) > 1:
		p.fail(modNode, field, "give one of equals, matches and exists, not %s", strings.Join(modifiers, " and "))
	case len(modifiers) == 1 && kinds[0] != KindHeader && kinds[0] != KindJSONPointer:
		p.fail(modNode, join(field, modifiers[0]), "only header and jsonPointer checks take equals, matches or exists")
	case kinds[0] == KindHeader && a.Equals != nil && (!isJSONScalar(a.Equals) || string(a.Equals) == "null"):
		p.fail(modNode, join(field, "equals"), "a header equals a text value, not %s", kindName(modNode))
	}
	if a.Kind() == KindHeader && a.Equals != nil {
		// Header values are text: equals: 10 means the text "10".
		if v, err := parseJSON(a.Equals); err == nil && v.kind != kString {
			a.Equals, _ = (&value{kind: kString, str: v.text()}).MarshalJSON()
		}
	}
	return a, len(p.problems) == before
}

func isJSONScalar(raw []byte) bool {
	return len(raw) > 0 && raw[0] != '{' && raw[0] != '['
}
