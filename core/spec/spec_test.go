package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/internal/testcorpus"
)

// checkRefs fails the test when a Schema.Ref or discriminator mapping in def does not resolve.
func checkRefs(t *testing.T, def *apidef.Definition) {
	t.Helper()
	seen := map[*apidef.Schema]bool{}
	var walk func(s *apidef.Schema)
	walk = func(s *apidef.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Ref != "" {
			if _, ok := def.Schemas[s.RefName()]; !ok {
				t.Errorf("dangling ref %q", s.Ref)
			}
		}
		walk(s.Items)
		walk(s.AdditionalProperties)
		walk(s.Not)
		for _, l := range [][]*apidef.Schema{s.PrefixItems, s.AllOf, s.OneOf, s.AnyOf} {
			for _, x := range l {
				walk(x)
			}
		}
		for _, p := range s.Properties {
			walk(p)
		}
		if s.Discriminator != nil {
			for _, m := range s.Discriminator.Mapping {
				if _, ok := def.Schemas[strings.TrimPrefix(m, apidef.SchemaRefPrefix)]; !ok {
					t.Errorf("dangling discriminator mapping %q", m)
				}
			}
		}
	}
	for _, s := range def.Schemas {
		walk(s)
	}
	for _, op := range def.Operations {
		for _, p := range op.Parameters {
			walk(p.Schema)
		}
		if op.RequestBody != nil {
			for _, mt := range op.RequestBody.Content {
				walk(mt.Schema)
			}
		}
		for _, r := range op.Responses {
			for _, h := range r.Headers {
				walk(h.Schema)
			}
			for _, mt := range r.Content {
				walk(mt.Schema)
			}
		}
	}
}

// checkRoundTrip fails the test when def does not survive json.Marshal → Unmarshal unchanged.
func checkRoundTrip(t *testing.T, def *apidef.Definition) {
	t.Helper()
	b, err := json.Marshal(def)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back apidef.Definition
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(normalise(t, def), normalise(t, &back)) {
		t.Errorf("definition does not round-trip through JSON")
	}
}

// normalise re-encodes d so that equal JSON values compare equal (RawMessage spacing).
func normalise(t *testing.T, d *apidef.Definition) any {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// readDir returns every file under dir as stored spec files.
func readDir(t *testing.T, dir string) []model.SpecFile {
	t.Helper()
	var files []model.SpecFile
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, model.SpecFile{Path: filepath.ToSlash(rel), Content: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGoodFixtures(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		ops      int
		version  string
		basePath string
		files    int
		warnings []string // substrings that must appear among the warnings; nil means none allowed
	}{
		{name: "petstore", file: "petstore.good.yaml", ops: 3, version: "3.0.0", basePath: "/v1", files: 1},
		{name: "petstore-expanded", file: "petstore-expanded.good.yaml", ops: 4, version: "3.0.0", basePath: "/v2", files: 1},
		{name: "uspto", file: "uspto.good.yaml", ops: 3, version: "3.0.1", files: 1},
		{name: "api-with-examples", file: "api-with-examples.good.yaml", ops: 2, version: "3.0.0", files: 1},
		{name: "callback-example", file: "callback-example.good.yaml", ops: 1, version: "3.0.0", files: 1},
		{name: "link-example", file: "link-example.good.yaml", ops: 6, version: "3.0.0", files: 1},
		{name: "museum", file: "museum.good.yaml", ops: 8, version: "3.1.0", files: 1},
		{name: "swagger", file: "swagger.good.yaml", ops: 4, version: "2.0", basePath: "/v2", files: 1},
		{name: "oas31", file: "oas31.good.yaml", ops: 1, version: "3.1.0", basePath: "/v1", files: 1},
		{name: "multi-file", file: "multi/openapi.yaml", ops: 2, version: "3.0.3", basePath: "/api/v3", files: 7},
		{name: "invalid example", file: "badexample.good.yaml", ops: 1, version: "3.0.3", files: 1,
			warnings: []string{`badexample.good.yaml:20:17: warning: example "wrong" of GET /pets 200 application/json does not match its schema: at '/id'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warns, err := Load(filepath.Join("testdata", tt.file), Options{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			d := s.Definition
			if got := len(d.Operations); got != tt.ops {
				t.Errorf("operations = %d, want %d", got, tt.ops)
			}
			if d.SpecVersion != tt.version {
				t.Errorf("specVersion = %q, want %q", d.SpecVersion, tt.version)
			}
			if tt.basePath != "" && d.BasePath != tt.basePath {
				t.Errorf("basePath = %q, want %q", d.BasePath, tt.basePath)
			}
			if len(s.Files) != tt.files {
				t.Errorf("files = %d, want %d", len(s.Files), tt.files)
			}
			var all []string
			for _, w := range warns {
				all = append(all, w.String())
			}
			for _, want := range tt.warnings {
				if !strings.Contains(strings.Join(all, "\n"), want) {
					t.Errorf("no warning containing %q in:\n%s", want, strings.Join(all, "\n"))
				}
			}
			if tt.warnings == nil && len(warns) > 0 {
				t.Errorf("unexpected warnings:\n%s", strings.Join(all, "\n"))
			}
			checkRefs(t, d)
			checkRoundTrip(t, d)

			// LoadFiles over the same files gives the same Definition and Hash.
			s2, _, err := LoadFiles(s.Root, s.Files, Options{})
			if err != nil {
				t.Fatalf("LoadFiles: %v", err)
			}
			if s2.Hash != s.Hash {
				t.Errorf("LoadFiles hash %s != Load hash %s", s2.Hash, s.Hash)
			}
			if !reflect.DeepEqual(s2.Definition, s.Definition) {
				t.Errorf("LoadFiles definition differs from Load's")
			}
		})
	}
}

func TestSwaggerConversion(t *testing.T) {
	s, _, err := Load("testdata/swagger.good.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Definition
	ops := map[string]*apidef.Operation{}
	for _, op := range d.Operations {
		ops[op.Method+" "+op.Path] = op
	}
	upload := ops["POST /pets/{petId}/uploadImage"].RequestBody.Content[0]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"servers", d.Servers, []string{"https://petstore.example.com/v2"}},
		{"basic scheme", *d.SecuritySchemes["basicAuth"], apidef.SecurityScheme{Type: "http", Scheme: "basic"}},
		{"apiKey scheme", *d.SecuritySchemes["api_key"], apidef.SecurityScheme{Type: "apiKey", Name: "api_key", In: "header"}},
		{"oauth2 scheme", d.SecuritySchemes["petstore_auth"].Type, "oauth2"},
		{"body media types", len(ops["POST /pets"].RequestBody.Content), 1},
		{"body schema", ops["POST /pets"].RequestBody.Content[0].Schema.Ref, "#/components/schemas/Pet"},
		{"path-level param merged", ops["POST /pets"].Parameters[0].Name, "trace"},
		{"response produces", len(ops["POST /pets"].Responses[0].Content), 2},
		{"response example", string(ops["POST /pets"].Responses[0].Content[0].Example.Value), `{"id":1,"name":"Rex"}`},
		{"response header", ops["POST /pets"].Responses[0].Headers[0].Schema.Type, []string{"integer"}},
		{"multipart form", upload.Type, "multipart/form-data"},
		{"file param", upload.Schema.Properties["file"].Format, "binary"},
		{"form required", upload.Schema.Required, []string{"file"}},
		{"urlencoded form", ops["POST /pets/{petId}"].RequestBody.Content[0].Type, "application/x-www-form-urlencoded"},
		{"x-nullable", d.Schemas["Pet"].Properties["tag"].Type, []string{"string", "null"}},
		{"exclusiveMaximum", *ops["GET /pets"].Parameters[2].Schema.ExclusiveMaximum, 100.0},
		{"empty security declared", ops["GET /pets"].SecurityDeclared && len(ops["GET /pets"].Security) == 0, true},
		{"doc security", d.EffectiveSecurity(ops["POST /pets"]), []apidef.SecurityRequirement{{"api_key": {}}}},
		{"property order", d.Schemas["Pet"].PropertyOrder, []string{"id", "name", "tag", "category"}},
		{"schema example", string(d.Schemas["Pet"].Properties["name"].Examples[0]), `"doggie"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestOpenAPI31(t *testing.T) {
	s, _, err := Load("testdata/oas31.good.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Definition
	thing := d.Schemas["Thing"]
	mt := d.Operations[0].Responses[0].Content[0]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"server variables", d.Servers, []string{"https://api.example.com/v1/"}},
		{"type array", thing.Properties["label"].Type, []string{"string", "null"}},
		{"const", string(thing.Properties["kind"].Const), `"thing"`},
		{"prefixItems", len(thing.Properties["point"].PrefixItems), 2},
		{"items false", *thing.Properties["point"].Items.Bool, false},
		{"numeric exclusiveMinimum", *thing.Properties["size"].ExclusiveMinimum, 0.0},
		{"ref with sibling", mt.Schema.Ref + " | " + mt.Schema.Description, "#/components/schemas/Thing | a thing, with a sibling"},
		{"named examples", len(mt.Examples), 2},
		{"example $ref", string(mt.Examples[1].Value), `{"kind":"thing","point":[2,"b"]}`},
		{"examples valid", mt.Examples[0].Invalid + mt.Examples[1].Invalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestMultiFile(t *testing.T) {
	s, _, err := Load("testdata/multi/openapi.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Definition
	if s.Files[0].Path != "openapi.yaml" || s.Root != "openapi.yaml" {
		t.Errorf("root = %q, first file %q", s.Root, s.Files[0].Path)
	}
	op := d.Operations[0]
	if op.ID != "listNodes" || op.Source.File != "ops/list-nodes.yaml" || op.Source.Line != 1 {
		t.Errorf("operation-level $ref: got %s at %s", op.ID, op.Source)
	}
	if got := d.Schemas["Node"].Properties["children"].Items.Ref; got != "#/components/schemas/Node" {
		t.Errorf("circular ref across files: items ref = %q", got)
	}
	if got := d.Schemas["Tree"].Type; !reflect.DeepEqual(got, []string{"object", "null"}) {
		t.Errorf("nullable: %v", got)
	}
	pet := d.Schemas["pet"]
	if pet == nil || pet.Discriminator == nil || pet.Discriminator.Mapping["cat"] != "#/components/schemas/cat" {
		t.Fatalf("discriminator mapping to a file: %+v", pet)
	}
	if pet.OneOf[0].Ref != pet.Discriminator.Mapping["cat"] {
		t.Errorf("mapping and oneOf name different schemas: %q vs %q", pet.OneOf[0].Ref, pet.Discriminator.Mapping["cat"])
	}
	if ex := op.Responses[0].Content[0].Example; ex == nil || ex.Invalid != "" || ex.Source.File != "ops/list-nodes.yaml" {
		t.Errorf("example: %+v", ex)
	}
	// Names are stable across runs.
	again, _, err := LoadFiles("openapi.yaml", readDir(t, "testdata/multi"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Definition.SortedSchemaNames(), d.SortedSchemaNames()) || again.Hash != s.Hash {
		t.Errorf("second import differs: %v vs %v", again.Definition.SortedSchemaNames(), d.SortedSchemaNames())
	}
}

func TestBadFixtures(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // must appear in the error message
	}{
		{"syntax error", "syntax.bad.yaml", "syntax.bad.yaml:9:1: error: syntax error"},
		{"dangling ref", "dangling.bad.yaml", `dangling.bad.yaml:14:23: error: unresolvable reference "#/components/schemas/Missing"`},
		{"missing version", "noversion.bad.yaml", "noversion.bad.yaml:1:1: error: no `openapi` or `swagger` version field"},
		{"duplicate key", "duplicate.bad.yaml", `duplicate.bad.yaml:12:7: error: duplicate key "summary" (first defined at line 11)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := Load(filepath.Join("testdata", tt.file), Options{})
			if err == nil || s != nil {
				t.Fatalf("Load succeeded, want an error")
			}
			e, ok := AsError(err)
			if !ok || len(e.Problems) == 0 {
				t.Fatalf("error %v is not an *Error with problems", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestRemoteRefsOff(t *testing.T) {
	doc := []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: 'https://example.invalid/s.yaml'\n")
	_, _, err := Parse("remote.yaml", doc)
	if err == nil || !strings.Contains(err.Error(), "remote.yaml:12:") || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("got %v, want a positioned 'not allowed' error", err)
	}
}

func TestCorpus(t *testing.T) {
	want := map[string]int{
		"oai/petstore.yaml":                        3,
		"oai/petstore-expanded.yaml":               4,
		"oai/uspto.yaml":                           3,
		"oai/api-with-examples.yaml":               2,
		"oai/callback-example.yaml":                1,
		"oai/link-example.yaml":                    6,
		"museum/openapi.yaml":                      8,
		"digitalocean/DigitalOcean-public.v2.yaml": 659,
	}
	for _, rel := range testcorpus.Specs {
		t.Run(rel, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(rel, "digitalocean/") {
				t.Skip("large spec in -short mode")
			}
			s, _, err := Load(testcorpus.File(t, rel), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := want[rel]; ok && len(s.Definition.Operations) != n {
				t.Errorf("operations = %d, want %d", len(s.Definition.Operations), n)
			}
			checkRefs(t, s.Definition)
			checkRoundTrip(t, s.Definition)
		})
	}
}

func TestBundle(t *testing.T) {
	out, err := Bundle("openapi.yaml", readDir(t, "testdata/multi"))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := Parse("bundled.yaml", out)
	if err != nil {
		t.Fatalf("bundled document does not load: %v\n%s", err, out)
	}
	if len(s.Definition.Operations) != 2 {
		t.Errorf("bundled operations = %d, want 2", len(s.Definition.Operations))
	}
}

func FuzzParse(f *testing.F) {
	matches, _ := filepath.Glob("testdata/*.yaml")
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Parse("fuzz.yaml", data)
		if err == nil && s == nil {
			t.Fatal("nil spec without error")
		}
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("error is not *Error: %v", err)
			}
			return
		}
		if _, err := json.Marshal(s.Definition); err != nil {
			t.Fatalf("definition does not marshal: %v", err)
		}
	})
}

func TestBundleDigitalOcean(t *testing.T) {
	if testing.Short() {
		t.Skip("large spec in -short mode")
	}
	s, _, err := Load(testcorpus.File(t, "digitalocean/DigitalOcean-public.v2.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Bundle(s.Root, s.Files)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Parse("bundled.yaml", out)
	if err != nil {
		t.Fatalf("bundled document does not load: %v", err)
	}
	if n := len(b.Definition.Operations); n != 659 {
		t.Errorf("bundled operations = %d, want 659", n)
	}
	checkRefs(t, b.Definition)
}
