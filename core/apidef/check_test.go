package apidef

import (
	"encoding/json"
	"testing"
)

func TestCheckerValidate(t *testing.T) {
	pet := &Schema{Type: []string{"object"}, Required: []string{"id"}, Properties: map[string]*Schema{
		"id":   {Type: []string{"integer"}, Format: "int64"},
		"kind": {Ref: SchemaRefPrefix + "Kind"},
	}}
	def := &Definition{
		Schemas: map[string]*Schema{
			"Pet":  pet,
			"Kind": {Type: []string{"string", "null"}, Enum: []json.RawMessage{[]byte(`"cat"`), []byte(`null`)}},
		},
	}
	c := NewChecker(def)
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"valid", `{"id": 1, "kind": "cat"}`, true},
		{"nullable ref", `{"id": 1, "kind": null}`, true},
		{"missing required", `{"kind": "cat"}`, false},
		{"bad enum", `{"id": 1, "kind": "dog"}`, false},
		{"not integer", `{"id": 1.5}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Validate(pet, []byte(tt.value))
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%s) = %v, want ok=%v", tt.value, err, tt.ok)
			}
		})
	}
	if err := c.Validate(&Schema{Ref: SchemaRefPrefix + "Missing"}, []byte(`1`)); err == nil {
		t.Fatal("a dangling reference should be an error")
	}
	nested := pet.Properties["id"]
	if err := c.Validate(nested, []byte(`"x"`)); err == nil {
		t.Fatal("nested schemas must be checkable")
	}
}

func TestSchemaJSONRoundTrip(t *testing.T) {
	f := false
	in := &Schema{Type: []string{"string"}, AdditionalProperties: &Schema{Bool: &f}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"type":"string","additionalProperties":false}` && string(b) != `{"additionalProperties":false,"type":"string"}` {
		t.Fatalf("got %s", b)
	}
	var out Schema
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Type) != 1 || out.Type[0] != "string" || out.AdditionalProperties.Bool == nil || *out.AdditionalProperties.Bool {
		t.Fatalf("round trip lost data: %+v", out)
	}
}

func TestDiscriminatorSelectsBranch(t *testing.T) {
	str := func() *Schema { return &Schema{Type: []string{"string"}} }
	action := &Schema{Type: []string{"object"}, Required: []string{"type"}, Properties: map[string]*Schema{"type": str()}}
	snapshot := &Schema{AllOf: []*Schema{{Ref: SchemaRefPrefix + "Action"}, {Type: []string{"object"}, Required: []string{"name"}, Properties: map[string]*Schema{"name": str()}}}}
	body := &Schema{
		OneOf: []*Schema{{Ref: SchemaRefPrefix + "Action"}, {Ref: SchemaRefPrefix + "Snapshot"}, {Ref: SchemaRefPrefix + "Other"}},
		Discriminator: &Discriminator{PropertyName: "type", Mapping: map[string]string{
			"reboot":      SchemaRefPrefix + "Action",
			"snapshot/v2": SchemaRefPrefix + "Snapshot",
		}},
	}
	other := &Schema{Type: []string{"object"}, Required: []string{"type"}, Properties: map[string]*Schema{"type": str()}}
	def := &Definition{Schemas: map[string]*Schema{"Action": action, "Snapshot": snapshot, "Other": other, "Body": body}}
	c := NewChecker(def)
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"overlapping branch chosen by mapping", `{"type":"reboot"}`, true},
		{"mapping key with a slash", `{"type":"snapshot/v2","name":"n"}`, true},
		{"named branch's own rule applies", `{"type":"snapshot/v2"}`, false},
		{"unknown discriminator value", `{"type":"explode"}`, false},
		{"implicit mapping by schema name", `{"type":"Other"}`, true},
		{"explicitly mapped schema has no implicit name", `{"type":"Action"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Validate(body, []byte(tt.value))
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%s) = %v, want ok=%v", tt.value, err, tt.ok)
			}
		})
	}
}
