package lint

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// funcDoc is the document the function tests run on.
const funcDoc = `openapi: 3.0.3
info:
  title: Functions
  version: "1"
  x-empty: ""
  x-zero: 0
  x-false: false
  x-null: null
names:
  camelCase: 1
  PascalCase: 2
  kebab-case: 3
  snake_case: 4
  MACRO_CASE: 5
  COBOL-CASE: 6
  flatcase: 7
  camel2Digits: 8
  /leading/slash: 9
codes: {200: ok, 404: missing}
unsorted: {b: 1, a: 2, c: 3}
sorted: [a, b, c]
numbers: [1, 10, 2]
mixed: [a, 1, {x: 1}]
people:
  - {name: Zed}
  - {name: Amy}
text: hello world
count: 42
list: [1, 2, 3]
status: pending
both: {a: 1, b: 2}
one: {a: 1}
none: {c: 1}
enums:
  good: {type: string, enum: [a, b]}
  bad: {type: integer, enum: [1, "2", 3.5]}
  nullable: {type: string, nullable: true, enum: [a, null]}
  multi: {type: [string, integer], enum: [a, 1, true]}
components:
  schemas:
    Used: {type: string}
    Orphan: {type: string}
refs:
  - $ref: '#/components/schemas/Used'
`

// fnCase is one function test: a rule of one then, and the findings it gives as
// "path: message" (the rule's message is {{error}}).
type fnCase struct {
	name     string
	given    string
	field    string
	function string
	options  string // functionOptions as YAML flow
	want     []string
}

func runFnCase(t *testing.T, tc fnCase) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "rules:\n  t:\n    given: %q\n    severity: error\n    message: '{{error}}'\n    then:\n      function: %s\n", tc.given, tc.function)
	if tc.field != "" {
		fmt.Fprintf(&b, "      field: %q\n", tc.field)
	}
	if tc.options != "" {
		fmt.Fprintf(&b, "      functionOptions: %s\n", tc.options)
	}
	rs, err := ParseRuleset("rules.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("ruleset: %v\n%s", err, b.String())
	}
	d, err := Parse("doc.yaml", []byte(funcDoc))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Path+": "+f.Message)
	}
	if !slices.Equal(got, tc.want) {
		t.Errorf("got  %q\nwant %q", got, tc.want)
	}
}

func TestFunctions(t *testing.T) {
	tests := []fnCase{
		// truthy, falsy, defined, undefined
		{"truthy present", "$.info", "title", "truthy", "", nil},
		{"truthy empty string", "$.info", "x-empty", "truthy", "", []string{`$.info['x-empty']: "x-empty" property must be truthy`}},
		{"truthy zero", "$.info", "x-zero", "truthy", "", []string{`$.info['x-zero']: "x-zero" property must be truthy`}},
		{"truthy missing", "$.info", "contact", "truthy", "", []string{`$.info: "info.contact" property must be truthy`}},
		{"truthy missing nested", "$", "info.license.url", "truthy", "", []string{`$.info: "info.license.url" property must be truthy`}},
		{"falsy", "$.info", "x-false", "falsy", "", nil},
		{"falsy fails", "$.info", "title", "falsy", "", []string{`$.info.title: "title" property must be falsy`}},
		{"defined null", "$.info", "x-null", "defined", "", nil},
		{"defined missing", "$.info", "summary", "defined", "", []string{`$.info: "info.summary" property must be defined`}},
		{"undefined", "$.info", "summary", "undefined", "", nil},
		{"undefined present", "$.info", "title", "undefined", "", []string{`$.info.title: "title" property must be undefined`}},
		{"truthy on the document", "$", "", "falsy", "", []string{`$: The document must be falsy`}},

		// field forms
		{"field bracket path", "$", "info['x-zero']", "truthy", "", []string{`$.info['x-zero']: "x-zero" property must be truthy`}},
		{"field index path", "$", "people[1].name", "pattern", "{match: '^Z'}", []string{`$.people[1].name: "Amy" must match the pattern "^Z"`}},
		{"field JSONPath", "$", "$.people[*].name", "pattern", "{match: '^Z'}", []string{`$.people[1].name: "Amy" must match the pattern "^Z"`}},
		{"field JSONPath none", "$", "$.nothing[*]", "defined", "", []string{`$: The document must be defined`}},
		{"field ignored on a scalar", "$.text", "length", "length", "{max: 3}", []string{`$.text: "text" property must be shorter than 3`}},

		// alphabetical
		{"alphabetical object keys", "$", "unsorted", "alphabetical", "", []string{`$.unsorted.b: "b" must be placed after "a"`}},
		{"alphabetical sorted", "$", "sorted", "alphabetical", "", nil},
		{"alphabetical numbers", "$", "numbers", "alphabetical", "", []string{`$.numbers[1]: 10 must be placed after 2`}},
		{"alphabetical keyedBy", "$", "people", "alphabetical", "{keyedBy: name}", []string{`$.people: properties must follow the alphabetical order`}},
		{"alphabetical keyedBy non-object", "$", "sorted", "alphabetical", "{keyedBy: name}", []string{`$.sorted: "sorted" property must be an object`}},
		{"alphabetical mixed types", "$", "mixed", "alphabetical", "", []string{`$.mixed: "mixed" property must be one of the allowed types: number, string`}},

		// casing
		{"casing camel", "$.names", "@key", "casing", "{type: camel}", []string{
			`$.names.PascalCase: must be camel case`, `$.names['kebab-case']: must be camel case`, `$.names.snake_case: must be camel case`,
			`$.names.MACRO_CASE: must be camel case`, `$.names['COBOL-CASE']: must be camel case`, `$.names['/leading/slash']: must be camel case`}},
		{"keys are strings", "$.codes[*]~", "", "pattern", "{match: '^2'}", []string{`$.codes['404']: "404" must match the pattern "^2"`}},
		{"@key on numeric keys", "$.codes", "@key", "length", "{max: 2}", []string{`$.codes['200']: "200" property must be shorter than 2`, `$.codes['404']: "404" property must be shorter than 2`}},
		{"casing pascal", "$.names.PascalCase~", "", "casing", "{type: pascal}", nil},
		{"casing kebab", "$.names['kebab-case']~", "", "casing", "{type: kebab}", nil},
		{"casing snake", "$.names.snake_case~", "", "casing", "{type: snake}", nil},
		{"casing macro", "$.names.MACRO_CASE~", "", "casing", "{type: macro}", nil},
		{"casing cobol", "$.names['COBOL-CASE']~", "", "casing", "{type: cobol}", nil},
		{"casing flat", "$.names.flatcase~", "", "casing", "{type: flat}", nil},
		{"casing flat fails", "$.names.camelCase~", "", "casing", "{type: flat}", []string{`$.names.camelCase: must be flat case`}},
		{"casing disallowDigits", "$.names.camel2Digits~", "", "casing", "{type: camel, disallowDigits: true}", []string{`$.names.camel2Digits: must be camel case`}},
		{"casing digits allowed", "$.names.camel2Digits~", "", "casing", "{type: camel}", nil},
		{"casing separator", "$.names['/leading/slash']~", "", "casing", "{type: flat, separator: {char: /, allowLeading: true}}", nil},
		{"casing separator not leading", "$.names['/leading/slash']~", "", "casing", "{type: flat, separator: {char: /}}", []string{`$.names['/leading/slash']: must be flat case`}},

		// enumeration
		{"enumeration ok", "$", "status", "enumeration", "{values: [pending, done]}", nil},
		{"enumeration fails", "$", "status", "enumeration", "{values: [done, 1]}", []string{`$.status: "pending" must be equal to one of the allowed values: "done", 1`}},
		{"enumeration is strict", "$", "count", "enumeration", `{values: ["42"]}`, []string{`$.count: 42 must be equal to one of the allowed values: "42"`}},

		// length
		{"length string max", "$", "text", "length", "{max: 5}", []string{`$.text: "text" property must be shorter than 5`}},
		{"length string min", "$", "text", "length", "{min: 20}", []string{`$.text: "text" property must be longer than 20`}},
		{"length array", "$", "list", "length", "{min: 1, max: 3}", nil},
		{"length array max", "$", "list", "length", "{max: 2}", []string{`$.list: "list" property must be shorter than 2`}},
		{"length object", "$", "unsorted", "length", "{max: 2}", []string{`$.unsorted: "unsorted" property must be shorter than 2`}},
		{"length number", "$", "count", "length", "{max: 40}", []string{`$.count: "count" property must be shorter than 40`}},
		{"length missing is skipped", "$", "nothing", "length", "{max: 1}", nil},

		// pattern
		{"pattern match", "$", "text", "pattern", "{match: '^hello'}", nil},
		{"pattern no match", "$", "text", "pattern", "{match: '^world'}", []string{`$.text: "hello world" must match the pattern "^world"`}},
		{"pattern notMatch", "$", "text", "pattern", "{notMatch: world}", []string{`$.text: "hello world" must not match the pattern "world"`}},
		{"pattern literal with flags", "$", "text", "pattern", "{match: '/^HELLO/i'}", nil},
		{"pattern both", "$", "text", "pattern", "{match: '^x', notMatch: 'o'}", []string{
			`$.text: "hello world" must match the pattern "^x"`, `$.text: "hello world" must not match the pattern "o"`}},
		{"pattern skips non-strings", "$", "count", "pattern", "{match: x}", nil},

		// schema
		{"schema ok", "$", "list", "schema", "{schema: {type: array, items: {type: integer}}}", nil},
		{"schema type", "$", "text", "schema", "{schema: {type: integer}}", []string{`$.text: "text" property must be integer`}},
		{"schema nested", "$", "people", "schema", "{schema: {type: array, items: {properties: {name: {maxLength: 2}}}}}", []string{`$.people[0].name: "name" property must not have more than 2 characters`}},
		{"schema first error only", "$", "list", "schema", "{schema: {type: array, items: {type: string}}}", []string{`$.list[0]: "0" property must be string`}},
		{"schema allErrors", "$", "list", "schema", "{allErrors: true, schema: {type: array, items: {type: string}}}", []string{
			`$.list[0]: "0" property must be string`, `$.list[1]: "1" property must be string`, `$.list[2]: "2" property must be string`}},
		{"schema required", "$", "one", "schema", "{schema: {required: [a, b]}}", []string{`$.one: "one" property must have required property "b"`}},
		{"schema additionalProperties", "$", "both", "schema", "{schema: {properties: {a: {}}, additionalProperties: false}}", []string{`$.both.b: Property "b" is not expected to be here`}},
		{"schema enum", "$", "status", "schema", "{schema: {enum: [done]}}", []string{`$.status: "status" property must be equal to one of the allowed values: "done"`}},
		{"schema format", "$", "text", "schema", "{schema: {format: email}}", []string{`$.text: "text" property must match format "email"`}},
		{"schema 2020-12 prefixItems", "$", "list", "schema", "{dialect: draft2020-12, schema: {prefixItems: [{type: string}]}}", []string{`$.list[0]: "0" property must be string`}},
		{"schema missing", "$", "nothing", "schema", "{schema: {}}", []string{`$: "nothing" property must exist`}},
		{"schema anyOf", "$", "none", "schema", "{schema: {anyOf: [{required: [a]}, {required: [b]}]}}", []string{`$.none: "none" property must have required property "a"`}},

		// xor and or
		{"xor one", "$", "one", "xor", "{properties: [a, b]}", nil},
		{"xor both", "$", "both", "xor", "{properties: [a, b]}", []string{`$.both: "a" and "b" must not be both defined or both undefined`}},
		{"xor none", "$", "none", "xor", "{properties: [a, b, d]}", []string{`$.none: "a", "b" and "d" must not be both defined or both undefined`}},
		{"or one", "$", "one", "or", "{properties: [a, b]}", nil},
		{"or none", "$", "none", "or", "{properties: [a, b]}", []string{`$.none: "a" or "b" must be defined`}},

		// typedEnum
		{"typedEnum ok", "$.enums.good", "", "typedEnum", "", nil},
		{"typedEnum bad", "$.enums.bad", "", "typedEnum", "", []string{
			`$.enums.bad.enum[1]: Enum value "2" must be "integer".`, `$.enums.bad.enum[2]: Enum value 3.5 must be "integer".`}},
		{"typedEnum nullable", "$.enums.nullable", "", "typedEnum", "", nil},
		{"typedEnum type list", "$.enums.multi", "", "typedEnum", "", []string{`$.enums.multi.enum[2]: Enum value true must be "string,integer".`}},

		// unreferencedReusableObject
		{"unreferenced", "$.components.schemas", "", "unreferencedReusableObject", "{reusableObjectsLocation: '#/components/schemas'}", []string{
			`$.components.schemas.Orphan: Potential orphaned reusable object has been detected`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runFnCase(t, tc) })
	}
}

// TestMessageTemplates checks the placeholders of rule messages.
func TestMessageTemplates(t *testing.T) {
	tests := []struct {
		message string
		want    string
	}{
		{"{{error}}", `"x-empty" property must be truthy`},
		{"{{property}} in {{path}}", `x-empty in #/info/x-empty`},
		{"value {{value}} / #{{print(\"value\")}}", `value  / ""`},
		{"{{description}}!", `Says what it checks.!`},
		{"#{{print(\"property\")}}is bad", `"x-empty" property is bad`},
		{"{{unknown}}|{{ error }}", `|"x-empty" property must be truthy`},
		{"", "Says what it checks."},
	}
	for _, tc := range tests {
		t.Run(tc.message, func(t *testing.T) {
			rules := "rules:\n  t:\n    description: Says what it checks.\n    given: $.info\n    then: {field: x-empty, function: truthy}\n"
			if tc.message != "" {
				rules += "    message: " + quote(tc.message) + "\n"
			}
			rs, err := ParseRuleset("r.yaml", []byte(rules))
			if err != nil {
				t.Fatal(err)
			}
			d, _ := Parse("doc.yaml", []byte(funcDoc))
			fs, err := Lint(context.Background(), d, rs)
			if err != nil || len(fs) != 1 {
				t.Fatalf("%v %v", fs, err)
			}
			if fs[0].Message != tc.want {
				t.Errorf("message %q, want %q", fs[0].Message, tc.want)
			}
		})
	}
}

// TestJSRegex checks the translation of JavaScript regular expressions.
func TestJSRegex(t *testing.T) {
	tests := []struct {
		pattern, input string
		match          bool
		bad            bool
	}{
		{"^a+$", "aaa", true, false},
		{"/^A+$/i", "aaa", true, false},
		{"/^a.b$/s", "a\nb", true, false},
		{"/^b$/m", "a\nb", true, false},
		{"/x/g", "axb", true, false},
		{`\u00e9`, "é", true, false},
		{`^\/api`, "/api/x", true, false},
		{`[^]`, "x", true, false},
		{`(?<year>\d{4})`, "2024", true, false},
		{`a(?=b)`, "", false, true},
		{`(?<!a)b`, "", false, true},
		{`(a)\1`, "", false, true},
		{"/a/q", "", false, true},
		{"[", "", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			re, err := compileJSRegex(tc.pattern)
			if tc.bad {
				if err == nil {
					t.Fatal("compiled")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := re.MatchString(tc.input); got != tc.match {
				t.Errorf("match(%q) = %v", tc.input, got)
			}
		})
	}
}
