package apidef

import "sort"

// RewriteDiscriminators rewrites, in a decoded JSON Schema document (maps and slices as
// produced by encoding/json or jsonschema.UnmarshalJSON), every oneOf/anyOf that carries an
// OpenAPI discriminator into plain JSON Schema with the discriminator's meaning: a value whose
// discriminator property names a mapped branch is checked against that branch only (so errors
// name that branch, and overlapping branches such as B = allOf[A, ...] do not make every value
// "match more than one"); an unknown value is refused; a value without the property is judged
// by the original oneOf/anyOf. The input is modified in place and returned.
func RewriteDiscriminators(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = RewriteDiscriminators(c)
		}
		rewriteOne(x)
	case []any:
		for i, c := range x {
			x[i] = RewriteDiscriminators(c)
		}
	}
	return v
}

func rewriteOne(m map[string]any) {
	d, ok := m["discriminator"].(map[string]any)
	if !ok {
		return
	}
	prop, _ := d["propertyName"].(string)
	if prop == "" {
		return
	}
	kw := "oneOf"
	branches, ok := m[kw].([]any)
	if !ok {
		kw = "anyOf"
		if branches, ok = m[kw].([]any); !ok {
			return
		}
	}
	// Value → branch reference: the explicit mapping, then each $ref branch under its
	// schema name (OpenAPI's implicit mapping).
	mapping := map[string]string{}
	mapped := map[string]bool{}
	if mp, ok := d["mapping"].(map[string]any); ok {
		for k, r := range mp {
			if ref, ok := r.(string); ok {
				mapping[k] = ref
				mapped[ref] = true
			}
		}
	}
	for _, b := range branches {
		bm, ok := b.(map[string]any)
		if !ok {
			return
		}
		ref, ok := bm["$ref"].(string)
		if !ok {
			return // an inline branch has no name a value could select: keep plain semantics
		}
		if mapped[ref] {
			continue
		}
		name := ref
		for i := len(ref) - 1; i >= 0; i-- {
			if ref[i] == '/' {
				name = ref[i+1:]
				break
			}
		}
		if _, taken := mapping[name]; !taken {
			mapping[name] = ref
		}
	}
	keys := make([]string, 0, len(mapping))
	for k := range mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	enum := make([]any, len(keys))
	var rules []any
	for i, k := range keys {
		enum[i] = k
		rules = append(rules, map[string]any{
			"if":   map[string]any{"properties": map[string]any{prop: map[string]any{"const": k}}},
			"then": map[string]any{"$ref": mapping[k]},
		})
	}
	original := map[string]any{kw: branches}
	delete(m, kw)
	selected := append([]any{map[string]any{"properties": map[string]any{prop: map[string]any{"enum": enum}}}}, rules...)
	rule := map[string]any{
		"if":   map[string]any{"required": []any{prop}},
		"then": map[string]any{"allOf": selected},
		"else": original,
	}
	if all, ok := m["allOf"].([]any); ok {
		m["allOf"] = append(all, rule)
	} else {
		m["allOf"] = []any{rule}
	}
}
