// Package declarative reads and writes a gateway's declarative configuration, gantry.yaml:
// the APIs it serves (spec, base path, hosts, mode, upstream, policies, per-operation
// overrides), the consumers and their credentials, and environments.
//
// Load checks the file's structure and every value it can check on its own; each problem
// is reported with the file, line, column and field path. Policy and upstream settings are
// passed on as JSON, to be checked by the gateway packages that own them; Document.Position
// maps a field path inside them back to the file. Credentials are hashed as they are read:
// a Config never holds a key or password in the clear.
package declarative

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/workspace"
)

// Position is a place in the configuration file.
type Position struct {
	// Line and Column are 1-based; 0 means unknown.
	Line, Column int
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	// File is the configuration file's path as given.
	File string
	// Position is where the problem is.
	Position
	// Field is the dotted path of the offending field ("apis[0].upstream.targets"); ""
	// means the document as a whole.
	Field string
	// Message says what is wrong and what is expected.
	Message string
}

// Error formats the problem as "file:line:col: field: message".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one configuration; it is the error Load returns.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Document is a loaded configuration and where each of its fields came from.
type Document struct {
	// File is the configuration file's path as given ("" for Parse without a name).
	File string
	// Dir is the folder relative spec paths are resolved against.
	Dir string
	// Config is the configuration, credentials hashed.
	Config model.GatewayConfig
	// positions maps field paths to where their values are.
	positions map[string]Position
}

// Position returns where the field at path is, or the nearest enclosing field that has a
// position ("apis[0].policies.rateLimit.window" falls back to ".rateLimit" and so on).
func (d *Document) Position(path string) Position {
	for p := path; ; {
		if pos, ok := d.positions[p]; ok {
			return pos
		}
		i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
		if i <= 0 {
			return d.positions[""]
		}
		p = p[:i]
	}
}

// Problem returns a Problem at the field path (its position looked up with Position).
func (d *Document) Problem(field, format string, args ...any) Problem {
	return Problem{File: d.File, Position: d.Position(field), Field: field, Message: fmt.Sprintf(format, args...)}
}

// SpecPath returns where the spec of api is: its Spec resolved against the document's
// folder ("" when the API names a workspace API instead).
func (d *Document) SpecPath(api model.GatewayAPI) string {
	if api.Spec == "" || filepath.IsAbs(api.Spec) {
		return api.Spec
	}
	return filepath.Join(d.Dir, api.Spec)
}

// Load reads and checks the configuration file at path.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gateway configuration: %w", err)
	}
	d, err := Parse(path, data)
	if d != nil {
		d.Dir = filepath.Dir(path)
	}
	return d, err
}

// Parse checks a configuration held in memory; name is used in problems. Relative spec
// paths resolve against the current folder unless Dir is set afterwards.
func Parse(name string, data []byte) (*Document, error) {
	d := &Document{File: name, Dir: ".", positions: map[string]Position{}}
	p := &parser{d: d}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{syntaxProblem(name, err)}
	}
	if len(root.Content) == 0 {
		return nil, Problems{{File: name, Message: "the file is empty: a gateway configuration needs at least `apis:`"}}
	}
	p.config(root.Content[0])
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return d, p.problems
	}
	return d, nil
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

// parser walks the YAML tree, filling the document and collecting problems.
type parser struct {
	d        *Document
	problems Problems
}

func (p *parser) fail(n *yaml.Node, field, format string, args ...any) {
	pr := Problem{File: p.d.File, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

// mark records where the value of field is, and of everything inside it.
func (p *parser) mark(field string, n *yaml.Node) {
	if n == nil {
		return
	}
	p.d.positions[field] = Position{n.Line, n.Column}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.mark(join(field, n.Content[i].Value), n.Content[i+1])
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.mark(fmt.Sprintf("%s[%d]", field, i), c)
		}
	}
	// Aliases are not followed: an alias may refer to a node that contains it.
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// fields walks mapping n, calling the handler for each known key and reporting unknown
// and duplicated keys. A nil handler value marks a key as known but ignored.
func (p *parser) fields(n *yaml.Node, field string, handlers map[string]func(v *yaml.Node, field string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, field, "must be a mapping (key: value lines), not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		if seen[k.Value] {
			p.fail(k, f, "appears twice")
			continue
		}
		seen[k.Value] = true
		h, ok := handlers[k.Value]
		if !ok {
			p.fail(k, f, "unknown field (known: %s)", knownKeys(handlers))
			continue
		}
		if h != nil {
			h(v, f)
		}
	}
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
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "this"
}

// str reads a string scalar.
func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, field, "must be a text value, not %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// strList reads a list of strings (a single string is taken as a list of one).
func (p *parser) strList(n *yaml.Node, field string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, field, "must be a list of text values, not %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := p.str(c, fmt.Sprintf("%s[%d]", field, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// object converts a mapping to a JSON object (for settings owned by other packages).
func (p *parser) object(n *yaml.Node, field string) json.RawMessage {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, field, "must be a mapping of settings, not %s", kindName(n))
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		p.fail(n, field, "cannot be read: %v", err)
		return nil
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		p.fail(n, field, "cannot be converted to JSON: %v", err)
		return nil
	}
	return b
}

// normalize turns YAML's map[any]any (non-string keys) into JSON-compatible values.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = normalize(c)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, c := range x {
			m[fmt.Sprint(k)] = normalize(c)
		}
		return m
	case []any:
		for i, c := range x {
			x[i] = normalize(c)
		}
	}
	return v
}

func (p *parser) config(n *yaml.Node) {
	c := &p.d.Config
	p.mark("", n)
	if n.Kind == yaml.MappingNode {
		p.d.positions[""] = Position{n.Line, n.Column}
	}
	p.fields(n, "", map[string]func(*yaml.Node, string){
		"listen": func(v *yaml.Node, f string) { c.Listen = p.addr(v, f) },
		"admin":  func(v *yaml.Node, f string) { c.Admin = p.addr(v, f) },
		"tls": func(v *yaml.Node, f string) {
			t := &model.ListenerTLS{}
			p.fields(v, f, map[string]func(*yaml.Node, string){
				"cert":     func(v *yaml.Node, f string) { t.Cert, _ = p.str(v, f) },
				"key":      func(v *yaml.Node, f string) { t.Key, _ = p.str(v, f) },
				"clientCA": func(v *yaml.Node, f string) { t.ClientCA, _ = p.str(v, f) },
				"clientAuth": func(v *yaml.Node, f string) {
					if s, ok := p.str(v, f); ok {
						if s != "optional" && s != "require" {
							p.fail(v, f, "%q: use optional or require", s)
						}
						t.ClientAuth = s
					}
				},
			})
			if v.Kind == yaml.MappingNode && (t.Cert == "" || t.Key == "") {
				p.fail(v, f, "`cert` and `key` (PEM files) are both required")
			}
			if t.ClientAuth != "" && t.ClientCA == "" {
				p.fail(v, join(f, "clientAuth"), "needs `clientCA`, the CAs client certificates are verified against")
			}
			c.TLS = t
		},
		"limits": func(v *yaml.Node, f string) {
			l := &model.ListenerLimits{}
			p.fields(v, f, map[string]func(*yaml.Node, string){
				"readHeaderTimeout": func(v *yaml.Node, f string) { l.ReadHeaderTimeout = p.duration(v, f) },
				"idleTimeout":       func(v *yaml.Node, f string) { l.IdleTimeout = p.duration(v, f) },
				"maxHeaderBytes":    func(v *yaml.Node, f string) { l.MaxHeaderBytes = int(p.positive(v, f)) },
				"maxBodyBytes":      func(v *yaml.Node, f string) { l.MaxBodyBytes = p.positive(v, f) },
			})
			c.Limits = l
		},
		"apis": func(v *yaml.Node, f string) {
			c.APIs = list(p, v, f, "a list of APIs (each item starting with `- name:`)", p.api)
		},
		"consumers":    func(v *yaml.Node, f string) { c.Consumers = list(p, v, f, "a list of consumers", p.consumer) },
		"environments": func(v *yaml.Node, f string) { c.Environments = list(p, v, f, "a list of environments", p.environment) },
	})
	if n.Kind == yaml.MappingNode && len(c.APIs) == 0 && !p.hasProblemAt("apis") {
		p.fail(n, "apis", "no APIs are configured: add at least one under `apis:`")
	}
	p.checkUnique()
}

// list reads a sequence whose items item reads; what says what the sequence must be.
func list[T any](p *parser, v *yaml.Node, field, what string, item func(*yaml.Node, string) T) []T {
	if v.Kind != yaml.SequenceNode {
		p.fail(v, field, "must be %s, not %s", what, kindName(v))
		return nil
	}
	out := make([]T, 0, len(v.Content))
	for i, n := range v.Content {
		out = append(out, item(n, fmt.Sprintf("%s[%d]", field, i)))
	}
	return out
}

func (p *parser) hasProblemAt(field string) bool {
	for _, pr := range p.problems {
		if pr.Field == field || strings.HasPrefix(pr.Field, field+"[") || strings.HasPrefix(pr.Field, field+".") {
			return true
		}
	}
	return false
}

// duration reads a positive Go duration ("10s").
func (p *parser) duration(n *yaml.Node, field string) string {
	s, ok := p.str(n, field)
	if !ok {
		return ""
	}
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		p.fail(n, field, "%q is not a positive duration like \"10s\" or \"2m\"", s)
	}
	return s
}

// positive reads a positive integer.
func (p *parser) positive(n *yaml.Node, field string) int64 {
	var v int64
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v <= 0 {
		p.fail(n, field, "must be a positive whole number, not %s", kindName(n))
		return 0
	}
	return v
}

// addr reads a host:port listen address.
func (p *parser) addr(n *yaml.Node, field string) string {
	s, ok := p.str(n, field)
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		p.fail(n, field, "%q is not a host:port address such as 127.0.0.1:8080", s)
		return s
	}
	if pn, err := strconv.Atoi(port); err != nil || pn < 0 || pn > 65535 {
		p.fail(n, field, "port %q is not a number from 0 to 65535", port)
	}
	return s
}

func (p *parser) api(n *yaml.Node, field string) model.GatewayAPI {
	var a model.GatewayAPI
	var modeNode *yaml.Node
	p.fields(n, field, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, f string) {
			if s, ok := p.str(v, f); ok {
				a.Name = s
				if err := workspace.ValidName(s); err != nil {
					p.fail(v, f, "%q: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit", s)
				}
			}
		},
		"spec": func(v *yaml.Node, f string) { a.Spec, _ = p.str(v, f) },
		"api":  func(v *yaml.Node, f string) { a.API, _ = p.str(v, f) },
		"basePath": func(v *yaml.Node, f string) {
			if s, ok := p.str(v, f); ok {
				if !strings.HasPrefix(s, "/") {
					p.fail(v, f, "%q must start with '/'", s)
				}
				a.BasePath = s
			}
		},
		"hosts": func(v *yaml.Node, f string) {
			a.Hosts = p.strList(v, f)
			for i, h := range a.Hosts {
				if h == "" || strings.ContainsAny(h, "/ :") || strings.Count(h, "*") > 1 || (strings.Contains(h, "*") && !strings.HasPrefix(h, "*.")) {
					p.fail(v, fmt.Sprintf("%s[%d]", f, i), "%q is not a host name (a leading \"*.\" matches any subdomain)", h)
				}
			}
		},
		"mode": func(v *yaml.Node, f string) {
			modeNode = v
			if s, ok := p.str(v, f); ok {
				if s != model.ModeMock && s != model.ModeProxy {
					p.fail(v, f, "%q is not a mode: use mock or proxy", s)
				}
				a.Mode = s
			}
		},
		"validate": func(v *yaml.Node, f string) {
			var b bool
			if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil || (v.Tag != "!!bool") {
				p.fail(v, f, "must be true or false, not %s", kindName(v))
				return
			}
			a.Validate = &b
		},
		"upstream": func(v *yaml.Node, f string) { a.Upstream = p.object(v, f) },
		"upstreams": func(v *yaml.Node, f string) {
			if v.Kind != yaml.MappingNode {
				p.fail(v, f, "must map upstream names to upstreams, not %s", kindName(v))
				return
			}
			a.Upstreams = map[string]json.RawMessage{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				name := v.Content[i].Value
				if _, dup := a.Upstreams[name]; dup {
					p.fail(v.Content[i], join(f, name), "appears twice")
					continue
				}
				a.Upstreams[name] = p.object(v.Content[i+1], join(f, name))
			}
		},
		"policies": func(v *yaml.Node, f string) { a.Policies = p.policies(v, f) },
		"operations": func(v *yaml.Node, f string) {
			if v.Kind != yaml.MappingNode {
				p.fail(v, f, "must map operation IDs (or \"GET /path\") to overrides, not %s", kindName(v))
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, ov := v.Content[i], v.Content[i+1]
				of := join(f, k.Value)
				o := model.OperationConfig{Match: k.Value}
				p.fields(ov, of, map[string]func(*yaml.Node, string){
					"mode": func(v *yaml.Node, f string) {
						if s, ok := p.str(v, f); ok {
							if s != model.ModeMock && s != model.ModeProxy {
								p.fail(v, f, "%q is not a mode: use mock or proxy", s)
							}
							o.Mode = s
						}
					},
					"policies": func(v *yaml.Node, f string) { o.Policies = p.policies(v, f) },
				})
				a.Operations = append(a.Operations, o)
			}
		},
	})
	if n.Kind != yaml.MappingNode {
		return a
	}
	if a.Name == "" && !p.hasProblemAt(join(field, "name")) {
		p.fail(n, join(field, "name"), "every API needs a name")
	}
	switch {
	case a.Spec == "" && a.API == "":
		p.fail(n, field, "give the API's description: `spec: FILE` (relative to this file) or `api: NAME` (an API in the workspace)")
	case a.Spec != "" && a.API != "":
		p.fail(n, join(field, "api"), "give either `spec` or `api`, not both")
	}
	if a.Mode == model.ModeProxy && len(a.Upstream) == 0 && !p.hasProblemAt(join(field, "upstream")) {
		p.fail(modeNode, join(field, "mode"), "proxy mode needs an `upstream:` with at least one target")
	}
	return a
}

// policies reads a mapping of policy names to their settings, keeping the file's order.
func (p *parser) policies(n *yaml.Node, field string) []model.PolicyConfig {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, field, "must map policy names to their settings (keyAuth: {in: header, name: apikey}), not %s", kindName(n))
		return nil
	}
	var out []model.PolicyConfig
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		if seen[k.Value] {
			p.fail(k, f, "appears twice")
			continue
		}
		seen[k.Value] = true
		out = append(out, model.PolicyConfig{Name: k.Value, Settings: p.object(v, f)})
	}
	return out
}

func (p *parser) consumer(n *yaml.Node, field string) model.Consumer {
	var c model.Consumer
	p.fields(n, field, map[string]func(*yaml.Node, string){
		"name":   func(v *yaml.Node, f string) { c.Name, _ = p.str(v, f) },
		"groups": func(v *yaml.Node, f string) { c.Groups = p.strList(v, f) },
		"apiKeys": func(v *yaml.Node, f string) {
			for i, k := range p.strList(v, f) {
				kf := fmt.Sprintf("%s[%d]", f, i)
				switch {
				case secret.IsHash(k):
					c.APIKeyHashes = append(c.APIKeyHashes, k)
				case len(k) < 8:
					p.fail(v, kf, "an API key must be at least 8 characters")
				default:
					c.APIKeyHashes = append(c.APIKeyHashes, secret.Hash(k))
				}
			}
		},
		"apiKeyHashes": func(v *yaml.Node, f string) {
			for i, k := range p.strList(v, f) {
				if !secret.IsHash(k) {
					p.fail(v, fmt.Sprintf("%s[%d]", f, i), "must be \"sha256:\" followed by 64 hex digits")
					continue
				}
				c.APIKeyHashes = append(c.APIKeyHashes, k)
			}
		},
		"basicAuth": func(v *yaml.Node, f string) {
			if v.Kind != yaml.SequenceNode {
				p.fail(v, f, "must be a list of {username, password}, not %s", kindName(v))
				return
			}
			for i, item := range v.Content {
				var user, pass, hash string
				itf := fmt.Sprintf("%s[%d]", f, i)
				p.fields(item, itf, map[string]func(*yaml.Node, string){
					"username":     func(v *yaml.Node, f string) { user, _ = p.str(v, f) },
					"password":     func(v *yaml.Node, f string) { pass, _ = p.str(v, f) },
					"passwordHash": func(v *yaml.Node, f string) { hash, _ = p.str(v, f) },
				})
				switch {
				case user == "" || strings.Contains(user, ":"):
					p.fail(item, join(itf, "username"), "a non-empty user name without ':' is required")
				case (pass == "") == (hash == ""):
					p.fail(item, itf, "give either `password` or `passwordHash`")
				case hash != "" && !secret.IsPasswordHash(hash):
					p.fail(item, join(itf, "passwordHash"), "must be \"sha256:<salt hex>:<64 hex digits>\"")
				default:
					if hash == "" {
						hash = secret.HashPassword(pass)
					}
					c.Basic = append(c.Basic, model.BasicCredential{Username: user, PasswordHash: hash})
				}
			}
		},
	})
	if n.Kind == yaml.MappingNode && c.Name == "" && !p.hasProblemAt(join(field, "name")) {
		p.fail(n, join(field, "name"), "every consumer needs a name")
	}
	return c
}

func (p *parser) environment(n *yaml.Node, field string) model.Environment {
	var e model.Environment
	p.fields(n, field, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, f string) { e.Name, _ = p.str(v, f) },
		"variables": func(v *yaml.Node, f string) {
			if v.Kind != yaml.MappingNode {
				p.fail(v, f, "must map variable names to values, not %s", kindName(v))
				return
			}
			e.Variables = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				if s, ok := p.str(v.Content[i+1], join(f, v.Content[i].Value)); ok {
					e.Variables[v.Content[i].Value] = s
				}
			}
		},
	})
	if n.Kind == yaml.MappingNode && e.Name == "" && !p.hasProblemAt(join(field, "name")) {
		p.fail(n, join(field, "name"), "every environment needs a name")
	}
	return e
}

// checkUnique reports APIs, consumers and environments named twice, a credential shared
// by two consumers, and two APIs claiming the same host and base path.
func (p *parser) checkUnique() {
	c := &p.d.Config
	at := func(field string) *yaml.Node {
		pos := p.d.Position(field)
		return &yaml.Node{Line: pos.Line, Column: pos.Column}
	}
	names := map[string]int{}
	mounts := map[string]int{}
	for i, a := range c.APIs {
		if a.Name == "" {
			continue
		}
		if j, dup := names[a.Name]; dup {
			p.fail(at(fmt.Sprintf("apis[%d].name", i)), fmt.Sprintf("apis[%d].name", i), "%q is also the name of apis[%d]", a.Name, j)
		} else {
			names[a.Name] = i
		}
		hosts := a.Hosts
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		if a.BasePath == "" {
			continue // the spec's own base path: checked when the gateway compiles
		}
		for _, h := range hosts {
			key := strings.ToLower(h) + " " + strings.TrimRight(a.BasePath, "/")
			if j, dup := mounts[key]; dup {
				p.fail(at(fmt.Sprintf("apis[%d].basePath", i)), fmt.Sprintf("apis[%d].basePath", i),
					"%q is also the base path of apis[%d] (%s) for the same hosts", a.BasePath, j, c.APIs[j].Name)
			} else {
				mounts[key] = i
			}
		}
	}
	consumers := map[string]int{}
	keys := map[string]int{}
	users := map[string]int{}
	for i, cn := range c.Consumers {
		if j, dup := consumers[cn.Name]; dup && cn.Name != "" {
			p.fail(at(fmt.Sprintf("consumers[%d].name", i)), fmt.Sprintf("consumers[%d].name", i), "%q is also the name of consumers[%d]", cn.Name, j)
		} else {
			consumers[cn.Name] = i
		}
		for _, k := range cn.APIKeyHashes {
			if j, dup := keys[k]; dup && j != i {
				p.fail(at(fmt.Sprintf("consumers[%d]", i)), fmt.Sprintf("consumers[%d].apiKeys", i),
					"a key of %s is also a key of %s: each key must identify one consumer", consumerLabel(c, i), consumerLabel(c, j))
			}
			keys[k] = i
		}
		for _, b := range cn.Basic {
			if j, dup := users[b.Username]; dup && j != i {
				p.fail(at(fmt.Sprintf("consumers[%d]", i)), fmt.Sprintf("consumers[%d].basicAuth", i),
					"user name %q is also used by %s", b.Username, consumerLabel(c, j))
			}
			users[b.Username] = i
		}
	}
	envs := map[string]bool{}
	for i, e := range c.Environments {
		if envs[e.Name] && e.Name != "" {
			p.fail(at(fmt.Sprintf("environments[%d].name", i)), fmt.Sprintf("environments[%d].name", i), "%q appears twice", e.Name)
		}
		envs[e.Name] = true
	}
}

// consumerLabel names consumer i for a message: its name, or its place in the list.
func consumerLabel(c *model.GatewayConfig, i int) string {
	if n := c.Consumers[i].Name; n != "" {
		return strconv.Quote(n)
	}
	return fmt.Sprintf("consumers[%d]", i)
}
