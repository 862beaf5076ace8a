package breaking

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

const root = `openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, required: false, schema: {type: integer}}
      responses:
        "200":
          description: pets
          content:
            application/json:
              schema: {type: array, items: {$ref: "schemas/pet.yaml#/Pet"}}
  /pets/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        "200":
          description: a pet
          content:
            application/json:
              schema: {$ref: "schemas/pet.yaml#/Pet"}
    delete:
      operationId: deletePet
      responses:
        "204": {description: deleted}
`

const pet = `Pet:
  type: object
  required: [id, name]
  properties:
    id: {type: string}
    name: {type: string}
`

func spec(rootDoc, petDoc string) Spec {
	return Spec{Root: "openapi.yaml", Files: []model.SpecFile{
		{Path: "openapi.yaml", Content: []byte(rootDoc)},
		{Path: "schemas/pet.yaml", Content: []byte(petDoc)},
	}}
}

func TestCompare(t *testing.T) {
	base := spec(root, pet)
	tests := []struct {
		name         string
		revision     Spec
		wantBreaking []string // IDs that must be reported as breaking
		wantNone     bool     // no breaking change at all
		wantPath     string   // path of the first breaking change
	}{
		{
			name:     "identical",
			revision: spec(root, pet),
			wantNone: true,
		},
		{
			name: "operation removed",
			revision: spec(strings.Replace(root, `    delete:
      operationId: deletePet
      responses:
        "204": {description: deleted}
`, "", 1), pet),
			wantBreaking: []string{"api-removed-without-deprecation"},
			wantPath:     "/pets/{id}",
		},
		{
			name:         "query parameter became required",
			revision:     spec(strings.Replace(root, "required: false", "required: true", 1), pet),
			wantBreaking: []string{"request-parameter-became-required"},
			wantPath:     "/pets",
		},
		{
			name:     "optional response field added in a referenced file",
			revision: spec(root, pet+"    tag: {type: string}\n"),
			wantNone: true,
		},
		{
			name:         "response property removed in a referenced file",
			revision:     spec(root, strings.Replace(strings.Replace(pet, "    name: {type: string}\n", "", 1), "[id, name]", "[id]", 1)),
			wantBreaking: []string{"response-required-property-removed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := Compare(base, tt.revision)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for i, c := range changes {
				if c.Breaking {
					ids[c.ID] = true
					if i > 0 && !changes[i-1].Breaking {
						t.Errorf("breaking change %d listed after a non-breaking one", i)
					}
				}
				if c.Text == "" || c.Level == "" {
					t.Errorf("change without text or level: %+v", c)
				}
			}
			if tt.wantNone && Count(changes) != 0 {
				t.Fatalf("breaking changes reported: %+v", changes)
			}
			for _, id := range tt.wantBreaking {
				if !ids[id] {
					t.Errorf("%s not reported as breaking; got %+v", id, changes)
				}
			}
			if tt.wantPath != "" && (len(changes) == 0 || changes[0].Path != tt.wantPath) {
				t.Errorf("first change %+v, want path %s", changes, tt.wantPath)
			}
		})
	}
}

func TestCompareLocation(t *testing.T) {
	changes, err := Compare(spec(root, pet), spec(strings.Replace(root, "required: false", "required: true", 1), pet))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 || !strings.HasPrefix(changes[0].Location, "openapi.yaml:") {
		t.Errorf("location of %+v, want openapi.yaml:LINE:COL", changes)
	}
}

// swagger2 is a Swagger 2.0 petstore split over two files.
const swagger2 = `swagger: "2.0"
info: {title: Pets, version: "1.0"}
basePath: /v1
paths:
  /pets:
    get:
      operationId: listPets
      produces: [application/json]
      parameters:
        - {name: limit, in: query, required: false, type: integer}
      responses:
        "200":
          description: pets
          schema: {type: array, items: {$ref: "definitions.yaml#/Pet"}}
  /pets/{id}:
    get:
      operationId: getPet
      produces: [application/json]
      parameters:
        - {name: id, in: path, required: true, type: string}
      responses:
        "200": {description: a pet, schema: {$ref: "definitions.yaml#/Pet"}}
`

// TestCompareSwagger2 compares Swagger 2.0 specs (converted to OpenAPI 3) with each other
// and with an OpenAPI 3 successor.
func TestCompareSwagger2(t *testing.T) {
	sw := func(doc string) Spec {
		return Spec{Root: "swagger.yaml", Files: []model.SpecFile{
			{Path: "swagger.yaml", Content: []byte(doc)}, {Path: "definitions.yaml", Content: []byte(pet)}}}
	}
	tests := []struct {
		name         string
		base, rev    Spec
		wantBreaking []string // texts the breaking changes must include, in any order
	}{
		{"unchanged", sw(swagger2), sw(swagger2), nil},
		{"query parameter becomes required", sw(swagger2), sw(strings.Replace(swagger2, "in: query, required: false", "in: query, required: true", 1)), []string{"limit"}},
		{"operation removed", sw(swagger2), sw(swagger2[:strings.Index(swagger2, "  /pets/{id}:")]), []string{"removed"}},
		{"to OpenAPI 3 without the get of one pet", sw(swagger2), spec(strings.Replace(strings.Replace(root, "    get:\n      operationId: getPet", "    put:\n      operationId: putPet", 1), "paths:", "servers: [{url: /v1}]\npaths:", 1), pet), []string{"removed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := Compare(tt.base, tt.rev)
			if err != nil {
				t.Fatal(err)
			}
			var breaking []string
			for _, c := range changes {
				if c.Breaking {
					breaking = append(breaking, c.Operation+" "+c.Path+": "+c.Text)
				}
			}
			if len(breaking) == 0 && len(tt.wantBreaking) > 0 || len(breaking) > 0 && len(tt.wantBreaking) == 0 {
				t.Fatalf("breaking changes %q, want some naming %q", breaking, tt.wantBreaking)
			}
			all := strings.Join(breaking, "\n")
			for _, w := range tt.wantBreaking {
				if !strings.Contains(all, w) {
					t.Errorf("breaking changes %q lack %q", breaking, w)
				}
			}
		})
	}
}

func TestCompareErrors(t *testing.T) {
	tests := []struct {
		name    string
		base    Spec
		want    error
		wantMsg string
	}{
		{"missing referenced file", Spec{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(root)}}}, nil, "no such file"},
		{"root not among files", Spec{Root: "x.yaml", Files: spec(root, pet).Files}, nil, "not among the files"},
		{"broken swagger 2.0", Spec{Root: "s.yaml", Files: []model.SpecFile{{Path: "s.yaml", Content: []byte("swagger: \"2.0\"\ninfo: {title: x, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {$ref: 'missing.yaml'}}}}\n")}}}, nil, "missing.yaml"},
		{"remote reference", Spec{Root: "r.yaml", Files: []model.SpecFile{{Path: "r.yaml", Content: []byte(strings.Replace(root, "schemas/pet.yaml", "http://example.com/pet.yaml", 1))}}}, nil, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(tt.base, spec(root, pet))
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

// corpusSpec reads a root document and every YAML and JSON file below its folder.
func corpusSpec(b *testing.B, root string) Spec {
	dir := filepath.Dir(root)
	s := Spec{Root: filepath.Base(root)}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s.Files = append(s.Files, model.SpecFile{Path: filepath.ToSlash(rel), Content: data})
		return nil
	})
	if err != nil {
		b.Skipf("corpus spec not available: %v", err)
	}
	return s
}

func BenchmarkComparePetstore(b *testing.B) {
	s := spec(root, pet)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(s, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareCorpus diffs a large multi-file spec against itself; GANTRY_BENCH_SPEC
// names its root document (every file below its folder is loaded).
func BenchmarkCompareCorpus(b *testing.B) {
	p := os.Getenv("GANTRY_BENCH_SPEC")
	if p == "" {
		b.Skip("set GANTRY_BENCH_SPEC to a spec file to run")
	}
	s := corpusSpec(b, p)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(s, s); err != nil {
			b.Fatal(err)
		}
	}
}
