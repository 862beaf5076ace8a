package apidef

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/pb33f/jsonschema/v6"
)

// refSchema mirrors Schema with the reflection-based encoding Schema.MarshalJSON used to
// have; it is the reference the hand-written encoder must match byte for byte.
type refSchema struct {
	Ref                  string                `json:"$ref,omitempty"`
	Bool                 *bool                 `json:"-"`
	Type                 []string              `json:"type,omitempty"`
	Format               string                `json:"format,omitempty"`
	Title                string                `json:"title,omitempty"`
	Description          string                `json:"description,omitempty"`
	Enum                 []json.RawMessage     `json:"enum,omitempty"`
	Const                json.RawMessage       `json:"const,omitempty"`
	Default              json.RawMessage       `json:"default,omitempty"`
	Examples             []json.RawMessage     `json:"examples,omitempty"`
	MultipleOf           *float64              `json:"multipleOf,omitempty"`
	Minimum              *float64              `json:"minimum,omitempty"`
	Maximum              *float64              `json:"maximum,omitempty"`
	ExclusiveMinimum     *float64              `json:"exclusiveMinimum,omitempty"`
	ExclusiveMaximum     *float64              `json:"exclusiveMaximum,omitempty"`
	MinLength            *int                  `json:"minLength,omitempty"`
	MaxLength            *int                  `json:"maxLength,omitempty"`
	Pattern              string                `json:"pattern,omitempty"`
	Items                *refSchema            `json:"items,omitempty"`
	PrefixItems          []*refSchema          `json:"prefixItems,omitempty"`
	MinItems             *int                  `json:"minItems,omitempty"`
	MaxItems             *int                  `json:"maxItems,omitempty"`
	UniqueItems          bool                  `json:"uniqueItems,omitempty"`
	Properties           map[string]*refSchema `json:"properties,omitempty"`
	PropertyOrder        []string              `json:"x-gantry-order,omitempty"`
	Required             []string              `json:"required,omitempty"`
	AdditionalProperties *refSchema            `json:"additionalProperties,omitempty"`
	MinProperties        *int                  `json:"minProperties,omitempty"`
	MaxProperties        *int                  `json:"maxProperties,omitempty"`
	AllOf                []*refSchema          `json:"allOf,omitempty"`
	OneOf                []*refSchema          `json:"oneOf,omitempty"`
	AnyOf                []*refSchema          `json:"anyOf,omitempty"`
	Not                  *refSchema            `json:"not,omitempty"`
	Discriminator        *Discriminator        `json:"discriminator,omitempty"`
	ReadOnly             bool                  `json:"readOnly,omitempty"`
	WriteOnly            bool                  `json:"writeOnly,omitempty"`
}

type refSchemaJSON refSchema

func (s *refSchema) MarshalJSON() ([]byte, error) {
	if s.Bool != nil {
		if *s.Bool {
			return []byte("true"), nil
		}
		return []byte("false"), nil
	}
	if len(s.Type) == 1 {
		type single struct {
			*refSchemaJSON
			Type string `json:"type"`
		}
		return json.Marshal(single{(*refSchemaJSON)(s), s.Type[0]})
	}
	return json.Marshal((*refSchemaJSON)(s))
}

// toRef copies s into a refSchema field by field; a Schema field the mirror lacks fails t.
func toRef(t *testing.T, s *Schema) *refSchema {
	if s == nil {
		return nil
	}
	out := &refSchema{}
	sv, ov := reflect.ValueOf(s).Elem(), reflect.ValueOf(out).Elem()
	st := sv.Type()
	for i := range st.NumField() {
		f := st.Field(i)
		of, ok := ov.Type().FieldByName(f.Name)
		if !ok || of.Tag != f.Tag {
			t.Fatalf("refSchema lacks Schema.%s (tag %q): update the mirror", f.Name, f.Tag)
		}
		src, dst := sv.Field(i), ov.FieldByIndex(of.Index)
		switch v := src.Interface().(type) {
		case *Schema:
			dst.Set(reflect.ValueOf(toRef(t, v)))
		case []*Schema:
			if v != nil {
				l := make([]*refSchema, len(v))
				for j, x := range v {
					l[j] = toRef(t, x)
				}
				dst.Set(reflect.ValueOf(l))
			}
		case map[string]*Schema:
			if v != nil {
				m := make(map[string]*refSchema, len(v))
				for k, x := range v {
					m[k] = toRef(t, x)
				}
				dst.Set(reflect.ValueOf(m))
			}
		default:
			dst.Set(src)
		}
	}
	return out
}

var (
	trickyStrings = []string{"", "a", "string", "<b>&amp;</b>", "line\nbreak\ttab\r", "\b\f\x00\x1f\x7f",
		`quote " and \ backslash`, "é ü ☃ 𝄞", "\u2028\u2029", "bad \xff utf-8 \xe2\x80", "#/components/schemas/Pet"}
	trickyRaws = []json.RawMessage{nil, []byte(`1`), []byte(`-0.5e10`), []byte(`"x"`), []byte(` "spaced" `),
		[]byte(`{ "a" : [1, 2, {"b": null}] }`), []byte(`"<b>&"`), []byte("\"\u2028\""), []byte(`null`), []byte(`true`),
		[]byte(`false`), []byte(`[]`), []byte(`{}`), []byte(`"é"`), []byte(`"esc\"aped\n"`), []byte(`12345678901234567890`),
		[]byte(`{"$ref":"#/components/schemas/Pet"}`)}
	trickyFloats = []float64{0, math.Copysign(0, -1), 1, -1.5, 1e21, 1e20, 1e-6, 1e-7, 123456789012345680000,
		5e-324, -2.5e-8, math.MaxFloat64, 0.1, 100}
	trickyInts = []int{0, 1, 12345, math.MaxInt32}
)

// trickyKey returns a map key, rarely one that is not valid UTF-8.
func trickyKey(r *rand.Rand) string {
	k := trickyStrings[r.IntN(len(trickyStrings))]
	if !utf8.ValidString(k) && r.IntN(10) > 0 {
		return "key"
	}
	return k
}

// randomSchema fills every field of a Schema (by reflection, so that new fields are covered)
// with awkward values.
func randomSchema(t testing.TB, r *rand.Rand, depth int) *Schema {
	s := &Schema{}
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if r.IntN(3) == 0 {
			continue // leave some fields at their zero value
		}
		switch f.Interface().(type) {
		case string:
			f.SetString(trickyStrings[r.IntN(len(trickyStrings))])
		case bool:
			f.SetBool(r.IntN(2) == 0)
		case *bool:
			if r.IntN(8) == 0 {
				b := r.IntN(2) == 0
				f.Set(reflect.ValueOf(&b))
			}
		case []string:
			l := make([]string, r.IntN(4))
			for j := range l {
				l[j] = trickyStrings[r.IntN(len(trickyStrings))]
			}
			f.Set(reflect.ValueOf(l))
		case json.RawMessage:
			f.Set(reflect.ValueOf(trickyRaws[r.IntN(len(trickyRaws))]))
		case []json.RawMessage:
			l := make([]json.RawMessage, r.IntN(4))
			for j := range l {
				l[j] = trickyRaws[r.IntN(len(trickyRaws))]
			}
			f.Set(reflect.ValueOf(l))
		case *float64:
			x := trickyFloats[r.IntN(len(trickyFloats))]
			f.Set(reflect.ValueOf(&x))
		case *int:
			x := trickyInts[r.IntN(len(trickyInts))]
			f.Set(reflect.ValueOf(&x))
		case *Schema:
			if depth > 0 {
				f.Set(reflect.ValueOf(randomSchema(t, r, depth-1)))
			}
		case []*Schema:
			if depth > 0 {
				l := make([]*Schema, r.IntN(3))
				for j := range l {
					if r.IntN(5) > 0 {
						l[j] = randomSchema(t, r, depth-1)
					}
				}
				f.Set(reflect.ValueOf(l))
			}
		case map[string]*Schema:
			if depth > 0 {
				m := map[string]*Schema{}
				for range r.IntN(4) {
					var x *Schema
					if r.IntN(5) > 0 {
						x = randomSchema(t, r, depth-1)
					}
					m[trickyKey(r)] = x
				}
				f.Set(reflect.ValueOf(m))
			}
		case *Discriminator:
			d := &Discriminator{PropertyName: trickyStrings[r.IntN(len(trickyStrings))]}
			if n := r.IntN(3); n > 0 {
				d.Mapping = map[string]string{}
				for range n {
					d.Mapping[trickyKey(r)] = trickyStrings[r.IntN(len(trickyStrings))]
				}
			}
			f.Set(reflect.ValueOf(d))
		default:
			t.Fatalf("randomSchema does not fill Schema.%s (%s): add a case", v.Type().Field(i).Name, f.Type())
		}
	}
	return s
}

func TestSchemaEncodingMatchesReflection(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		s := randomSchema(t, r, 2)
		want, wantErr := json.Marshal(toRef(t, s))
		got, gotErr := json.Marshal(s)
		if (wantErr == nil) != (gotErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s (%v)\nwant %s (%v)", i, got, gotErr, want, wantErr)
		}
		// MarshalJSON on its own gives the same bytes, not only after encoding/json's pass.
		if direct, err := s.MarshalJSON(); err != nil || !bytes.Equal(direct, want) {
			t.Fatalf("case %d: MarshalJSON\n got %s (%v)\nwant %s", i, direct, err, want)
		}
	}
}

func TestSchemaEncodingErrors(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		s    *Schema
	}{
		{name: "invalid raw", s: &Schema{Default: json.RawMessage(`{oops`)}},
		{name: "invalid enum", s: &Schema{Enum: []json.RawMessage{[]byte(`1`), []byte(`[1,`)}}},
		{name: "infinite bound", s: &Schema{Maximum: &inf}},
		{name: "nested", s: &Schema{Items: &Schema{Const: json.RawMessage(`tru`)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, wantErr := json.Marshal(toRef(t, tc.s))
			_, gotErr := json.Marshal(tc.s)
			if wantErr == nil || gotErr == nil {
				t.Fatalf("errors: got %v, want %v", gotErr, wantErr)
			}
			if _, ok := schemaDocument(tc.s); ok {
				t.Error("schemaDocument accepted a schema that cannot be encoded")
			}
		})
	}
}

func TestSchemaDocumentMatchesDecodedJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	built := 0
	for i := range 1000 {
		s := randomSchema(t, r, 2)
		b, err := json.Marshal(toRef(t, s))
		if err != nil {
			t.Fatal(err)
		}
		want, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := schemaDocument(s)
		if !ok {
			// Only keys that are not valid UTF-8 take the text route.
			continue
		}
		built++
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d:\n got %#v\nwant %#v", i, got, want)
		}
	}
	if built < 500 {
		t.Fatalf("only %d of 1000 schemas were built directly", built)
	}
}

// BenchmarkSchemaMarshal encodes a wide, nested schema.
func BenchmarkSchemaMarshal(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	s := randomSchema(b, r, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s); err != nil {
			b.Fatal(err)
		}
	}
}
