package apidef

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sameError reports whether two validation errors read the same. The order of sibling
// causes follows the validator's map iteration, so lines are compared as a set.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	la, lb := strings.Split(a.Error(), "\n"), strings.Split(b.Error(), "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

func TestValidateAllMatchesValidate(t *testing.T) {
	str := func() *Schema { return &Schema{Type: []string{"string"}} }
	one := 1
	pet := &Schema{Type: []string{"object"}, Required: []string{"id"}, Properties: map[string]*Schema{
		"id":   {Type: []string{"integer"}},
		"name": {Type: []string{"string"}, MinLength: &one},
		"kind": {Ref: SchemaRefPrefix + "Kind"},
	}}
	def := &Definition{Schemas: map[string]*Schema{
		"Pet":    pet,
		"Kind":   {Type: []string{"string"}, Enum: []json.RawMessage{[]byte(`"cat"`), []byte(`"dog"`)}},
		"Broken": {Type: []string{"string"}, Pattern: "(unclosed"},
	}}
	// Unnamed schemas: several with the same JSON form (as when one shared response is
	// referenced by many operations), some different, one that cannot compile.
	refPet := func() *Schema { return &Schema{Ref: SchemaRefPrefix + "Pet"} }
	list := func() *Schema { return &Schema{Type: []string{"array"}, Items: refPet()} }
	broken := func() *Schema { return &Schema{Properties: map[string]*Schema{"x": {Ref: SchemaRefPrefix + "Broken"}}} }
	var schemas []*Schema
	var values [][]byte
	add := func(s *Schema, v string) {
		schemas = append(schemas, s)
		values = append(values, []byte(v))
	}
	for i := range 40 {
		switch i % 8 {
		case 0:
			add(refPet(), `{"id": 1, "name": "rex", "kind": "cat"}`)
		case 1:
			add(refPet(), fmt.Sprintf(`{"id": %d, "kind": "cow"}`, i))
		case 2:
			add(list(), `[{"id": 1}, {"id": "x"}]`)
		case 3:
			add(broken(), `{"x": "y"}`)
		case 4:
			add(refPet(), `not json`)
		case 5:
			add(nil, `anything`)
		case 6:
			add(pet, `{"name": ""}`) // a named schema itself
		case 7:
			add(str(), `"ok"`)
		}
	}
	shared := refPet() // the same pointer twice
	add(shared, `{"id": 2}`)
	add(shared, `{}`)

	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			got := NewChecker(def).ValidateAll(schemas, values, workers)
			ref := NewChecker(def)
			failed := 0
			for i := range schemas {
				want := ref.Validate(schemas[i], values[i])
				if !sameError(got[i], want) {
					t.Fatalf("pair %d: got %v\nwant %v", i, got[i], want)
				}
				if want != nil {
					failed++
				}
			}
			if failed == 0 || failed == len(schemas) {
				t.Fatalf("%d of %d pairs failed: the cases do not cover both outcomes", failed, len(schemas))
			}
		})
	}
}

func TestValidateAllEmpty(t *testing.T) {
	if errs := NewChecker(&Definition{}).ValidateAll(nil, nil, 0); len(errs) != 0 {
		t.Fatalf("got %v", errs)
	}
}
