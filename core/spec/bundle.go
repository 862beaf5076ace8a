package spec

import (
	"bytes"
	"fmt"
	"strings"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/model"
)

// Bundle returns the spec made of files (paths relative to the root's folder, root being
// one of them) as one self-contained YAML document. Every schema the spec references
// becomes a named entry of components.schemas (Swagger: definitions) under the same name
// the Definition uses; every other external reference (operations, parameters, responses,
// examples, ...) is inlined; discriminator mappings are rewritten to the named schemas.
//
// libopenapi's bundler is not used: on the DigitalOcean spec its inline mode leaves
// dangling file references and its composed mode files operation-level $refs under
// components.links, dropping their responses.
func Bundle(root string, files []model.SpecFile) ([]byte, error) {
	root = cleanRel(root)
	fsx, err := collectFiles(root, memReader(files), nil)
	if err != nil {
		return nil, fmt.Errorf("bundling spec %q: %w", root, err)
	}
	c := newConverter(fsx, Options{})
	var out []byte
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("internal error: %v", r)
			}
		}()
		if c.run() == nil || c.hasErrors() {
			var problems []Warning
			for _, w := range c.warns {
				if w.Severity == SeverityError {
					problems = append(problems, w)
				}
			}
			return &Error{Path: root, Problems: problems}
		}
		b := &bundler{c: c, inlining: map[*yaml.Node]bool{}}
		doc := b.copy(at{root, c.docs[root]}, false)
		b.setSchemas(doc)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		out = buf.Bytes()
		return nil
	}()
	if err != nil {
		return nil, fmt.Errorf("bundling spec %q: %w", root, err)
	}
	return out, nil
}

// bundler copies YAML trees, rewriting references.
type bundler struct {
	c        *converter
	inlining map[*yaml.Node]bool // targets being inlined (cycle guard)
}

// schemaPrefix is where named schemas live in the bundled document.
func (b *bundler) schemaPrefix() string {
	if b.c.swagger {
		return "#/definitions/"
	}
	return "#/components/schemas/"
}

// copy deep-copies a node; inMapping marks the values of a discriminator mapping.
func (b *bundler) copy(a at, inMapping bool) *yaml.Node {
	n := deref(a.n)
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		out := &yaml.Node{Kind: yaml.ScalarNode, Tag: n.Tag, Value: n.Value, Style: n.Style &^ yaml.FlowStyle}
		if inMapping {
			out.Value = b.mapping(a)
			out.Style = 0
		}
		return out
	case yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: n.Tag}
		for _, c := range n.Content {
			out.Content = append(out.Content, b.copy(a.with(c), false))
		}
		return out
	case yaml.MappingNode:
		if isRef(n) {
			if r := b.ref(a); r != nil {
				return r
			}
		}
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: n.Tag}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			v := a.with(n.Content[i+1])
			out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: k.Tag, Value: k.Value, Style: k.Style})
			if k.Value == "mapping" && inDiscriminator(n) {
				out.Content = append(out.Content, b.copyMapping(v))
				continue
			}
			out.Content = append(out.Content, b.copy(v, false))
		}
		return out
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}

// inDiscriminator reports whether mapping n looks like a discriminator object.
func inDiscriminator(n *yaml.Node) bool { return has(n, "propertyName") }

func (b *bundler) copyMapping(a at) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	pairs(a.n, func(k, v *yaml.Node) {
		out.Content = append(out.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.Value},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: b.mapping(a.with(v))})
	})
	return out
}

// mapping rewrites one discriminator mapping value.
func (b *bundler) mapping(a at) string {
	v := b.c.mappingRef(a)
	if name, ok := strings.CutPrefix(v, "#/components/schemas/"); ok {
		return b.schemaPrefix() + name
	}
	return v
}

// ref rewrites a $ref: to a named schema, kept as a local reference, or inlined. It returns
// nil to copy the node as it is.
func (b *bundler) ref(a at) *yaml.Node {
	target, key, err := b.c.resolveOnce(a)
	if err != nil {
		return nil
	}
	refNode := func(to string) *yaml.Node {
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "$ref"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: to},
		}}
		// Keywords beside the $ref (3.1) are kept.
		for i := 0; i+1 < len(a.n.Content); i += 2 {
			if a.n.Content[i].Value != "$ref" {
				out.Content = append(out.Content, b.copy(a.with(a.n.Content[i]), false), b.copy(a.with(a.n.Content[i+1]), false))
			}
		}
		return out
	}
	if name, ok := b.c.names[key]; ok {
		return refNode(b.schemaPrefix() + name)
	}
	if target.file == b.c.fsx.root {
		_, ptr := refTarget(a.file, str(get(a.n, "$ref")))
		return refNode("#" + ptr)
	}
	if b.inlining[target.n] {
		return nil
	}
	b.inlining[target.n] = true
	defer delete(b.inlining, target.n)
	return b.copy(target, false)
}

// setSchemas replaces the bundled document's schema section with every named schema.
func (b *bundler) setSchemas(doc *yaml.Node) {
	// A name can belong to two keys: a root component that is only a $ref, and the file
	// schema it lent its name to. The schema itself is what goes into the bundle.
	targets := map[string]at{}
	for key, name := range b.c.names {
		t, err := b.c.targetOf(key)
		if err != nil {
			continue
		}
		if cur, ok := targets[name]; !ok || (isRef(cur.n) && !isRef(t.n)) {
			targets[name] = t
		}
	}
	schemas := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, name := range b.c.def.SortedSchemaNames() {
		target, ok := targets[name]
		if !ok {
			continue
		}
		schemas.Content = append(schemas.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, b.copy(target, false))
	}
	if b.c.swagger {
		setKey(doc, "definitions", schemas)
		return
	}
	comps := get(doc, "components")
	if comps == nil {
		comps = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setKey(doc, "components", comps)
	}
	setKey(comps, "schemas", schemas)
}

// targetOf returns the node a schema key (file#pointer) names.
func (c *converter) targetOf(key string) (at, error) {
	file, ptr, _ := strings.Cut(key, "#")
	d, err := c.doc(file)
	if err != nil {
		return at{}, err
	}
	n, err := walkPointer(d, ptr)
	if err != nil {
		return at{}, err
	}
	return at{file, n}, nil
}

// setKey sets key in mapping n to v, replacing an existing value.
func setKey(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// BundleJSON is Bundle with the document encoded as JSON, for tools that read only JSON.
func BundleJSON(root string, files []model.SpecFile) ([]byte, error) {
	doc, err := Bundle(root, files)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("bundling spec %q: reading the bundle: %w", root, err)
	}
	out, err := toJSON(&n)
	if err != nil {
		return nil, fmt.Errorf("bundling spec %q: %w", root, err)
	}
	return out, nil
}
