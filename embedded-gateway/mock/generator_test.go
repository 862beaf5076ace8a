package mock

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
)

func ptr[T any](v T) *T { return &v }

func raws(vals ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		out[i] = json.RawMessage(v)
	}
	return out
}

func str() *apidef.Schema         { return &apidef.Schema{Type: []string{"string"}} }
func ref(n string) *apidef.Schema { return &apidef.Schema{Ref: apidef.SchemaRefPrefix + n} }
func obj(req []string, props ...any) *apidef.Schema {
	s := &apidef.Schema{Type: []string{"object"}, Properties: map[string]*apidef.Schema{}, Required: req}
	for i := 0; i+1 < len(props); i += 2 {
		name := props[i].(string)
		s.Properties[name] = props[i+1].(*apidef.Schema)
		s.PropertyOrder = append(s.PropertyOrder, name)
	}
	return s
}

var falseSchema = &apidef.Schema{Bool: ptr(false)}

// genCase is one generator test: the schema is registered as component "T" (beside extra
// components) so that the Checker can validate it.
type genCase struct {
	name   string
	schema *apidef.Schema
	extra  map[string]*apidef.Schema
	check  func(t *testing.T, raw string, dynamic bool)
}

func runGenCases(t *testing.T, cases []genCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def := &apidef.Definition{Schemas: map[string]*apidef.Schema{"T": tc.schema}}
			for k, v := range tc.extra {
				def.Schemas[k] = v
			}
			checker := apidef.NewChecker(def)
			g := NewGenerator(def, checker)
			for _, dynamic := range []bool{false, true} {
				for seed := uint64(0); seed < 8; seed++ {
					v, err := g.Generate(tc.schema, GenOptions{Seed: seed, Dynamic: dynamic})
					if err != nil {
						t.Fatalf("dynamic=%v seed=%d: %v", dynamic, seed, err)
					}
					raw, err := json.Marshal(v)
					if err != nil {
						t.Fatal(err)
					}
					if err := checker.Validate(tc.schema, raw); err != nil {
						t.Fatalf("dynamic=%v seed=%d: %s is invalid: %v", dynamic, seed, raw, err)
					}
					if tc.check != nil {
						tc.check(t, string(raw), dynamic)
					}
				}
			}
		})
	}
}

func TestGenerateTypes(t *testing.T) {
	runGenCases(t, []genCase{
		{name: "string", schema: str()},
		{name: "integer", schema: &apidef.Schema{Type: []string{"integer"}}},
		{name: "number", schema: &apidef.Schema{Type: []string{"number"}}},
		{name: "boolean", schema: &apidef.Schema{Type: []string{"boolean"}}},
		{name: "null", schema: &apidef.Schema{Type: []string{"null"}}, check: want(`null`)},
		{name: "nullable string", schema: &apidef.Schema{Type: []string{"string", "null"}}},
		{name: "type array", schema: &apidef.Schema{Type: []string{"integer", "boolean"}}},
		{name: "untyped", schema: &apidef.Schema{}},
		{name: "true schema", schema: &apidef.Schema{Bool: ptr(true)}},
		{name: "const", schema: &apidef.Schema{Const: json.RawMessage(`{"a":[1,2]}`)}, check: want(`{"a":[1,2]}`)},
		{name: "const null", schema: &apidef.Schema{Const: json.RawMessage(`null`)}, check: want(`null`)},
		{name: "enum", schema: &apidef.Schema{Type: []string{"string"}, Enum: raws(`"a"`, `"b"`, `"c"`)}},
		{name: "enum static first", schema: &apidef.Schema{Enum: raws(`"x"`, `"y"`)}, check: staticWant(`"x"`)},
		{name: "examples preferred static", schema: &apidef.Schema{Type: []string{"integer"}, Examples: raws(`42`)}, check: staticWant(`42`)},
		{name: "default preferred static", schema: &apidef.Schema{Type: []string{"integer"}, Default: json.RawMessage(`7`)}, check: staticWant(`7`)},
	})
}

func want(s string) func(t *testing.T, raw string, dynamic bool) {
	return func(t *testing.T, raw string, dynamic bool) {
		t.Helper()
		if raw != s {
			t.Fatalf("got %s, want %s", raw, s)
		}
	}
}

func staticWant(s string) func(t *testing.T, raw string, dynamic bool) {
	return func(t *testing.T, raw string, dynamic bool) {
		t.Helper()
		if !dynamic && raw != s {
			t.Fatalf("static: got %s, want %s", raw, s)
		}
	}
}

func TestGenerateFormats(t *testing.T) {
	var cases []genCase
	for _, f := range []string{"date-time", "date", "time", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference",
		"url", "uuid", "byte", "binary", "password", "duration", "json-pointer", "relative-json-pointer", "regex",
		"uri-template", "iri", "idn-email", "idn-hostname", "made-up-format"} {
		cases = append(cases, genCase{name: f, schema: &apidef.Schema{Type: []string{"string"}, Format: f}})
	}
	for _, f := range []string{"int32", "int64"} {
		cases = append(cases, genCase{name: f, schema: &apidef.Schema{Type: []string{"integer"}, Format: f}})
	}
	for _, f := range []string{"float", "double"} {
		cases = append(cases, genCase{name: f, schema: &apidef.Schema{Type: []string{"number"}, Format: f}})
	}
	cases = append(cases,
		genCase{name: "email minLength", schema: &apidef.Schema{Type: []string{"string"}, Format: "email", MinLength: ptr(30)}},
		genCase{name: "hostname minLength", schema: &apidef.Schema{Type: []string{"string"}, Format: "hostname", MinLength: ptr(20)}},
		genCase{name: "password maxLength", schema: &apidef.Schema{Type: []string{"string"}, Format: "password", MaxLength: ptr(4)}},
	)
	runGenCases(t, cases)
}

func TestGeneratePattern(t *testing.T) {
	pat := func(p string, min, max *int) *apidef.Schema {
		return &apidef.Schema{Type: []string{"string"}, Pattern: p, MinLength: min, MaxLength: max}
	}
	runGenCases(t, []genCase{
		{name: "anchored class repeat", schema: pat(`^[A-Z]{3}-\d{4}$`, nil, nil)},
		{name: "pattern and minLength", schema: pat(`^[a-z]+$`, ptr(10), ptr(12))},
		{name: "unanchored and minLength", schema: pat(`\d+`, ptr(5), nil)},
		{name: "alternation repeat and minLength", schema: pat(`^(foo|bar)+$`, ptr(7), nil)},
		{name: "hex", schema: pat(`^[a-f0-9]{8}$`, nil, nil)},
		{name: "maxLength", schema: pat(`^[a-z0-9-]*$`, ptr(1), ptr(3))},
		{name: "optional groups", schema: pat(`^v?(\d+)(\.\d+)?(\.\d+)?$`, ptr(6), nil)},
		{name: "negated class", schema: pat(`^[^\s/]+/[^\s/]+$`, nil, nil)},
		{name: "case insensitive", schema: pat(`(?i)^droplet$`, nil, nil)},
		{name: "prefix anchored padding", schema: pat(`^ab`, ptr(10), nil)},
		{name: "suffix anchored padding", schema: pat(`cd$`, ptr(10), nil)},
		{name: "allOf two patterns", schema: &apidef.Schema{AllOf: []*apidef.Schema{pat(`^[a-z0-9]+$`, nil, nil), pat(`^[0-9a-f]{4,6}$`, nil, nil)}}},
	})
}

func TestPatternImpossible(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		min, max int
	}{
		{"fixed length too short", `^[a-z]{3}$`, 5, -1},
		{"fixed length too long", `^[a-z]{6}$`, 0, 4},
		{"no match", `[^\x00-\x{10FFFF}]`, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := p.generate(newTestRand(1), false, tt.min, tt.max); err == nil {
				t.Fatalf("generated %q, want an error", out)
			}
		})
	}
}

func TestGenerateNumbers(t *testing.T) {
	num := func(typ string, mod func(s *apidef.Schema)) *apidef.Schema {
		s := &apidef.Schema{Type: []string{typ}}
		mod(s)
		return s
	}
	runGenCases(t, []genCase{
		{name: "min max", schema: num("integer", func(s *apidef.Schema) { s.Minimum, s.Maximum = ptr(10.0), ptr(12.0) })},
		{name: "exclusive number", schema: num("number", func(s *apidef.Schema) { s.ExclusiveMinimum, s.ExclusiveMaximum = ptr(0.0), ptr(1.0) })},
		{name: "exclusive integer", schema: num("integer", func(s *apidef.Schema) { s.ExclusiveMinimum, s.ExclusiveMaximum = ptr(4.0), ptr(6.0) })},
		{name: "negative range", schema: num("integer", func(s *apidef.Schema) { s.Maximum = ptr(-100.0) })},
		{name: "multipleOf int", schema: num("integer", func(s *apidef.Schema) { s.MultipleOf, s.Minimum, s.Maximum = ptr(7.0), ptr(10.0), ptr(30.0) })},
		{name: "multipleOf decimal", schema: num("number", func(s *apidef.Schema) { s.MultipleOf, s.Minimum, s.Maximum = ptr(0.01), ptr(1.005), ptr(1.2) })},
		{name: "multipleOf half on integer", schema: num("integer", func(s *apidef.Schema) { s.MultipleOf, s.Minimum = ptr(0.5), ptr(3.0) })},
		{name: "multipleOf exclusive", schema: num("number", func(s *apidef.Schema) { s.MultipleOf, s.ExclusiveMinimum, s.Maximum = ptr(0.25), ptr(1.0), ptr(2.0) })},
		{name: "int32 bound", schema: num("integer", func(s *apidef.Schema) { s.Format, s.Minimum = "int32", ptr(2147483000.0) })},
	})
}

func TestGenerateArraysObjects(t *testing.T) {
	runGenCases(t, []genCase{
		{name: "minItems maxItems", schema: &apidef.Schema{Type: []string{"array"}, Items: str(), MinItems: ptr(3), MaxItems: ptr(5)}},
		{name: "uniqueItems enum", schema: &apidef.Schema{Type: []string{"array"}, UniqueItems: true, MinItems: ptr(3),
			Items: &apidef.Schema{Enum: raws(`"a"`, `"b"`, `"c"`)}}},
		{name: "uniqueItems booleans", schema: &apidef.Schema{Type: []string{"array"}, UniqueItems: true, MinItems: ptr(2), Items: &apidef.Schema{Type: []string{"boolean"}}}},
		{name: "prefixItems", schema: &apidef.Schema{Type: []string{"array"}, PrefixItems: []*apidef.Schema{str(), {Type: []string{"integer"}}}, Items: falseSchema}},
		{name: "maxItems zero", schema: &apidef.Schema{Type: []string{"array"}, Items: str(), MaxItems: ptr(0)}, check: want(`[]`)},
		{name: "required", schema: obj([]string{"id", "name"}, "id", &apidef.Schema{Type: []string{"integer"}}, "name", str(), "tag", str())},
		{name: "additionalProperties false", schema: func() *apidef.Schema {
			s := obj([]string{"a"}, "a", str())
			s.AdditionalProperties = falseSchema
			return s
		}()},
		{name: "additionalProperties schema", schema: &apidef.Schema{Type: []string{"object"}, AdditionalProperties: &apidef.Schema{Type: []string{"integer"}}, MinProperties: ptr(3)}},
		{name: "maxProperties", schema: func() *apidef.Schema {
			s := obj(nil, "a", str(), "b", str(), "c", str())
			s.MaxProperties = ptr(1)
			return s
		}()},
		{name: "required undeclared", schema: &apidef.Schema{Type: []string{"object"}, Required: []string{"x"}}},
	})
}

func TestGenerateComposition(t *testing.T) {
	pet := obj([]string{"petType", "name"}, "petType", str(), "name", str())
	pet.Discriminator = &apidef.Discriminator{PropertyName: "petType"}
	cat := &apidef.Schema{AllOf: []*apidef.Schema{ref("Pet"), obj([]string{"huntingSkill"}, "huntingSkill", &apidef.Schema{Type: []string{"string"}, Enum: raws(`"lazy"`, `"aggressive"`)})}}
	dog := &apidef.Schema{AllOf: []*apidef.Schema{ref("Pet"), obj([]string{"packSize"}, "packSize", &apidef.Schema{Type: []string{"integer"}, Minimum: ptr(0.0)})}}
	closed := func(typeName string, extra ...any) *apidef.Schema {
		s := obj([]string{"type"}, append([]any{"type", &apidef.Schema{Type: []string{"string"}, Enum: raws(`"` + typeName + `"`)}}, extra...)...)
		s.AdditionalProperties = falseSchema
		return s
	}
	runGenCases(t, []genCase{
		{name: "allOf merge", schema: &apidef.Schema{AllOf: []*apidef.Schema{obj([]string{"a"}, "a", str()), obj([]string{"b"}, "b", &apidef.Schema{Type: []string{"integer"}})}},
			check: func(t *testing.T, raw string, _ bool) {
				if !strings.Contains(raw, `"a":`) || !strings.Contains(raw, `"b":`) {
					t.Fatalf("allOf lost a property: %s", raw)
				}
			}},
		{name: "allOf const and type", schema: &apidef.Schema{AllOf: []*apidef.Schema{{Type: []string{"string"}}, {Const: json.RawMessage(`"fixed"`)}}}, check: want(`"fixed"`)},
		{name: "allOf nested with refs", schema: &apidef.Schema{AllOf: []*apidef.Schema{ref("AB"), obj([]string{"c"}, "c", &apidef.Schema{Type: []string{"boolean"}})}},
			extra: map[string]*apidef.Schema{"AB": {AllOf: []*apidef.Schema{obj([]string{"a"}, "a", str()), {AllOf: []*apidef.Schema{obj([]string{"b"}, "b", str())}}}}}},
		{name: "allOf closed branches", schema: &apidef.Schema{AllOf: []*apidef.Schema{closed("x", "n", str()), obj([]string{"type"}, "type", str())}}},
		{name: "allOf number bounds", schema: &apidef.Schema{AllOf: []*apidef.Schema{{Type: []string{"number"}, Minimum: ptr(5.0)}, {Type: []string{"integer"}, Maximum: ptr(6.0)}}}},
		{name: "oneOf discriminator mapping with slash", schema: &apidef.Schema{
			OneOf:         []*apidef.Schema{ref("DropletV2"), ref("Volume")},
			Discriminator: &apidef.Discriminator{PropertyName: "kind", Mapping: map[string]string{"droplet/v2": apidef.SchemaRefPrefix + "DropletV2", "volume": apidef.SchemaRefPrefix + "Volume"}},
		}, extra: map[string]*apidef.Schema{
			"DropletV2": obj([]string{"kind", "size"}, "kind", &apidef.Schema{Type: []string{"string"}, Pattern: `^droplet/`}, "size", &apidef.Schema{Type: []string{"integer"}}),
			"Volume":    obj([]string{"kind", "gb"}, "kind", &apidef.Schema{Type: []string{"string"}, Pattern: `^volume$`}, "gb", &apidef.Schema{Type: []string{"number"}}),
		}, check: func(t *testing.T, raw string, _ bool) {
			if !strings.Contains(raw, `"kind":"droplet/v2"`) && !strings.Contains(raw, `"kind":"volume"`) {
				t.Fatalf("discriminator value not set from the mapping: %s", raw)
			}
		}},
		{name: "oneOf discriminator without mapping", schema: &apidef.Schema{
			OneOf:         []*apidef.Schema{ref("Cat"), ref("Dog")},
			Discriminator: &apidef.Discriminator{PropertyName: "petType"},
		}, extra: map[string]*apidef.Schema{
			"Pet": pet,
			"Cat": closedAllOf(cat, "petType", "name", "huntingSkill"),
			"Dog": closedAllOf(dog, "petType", "name", "packSize"),
		}, check: func(t *testing.T, raw string, _ bool) {
			if !strings.Contains(raw, `"petType":"Cat"`) && !strings.Contains(raw, `"petType":"Dog"`) {
				t.Fatalf("discriminator value is not the schema name: %s", raw)
			}
		}},
		{name: "base with discriminator", schema: ref("Pet"), extra: map[string]*apidef.Schema{"Pet": withMapping(pet), "Cat": cat, "Dog": dog},
			check: func(t *testing.T, raw string, _ bool) {
				if !strings.Contains(raw, `"petType":"Pet"`) {
					t.Fatalf("base schema should name itself: %s", raw)
				}
			}},
		{name: "child of base with discriminator", schema: ref("Cat"), extra: map[string]*apidef.Schema{"Pet": withMapping(pet), "Cat": cat, "Dog": dog},
			check: func(t *testing.T, raw string, _ bool) {
				if !strings.Contains(raw, `"petType":"cat"`) {
					t.Fatalf("child should get its mapping key: %s", raw)
				}
			}},
		{name: "oneOf exactly one", schema: &apidef.Schema{OneOf: []*apidef.Schema{{Type: []string{"integer"}}, {Type: []string{"number"}}}}},
		{name: "oneOf overlapping objects", schema: &apidef.Schema{OneOf: []*apidef.Schema{closed("a"), closed("b", "extra", str())}}},
		{name: "anyOf", schema: &apidef.Schema{AnyOf: []*apidef.Schema{str(), {Type: []string{"integer"}, Minimum: ptr(3.0)}}}},
		{name: "outer properties with oneOf", schema: func() *apidef.Schema {
			s := obj([]string{"id"}, "id", &apidef.Schema{Type: []string{"integer"}})
			s.OneOf = []*apidef.Schema{obj([]string{"a"}, "a", str()), obj([]string{"b"}, "b", str())}
			return s
		}()},
		{name: "not type", schema: &apidef.Schema{Type: []string{"string", "integer"}, Not: str()}},
		{name: "not const", schema: &apidef.Schema{Enum: raws(`"a"`, `"b"`), Not: &apidef.Schema{Const: json.RawMessage(`"a"`)}}, check: want(`"b"`)},
		{name: "not required", schema: &apidef.Schema{Type: []string{"object"}, Properties: map[string]*apidef.Schema{"x": str()}, Not: &apidef.Schema{Required: []string{"x"}}}},
	})
}

func withMapping(pet *apidef.Schema) *apidef.Schema {
	c := *pet
	c.Discriminator = &apidef.Discriminator{PropertyName: "petType", Mapping: map[string]string{"cat": apidef.SchemaRefPrefix + "Cat", "dog": apidef.SchemaRefPrefix + "Dog"}}
	return &c
}

// closedAllOf wraps s so that only the listed properties are allowed (unevaluatedProperties
// is not in the subset, so this is spelled with a property-name check via `not`-free means).
func closedAllOf(s *apidef.Schema, names ...string) *apidef.Schema {
	props := map[string]*apidef.Schema{}
	for _, n := range names {
		props[n] = &apidef.Schema{}
	}
	return &apidef.Schema{AllOf: []*apidef.Schema{s, {Properties: props, AdditionalProperties: falseSchema}}}
}

func TestGenerateCircularAndDirection(t *testing.T) {
	node := obj([]string{"value"}, "value", &apidef.Schema{Type: []string{"integer"}}, "children", &apidef.Schema{Type: []string{"array"}, Items: ref("Node")}, "parent", ref("Node"))
	linked := obj([]string{"next"}, "next", &apidef.Schema{AnyOf: []*apidef.Schema{ref("Linked"), {Type: []string{"null"}}}})
	access := obj([]string{"id"}, "id", &apidef.Schema{Type: []string{"integer"}, ReadOnly: true}, "secret", &apidef.Schema{Type: []string{"string"}, WriteOnly: true}, "name", str())
	runGenCases(t, []genCase{
		{name: "tree", schema: ref("Node"), extra: map[string]*apidef.Schema{"Node": node}},
		{name: "required self reference", schema: ref("Linked"), extra: map[string]*apidef.Schema{"Linked": linked}},
		{name: "writeOnly omitted in responses", schema: access, check: func(t *testing.T, raw string, _ bool) {
			if strings.Contains(raw, "secret") {
				t.Fatalf("writeOnly property in a response: %s", raw)
			}
		}},
		{name: "invalid nested example is not served", schema: obj([]string{"n"}, "n", &apidef.Schema{Type: []string{"integer"}, Examples: raws(`"not a number"`)})},
	})
	def := &apidef.Definition{Schemas: map[string]*apidef.Schema{"T": access}}
	g := NewGenerator(def, apidef.NewChecker(def))
	v, err := g.Generate(access, GenOptions{Direction: Request})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(v)
	if strings.Contains(string(raw), `"secret"`) == false || strings.Contains(string(raw), `"name"`) == false {
		t.Fatalf("request body should keep writeOnly properties: %s", raw)
	}
}

func TestGenerateImpossible(t *testing.T) {
	tests := []struct {
		name   string
		schema *apidef.Schema
	}{
		{"false schema", falseSchema},
		{"contradicting allOf types", &apidef.Schema{AllOf: []*apidef.Schema{str(), {Type: []string{"integer"}}}}},
		{"minLength over maxLength", &apidef.Schema{Type: []string{"string"}, MinLength: ptr(5), MaxLength: ptr(2)}},
		{"empty number range", &apidef.Schema{Type: []string{"integer"}, Minimum: ptr(3.0), Maximum: ptr(2.0)}},
		{"allOf cycle (the validator refuses it)", &apidef.Schema{AllOf: []*apidef.Schema{ref("A")}}},
		{"oneOf both always match", &apidef.Schema{OneOf: []*apidef.Schema{str(), str()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := &apidef.Definition{Schemas: map[string]*apidef.Schema{"T": tt.schema,
				"A": {AllOf: []*apidef.Schema{ref("B"), obj(nil, "a", str())}},
				"B": {AllOf: []*apidef.Schema{ref("A"), obj(nil, "b", str())}},
			}}
			g := NewGenerator(def, apidef.NewChecker(def))
			if v, err := g.Generate(tt.schema, GenOptions{}); err == nil {
				raw, _ := json.Marshal(v)
				t.Fatalf("got %s, want an error", raw)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	s := obj([]string{"id"}, "id", &apidef.Schema{Type: []string{"string"}, Format: "uuid"}, "n", &apidef.Schema{Type: []string{"integer"}}, "tags", &apidef.Schema{Type: []string{"array"}, Items: str()})
	def := &apidef.Definition{Schemas: map[string]*apidef.Schema{"T": s}}
	g := NewGenerator(def, apidef.NewChecker(def))
	gen := func(seed uint64) string {
		v, err := g.Generate(s, GenOptions{Seed: seed, Dynamic: true})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(v)
		return string(raw)
	}
	if a, b := gen(1), gen(1); a != b {
		t.Fatalf("same seed, different values:\n%s\n%s", a, b)
	}
	differs := false
	for seed := uint64(2); seed < 10 && !differs; seed++ {
		differs = gen(seed) != gen(1)
	}
	if !differs {
		t.Fatal("dynamic values never change with the seed")
	}
}

func FuzzPattern(f *testing.F) {
	for _, p := range []string{`^[a-z]+$`, `\d{3}-\d{4}`, `(foo|bar)*baz`, `^(?i)abc$`, `[^a-z]{2,5}`, `a{0}`, `\bx\b`, `^$`, `.+@.+\..+`, `[\p{L}]+`} {
		f.Add(p, 0, -1)
		f.Add(p, 3, 10)
	}
	f.Fuzz(func(t *testing.T, src string, minLen, maxLen int) {
		if minLen < 0 || minLen > 200 || maxLen > 200 {
			return
		}
		p, err := compilePattern(src)
		if err != nil {
			return
		}
		out, err := p.generate(newTestRand(uint64(len(src))), false, minLen, maxLen)
		if err != nil {
			return
		}
		if !regexp.MustCompile(src).MatchString(out) {
			t.Fatalf("%q does not match %q", out, src)
		}
		if n := len([]rune(out)); n < minLen || (maxLen >= 0 && n > maxLen) {
			t.Fatalf("%q has length %d outside %d..%d", out, n, minLen, maxLen)
		}
	})
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
