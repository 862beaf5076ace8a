package docs

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/apidef"
)

const (
	// maxLabelDepth bounds the nesting of one inline type label ("array of array of ...").
	maxLabelDepth = 4
	// maxHops bounds reference chains and allOf nesting, so that a malformed definition
	// (including one whose schemas point at each other through Go pointers) still renders.
	maxHops = 16
	// maxEnum is how many enum values a summary lists before it counts the rest.
	maxEnum = 20
	// maxVariants is how many oneOf/anyOf/allOf branches an inline label names.
	maxVariants = 6
	// maxValue is how many characters of a JSON value (enum, const, default) are shown.
	maxValue = 80
)

// inlineType returns a one-line HTML summary of s: its type (with format, nullability, the
// component name of a reference, "array of ..."), then its enum, const, default, bounds and
// access markers.
func (r *renderer) inlineType(s *apidef.Schema) string {
	var b strings.Builder
	r.label(&b, s, 0)
	r.facts(&b, s)
	return b.String()
}

func typeSpan(b *strings.Builder, t string) {
	b.WriteString(`<span class="schema-type">`)
	b.WriteString(esc(t))
	b.WriteString("</span>")
}

// label writes the type part of an inline summary.
func (r *renderer) label(b *strings.Builder, s *apidef.Schema, n int) {
	switch {
	case n > maxLabelDepth:
		typeSpan(b, "…")
		return
	case s == nil:
		typeSpan(b, "any")
		return
	case s.Bool != nil:
		if *s.Bool {
			typeSpan(b, "any")
		} else {
			typeSpan(b, "nothing")
		}
		return
	}
	nullable := slices.Contains(s.Type, "null")
	if s.Ref != "" {
		b.WriteString(`<span class="schema-ref">`)
		b.WriteString(esc(s.RefName()))
		b.WriteString("</span>")
		if nullable {
			b.WriteString(` <span class="schema-nullable">nullable</span>`)
		}
		return
	}
	types := typesOf(s)
	if len(types) == 0 {
		switch {
		case len(s.OneOf) > 0:
			r.variantLabel(b, "one of ", " | ", s.OneOf, n)
		case len(s.AnyOf) > 0:
			r.variantLabel(b, "any of ", " | ", s.AnyOf, n)
		case len(s.AllOf) > 0 && r.mergeable(s, nil, 0):
			typeSpan(b, "object")
		case len(s.AllOf) > 0:
			r.variantLabel(b, "all of ", " &amp; ", s.AllOf, n)
		case s.Not != nil:
			b.WriteString("not ")
			r.label(b, s.Not, n+1)
		case nullable:
			typeSpan(b, "null")
		default:
			typeSpan(b, "any")
		}
	}
	for i, t := range types {
		if i > 0 {
			b.WriteString(" | ")
		}
		typeSpan(b, t)
		if t == "array" && s.Items != nil {
			b.WriteString(" of ")
			r.label(b, s.Items, n+1)
		}
	}
	if s.Format != "" {
		b.WriteString(` <span class="schema-format">`)
		b.WriteString(esc(s.Format))
		b.WriteString("</span>")
	}
	if nullable && len(types) > 0 {
		b.WriteString(` <span class="schema-nullable">nullable</span>`)
	}
}

// variantLabel writes "one of A | B | ..." naming at most maxVariants branches.
func (r *renderer) variantLabel(b *strings.Builder, intro, sep string, vs []*apidef.Schema, n int) {
	b.WriteString(intro)
	for i, v := range vs {
		if i == maxVariants {
			b.WriteString(sep)
			b.WriteString(strconv.Itoa(len(vs)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		r.label(b, v, n+1)
	}
}

// typesOf returns the declared types of s without "null", or the type its keywords imply
// ("object" for properties, "array" for items) when it declares none.
func typesOf(s *apidef.Schema) []string {
	if len(s.Type) > 0 {
		out := make([]string, 0, len(s.Type))
		for _, t := range s.Type {
			if t != "null" {
				out = append(out, t)
			}
		}
		return out
	}
	switch {
	case len(s.Properties) > 0 || len(s.Required) > 0 || (s.AdditionalProperties != nil && s.AdditionalProperties.Bool == nil):
		return []string{"object"}
	case s.Items != nil || len(s.PrefixItems) > 0:
		return []string{"array"}
	}
	return nil
}

// facts writes the enum, const, default, bounds and access markers of s (or of the schema
// its reference names).
func (r *renderer) facts(b *strings.Builder, s *apidef.Schema) {
	t := r.resolve(s)
	if t == nil || t.Bool != nil {
		return
	}
	if len(t.Enum) > 0 {
		b.WriteString(` <span class="schema-enum">enum: `)
		for i, v := range t.Enum {
			if i == maxEnum {
				b.WriteString(", and " + strconv.Itoa(len(t.Enum)-i) + " more")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("<code>" + jsonText(v) + "</code>")
		}
		b.WriteString("</span>")
	}
	if t.Const != nil {
		b.WriteString(` <span class="schema-const">constant <code>` + jsonText(t.Const) + "</code></span>")
	}
	if t.Default != nil {
		b.WriteString(` <span class="schema-default">default <code>` + jsonText(t.Default) + "</code></span>")
	}
	if c := constraints(t); len(c) > 0 {
		b.WriteString(` <span class="schema-constraints">`)
		b.WriteString(strings.Join(c, ", "))
		b.WriteString("</span>")
	}
	if t.ReadOnly {
		b.WriteString(` <span class="schema-access">read-only</span>`)
	}
	if t.WriteOnly {
		b.WriteString(` <span class="schema-access">write-only</span>`)
	}
}

// constraints lists the numeric, string, array and object bounds of s as HTML.
func constraints(s *apidef.Schema) []string {
	var out []string
	num := func(label string, f *float64) {
		if f != nil {
			out = append(out, label+" "+strconv.FormatFloat(*f, 'g', -1, 64))
		}
	}
	count := func(label string, n *int) {
		if n != nil {
			out = append(out, label+" "+strconv.Itoa(*n))
		}
	}
	num("≥", s.Minimum)
	num("&gt;", s.ExclusiveMinimum)
	num("≤", s.Maximum)
	num("&lt;", s.ExclusiveMaximum)
	num("multiple of", s.MultipleOf)
	count("min length", s.MinLength)
	count("max length", s.MaxLength)
	if s.Pattern != "" {
		out = append(out, "pattern <code>"+esc(s.Pattern)+"</code>")
	}
	count("min items", s.MinItems)
	count("max items", s.MaxItems)
	if s.UniqueItems {
		out = append(out, "unique items")
	}
	count("min properties", s.MinProperties)
	count("max properties", s.MaxProperties)
	return out
}

// jsonText returns a JSON value compacted, cut to maxValue characters and escaped.
func jsonText(raw json.RawMessage) string {
	var buf bytes.Buffer
	s := string(raw)
	if json.Compact(&buf, raw) == nil {
		s = buf.String()
	}
	if utf8.RuneCountInString(s) > maxValue {
		rs := []rune(s)
		s = string(rs[:maxValue]) + "…"
	}
	return esc(s)
}

// resolve follows the references of s, ignoring sibling keywords; it returns nil for a
// dangling or endless chain.
func (r *renderer) resolve(s *apidef.Schema) *apidef.Schema {
	for i := 0; s != nil && s.Ref != ""; i++ {
		if i == maxHops {
			return nil
		}
		s = r.def.Schemas[s.RefName()]
	}
	return s
}

// description returns the description of s, or that of the schema its reference names.
func (r *renderer) description(s *apidef.Schema) string {
	if s == nil {
		return ""
	}
	if s.Description != "" || s.Ref == "" {
		return s.Description
	}
	if t := r.resolve(s); t != nil {
		return t.Description
	}
	return ""
}

// schemaBlock writes the summary of s: its inline type, its description, and its
// properties, items and variants expanded up to the depth limit. stack holds the component
// names being expanded (to stop at circular references); base is the level that headings in
// descriptions start at.
func (r *renderer) schemaBlock(s *apidef.Schema, depth int, stack []string, base int) {
	r.w(`<div class="schema">`, "\n", `<p class="schema-line">`, r.inlineType(s), "</p>\n")
	if s == nil || s.Ref == "" || !slices.Contains(stack, s.RefName()) {
		r.markdownBlock("schema-description", r.description(s), base)
	}
	r.schemaChildren(s, depth, stack, base)
	r.w("</div>\n")
}

// follow resolves the references of s against stack. It returns the target and the stack
// with the names it went through, or a note (HTML) when the chain is circular or dangles.
func (r *renderer) follow(s *apidef.Schema, stack []string) (*apidef.Schema, []string, string) {
	for i := 0; s != nil && s.Ref != ""; i++ {
		name := s.RefName()
		if i == maxHops || slices.Contains(stack, name) {
			return nil, stack, `Circular reference to <span class="schema-ref">` + esc(name) + "</span>."
		}
		t := r.def.Schemas[name]
		if t == nil {
			return nil, stack, `Unresolved reference <code>` + esc(s.Ref) + "</code>."
		}
		stack = append(stack, name)
		s = t
	}
	return s, stack, ""
}

// hasChildren reports whether a summary of s would list anything below its inline line.
func (r *renderer) hasChildren(s *apidef.Schema, n int) bool {
	s = r.resolve(s)
	if s == nil || s.Bool != nil || n > maxHops {
		return false
	}
	if len(s.Properties) > 0 || len(s.AllOf) > 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return true
	}
	if ap := s.AdditionalProperties; ap != nil && ap.Bool == nil {
		return true
	}
	return s.Items != nil && r.hasChildren(s.Items, n+1)
}

// schemaChildren writes what lies below the inline line of s's summary.
func (r *renderer) schemaChildren(s *apidef.Schema, depth int, stack []string, base int) {
	t, stack, note := r.follow(s, stack)
	if note != "" {
		r.w(`<p class="schema-note">`, note, "</p>\n")
		return
	}
	if !r.hasChildren(t, 0) {
		return
	}
	if depth >= r.depth {
		r.w(`<p class="schema-note schema-truncated">Not expanded further.</p>`, "\n")
		return
	}
	props, merged := r.properties(t, stack)
	if len(props) > 0 {
		r.w(`<ul class="schema-properties">`, "\n")
		for _, p := range props {
			r.w(`<li class="schema-property"><code class="schema-property-name">`, esc(p.name), "</code>")
			if p.required {
				r.w(` <span class="schema-required">required</span>`)
			}
			r.w(" ", r.inlineType(p.schema), "\n")
			r.markdownBlock("schema-description", r.description(p.schema), base)
			r.schemaChildren(p.schema, depth+1, stack, base)
			r.w("</li>\n")
		}
		r.w("</ul>\n")
	}
	if ap := t.AdditionalProperties; ap != nil && ap.Bool == nil {
		r.w(`<div class="schema-additional">`, "\n", `<p class="schema-line">Additional properties: `, r.inlineType(ap), "</p>\n")
		r.schemaChildren(ap, depth+1, stack, base)
		r.w("</div>\n")
	}
	if t.Items != nil && slices.Contains(typesOf(t), "array") {
		r.w(`<div class="schema-items">`, "\n", `<p class="schema-line">Items: `, r.inlineType(t.Items), "</p>\n")
		r.schemaChildren(t.Items, depth+1, stack, base)
		r.w("</div>\n")
	}
	if d := t.Discriminator; d != nil && d.PropertyName != "" {
		r.w(`<p class="schema-discriminator">Discriminator: <code>`, esc(d.PropertyName), "</code></p>\n")
	}
	if !merged {
		r.variants("All of", t.AllOf, depth, stack, base)
	}
	r.variants("One of", t.OneOf, depth, stack, base)
	r.variants("Any of", t.AnyOf, depth, stack, base)
}

// variants writes the branches of a composition keyword as a numbered list.
func (r *renderer) variants(title string, vs []*apidef.Schema, depth int, stack []string, base int) {
	if len(vs) == 0 {
		return
	}
	r.w(`<p class="schema-variants-title">`, title, ":</p>\n", `<ol class="schema-variants">`, "\n")
	for _, v := range vs {
		r.w("<li>\n")
		r.schemaBlock(v, depth+1, stack, base)
		r.w("</li>\n")
	}
	r.w("</ol>\n")
}

// property is one entry of an object summary.
type property struct {
	name     string
	schema   *apidef.Schema
	required bool
}

// properties lists the properties of t in document order, with those of its allOf branches
// merged in when every branch is a plain object (merged then reports true).
func (r *renderer) properties(t *apidef.Schema, stack []string) (props []property, merged bool) {
	merged = len(t.AllOf) > 0 && r.mergeable(t, stack, 0)
	seen := map[string]bool{}
	required := map[string]bool{}
	var add func(s *apidef.Schema, stack []string, n int)
	add = func(s *apidef.Schema, stack []string, n int) {
		for _, name := range propertyNames(s) {
			if !seen[name] {
				seen[name] = true
				props = append(props, property{name: name, schema: s.Properties[name]})
			}
		}
		for _, q := range s.Required {
			required[q] = true
		}
		if !merged || n > maxHops {
			return
		}
		for _, b := range s.AllOf {
			if bt, st, note := r.follow(b, stack); note == "" && bt != nil {
				add(bt, st, n+1)
			}
		}
	}
	add(t, stack, 0)
	for i := range props {
		props[i].required = required[props[i].name]
	}
	return props, merged
}

// mergeable reports whether every allOf branch of s (recursively) is a plain object schema,
// so that the branches can be shown as one list of properties.
func (r *renderer) mergeable(s *apidef.Schema, stack []string, n int) bool {
	if n > maxHops {
		return false
	}
	for _, b := range s.AllOf {
		bt, st, note := r.follow(b, stack)
		if note != "" || bt == nil || bt.Bool != nil {
			return false
		}
		if len(bt.OneOf) > 0 || len(bt.AnyOf) > 0 || bt.Not != nil || bt.Items != nil || len(bt.PrefixItems) > 0 {
			return false
		}
		for _, t := range bt.Type {
			if t != "object" && t != "null" {
				return false
			}
		}
		if !r.mergeable(bt, st, n+1) {
			return false
		}
	}
	return true
}

// propertyNames returns the property names of s in document order, then any that the order
// misses, sorted.
func propertyNames(s *apidef.Schema) []string {
	if len(s.Properties) == 0 {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	seen := make(map[string]bool, len(s.Properties))
	for _, n := range s.PropertyOrder {
		if _, ok := s.Properties[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == len(s.Properties) {
		return names
	}
	var rest []string
	for n := range s.Properties {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}
