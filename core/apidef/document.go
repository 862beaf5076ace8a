package apidef

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/pb33f/jsonschema/v6"
)

// schemaDocument returns the decoded JSON form of s: the value jsonschema.UnmarshalJSON
// gives for the bytes MarshalJSON writes (objects as map[string]any, arrays as []any,
// numbers as json.Number), built directly from s without writing and parsing the text.
// ok is false when s holds a raw value that is not valid JSON; the caller then takes the
// text route, which reports the problem.
func schemaDocument(s *Schema) (doc any, ok bool) {
	d := docBuilder{ok: true}
	doc = d.schema(s)
	return doc, d.ok
}

type docBuilder struct{ ok bool }

func (d *docBuilder) schema(s *Schema) any {
	if s == nil {
		return nil
	}
	if s.Bool != nil {
		return *s.Bool
	}
	m := make(map[string]any, 8)
	str := func(k, v string) {
		if v != "" {
			m[k] = jsonString(v)
		}
	}
	num := func(k string, v *float64) {
		if v != nil {
			b, err := appendFloat(nil, *v)
			if err != nil {
				d.ok = false
				return
			}
			m[k] = json.Number(b)
		}
	}
	integer := func(k string, v *int) {
		if v != nil {
			m[k] = json.Number(strconv.Itoa(*v))
		}
	}
	flag := func(k string, v bool) {
		if v {
			m[k] = true
		}
	}
	raw := func(k string, v json.RawMessage) {
		if len(v) > 0 {
			m[k] = d.raw(v)
		}
	}
	raws := func(k string, vs []json.RawMessage) {
		if len(vs) > 0 {
			out := make([]any, len(vs))
			for i, v := range vs {
				out[i] = d.raw(v)
			}
			m[k] = out
		}
	}
	strs := func(k string, vs []string) {
		if len(vs) > 0 {
			out := make([]any, len(vs))
			for i, v := range vs {
				out[i] = jsonString(v)
			}
			m[k] = out
		}
	}
	sub := func(k string, v *Schema) {
		if v != nil {
			m[k] = d.schema(v)
		}
	}
	list := func(k string, vs []*Schema) {
		if len(vs) > 0 {
			out := make([]any, len(vs))
			for i, v := range vs {
				out[i] = d.schema(v)
			}
			m[k] = out
		}
	}

	str("$ref", s.Ref)
	if len(s.Type) == 1 {
		m["type"] = jsonString(s.Type[0])
	} else {
		strs("type", s.Type)
	}
	str("format", s.Format)
	str("title", s.Title)
	str("description", s.Description)
	raws("enum", s.Enum)
	raw("const", s.Const)
	raw("default", s.Default)
	raws("examples", s.Examples)
	num("multipleOf", s.MultipleOf)
	num("minimum", s.Minimum)
	num("maximum", s.Maximum)
	num("exclusiveMinimum", s.ExclusiveMinimum)
	num("exclusiveMaximum", s.ExclusiveMaximum)
	integer("minLength", s.MinLength)
	integer("maxLength", s.MaxLength)
	str("pattern", s.Pattern)
	sub("items", s.Items)
	list("prefixItems", s.PrefixItems)
	integer("minItems", s.MinItems)
	integer("maxItems", s.MaxItems)
	flag("uniqueItems", s.UniqueItems)
	if len(s.Properties) > 0 {
		props := make(map[string]any, len(s.Properties))
		for k, v := range s.Properties {
			d.key(k)
			props[k] = d.schema(v)
		}
		m["properties"] = props
	}
	strs("x-gantry-order", s.PropertyOrder)
	strs("required", s.Required)
	sub("additionalProperties", s.AdditionalProperties)
	integer("minProperties", s.MinProperties)
	integer("maxProperties", s.MaxProperties)
	list("allOf", s.AllOf)
	list("oneOf", s.OneOf)
	list("anyOf", s.AnyOf)
	sub("not", s.Not)
	if disc := s.Discriminator; disc != nil {
		dm := map[string]any{"propertyName": jsonString(disc.PropertyName)}
		if len(disc.Mapping) > 0 {
			mapping := make(map[string]any, len(disc.Mapping))
			for k, v := range disc.Mapping {
				d.key(k)
				mapping[k] = jsonString(v)
			}
			dm["mapping"] = mapping
		}
		m["discriminator"] = dm
	}
	flag("readOnly", s.ReadOnly)
	flag("writeOnly", s.WriteOnly)
	return m
}

// key checks a map key: one that is not valid UTF-8 could collide with another after the
// trip through JSON, which only the text route settles the way encoding/json does.
func (d *docBuilder) key(k string) {
	if !utf8.ValidString(k) {
		d.ok = false
	}
}

// raw decodes a raw JSON value as jsonschema.UnmarshalJSON does.
func (d *docBuilder) raw(v json.RawMessage) any {
	if v == nil {
		return nil
	}
	if plainCompact(v) {
		switch v[0] {
		case '"':
			return string(v[1 : len(v)-1])
		case 't':
			return true
		case 'f':
			return false
		case 'n':
			return nil
		}
		return json.Number(v)
	}
	x, err := jsonschema.UnmarshalJSON(bytes.NewReader(v))
	if err != nil {
		d.ok = false
		return nil
	}
	return x
}

// jsonString returns s as it reads after a trip through encoding/json: every byte that is
// not part of valid UTF-8 becomes U+FFFD.
func jsonString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
