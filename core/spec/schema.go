package spec

import (
	"encoding/json"
	"path"
	"slices"
	"strings"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/apidef"
)

// maxInlineDepth bounds the nesting of inline schemas (named schemas restart the count).
const maxInlineDepth = 128

// registerComponents gives the named schemas of the root document (components.schemas, or
// Swagger definitions) their own names before anything else is named. A component that is
// only a $ref to another file's schema lends its name to that schema.
func (c *converter) registerComponents(container *yaml.Node, prefix ...string) {
	pairs(container, func(k, v *yaml.Node) {
		key := c.fsx.root + "#" + jsonPointerOf(append(prefix, k.Value)...)
		if _, done := c.names[key]; done {
			return
		}
		name := c.uniqueName(k.Value)
		c.names[key] = name
		a := at{c.fsx.root, v}
		if isRef(v) && (len(v.Content) == 2 || !c.oas31) {
			if target, tkey, err := c.resolveOnce(a); err == nil {
				if _, named := c.names[tkey]; !named {
					c.names[tkey] = name
					a = target
				}
			}
		}
		c.pending = append(c.pending, schemaJob{name, a})
	})
}

// schema converts a schema node; referenced schemas become Refs to named entries.
func (c *converter) schema(a at, depth int) *apidef.Schema {
	n := deref(a.n)
	if n == nil {
		return nil
	}
	if depth > maxInlineDepth {
		c.warn(SeverityWarning, a, "", "schema nested too deeply; the rest is treated as any value")
		return nil
	}
	a.n = n
	if n.Kind == yaml.ScalarNode {
		if b, ok := boolean(n); ok {
			return &apidef.Schema{Bool: &b}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	s := &apidef.Schema{}
	if isRef(n) {
		target, key, err := c.resolveOnce(a)
		if err != nil {
			c.refError(a, "%v", err)
			return nil
		}
		s.Ref = apidef.SchemaRefPrefix + c.schemaName(key, target)
		if !c.oas31 {
			return s // before 3.1, keywords beside $ref are ignored
		}
	}
	nullable := false
	pairs(n, func(kn, v *yaml.Node) {
		va := at{a.file, v}
		switch kn.Value {
		case "type":
			for _, t := range strs(v) {
				if t == "file" && c.swagger {
					t, s.Format = "string", "binary"
				}
				s.Type = append(s.Type, t)
			}
		case "nullable", "x-nullable":
			nullable, _ = boolean(v)
		case "format":
			if s.Format == "" {
				s.Format = str(v)
			}
		case "title":
			s.Title = str(v)
		case "description":
			s.Description = str(v)
		case "pattern":
			s.Pattern = str(v)
		case "enum":
			for _, e := range items(v) {
				if raw := c.json(va, e); raw != nil {
					s.Enum = append(s.Enum, raw)
				}
			}
		case "const":
			s.Const = c.json(va, v)
		case "default":
			s.Default = c.json(va, v)
		case "example", "x-example":
			if raw := c.json(va, v); raw != nil {
				s.Examples = append(s.Examples, raw)
			}
		case "examples":
			for _, e := range items(v) {
				if raw := c.json(va, e); raw != nil {
					s.Examples = append(s.Examples, raw)
				}
			}
		case "multipleOf":
			s.MultipleOf, _ = number(v)
		case "minimum":
			s.Minimum, _ = number(v)
		case "maximum":
			s.Maximum, _ = number(v)
		case "exclusiveMinimum":
			if _, isBool := boolean(v); !isBool {
				s.ExclusiveMinimum, _ = number(v)
			}
		case "exclusiveMaximum":
			if _, isBool := boolean(v); !isBool {
				s.ExclusiveMaximum, _ = number(v)
			}
		case "minLength":
			s.MinLength, _ = integer(v)
		case "maxLength":
			s.MaxLength, _ = integer(v)
		case "minItems":
			s.MinItems, _ = integer(v)
		case "maxItems":
			s.MaxItems, _ = integer(v)
		case "minProperties":
			s.MinProperties, _ = integer(v)
		case "maxProperties":
			s.MaxProperties, _ = integer(v)
		case "uniqueItems":
			s.UniqueItems, _ = boolean(v)
		case "readOnly":
			s.ReadOnly, _ = boolean(v)
		case "writeOnly":
			s.WriteOnly, _ = boolean(v)
		case "items":
			if v.Kind == yaml.SequenceNode {
				s.PrefixItems = c.schemaList(va, depth)
			} else {
				s.Items = c.schema(va, depth+1)
			}
		case "prefixItems":
			s.PrefixItems = c.schemaList(va, depth)
		case "properties":
			pairs(v, func(pk, pv *yaml.Node) {
				if s.Properties == nil {
					s.Properties = map[string]*apidef.Schema{}
				}
				if _, dup := s.Properties[pk.Value]; !dup {
					s.PropertyOrder = append(s.PropertyOrder, pk.Value)
				}
				s.Properties[pk.Value] = c.schemaOrAny(va.with(pv), depth)
			})
		case "required":
			if v.Kind == yaml.SequenceNode {
				s.Required = strs(v)
			}
		case "additionalProperties":
			s.AdditionalProperties = c.schema(va, depth+1)
		case "allOf":
			s.AllOf = c.schemaList(va, depth)
		case "oneOf":
			s.OneOf = c.schemaList(va, depth)
		case "anyOf":
			s.AnyOf = c.schemaList(va, depth)
		case "not":
			s.Not = c.schema(va, depth+1)
		case "discriminator":
			s.Discriminator = c.discriminator(va)
		}
	})
	// Boolean exclusive bounds (OpenAPI 3.0, Swagger) become numeric ones.
	if b, _ := boolean(get(n, "exclusiveMinimum")); b && s.Minimum != nil {
		s.ExclusiveMinimum, s.Minimum = s.Minimum, nil
	}
	if b, _ := boolean(get(n, "exclusiveMaximum")); b && s.Maximum != nil {
		s.ExclusiveMaximum, s.Maximum = s.Maximum, nil
	}
	if nullable && !c.oas31 {
		if len(s.Type) > 0 && !slices.Contains(s.Type, "null") {
			s.Type = append(s.Type, "null")
		}
		if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(r json.RawMessage) bool { return string(r) == "null" }) {
			s.Enum = append(s.Enum, json.RawMessage("null"))
		}
	}
	return s
}

// with returns a copy of a pointing at another node of the same file.
func (a at) with(n *yaml.Node) at { return at{a.file, n} }

// schemaOrAny is schema, but never nil for a present node (properties must stay listed).
func (c *converter) schemaOrAny(a at, depth int) *apidef.Schema {
	if s := c.schema(a, depth+1); s != nil {
		return s
	}
	t := true
	return &apidef.Schema{Bool: &t}
}

// schemaList converts a sequence of schemas.
func (c *converter) schemaList(a at, depth int) []*apidef.Schema {
	var out []*apidef.Schema
	for _, it := range items(a.n) {
		out = append(out, c.schemaOrAny(a.with(it), depth))
	}
	return out
}

// discriminator converts a discriminator (an object in 3.x, a property name in Swagger).
func (c *converter) discriminator(a at) *apidef.Discriminator {
	if a.n.Kind == yaml.ScalarNode {
		return &apidef.Discriminator{PropertyName: a.n.Value}
	}
	d := &apidef.Discriminator{PropertyName: str(get(a.n, "propertyName"))}
	pairs(get(a.n, "mapping"), func(k, v *yaml.Node) {
		if d.Mapping == nil {
			d.Mapping = map[string]string{}
		}
		d.Mapping[k.Value] = c.mappingRef(a.with(v))
	})
	return d
}

// mappingRef rewrites a discriminator mapping value to "#/components/schemas/NAME".
func (c *converter) mappingRef(a at) string {
	v := str(a.n)
	ext := path.Ext(strings.SplitN(v, "#", 2)[0])
	isPath := strings.Contains(v, "#") || strings.Contains(v, "/") || ext == ".yaml" || ext == ".yml" || ext == ".json"
	if !isPath {
		// A bare schema name.
		prefix := []string{"components", "schemas"}
		if c.swagger {
			prefix = []string{"definitions"}
		}
		key := c.fsx.root + "#" + jsonPointerOf(append(prefix, v)...)
		if name, ok := c.names[key]; ok {
			return apidef.SchemaRefPrefix + name
		}
		c.warn(SeverityWarning, a, "", "discriminator mapping names schema %q, which is not declared", v)
		return apidef.SchemaRefPrefix + v
	}
	file, ptr := refTarget(a.file, v)
	d, err := c.doc(file)
	if err == nil {
		var target *yaml.Node
		if target, err = walkPointer(d, ptr); err == nil {
			return apidef.SchemaRefPrefix + c.schemaName(file+"#"+ptr, at{file, target})
		}
	}
	c.warn(SeverityWarning, a, "", "discriminator mapping %q does not resolve: %v", v, err)
	return v
}

// json encodes a YAML value as JSON, warning (and returning nil) when it cannot.
func (c *converter) json(a at, n *yaml.Node) json.RawMessage {
	raw, err := toJSON(n)
	if err != nil {
		c.warn(SeverityWarning, a.with(n), "", "value skipped: %v", err)
		return nil
	}
	return raw
}
