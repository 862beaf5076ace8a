package workspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "github.com/pb33f/go-yaml"
)

// Operation is one operation of an OpenAPI 3 document as the designer's form edits it.
// Whatever else the operation holds (security, callbacks, servers, extensions, further
// media types) is kept as it is when the operation is written back.
type Operation struct {
	// Path is the path template, e.g. /pets/{id}.
	Path string `json:"path"`
	// Method is the HTTP method in lower case, e.g. get.
	Method string `json:"method"`
	// OperationID is the operation's operationId; "" leaves it out.
	OperationID string `json:"operationId"`
	// Summary is the one-line summary; "" leaves it out.
	Summary string `json:"summary"`
	// Description is the Markdown description; "" leaves it out.
	Description string `json:"description"`
	// Tags group the operation; empty leaves them out.
	Tags []string `json:"tags"`
	// Parameters are the operation's own parameters (not the path item's), in order.
	Parameters []Parameter `json:"parameters"`
	// RequestBody is the request body; nil means none.
	RequestBody *Body `json:"requestBody"`
	// Responses are the declared responses, in order; at least one is required.
	Responses []Response `json:"responses"`
}

// Parameter is a parameter of an Operation.
type Parameter struct {
	// Ref is the $ref of a parameter defined elsewhere; when set the other fields are
	// ignored on write and the reference is kept.
	Ref string `json:"ref,omitempty"`
	// Name is the parameter's name.
	Name string `json:"name"`
	// In is where it goes: path, query, header or cookie.
	In string `json:"in"`
	// Required marks a required parameter (path parameters always are).
	Required bool `json:"required"`
	// Description is the Markdown description; "" leaves it out.
	Description string `json:"description"`
	// Schema is the parameter's schema as JSON text; "" means {"type": "string"}.
	Schema string `json:"schema"`
	// Example is an example value as JSON text; "" leaves it out.
	Example string `json:"example"`
}

// Body is a request body: one media type with its schema and example. Other media types
// the body declares are kept on write.
type Body struct {
	// Ref is the $ref of a request body defined elsewhere; when set the other fields are
	// ignored on write and the reference is kept.
	Ref string `json:"ref,omitempty"`
	// Required marks a required body.
	Required bool `json:"required"`
	// Description is the Markdown description; "" leaves it out.
	Description string `json:"description"`
	// MediaType is the media type edited, e.g. application/json.
	MediaType string `json:"mediaType"`
	// Schema is the schema as JSON text; "" leaves it out.
	Schema string `json:"schema"`
	// Example is an example as JSON text; "" leaves it out.
	Example string `json:"example"`
}

// Response is a declared response of an Operation.
type Response struct {
	// Status is the status code ("200"), a range ("4XX") or "default".
	Status string `json:"status"`
	// Ref is the $ref of a response defined elsewhere; when set the other fields are
	// ignored on write and the reference is kept.
	Ref string `json:"ref,omitempty"`
	// Description is required by OpenAPI; an empty one is written as the status text.
	Description string `json:"description"`
	// MediaType is the media type edited; "" means a response without a body.
	MediaType string `json:"mediaType"`
	// Schema is the schema as JSON text; "" leaves it out.
	Schema string `json:"schema"`
	// Example is an example as JSON text; "" leaves it out.
	Example string `json:"example"`
}

// OperationError is a problem with an operation given to WriteOperation; Field names the
// form field, e.g. "parameters[1].schema".
type OperationError struct {
	Field string
	Msg   string
}

// Error formats the error as "field: message".
func (e *OperationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

var (
	methods     = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	statusRE    = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	pathParamRE = regexp.MustCompile(`\{([^{}/]+)\}`)
)

// ReadOperation returns the operation at path and method of the OpenAPI 3 document text.
func ReadOperation(text, path, method string) (*Operation, error) {
	d, err := parseDoc(text)
	if err != nil {
		return nil, err
	}
	method = strings.ToLower(method)
	op := mapGet(mapGet(mapGet(d.root, "paths"), path), method)
	if op == nil || op.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the document has no operation %s %s", strings.ToUpper(method), path)
	}
	out := &Operation{
		Path: path, Method: method,
		OperationID: scalar(mapGet(op, "operationId")),
		Summary:     scalar(mapGet(op, "summary")),
		Description: scalar(mapGet(op, "description")),
	}
	if tags := mapGet(op, "tags"); tags != nil {
		for _, t := range tags.Content {
			out.Tags = append(out.Tags, scalar(t))
		}
	}
	if ps := mapGet(op, "parameters"); ps != nil {
		for _, p := range ps.Content {
			if ref := scalar(mapGet(p, "$ref")); ref != "" {
				out.Parameters = append(out.Parameters, Parameter{Ref: ref})
				continue
			}
			out.Parameters = append(out.Parameters, Parameter{
				Name: scalar(mapGet(p, "name")), In: scalar(mapGet(p, "in")),
				Required:    scalar(mapGet(p, "required")) == "true",
				Description: scalar(mapGet(p, "description")),
				Schema:      jsonText(mapGet(p, "schema")),
				Example:     jsonText(mapGet(p, "example")),
			})
		}
	}
	if rb := mapGet(op, "requestBody"); rb != nil {
		b := &Body{Ref: scalar(mapGet(rb, "$ref"))}
		if b.Ref == "" {
			b.Required = scalar(mapGet(rb, "required")) == "true"
			b.Description = scalar(mapGet(rb, "description"))
			b.MediaType, b.Schema, b.Example = firstMedia(mapGet(rb, "content"))
		}
		out.RequestBody = b
	}
	if rs := mapGet(op, "responses"); rs != nil && rs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(rs.Content); i += 2 {
			r := rs.Content[i+1]
			resp := Response{Status: rs.Content[i].Value, Ref: scalar(mapGet(r, "$ref"))}
			if resp.Ref == "" {
				resp.Description = scalar(mapGet(r, "description"))
				resp.MediaType, resp.Schema, resp.Example = firstMedia(mapGet(r, "content"))
			}
			out.Responses = append(out.Responses, resp)
		}
	}
	return out, nil
}

// WriteOperation returns text with op written into it: replacing the operation at
// from (its path and method; op may move it elsewhere), or added when from is nil. The
// rest of the document is kept, comments included; a JSON document stays JSON. A bad
// field is an *OperationError.
func WriteOperation(text string, from *OperationKey, op *Operation) (string, error) {
	d, err := parseDoc(text)
	if err != nil {
		return "", err
	}
	if err := validateOperation(op); err != nil {
		return "", err
	}
	method := strings.ToLower(op.Method)
	paths := mapGet(d.root, "paths")
	if paths == nil {
		paths = &yaml.Node{Kind: yaml.MappingNode}
		mapSet(d.root, "paths", paths)
	}
	var node *yaml.Node
	if from != nil {
		fromItem := mapGet(paths, from.Path)
		node = mapGet(fromItem, strings.ToLower(from.Method))
		if node == nil {
			return "", fmt.Errorf("the document has no operation %s %s", strings.ToUpper(from.Method), from.Path)
		}
		if from.Path != op.Path || !strings.EqualFold(from.Method, method) {
			if mapGet(mapGet(paths, op.Path), method) != nil {
				return "", &OperationError{Field: "method", Msg: fmt.Sprintf("%s %s exists already", strings.ToUpper(method), op.Path)}
			}
			mapDelete(fromItem, strings.ToLower(from.Method))
			if !hasOperations(fromItem) && len(fromItem.Content) == 0 {
				mapDelete(paths, from.Path)
			}
		}
	} else if mapGet(mapGet(paths, op.Path), method) != nil {
		return "", &OperationError{Field: "method", Msg: fmt.Sprintf("%s %s exists already", strings.ToUpper(method), op.Path)}
	}
	if node == nil {
		node = &yaml.Node{Kind: yaml.MappingNode}
	}
	if err := fillOperation(node, op); err != nil {
		return "", err
	}
	item := mapGet(paths, op.Path)
	if item == nil {
		item = &yaml.Node{Kind: yaml.MappingNode}
		mapSet(paths, op.Path, item)
	}
	mapSet(item, method, node)
	return d.render()
}

// DeleteOperation returns text without the operation at path and method; a path left
// without operations or other fields is removed too.
func DeleteOperation(text, path, method string) (string, error) {
	d, err := parseDoc(text)
	if err != nil {
		return "", err
	}
	paths := mapGet(d.root, "paths")
	item := mapGet(paths, path)
	if !mapDelete(item, strings.ToLower(method)) {
		return "", fmt.Errorf("the document has no operation %s %s", strings.ToUpper(method), path)
	}
	if len(item.Content) == 0 {
		mapDelete(paths, path)
	}
	return d.render()
}

// OperationKey names an operation by path and method.
type OperationKey struct {
	Path   string `json:"path"`
	Method string `json:"method"`
}

func validateOperation(op *Operation) error {
	if !strings.HasPrefix(op.Path, "/") {
		return &OperationError{Field: "path", Msg: "must start with /"}
	}
	if !slices.Contains(methods, strings.ToLower(op.Method)) {
		return &OperationError{Field: "method", Msg: fmt.Sprintf("%q is not an HTTP method OpenAPI knows (%s)", op.Method, strings.Join(methods, ", "))}
	}
	if len(op.Responses) == 0 {
		return &OperationError{Field: "responses", Msg: "an operation needs at least one response"}
	}
	templated := map[string]bool{}
	for _, m := range pathParamRE.FindAllStringSubmatch(op.Path, -1) {
		templated[m[1]] = true
	}
	declared := map[string]bool{}
	seen := map[string]bool{}
	for i, p := range op.Parameters {
		field := fmt.Sprintf("parameters[%d]", i)
		if p.Ref != "" {
			continue
		}
		if strings.TrimSpace(p.Name) == "" {
			return &OperationError{Field: field + ".name", Msg: "a parameter needs a name"}
		}
		if !slices.Contains([]string{"path", "query", "header", "cookie"}, p.In) {
			return &OperationError{Field: field + ".in", Msg: fmt.Sprintf("%q is not one of path, query, header, cookie", p.In)}
		}
		key := p.In + ":" + p.Name
		if seen[key] {
			return &OperationError{Field: field + ".name", Msg: fmt.Sprintf("the %s parameter %q is declared twice", p.In, p.Name)}
		}
		seen[key] = true
		if p.In == "path" {
			if !templated[p.Name] {
				return &OperationError{Field: field + ".name", Msg: fmt.Sprintf("path parameter %q is not in the path %s", p.Name, op.Path)}
			}
			declared[p.Name] = true
		}
		if err := checkJSON(p.Schema, field+".schema", true); err != nil {
			return err
		}
		if err := checkJSON(p.Example, field+".example", false); err != nil {
			return err
		}
	}
	for name := range templated {
		if !declared[name] && !hasRefParams(op) {
			return &OperationError{Field: "parameters", Msg: fmt.Sprintf("the path has {%s} but no path parameter %q is declared", name, name)}
		}
	}
	if b := op.RequestBody; b != nil && b.Ref == "" {
		if strings.TrimSpace(b.MediaType) == "" {
			return &OperationError{Field: "requestBody.mediaType", Msg: "a request body needs a media type, e.g. application/json"}
		}
		if err := checkJSON(b.Schema, "requestBody.schema", true); err != nil {
			return err
		}
		if err := checkJSON(b.Example, "requestBody.example", false); err != nil {
			return err
		}
	}
	statuses := map[string]bool{}
	for i, r := range op.Responses {
		field := fmt.Sprintf("responses[%d]", i)
		if !statusRE.MatchString(r.Status) {
			return &OperationError{Field: field + ".status", Msg: fmt.Sprintf("%q is not a status code (200), a range (4XX) or default", r.Status)}
		}
		if statuses[r.Status] {
			return &OperationError{Field: field + ".status", Msg: fmt.Sprintf("status %s is declared twice", r.Status)}
		}
		statuses[r.Status] = true
		if r.Ref != "" {
			continue
		}
		if err := checkJSON(r.Schema, field+".schema", true); err != nil {
			return err
		}
		if err := checkJSON(r.Example, field+".example", false); err != nil {
			return err
		}
		if (r.Schema != "" || r.Example != "") && strings.TrimSpace(r.MediaType) == "" {
			return &OperationError{Field: field + ".mediaType", Msg: "a response with a schema or example needs a media type"}
		}
	}
	return nil
}

func hasRefParams(op *Operation) bool {
	for _, p := range op.Parameters {
		if p.Ref != "" {
			return true
		}
	}
	return false
}

// checkJSON reports text that is not JSON (an object when object is set); "" passes.
func checkJSON(text, field string, object bool) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return &OperationError{Field: field, Msg: "not valid JSON: " + err.Error()}
	}
	if _, ok := v.(map[string]any); object && !ok {
		return &OperationError{Field: field, Msg: "a schema is a JSON object, e.g. {\"type\": \"string\"}"}
	}
	return nil
}

// fillOperation writes op's fields into the operation mapping n, keeping its other keys.
func fillOperation(n *yaml.Node, op *Operation) error {
	setString(n, "summary", op.Summary)
	setString(n, "description", op.Description)
	setString(n, "operationId", op.OperationID)
	if len(op.Tags) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, t := range op.Tags {
			seq.Content = append(seq.Content, str(t))
		}
		mapSet(n, "tags", seq)
	} else {
		mapDelete(n, "tags")
	}
	// Parameters: rebuilt in the form's order, reusing each existing parameter's node so
	// that fields the form does not show (style, explode, deprecated...) are kept.
	old := map[string]*yaml.Node{}
	if ps := mapGet(n, "parameters"); ps != nil {
		for _, p := range ps.Content {
			if ref := scalar(mapGet(p, "$ref")); ref != "" {
				old["$ref:"+ref] = p
			} else {
				old[scalar(mapGet(p, "in"))+":"+scalar(mapGet(p, "name"))] = p
			}
		}
	}
	if len(op.Parameters) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range op.Parameters {
			if p.Ref != "" {
				pn := old["$ref:"+p.Ref]
				if pn == nil {
					pn = &yaml.Node{Kind: yaml.MappingNode}
					mapSet(pn, "$ref", str(p.Ref))
				}
				seq.Content = append(seq.Content, pn)
				continue
			}
			pn := old[p.In+":"+p.Name]
			if pn == nil {
				pn = &yaml.Node{Kind: yaml.MappingNode}
			}
			mapSet(pn, "name", str(p.Name))
			mapSet(pn, "in", str(p.In))
			setString(pn, "description", p.Description)
			if p.Required || p.In == "path" {
				mapSet(pn, "required", boolean(true))
			} else {
				mapDelete(pn, "required")
			}
			schema := p.Schema
			if strings.TrimSpace(schema) == "" {
				schema = `{"type": "string"}`
			}
			if err := setJSON(pn, "schema", schema); err != nil {
				return err
			}
			if err := setJSON(pn, "example", p.Example); err != nil {
				return err
			}
			seq.Content = append(seq.Content, pn)
		}
		mapSet(n, "parameters", seq)
	} else {
		mapDelete(n, "parameters")
	}
	if b := op.RequestBody; b != nil {
		rb := mapGet(n, "requestBody")
		if b.Ref != "" {
			if scalar(mapGet(rb, "$ref")) != b.Ref {
				rb = &yaml.Node{Kind: yaml.MappingNode}
				mapSet(rb, "$ref", str(b.Ref))
			}
		} else {
			if rb == nil || mapGet(rb, "$ref") != nil {
				rb = &yaml.Node{Kind: yaml.MappingNode}
			}
			setString(rb, "description", b.Description)
			if err := setMedia(rb, b.MediaType, b.Schema, b.Example); err != nil {
				return err
			}
			if b.Required {
				mapSet(rb, "required", boolean(true))
			} else {
				mapDelete(rb, "required")
			}
		}
		mapSet(n, "requestBody", rb)
	} else {
		mapDelete(n, "requestBody")
	}
	oldResp := mapGet(n, "responses")
	rs := &yaml.Node{Kind: yaml.MappingNode}
	for _, r := range op.Responses {
		rn := mapGet(oldResp, r.Status)
		if r.Ref != "" {
			if scalar(mapGet(rn, "$ref")) != r.Ref {
				rn = &yaml.Node{Kind: yaml.MappingNode}
				mapSet(rn, "$ref", str(r.Ref))
			}
			mapSet(rs, r.Status, rn)
			continue
		}
		if rn == nil || mapGet(rn, "$ref") != nil {
			rn = &yaml.Node{Kind: yaml.MappingNode}
		}
		desc := r.Description
		if desc == "" {
			desc = statusText(r.Status)
		}
		mapSet(rn, "description", str(desc))
		if r.MediaType != "" {
			if err := setMedia(rn, r.MediaType, r.Schema, r.Example); err != nil {
				return err
			}
		}
		mapSet(rs, r.Status, rn)
	}
	mapSet(n, "responses", rs)
	return nil
}

// setMedia writes schema and example under content.<mediaType> of n, keeping other media
// types and the media type's other keys.
func setMedia(n *yaml.Node, mediaType, schema, example string) error {
	content := mapGet(n, "content")
	if content == nil {
		content = &yaml.Node{Kind: yaml.MappingNode}
		mapSet(n, "content", content)
	}
	mt := mapGet(content, mediaType)
	if mt == nil {
		mt = &yaml.Node{Kind: yaml.MappingNode}
		mapSet(content, mediaType, mt)
	}
	if err := setJSON(mt, "schema", schema); err != nil {
		return err
	}
	return setJSON(mt, "example", example)
}

func statusText(status string) string {
	if code, err := strconv.Atoi(status); err == nil {
		if t := http.StatusText(code); t != "" {
			return t
		}
	}
	switch {
	case status == "default":
		return "Unexpected error"
	case strings.HasSuffix(status, "XX"):
		return status[:1] + "xx response"
	}
	return "Response " + status
}

// firstMedia returns the first media type of a content map with its schema and example.
func firstMedia(content *yaml.Node) (mediaType, schema, example string) {
	if content == nil || content.Kind != yaml.MappingNode || len(content.Content) < 2 {
		return "", "", ""
	}
	mt := content.Content[1]
	return content.Content[0].Value, jsonText(mapGet(mt, "schema")), jsonText(mapGet(mt, "example"))
}

// doc is a parsed document and how to write it back.
type doc struct {
	top    yaml.Node // the document node
	root   *yaml.Node
	json   bool
	indent int
}

func parseDoc(text string) (*doc, error) {
	d := &doc{}
	if err := yaml.Unmarshal([]byte(text), &d.top); err != nil {
		return nil, fmt.Errorf("the document cannot be parsed, fix it first: %w", err)
	}
	if d.top.Kind != yaml.DocumentNode || len(d.top.Content) == 0 || d.top.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the document is not an object")
	}
	d.root = d.top.Content[0]
	if mapGet(d.root, "swagger") != nil {
		return nil, errors.New("the operation form edits OpenAPI 3 documents; this is Swagger 2.0 (convert it, or edit the text)")
	}
	if mapGet(d.root, "openapi") == nil {
		return nil, errors.New("the document has no openapi version field")
	}
	trimmed := strings.TrimSpace(text)
	d.json = strings.HasPrefix(trimmed, "{")
	d.indent = detectIndent(text)
	return d, nil
}

// detectIndent returns the indentation of the first indented line (2 when none).
func detectIndent(text string) int {
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if n := len(line) - len(trimmed); n > 0 && trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			if n > 8 {
				return 2
			}
			return n
		}
	}
	return 2
}

func (d *doc) render() (string, error) {
	if d.json {
		var b bytes.Buffer
		writeJSON(&b, d.root, d.indent, 0)
		b.WriteByte('\n')
		return b.String(), nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(d.indent)
	if err := enc.Encode(&d.top); err != nil {
		return "", fmt.Errorf("writing the document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("writing the document: %w", err)
	}
	return b.String(), nil
}

// mapGet returns the value of key in mapping n, nil if absent or n is not a mapping.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mapSet sets key in mapping n, in place when present, else appended.
func mapSet(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, str(key), v)
}

// mapDelete removes key from mapping n and tells whether it was there.
func mapDelete(n *yaml.Node, key string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return true
		}
	}
	return false
}

func hasOperations(item *yaml.Node) bool {
	for _, m := range methods {
		if mapGet(item, m) != nil {
			return true
		}
	}
	return false
}

func setString(n *yaml.Node, key, v string) {
	if v == "" {
		mapDelete(n, key)
		return
	}
	s := str(v)
	if strings.Contains(v, "\n") {
		s.Style = yaml.LiteralStyle
	}
	mapSet(n, key, s)
}

// setJSON sets key to the value of JSON text, or removes it for "".
func setJSON(n *yaml.Node, key, text string) error {
	if strings.TrimSpace(text) == "" {
		mapDelete(n, key)
		return nil
	}
	var v yaml.Node
	if err := yaml.Unmarshal([]byte(text), &v); err != nil || len(v.Content) == 0 {
		return &OperationError{Field: key, Msg: "not valid JSON"}
	}
	val := v.Content[0]
	plain(val)
	mapSet(n, key, val)
	return nil
}

// plain clears the flow and quoting styles JSON text parses with, so that the value is
// written in the document's block style.
func plain(n *yaml.Node) {
	n.Style = 0
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		plain(c)
	}
}

func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// jsonText renders a node as indented JSON, "" for nil.
func jsonText(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	var b bytes.Buffer
	writeJSON(&b, n, 2, 0)
	return b.String()
}

// writeJSON writes n as JSON with keys in document order.
func writeJSON(b *bytes.Buffer, n *yaml.Node, indent, depth int) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	pad := func(d int) {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", indent*d))
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			writeJSON(b, n.Content[0], indent, depth)
		} else {
			b.WriteString("null")
		}
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			k, _ := json.Marshal(n.Content[i].Value)
			b.Write(k)
			b.WriteString(": ")
			writeJSON(b, n.Content[i+1], indent, depth+1)
		}
		pad(depth)
		b.WriteByte('}')
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			writeJSON(b, c, indent, depth+1)
		}
		pad(depth)
		b.WriteByte(']')
	default:
		writeScalar(b, n)
	}
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
		return
	case "!!bool":
		if v, err := strconv.ParseBool(n.Value); err == nil {
			b.WriteString(strconv.FormatBool(v))
			return
		}
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			b.WriteString(n.Value)
			return
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	s, _ := json.Marshal(n.Value)
	b.Write(s)
}
