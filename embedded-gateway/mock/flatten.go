package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/gantry-dev/gantry/core/apidef"
)

// flat is a schema with its $ref followed and its allOf branches merged in. The oneOf/anyOf
// groups stay open: a branch is chosen (and merged) at generation time.
type flat struct {
	s        apidef.Schema // merged keywords; Ref, AllOf, OneOf, AnyOf and Not are cleared
	name     string        // component name the schema was reached through, "" if inline
	patterns []string      // every pattern that applies
	nots     []*apidef.Schema
	groups   []group
	closed   map[string]bool // non-nil: only these property names are allowed
	never    bool            // the false schema is part of it
	err      error           // a dangling $ref
}

// group is one oneOf or anyOf list.
type group struct {
	one      bool
	branches []*apidef.Schema
	disc     *apidef.Discriminator
}

// flatten returns the flattened form of s, cached per schema pointer.
func (g *Generator) flatten(s *apidef.Schema) *flat {
	if s == nil {
		return &flat{}
	}
	if f, ok := g.flats.Load(s); ok {
		return f.(*flat)
	}
	f := g.flattenIn(s, map[*apidef.Schema]bool{})
	actual, _ := g.flats.LoadOrStore(s, f)
	return actual.(*flat)
}

func (g *Generator) flattenIn(s *apidef.Schema, visiting map[*apidef.Schema]bool) *flat {
	f := &flat{}
	if s == nil {
		return f
	}
	if s.Bool != nil {
		f.never = !*s.Bool
		return f
	}
	if visiting[s] {
		return f // a cycle through allOf/$ref: the schema is already being merged
	}
	visiting[s] = true
	defer delete(visiting, s)
	if s.Ref != "" {
		name := s.RefName()
		target, ok := g.def.Schemas[name]
		if !ok {
			f.err = fmt.Errorf("dangling reference %q", s.Ref)
			return f
		}
		tf := g.flattenIn(target, visiting)
		own := *s
		own.Ref = ""
		if isEmptySchema(&own) {
			f = tf.clone()
		} else {
			f = g.flattenIn(&own, visiting)
			f.merge(tf, false)
		}
		f.name = name
		return f
	}
	own := *s
	own.AllOf, own.OneOf, own.AnyOf, own.Not = nil, nil, nil, nil
	f.s = own
	if s.Pattern != "" {
		f.patterns = []string{s.Pattern}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Bool != nil && !*s.AdditionalProperties.Bool {
		f.closed = map[string]bool{}
		for k := range s.Properties {
			f.closed[k] = true
		}
	}
	if s.Not != nil {
		f.nots = []*apidef.Schema{s.Not}
	}
	if len(s.OneOf) > 0 {
		f.groups = append(f.groups, group{one: true, branches: s.OneOf, disc: s.Discriminator})
	}
	if len(s.AnyOf) > 0 {
		f.groups = append(f.groups, group{branches: s.AnyOf, disc: s.Discriminator})
	}
	for _, b := range s.AllOf {
		f.merge(g.flattenIn(b, visiting), len(s.AllOf) > 1)
	}
	return f
}

func isEmptySchema(s *apidef.Schema) bool {
	c := *s
	c.Title, c.Description = "", ""
	b, _ := json.Marshal(&c)
	return string(b) == "{}"
}

func (f *flat) clone() *flat {
	c := *f
	c.s.Properties = copyProps(f.s.Properties)
	c.s.PropertyOrder = append([]string(nil), f.s.PropertyOrder...)
	c.s.Required = append([]string(nil), f.s.Required...)
	c.s.Type = append([]string(nil), f.s.Type...)
	c.s.Enum = append([]json.RawMessage(nil), f.s.Enum...)
	c.patterns = append([]string(nil), f.patterns...)
	c.nots = append([]*apidef.Schema(nil), f.nots...)
	c.groups = append([]group(nil), f.groups...)
	if f.closed != nil {
		c.closed = map[string]bool{}
		for k := range f.closed {
			c.closed[k] = true
		}
	}
	return &c
}

func copyProps(m map[string]*apidef.Schema) map[string]*apidef.Schema {
	if m == nil {
		return nil
	}
	c := make(map[string]*apidef.Schema, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// merge folds o (an allOf branch, or a chosen oneOf/anyOf branch) into f. Examples and
// defaults of a branch are dropped when branch is true: they rarely fit the whole.
func (f *flat) merge(o *flat, branch bool) {
	if o.err != nil && f.err == nil {
		f.err = o.err
	}
	f.never = f.never || o.never
	a, b := &f.s, &o.s
	// types: intersection ("integer" survives against "number").
	if len(b.Type) > 0 {
		if len(a.Type) == 0 {
			a.Type = append([]string(nil), b.Type...)
		} else {
			var out []string
			for _, t := range a.Type {
				switch {
				case contains(b.Type, t):
					out = append(out, t)
				case t == "number" && contains(b.Type, "integer"):
					out = append(out, "integer")
				case t == "integer" && contains(b.Type, "number"):
					out = append(out, "integer")
				}
			}
			if len(out) == 0 {
				f.never = true
			}
			a.Type = out
		}
	}
	if a.Format == "" {
		a.Format = b.Format
	}
	if b.Const != nil && a.Const == nil {
		a.Const = b.Const
	}
	if len(b.Enum) > 0 {
		if len(a.Enum) == 0 {
			a.Enum = append([]json.RawMessage(nil), b.Enum...)
		} else {
			var out []json.RawMessage
			for _, x := range a.Enum {
				for _, y := range b.Enum {
					if jsonEqual(x, y) {
						out = append(out, x)
						break
					}
				}
			}
			a.Enum = out
			if len(out) == 0 {
				f.never = true
			}
		}
	}
	if !branch {
		if len(a.Examples) == 0 {
			a.Examples = b.Examples
		}
		if a.Default == nil {
			a.Default = b.Default
		}
	}
	a.Minimum = maxPtr(a.Minimum, b.Minimum)
	a.ExclusiveMinimum = maxPtr(a.ExclusiveMinimum, b.ExclusiveMinimum)
	a.Maximum = minPtr(a.Maximum, b.Maximum)
	a.ExclusiveMaximum = minPtr(a.ExclusiveMaximum, b.ExclusiveMaximum)
	if b.MultipleOf != nil {
		if a.MultipleOf == nil {
			a.MultipleOf = b.MultipleOf
		} else if x, y := *a.MultipleOf, *b.MultipleOf; x != y {
			m := x * y
			if r := math.Mod(y, x); r == 0 {
				m = y
			} else if r := math.Mod(x, y); r == 0 {
				m = x
			}
			a.MultipleOf = &m
		}
	}
	a.MinLength = maxIntPtr(a.MinLength, b.MinLength)
	a.MaxLength = minIntPtr(a.MaxLength, b.MaxLength)
	f.patterns = append(f.patterns, o.patterns...)
	if a.Items == nil {
		a.Items = b.Items
	} else if b.Items != nil && a.Items != b.Items {
		a.Items = &apidef.Schema{AllOf: []*apidef.Schema{a.Items, b.Items}}
	}
	if len(b.PrefixItems) > 0 {
		pi := append([]*apidef.Schema(nil), a.PrefixItems...)
		for i, p := range b.PrefixItems {
			if i < len(pi) {
				pi[i] = &apidef.Schema{AllOf: []*apidef.Schema{pi[i], p}}
			} else {
				pi = append(pi, p)
			}
		}
		a.PrefixItems = pi
	}
	a.MinItems = maxIntPtr(a.MinItems, b.MinItems)
	a.MaxItems = minIntPtr(a.MaxItems, b.MaxItems)
	a.UniqueItems = a.UniqueItems || b.UniqueItems
	if len(b.Properties) > 0 {
		if a.Properties == nil {
			a.Properties = map[string]*apidef.Schema{}
		}
		for _, k := range propertyOrder(b) {
			p := b.Properties[k]
			if old, ok := a.Properties[k]; ok && old != p {
				a.Properties[k] = &apidef.Schema{AllOf: []*apidef.Schema{old, p}}
			} else {
				a.Properties[k] = p
			}
			if !contains(a.PropertyOrder, k) {
				a.PropertyOrder = append(a.PropertyOrder, k)
			}
		}
	}
	for _, r := range b.Required {
		if !contains(a.Required, r) {
			a.Required = append(a.Required, r)
		}
	}
	if b.AdditionalProperties != nil {
		if a.AdditionalProperties == nil {
			a.AdditionalProperties = b.AdditionalProperties
		} else if a.AdditionalProperties != b.AdditionalProperties {
			a.AdditionalProperties = &apidef.Schema{AllOf: []*apidef.Schema{a.AdditionalProperties, b.AdditionalProperties}}
		}
	}
	if o.closed != nil {
		if f.closed == nil {
			f.closed = map[string]bool{}
			for k := range o.closed {
				f.closed[k] = true
			}
		} else {
			for k := range f.closed {
				if !o.closed[k] {
					delete(f.closed, k)
				}
			}
		}
	}
	a.MinProperties = maxIntPtr(a.MinProperties, b.MinProperties)
	a.MaxProperties = minIntPtr(a.MaxProperties, b.MaxProperties)
	f.nots = append(f.nots, o.nots...)
	f.groups = append(f.groups, o.groups...)
	if a.Discriminator == nil {
		a.Discriminator = b.Discriminator
	}
	a.ReadOnly = a.ReadOnly || b.ReadOnly
	a.WriteOnly = a.WriteOnly || b.WriteOnly
}

// propertyOrder returns s's property names: document order first, then the rest sorted.
func propertyOrder(s *apidef.Schema) []string {
	out := make([]string, 0, len(s.Properties))
	seen := make(map[string]bool, len(s.Properties))
	for _, k := range s.PropertyOrder {
		if _, ok := s.Properties[k]; ok && !seen[k] {
			out = append(out, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range s.Properties {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func maxPtr(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

func minPtr(a, b *float64) *float64 {
	if a == nil || (b != nil && *b < *a) {
		return b
	}
	return a
}

func maxIntPtr(a, b *int) *int {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

func minIntPtr(a, b *int) *int {
	if a == nil || (b != nil && *b < *a) {
		return b
	}
	return a
}
