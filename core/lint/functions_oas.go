package lint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi/datamodel"
)

// The functions in this file are the custom functions of Spectral's OpenAPI ruleset
// (@stoplight/spectral-rulesets) and of the OWASP ruleset, under the names Spectral uses.

// oasFunctions returns the OpenAPI and OWASP functions.
func oasFunctions() []*function {
	return []*function{
		{name: "oasOpSuccessResponse", input: isObjectTarget, run: oasOpSuccessResponse},
		{name: "oasOpFormDataConsumeCheck", input: formDataInput, run: oasOpFormDataConsumeCheck},
		{name: "oasOpIdUnique", input: isObjectTarget, run: oasOpIdUnique},
		{name: "oasOpParams", input: func(t *target) bool { return !t.isKey && isSeq(t.n) }, run: oasOpParams},
		{name: "oasTagDefined", input: isObjectTarget, run: oasTagDefined},
		{name: "oasPathParam", input: isObjectTarget, run: oasPathParam},
		{name: "refSiblings", run: refSiblings},
		{name: "oasExample", input: isObjectTarget, options: oasExampleOptions, run: oasExample},
		{name: "oasUnusedComponent", input: unusedComponentInput, run: oasUnusedComponent},
		{name: "oasDocumentSchema", run: oasDocumentSchema},
		{name: "oasSecurityDefined", input: securityRequirementInput, options: oasVersionOptions, run: oasSecurityDefined},
		{name: "oasSchema", options: oasSchemaOptions, run: oasSchema},
		{name: "oasDiscriminator", input: discriminatorInput, run: oasDiscriminator},
		{name: "uniquenessTags", input: tagsInput, run: uniquenessTags},
		{name: "serverVariables", input: isObjectTarget, options: serverVariablesOptions, run: serverVariables},
		{name: "checkSecurity", options: checkSecurityOptions, run: checkSecurity},
		{name: "differentSecuritySchemes", options: adminURLOptions, run: differentSecuritySchemes},
	}
}

// httpMethods are the operation keys of a path item, in Spectral's order.
var httpMethods = []string{"get", "head", "post", "put", "patch", "delete", "options", "trace"}

func isHTTPMethod(s string) bool {
	for _, m := range httpMethods {
		if m == s {
			return true
		}
	}
	return false
}

// operation is one operation of a paths object.
type operation struct {
	path   string
	method string
	item   *yaml.Node // the path item
	op     *yaml.Node
	key    *yaml.Node // the method key
}

// allOperations lists the operations of a paths object in document order.
func allOperations(paths *yaml.Node) []operation {
	paths = deref(paths)
	if !isMap(paths) {
		return nil
	}
	var out []operation
	for i := 0; i+1 < len(paths.Content); i += 2 {
		item := deref(paths.Content[i+1])
		if !isMap(item) {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k := item.Content[j]
			op := deref(item.Content[j+1])
			if !isMap(op) || !isHTTPMethod(k.Value) {
				continue
			}
			out = append(out, operation{path: paths.Content[i].Value, method: k.Value, item: item, op: op, key: k})
		}
	}
	return out
}

func oasOpSuccessResponse(c *call, t *target, _ any) []result {
	oas3 := c.formats()&fmtOAS3 != 0
	for i := 0; i+1 < len(t.n.Content); i += 2 {
		code := t.n.Content[i].Value
		if oas3 && (code == "2XX" || code == "3XX") {
			return nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(code), 64); err == nil && f >= 200 && f < 400 {
			return nil
		}
	}
	return msg("Operation must define at least a single 2xx or 3xx response")
}

func formDataInput(t *target) bool {
	return isObjectTarget(t) && isSeq(get(t.n, "consumes")) && isSeq(get(t.n, "parameters"))
}

var formDataConsumes = regexp.MustCompile(`(application/x-www-form-urlencoded|multipart/form-data)`)

func oasOpFormDataConsumeCheck(_ *call, t *target, _ any) []result {
	formData := false
	for _, p := range get(t.n, "parameters").Content {
		if v, ok := str(get(deref(p), "in")); ok && v == "formData" {
			formData = true
			break
		}
	}
	if !formData {
		return nil
	}
	var parts []string
	for _, c := range get(t.n, "consumes").Content {
		parts = append(parts, plainValue(deref(c)))
	}
	if formDataConsumes.MatchString(strings.Join(parts, ",")) {
		return nil
	}
	return msg("Consumes must include urlencoded, multipart, or form-data media type when using formData parameter.")
}

func oasOpIdUnique(_ *call, t *target, _ any) []result {
	var out []result
	var seen []jsVal
outer:
	for _, op := range allOperations(t.n) {
		k, id := lookup(op.op, "operationId")
		if k == nil {
			continue
		}
		v := valOf(id)
		for _, s := range seen {
			if strictEqual(s, v) {
				out = append(out, result{msg: "operationId must be unique.", n: id})
				continue outer
			}
		}
		seen = append(seen, v)
	}
	return out
}

func oasOpParams(_ *call, t *target, _ any) []result {
	params := t.n.Content
	if len(params) < 2 {
		return nil
	}
	var out []result
	var fingerprints []string
	var body, formData []*yaml.Node
	for _, p := range params {
		p = deref(p)
		if !isMap(p) || has(p, "$ref") {
			continue
		}
		fp := fingerprintPart(get(p, "in"), has(p, "in")) + "-" + fingerprintPart(get(p, "name"), has(p, "name"))
		dup := false
		for _, f := range fingerprints {
			if f == fp {
				dup = true
				break
			}
		}
		if dup {
			out = append(out, result{msg: `A parameter in this operation already exposes the same combination of "name" and "in" values.`, n: p})
		} else {
			fingerprints = append(fingerprints, fp)
		}
		if in, ok := str(get(p, "in")); ok {
			switch in {
			case "body":
				body = append(body, p)
			case "formData":
				formData = append(formData, p)
			}
		}
	}
	if len(body) > 0 && len(formData) > 0 {
		out = append(out, result{msg: `Operation must not have both "in:body" and "in:formData" parameters.`})
	}
	for _, b := range body[min(1, len(body)):] {
		out = append(out, result{msg: `Operation must not have more than a single instance of the "in:body" parameter.`, n: b})
	}
	return out
}

// fingerprintPart prints a value as JavaScript's String() would.
func fingerprintPart(n *yaml.Node, present bool) string {
	if !present {
		return "undefined"
	}
	switch {
	case isMap(n):
		return "[object Object]"
	case isSeq(n):
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = fingerprintPart(deref(c), true)
		}
		return strings.Join(parts, ",")
	}
	return plainValue(n)
}

func oasTagDefined(_ *call, t *target, _ any) []result {
	var global []string
	if tags := get(t.n, "tags"); isSeq(tags) {
		for _, tag := range tags.Content {
			if name, ok := str(get(deref(tag), "name")); ok {
				global = append(global, name)
			}
		}
	}
	var out []result
	for _, op := range allOperations(get(t.n, "paths")) {
		tags := get(op.op, "tags")
		if !isSeq(tags) {
			continue
		}
		for _, tag := range tags.Content {
			tag = deref(tag)
			name, ok := str(tag)
			found := false
			for _, g := range global {
				if ok && g == name {
					found = true
					break
				}
			}
			if !found {
				out = append(out, result{msg: "Operation tags must be defined in global tags.", n: tag})
			}
		}
	}
	return out
}

var pathTemplate = regexp.MustCompile(`\{;?\??[a-zA-Z0-9_-]+\*?\}`)

func oasPathParam(_ *call, t *target, _ any) []result {
	var out []result
	unique := map[string]string{}
	for i := 0; i+1 < len(t.n.Content); i += 2 {
		path := t.n.Content[i].Value
		item := deref(t.n.Content[i+1])
		if !isMap(item) {
			continue
		}
		normalized := pathTemplate.ReplaceAllString(path, "%")
		if prev, ok := unique[normalized]; ok {
			out = append(out, result{msg: fmt.Sprintf("Paths %q and %q must not be equivalent.", prev, path), n: item})
		} else {
			unique[normalized] = path
		}
		var elements []string
		for _, m := range pathTemplate.FindAllString(path, -1) {
			p := strings.Map(func(r rune) rune {
				if strings.ContainsRune("{}?*;", r) {
					return -1
				}
				return r
			}, m)
			dup := false
			for _, e := range elements {
				if e == p {
					dup = true
				}
			}
			if dup {
				out = append(out, result{msg: fmt.Sprintf("Path %q must not use parameter \"{%s}\" multiple times.", path, p), n: item})
			} else {
				elements = append(elements, p)
			}
		}
		top := map[string]*yaml.Node{}
		var topOrder []string
		collectPathParams(get(item, "parameters"), top, &topOrder, &out)
		for j := 0; j+1 < len(item.Content); j += 2 {
			method := item.Content[j].Value
			op := deref(item.Content[j+1])
			if !isMap(op) || method == "parameters" || !isHTTPMethod(method) {
				continue
			}
			opParams := map[string]*yaml.Node{}
			var opOrder []string
			collectPathParams(get(op, "parameters"), opParams, &opOrder, &out)
			defined := map[string]*yaml.Node{}
			var order []string
			for _, name := range topOrder {
				defined[name] = top[name]
				order = append(order, name)
			}
			for _, name := range opOrder {
				if _, ok := defined[name]; !ok {
					order = append(order, name)
				}
				defined[name] = opParams[name]
			}
			for _, name := range order {
				used := false
				for _, e := range elements {
					if e == name {
						used = true
						break
					}
				}
				if !used {
					out = append(out, result{msg: fmt.Sprintf("Parameter %q must be used in path %q.", name, path), n: defined[name]})
				}
			}
			for _, e := range elements {
				if _, ok := defined[e]; !ok {
					out = append(out, result{msg: fmt.Sprintf("Operation must define parameter \"{%s}\" as expected by path %q.", e, path), n: op})
				}
			}
		}
	}
	return out
}

// collectPathParams records the named path parameters of a parameters list and reports
// the ones that are not required or defined twice.
func collectPathParams(params *yaml.Node, seen map[string]*yaml.Node, order *[]string, out *[]result) {
	if !isSeq(params) {
		return
	}
	for _, p := range params.Content {
		p = deref(p)
		if !isMap(p) {
			continue
		}
		in, ok := str(get(p, "in"))
		nameNode := get(p, "name")
		if !ok || in != "path" || nameNode == nil {
			continue
		}
		name := plainValue(nameNode)
		if req, ok := boolValue(get(p, "required")); !ok || !req {
			*out = append(*out, result{msg: fmt.Sprintf("Path parameter %q must have \"required\" property that is set to \"true\".", name), n: p})
		}
		if _, dup := seen[name]; dup {
			*out = append(*out, result{msg: fmt.Sprintf("Path parameter %q must not be defined multiple times.", name), n: p})
			continue
		}
		seen[name] = p
		*order = append(*order, name)
	}
}

func refSiblings(c *call, t *target, _ any) []result {
	n := c.given
	info, ok := c.doc().idx[c.doc().original(n)]
	if !ok || info.parent == nil || !isMap(info.parent) {
		return nil
	}
	owner := info.parent
	if len(owner.Content) <= 2 {
		return nil
	}
	var out []result
	for i := 0; i+1 < len(owner.Content); i += 2 {
		if owner.Content[i].Value == "$ref" {
			continue
		}
		out = append(out, result{msg: "$ref must not be placed next to any other properties", n: owner.Content[i+1]})
	}
	return out
}

// oasExample.

type oasExampleOpts struct {
	oasVersion  int
	schemaField string
	media       bool
}

func oasExampleOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "oasVersion", "schemaField", "type"); err != nil {
		return nil, err
	}
	opts := &oasExampleOpts{oasVersion: 3, schemaField: "$"}
	if f := o.child("oasVersion"); f.present() {
		v, err := f.number()
		if err != nil || v != 2 && v != 3 {
			return nil, f.valueErrorf("must be 2 or 3")
		}
		opts.oasVersion = int(v)
	}
	if f := o.child("schemaField"); f.present() {
		s, err := f.str()
		if err != nil {
			return nil, err
		}
		opts.schemaField = s
	}
	if f := o.child("type"); f.present() {
		s, err := f.str()
		if err != nil {
			return nil, err
		}
		switch s {
		case "media":
			opts.media = true
		case "schema":
		default:
			return nil, f.valueErrorf(`must be "media" or "schema"`)
		}
	}
	return opts, nil
}

// exampleItem is one value to validate against a schema.
type exampleItem struct {
	value   *yaml.Node // nil when undefined
	owner   *yaml.Node // the node holding the value (for missing values)
	missing []string
	prop    string // the property name for messages
}

// schemaCacheKey identifies a prepared schema.
type schemaCacheKey struct {
	node                  *yaml.Node
	relaxRead, relaxWrite bool
}

// compiledSchema is a compiled schema or why it could not be compiled.
type compiledSchema struct {
	s   *jsonschema.Schema
	err error
}

func oasExample(c *call, t *target, opts any) []result {
	o := opts.(*oasExampleOpts)
	schemaNode := t.n
	if o.schemaField != "$" {
		schemaNode = get(t.n, o.schemaField)
	}
	if !isMap(schemaNode) && !(isScalar(schemaNode) && kindOf(schemaNode) == kindBool) {
		return nil
	}
	var items []exampleItem
	if o.media {
		items = mediaExamples(t.n, o.oasVersion)
	} else {
		fields := []string{"example", "default"}
		if o.oasVersion == 2 {
			fields = []string{"example", "x-example", "default"}
		}
		for _, f := range fields {
			if k, v := lookup(t.n, f); k != nil {
				items = append(items, exampleItem{value: v, owner: t.n, prop: f})
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	relaxRead, relaxWrite := false, false
	if o.media {
		switch c.doc().mediaRole(c.given) {
		case "request":
			relaxRead = true
		case "response":
			relaxWrite = true
		}
	}
	cs := c.l.compiledExampleSchema(schemaNode, relaxRead, relaxWrite)
	if cs.err != nil {
		var sve *jsonschema.SchemaValidationError
		if errors.As(cs.err, &sve) {
			return []result{{msg: "the schema is invalid: " + firstLine(cs.err.Error()), n: schemaNode}}
		}
		return nil // unresolvable (circular) references: nothing to check against
	}
	var out []result
	for _, it := range items {
		if it.value == nil {
			out = append(out, result{msg: quote(it.missing[len(it.missing)-1]) + " property must exist", n: it.owner, missing: it.missing})
			continue
		}
		probs := validate(cs.s, it.value, false, -1)
		out = append(out, problemResults(it.value, it.prop, probs)...)
	}
	return out
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// mediaExamples lists the examples of a media type (3.x) or response (2.0) object.
func mediaExamples(n *yaml.Node, version int) []exampleItem {
	if version == 2 {
		ex := get(n, "examples")
		if !isMap(ex) {
			return nil
		}
		var out []exampleItem
		for i := 0; i+1 < len(ex.Content); i += 2 {
			out = append(out, exampleItem{value: deref(ex.Content[i+1]), owner: ex, prop: ex.Content[i].Value})
		}
		return out
	}
	if k, v := lookup(n, "example"); k != nil {
		return []exampleItem{{value: v, owner: n, prop: "example"}}
	}
	ex := get(n, "examples")
	if !has(n, "examples") {
		return nil
	}
	if !isMap(ex) {
		return nil
	}
	var out []exampleItem
	for i := 0; i+1 < len(ex.Content); i += 2 {
		e := deref(ex.Content[i+1])
		if !isMap(e) || has(e, "externalValue") {
			continue
		}
		k, v := lookup(e, "value")
		if k == nil {
			out = append(out, exampleItem{owner: e, missing: []string{"value"}})
			continue
		}
		out = append(out, exampleItem{value: v, owner: e, prop: "value"})
	}
	return out
}

// mediaRole tells whether a media type object describes a request ("request"), a response
// ("response") or neither (""), from the properties above it, looking through $refs.
func (d *Document) mediaRole(n *yaml.Node) string {
	d.refOnce.Do(d.checkRefs)
	cur := d.original(n)
	for steps := 0; steps < 512; steps++ {
		info, ok := d.idx[cur]
		if !ok {
			return ""
		}
		if info.parent == nil {
			// A file's root: continue from the $ref that brings it in.
			owner := d.referrers[cur]
			if owner == nil {
				return ""
			}
			cur = owner
			continue
		}
		if info.key != nil && !info.isKey {
			switch info.key.Value {
			case "requestBody", "requestBodies":
				return "request"
			case "responses":
				return "response"
			}
		}
		cur = info.parent
	}
	return ""
}

// compiledExampleSchema prepares and compiles a schema of the document, once per Lint call
// and, through compiledSchemas, once per distinct content across calls.
func (l *linter) compiledExampleSchema(n *yaml.Node, relaxRead, relaxWrite bool) *compiledSchema {
	k := schemaCacheKey{node: n, relaxRead: relaxRead, relaxWrite: relaxWrite}
	if l.schemaCache == nil {
		l.schemaCache = map[schemaCacheKey]*compiledSchema{}
	}
	if cs, ok := l.schemaCache[k]; ok {
		return cs
	}
	tr := &oasSchemaTransform{
		oas2: l.formats&fmtOAS2 != 0, oas30: l.formats&(fmtOAS2|fmtOAS31|fmtOAS32) == 0,
		relaxRead: relaxRead, relaxWrite: relaxWrite,
	}
	draft := jsonschema.Draft4
	if l.formats&(fmtOAS31|fmtOAS32) != 0 {
		draft = jsonschema.Draft2020
	}
	var key [16]byte
	h := fnv.New128a()
	fmt.Fprintf(h, "%s|%t|%t|%t|%t|", draft, tr.oas2, tr.oas30, relaxRead, relaxWrite)
	sum := l.contentHash(n)
	h.Write(sum[:])
	h.Sum(key[:0])
	cs := compiledSchemas.get(key, func() *compiledSchema {
		v := dropRefs(toValue(n))
		tr.apply(v)
		s, err := compileSchema(v, draft)
		return &compiledSchema{s: s, err: err}
	})
	l.schemaCache[k] = cs
	return cs
}

// dropRefs replaces the $refs left in a resolved schema (circular ones) by the schema that
// accepts everything, so the rest of the schema can still be checked.
func dropRefs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"].(string); ok {
			return map[string]any{}
		}
		for k, c := range x {
			x[k] = dropRefs(c)
		}
	case []any:
		for i, c := range x {
			x[i] = dropRefs(c)
		}
	}
	return v
}

// hashSeeds seed the two halves of content hashes; the caches they key live in memory
// only, so per-process seeds are fine.
var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// contentHash returns a 128-bit hash of the JSON value of n; shared subtrees are hashed
// once per Lint call.
func (l *linter) contentHash(n *yaml.Node) [16]byte {
	if l.hashes == nil {
		l.hashes = map[*yaml.Node][16]byte{}
	}
	var hs [2]maphash.Hash
	hs[0].SetSeed(hashSeeds[0])
	hs[1].SetSeed(hashSeeds[1])
	var stack [][16]byte // child hashes of the nodes being hashed
	var rec func(n *yaml.Node, depth int) [16]byte
	rec = func(n *yaml.Node, depth int) [16]byte {
		n = deref(n)
		if n == nil || depth > maxValueDepth {
			return [16]byte{}
		}
		if sum, ok := l.hashes[n]; ok {
			return sum
		}
		base := len(stack)
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if n.Kind == yaml.MappingNode && i%2 == 0 {
					continue
				}
				sum := rec(c, depth+1)
				stack = append(stack, sum)
			}
		}
		children := stack[base:]
		var sum [16]byte
		for half := range hs {
			h := &hs[half]
			h.Reset()
			switch n.Kind {
			case yaml.MappingNode, yaml.SequenceNode:
				h.WriteByte(byte(n.Kind))
				for i, c := range n.Content {
					if n.Kind == yaml.MappingNode {
						if i%2 == 1 {
							continue
						}
						h.WriteString(c.Value)
						h.WriteByte(0)
						h.Write(children[i/2][:])
						continue
					}
					h.Write(children[i][:])
				}
			default:
				h.WriteByte(byte(kindOf(n)) + 16)
				h.WriteString(n.Value)
			}
			binary.LittleEndian.PutUint64(sum[half*8:], h.Sum64())
		}
		stack = stack[:base]
		l.hashes[n] = sum
		return sum
	}
	return rec(n, 0)
}

// compiledSchemas keeps compiled document schemas by content, across Lint calls: while a
// description is edited most of its schemas do not change, and compiling is the costly part
// of checking examples.
var compiledSchemas = &schemaCache{max: 4096, m: map[[16]byte]*compiledSchema{}}

// schemaCache is a bounded, concurrency-safe map from schema content to compiled schema.
type schemaCache struct {
	mu    sync.Mutex
	max   int
	m     map[[16]byte]*compiledSchema
	order [][16]byte
}

// get returns the compiled schema for key, calling compile on a miss.
func (c *schemaCache) get(key [16]byte, compile func() *compiledSchema) *compiledSchema {
	c.mu.Lock()
	cs, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return cs
	}
	cs = compile()
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[key]; ok {
		return prev
	}
	if len(c.order) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[key] = cs
	c.order = append(c.order, key)
	return cs
}

func unusedComponentInput(t *target) bool {
	return isObjectTarget(t) && isMap(get(t.n, "components"))
}

var componentTypes = []string{"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks"}

func oasUnusedComponent(c *call, t *target, _ any) []result {
	comps := get(t.n, "components")
	var out []result
	for _, typ := range componentTypes {
		if m := get(comps, typ); isMap(m) {
			out = append(out, orphans(c, m)...)
		}
	}
	return out
}

// docSchema is a compiled OpenAPI document schema, with the parts of it that validate the
// big maps of a document (paths, components, definitions) entry by entry.
type docSchema struct {
	root   *jsonschema.Schema
	splits []docSplit
}

// docSplit is a map of the document validated entry by entry: each entry {key: value} is
// checked against the schema of the whole map, and the results are kept by content, so that
// an edit only re-validates the entries it touched.
type docSplit struct {
	path   []string
	schema *jsonschema.Schema
}

// documentSchemas holds the compiled OpenAPI document schemas.
var documentSchemas struct {
	once               sync.Once
	oas2, oas30, oas31 *docSchema
}

func componentSplits(prefix string, types ...string) [][2]string {
	var out [][2]string
	for _, t := range types {
		out = append(out, [2]string{"components/" + t, prefix + t})
	}
	return out
}

func loadDocumentSchemas() {
	compile := func(src string, splits [][2]string) *docSchema {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
		if err != nil {
			return nil
		}
		c := jsonschema.NewCompiler()
		c.UseLoader(noLoader{})
		const u = "mem:///openapi.json"
		if err := c.AddResource(u, v); err != nil {
			return nil
		}
		root, err := c.Compile(u)
		if err != nil {
			return nil
		}
		ds := &docSchema{root: root}
		for _, sp := range splits {
			s, err := c.Compile(u + "#" + sp[1])
			if err != nil {
				continue
			}
			ds.splits = append(ds.splits, docSplit{path: strings.Split(sp[0], "/"), schema: s})
		}
		return ds
	}
	comps := []string{"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links", "callbacks"}
	documentSchemas.oas2 = compile(datamodel.OpenAPI2SchemaData, [][2]string{
		{"paths", "/definitions/paths"}, {"definitions", "/definitions/definitions"},
		{"parameters", "/definitions/parameterDefinitions"}, {"responses", "/definitions/responseDefinitions"},
	})
	documentSchemas.oas30 = compile(datamodel.OpenAPI3SchemaData, append([][2]string{{"paths", "/definitions/Paths"}},
		componentSplits("/definitions/Components/properties/", comps...)...))
	documentSchemas.oas31 = compile(datamodel.OpenAPI31SchemaData, append([][2]string{{"paths", "/$defs/paths"}, {"webhooks", "/properties/webhooks"}},
		componentSplits("/$defs/components/properties/", append(comps, "pathItems")...)...))
}

// entryProblems keeps the validation problems of document map entries by content.
var entryProblems = &problemCache{max: 1 << 14, m: map[[16]byte][]schemaProblem{}}

// problemCache is a bounded, concurrency-safe map from content to validation problems.
type problemCache struct {
	mu    sync.Mutex
	max   int
	m     map[[16]byte][]schemaProblem
	order [][16]byte
}

func (c *problemCache) get(key [16]byte, validate func() []schemaProblem) []schemaProblem {
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p
	}
	p = validate()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok {
		if len(c.order) >= c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.m[key] = p
		c.order = append(c.order, key)
	}
	return p
}

func oasDocumentSchema(c *call, t *target, _ any) []result {
	f := c.formats()
	if f == 0 || !isMap(t.n) {
		return nil
	}
	documentSchemas.once.Do(loadDocumentSchemas)
	ds, version := documentSchemas.oas30, "3.0"
	switch {
	case f&fmtOAS2 != 0:
		ds, version = documentSchemas.oas2, "2.0"
	case f&(fmtOAS31|fmtOAS32) != 0:
		ds, version = documentSchemas.oas31, "3.1"
	}
	if ds == nil {
		return nil
	}
	// The maps validated entry by entry are left empty in the value checked against the
	// root schema.
	var probs []schemaProblem
	rootValue := toValueLimited(t.n, 0).(map[string]any)
	for i := 0; i+1 < len(t.n.Content); i += 2 {
		k := t.n.Content[i].Value
		v := deref(t.n.Content[i+1])
		split := false
		for _, sp := range ds.splits {
			if sp.path[0] == k && len(sp.path) == 1 && isMap(v) {
				split = true
			}
		}
		switch {
		case split:
			rootValue[k] = map[string]any{}
		case k == "components" && isMap(v):
			comps := map[string]any{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				ck, cv := v.Content[j].Value, deref(v.Content[j+1])
				done := false
				for _, sp := range ds.splits {
					if len(sp.path) == 2 && sp.path[0] == "components" && sp.path[1] == ck && isMap(cv) {
						done = true
					}
				}
				if done {
					comps[ck] = map[string]any{}
				} else {
					comps[ck] = toValue(cv)
				}
			}
			rootValue[k] = comps
		default:
			rootValue[k] = toValue(v)
		}
	}
	probs = append(probs, validateValue(ds.root, rootValue, true)...)
	for si, sp := range ds.splits {
		m := t.n
		for _, seg := range sp.path {
			m = get(m, seg)
		}
		if !isMap(m) {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i].Value, m.Content[i+1]
			h := fnv.New128a()
			fmt.Fprintf(h, "%s|%d|%s|", version, si, k)
			sum := c.l.contentHash(v)
			h.Write(sum[:])
			var key [16]byte
			h.Sum(key[:0])
			got := entryProblems.get(key, func() []schemaProblem {
				return validateValue(sp.schema, map[string]any{k: toValue(v)}, true)
			})
			for _, p := range got {
				loc := make([]string, 0, len(sp.path)+len(p.loc))
				loc = append(append(loc, sp.path...), p.loc...)
				p.loc = loc
				probs = append(probs, p)
			}
		}
	}
	return problemResults(t.n, "", probs)
}

func securityRequirementInput(t *target) bool {
	if !isObjectTarget(t) {
		return false
	}
	for i := 1; i < len(t.n.Content); i += 2 {
		v := deref(t.n.Content[i])
		if !isSeq(v) {
			return false
		}
		for _, s := range v.Content {
			if !isString(deref(s)) {
				return false
			}
		}
	}
	return true
}

type oasVersionOpts struct{ version int }

func oasVersionOptions(o rnode) (any, error) {
	if err := optionsObject(o, false, "oasVersion"); err != nil {
		return nil, err
	}
	opts := &oasVersionOpts{version: 3}
	if f := o.child("oasVersion"); f.present() {
		v, err := f.number()
		if err != nil || v != 2 && v != 3 {
			return nil, f.valueErrorf("must be 2 or 3")
		}
		opts.version = int(v)
	}
	return opts, nil
}

func oasSecurityDefined(c *call, t *target, opts any) []result {
	o := opts.(*oasVersionOpts)
	if len(t.n.Content) == 0 {
		return nil
	}
	root := c.doc().resolvedRoot()
	var defs *yaml.Node
	location := "components.securitySchemes"
	if o.version == 2 {
		defs, location = get(root, "securityDefinitions"), "securityDefinitions"
	} else {
		defs = get(get(root, "components"), "securitySchemes")
	}
	object := "Operation"
	if info, ok := c.doc().idx[c.doc().original(t.n)]; ok && info.parent != nil {
		if top := get(c.doc().rootNode(), "security"); top != nil && c.doc().original(top) == info.parent {
			object = "API"
		}
	}
	var out []result
	for i := 0; i+1 < len(t.n.Content); i += 2 {
		name := t.n.Content[i].Value
		scopes := deref(t.n.Content[i+1])
		scheme := get(defs, name)
		if !isMap(defs) || !has(defs, name) {
			out = append(out, result{
				msg: fmt.Sprintf("%s \"security\" values must match a scheme defined in the %q object.", object, location),
				n:   t.n.Content[i],
			})
			continue
		}
		for _, s := range scopes.Content {
			s = deref(s)
			if !scopeDefined(o.version, s.Value, scheme) {
				out = append(out, result{msg: fmt.Sprintf("%q must be listed among scopes.", s.Value), n: s})
			}
		}
	}
	return out
}

// scopeDefined reports whether a security scheme lists a scope.
func scopeDefined(version int, scope string, scheme *yaml.Node) bool {
	if !isMap(scheme) {
		return false
	}
	if version == 2 {
		return has(get(scheme, "scopes"), scope)
	}
	flows := get(scheme, "flows")
	if !isMap(flows) {
		return false
	}
	for i := 1; i < len(flows.Content); i += 2 {
		if has(get(deref(flows.Content[i]), "scopes"), scope) {
			return true
		}
	}
	return false
}

// oasSchema validates a value against a schema in the dialect of the document's OpenAPI version.
type oasSchemaOpts struct {
	draft4, draft2020 *jsonschema.Schema
}

func oasSchemaOptions(o rnode) (any, error) {
	if err := optionsObject(o, true, "schema"); err != nil {
		return nil, err
	}
	sf := o.child("schema")
	if !isMap(sf.n) {
		return nil, o.errorf(`"oasSchema" function needs a "schema" object`)
	}
	opts := &oasSchemaOpts{}
	var err error
	if opts.draft4, err = compileSchema(toValue(sf.n), jsonschema.Draft4); err != nil {
		return nil, sf.errorf("invalid schema: %v", err)
	}
	if opts.draft2020, err = compileSchema(toValue(sf.n), jsonschema.Draft2020); err != nil {
		return nil, sf.errorf("invalid schema: %v", err)
	}
	return opts, nil
}

func oasSchema(c *call, t *target, opts any) []result {
	o := opts.(*oasSchemaOpts)
	if t.n == nil {
		return msg(`#{{print("property")}}must exist`)
	}
	s := o.draft4
	if c.formats()&(fmtOAS31|fmtOAS32) != 0 {
		s = o.draft2020
	}
	probs := validate(s, t.n, false, -1)
	return problemResults(t.n, lastProperty(c, t), probs)
}

func discriminatorInput(t *target) bool {
	return isObjectTarget(t) && isString(get(t.n, "discriminator"))
}

func oasDiscriminator(_ *call, t *target, _ any) []result {
	name := get(t.n, "discriminator").Value
	var out []result
	if props := get(t.n, "properties"); !isMap(props) || !has(props, name) {
		r := result{msg: "The discriminator property must be defined in this schema.", n: t.n, missing: []string{"properties"}}
		if props != nil {
			r.n, r.missing = props, nil
		}
		out = append(out, r)
	}
	found := false
	req := get(t.n, "required")
	if isSeq(req) {
		for _, it := range req.Content {
			if s, ok := str(deref(it)); ok && s == name {
				found = true
			}
		}
	}
	if !found {
		r := result{msg: "The discriminator property must be in the required property list.", n: t.n, missing: []string{"required"}}
		if req != nil {
			r.n, r.missing = req, nil
		}
		out = append(out, r)
	}
	return out
}

func tagsInput(t *target) bool {
	if t.isKey || !isSeq(t.n) {
		return false
	}
	for _, it := range t.n.Content {
		if !isString(get(deref(it), "name")) {
			return false
		}
	}
	return true
}

func uniquenessTags(_ *call, t *target, _ any) []result {
	var out []result
	var names []string
	for _, it := range t.n.Content {
		nameNode := get(deref(it), "name")
		name := nameNode.Value
		dup := false
		for _, n := range names {
			if n == name {
				dup = true
				break
			}
		}
		names = append(names, name)
		if dup {
			out = append(out, result{msg: fmt.Sprintf("\"tags\" object contains duplicate tag name %q.", name), n: nameNode})
		}
	}
	return out
}

// serverVariables.

type serverVariablesOpts struct{ checkSubstitutions, requireDefault bool }

func serverVariablesOptions(o rnode) (any, error) {
	if err := optionsObject(o, false, "checkSubstitutions", "requireDefault"); err != nil {
		return nil, err
	}
	opts := &serverVariablesOpts{}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"checkSubstitutions", &opts.checkSubstitutions}, {"requireDefault", &opts.requireDefault}} {
		if c := o.child(f.name); c.present() {
			b, err := c.boolean()
			if err != nil {
				return nil, err
			}
			*f.dst = b
		}
	}
	return opts, nil
}

var urlVariable = regexp.MustCompile(`\{(.+?)\}`)

// validServerVariable checks one entry of a server's variables object.
func validServerVariable(v *yaml.Node) bool {
	if !isMap(v) {
		return false
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i].Value, deref(v.Content[i+1])
		switch {
		case strings.HasPrefix(k, "x-"):
		case k == "enum":
			if !isSeq(val) {
				return false
			}
			for _, e := range val.Content {
				if !isString(deref(e)) {
					return false
				}
			}
		case k == "default" || k == "description" || k == "examples":
			if !isString(val) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func serverVariables(_ *call, t *target, opts any) []result {
	o := opts.(*serverVariablesOpts)
	urlNode := get(t.n, "url")
	vars := get(t.n, "variables")
	invalid := !isString(urlNode) || has(t.n, "variables") && !isMap(vars)
	if !invalid && isMap(vars) {
		for i := 1; i < len(vars.Content); i += 2 {
			if !validServerVariable(deref(vars.Content[i])) {
				invalid = true
			}
		}
	}
	if invalid {
		return msg("Invalid Server Object")
	}
	u := urlNode.Value
	var found []string
	for _, m := range urlVariable.FindAllStringSubmatch(u, -1) {
		found = append(found, m[1])
	}
	var defined []string
	if isMap(vars) {
		for i := 0; i < len(vars.Content); i += 2 {
			defined = append(defined, vars.Content[i].Value)
		}
	}
	contains := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	var out []result
	for _, d := range defined {
		if !contains(found, d) {
			out = append(out, result{msg: fmt.Sprintf("Server's \"variables\" object has unused defined %q url variable.", d), n: get(vars, d)})
		}
	}
	if len(found) == 0 {
		return out
	}
	var missing []string
	for _, f := range found {
		if !contains(defined, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		r := result{msg: "Not all server's variables are described with \"variables\" object. Missed: " + strings.Join(missing, ", ") + ".", n: vars}
		if vars == nil {
			r.n, r.missing = t.n, []string{"variables"}
		}
		out = append(out, r)
	}
	if !isMap(vars) {
		return out
	}
	type pair struct {
		name   string
		values []string
	}
	var pairs []pair
	for _, name := range defined {
		if !contains(found, name) {
			continue
		}
		v := get(vars, name)
		def, hasDef := str(get(v, "default"))
		hasDef = hasDef && has(v, "default")
		if enum := get(v, "enum"); has(v, "enum") {
			var values []string
			for _, e := range enum.Content {
				values = append(values, deref(e).Value)
			}
			pairs = append(pairs, pair{name, values})
			if hasDef && !contains(values, def) {
				out = append(out, result{msg: fmt.Sprintf("Server Variable %q has a default not listed in the enum.", name), n: get(v, "default")})
			}
		} else if hasDef {
			pairs = append(pairs, pair{name, []string{def}})
		} else {
			pairs = append(pairs, pair{name, nil})
		}
		if !has(v, "default") && o.requireDefault {
			out = append(out, result{msg: fmt.Sprintf("Server Variable %q has a missing default.", name), n: v})
		}
	}
	if !o.checkSubstitutions || len(pairs) == 0 {
		return out
	}
	var invalidURLs []string
	budget := 1000
	var apply func(s string, i int)
	apply = func(s string, i int) {
		if len(invalidURLs) >= 5 || budget <= 0 {
			return
		}
		p := pairs[i]
		for _, val := range p.values {
			sub := strings.ReplaceAll(s, "{"+p.name+"}", encodeURI(val))
			if i == len(pairs)-1 {
				budget--
				if !validURL(sub) {
					invalidURLs = append(invalidURLs, sub)
					if len(invalidURLs) == 5 {
						return
					}
				}
			} else {
				apply(sub, i+1)
			}
		}
	}
	apply(u, 0)
	switch {
	case len(invalidURLs) == 5:
		out = append(out, result{msg: "At least 5 substitutions of server variables resulted in invalid URLs: " + strings.Join(invalidURLs, ", ") + " and more", n: vars})
	case len(invalidURLs) > 0:
		out = append(out, result{msg: "A few substitutions of server variables resulted in invalid URLs: " + strings.Join(invalidURLs, ", "), n: vars})
	}
	return out
}

// encodeURI escapes s as JavaScript's encodeURI does.
func encodeURI(s string) string {
	const keep = ";,/?:@&=+$-_.!~*'()#"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// validURL reports whether s is an absolute URL as the WHATWG URL parser would accept it.
func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss", "ftp":
		return u.Host != "" && !strings.ContainsAny(u.Host, "{} ")
	}
	return true
}

// checkSecurity (OWASP): every operation of the chosen methods must be protected.

type checkSecurityOpts struct {
	methods     []string
	nullable    bool
	nullableSet bool
}

func checkSecurityOptions(o rnode) (any, error) {
	if err := optionsObject(o, false, "schemesPath", "nullable", "methods"); err != nil {
		return nil, err
	}
	opts := &checkSecurityOpts{}
	if f := o.child("schemesPath"); f.present() && !isSeq(f.n) {
		return nil, f.errorf("must be a list")
	}
	if f := o.child("methods"); f.present() {
		if !isSeq(f.n) {
			return nil, f.errorf("must be a list")
		}
		m, err := f.strList()
		if err != nil {
			return nil, err
		}
		opts.methods = m
	}
	if f := o.child("nullable"); f.present() {
		b, err := f.boolean()
		if err != nil {
			return nil, err
		}
		opts.nullable, opts.nullableSet = b, true
	}
	return opts, nil
}

func checkSecurity(c *call, t *target, opts any) []result {
	o := opts.(*checkSecurityOpts)
	if !isMap(t.n) {
		return nil
	}
	global := get(t.n, "security")
	var out []result
	for _, op := range allOperations(get(t.n, "paths")) {
		if o.methods != nil {
			found := false
			for _, m := range o.methods {
				if m == op.method {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		sec := get(op.op, "security")
		ref := op.path + "," + op.method
		if !has(op.op, "security") {
			sec, ref = global, "$.security"
		}
		if !truthy(sec) || isSeq(sec) && len(sec.Content) == 0 {
			out = append(out, result{msg: "Operation has undefined security scheme in " + ref + ".", n: op.op, missing: []string{"security"}})
		}
		if isSeq(sec) {
			for _, entry := range sec.Content {
				entry = deref(entry)
				if isMap(entry) && len(entry.Content) == 0 && o.nullableSet && !o.nullable {
					out = append(out, result{msg: "Operation referencing empty security scheme in " + ref + ".", n: entry})
				}
			}
		}
	}
	return out
}

// differentSecuritySchemes (OWASP): admin endpoints must not share security requirements
// with the other endpoints.

type adminURLOpts struct{ adminURL string }

func adminURLOptions(o rnode) (any, error) {
	if err := optionsObject(o, false, "adminUrl"); err != nil {
		return nil, err
	}
	opts := &adminURLOpts{adminURL: "/admin"}
	if f := o.child("adminUrl"); f.present() {
		s, err := f.str()
		if err != nil {
			return nil, err
		}
		opts.adminURL = s
	}
	return opts, nil
}

func differentSecuritySchemes(_ *call, t *target, opts any) []result {
	o := opts.(*adminURLOpts)
	if !isMap(t.n) {
		return nil
	}
	type adminEntry struct {
		uri, hash string
		n         *yaml.Node
	}
	var admin []adminEntry
	nonAdmin := map[string]bool{}
	for _, op := range allOperations(get(t.n, "paths")) {
		sec := get(op.op, "security")
		if !isSeq(sec) {
			continue
		}
		for _, entry := range sec.Content {
			entry = deref(entry)
			if !isMap(entry) && !isSeq(entry) {
				continue
			}
			h := orderedJSON(entry)
			if strings.Contains(op.path, o.adminURL) {
				admin = append(admin, adminEntry{uri: op.path, hash: h, n: entry})
			} else {
				nonAdmin[h] = true
			}
		}
	}
	var out []result
	for _, a := range admin {
		if nonAdmin[a.hash] {
			out = append(out, result{msg: fmt.Sprintf("Admin endpoint %s has the same security requirement as a non-admin endpoint.", a.uri), n: a.n})
		}
	}
	return out
}

// orderedJSON serialises a value as JSON keeping the document's key order, as JSON.stringify does.
func orderedJSON(n *yaml.Node) string {
	var b strings.Builder
	budget := maxValueNodes
	var write func(n *yaml.Node, depth int)
	write = func(n *yaml.Node, depth int) {
		n = deref(n)
		budget--
		if n == nil || depth > maxValueDepth || budget <= 0 {
			b.WriteString("null")
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			b.WriteByte('{')
			for i := 0; i+1 < len(n.Content); i += 2 {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(quote(n.Content[i].Value))
				b.WriteByte(':')
				write(n.Content[i+1], depth+1)
			}
			b.WriteByte('}')
		case yaml.SequenceNode:
			b.WriteByte('[')
			for i, c := range n.Content {
				if i > 0 {
					b.WriteByte(',')
				}
				write(c, depth+1)
			}
			b.WriteByte(']')
		default:
			b.WriteString(printValue(n))
		}
	}
	write(n, 0)
	return b.String()
}
