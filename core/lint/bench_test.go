package lint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

// genSpec writes a realistic OpenAPI 3.0 description with n resources: each has a list and
// a create operation, an item path with get/put/delete, component schemas with examples,
// shared parameters and responses, and $refs between them. 55 resources make about 10,000
// lines.
func genSpec(n int) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("openapi: 3.0.3\ninfo:\n  title: Generated API\n  version: 1.0.0\n")
	w("  description: A generated API used to measure the linter.\n")
	w("  contact:\n    name: API team\n    email: api@example.com\n    url: https://example.com\n")
	w("  license:\n    name: Apache 2.0\n    url: https://www.apache.org/licenses/LICENSE-2.0.html\n")
	w("servers:\n  - url: https://api.example.com/v1\n    description: production\n  - url: https://{region}.example.com/v1\n    description: regional\n    variables:\n      region:\n        default: eu\n        enum: [eu, us]\n")
	w("security:\n  - bearer: []\n")
	w("tags:\n")
	for i := 0; i < n; i++ {
		w("  - name: thing%d\n    description: Things of kind %d.\n", i, i)
	}
	w("paths:\n")
	for i := 0; i < n; i++ {
		w("  /things%d:\n", i)
		w("    get:\n      operationId: listThings%d\n      summary: List things %d\n      description: Lists things of kind %d, newest first.\n      tags: [thing%d]\n", i, i, i, i)
		w("      parameters:\n        - $ref: '#/components/parameters/limit'\n        - $ref: '#/components/parameters/offset'\n")
		w("        - name: status\n          in: query\n          description: Only things in this status.\n          schema:\n            type: string\n            enum: [active, archived]\n")
		w("      responses:\n        '200':\n          description: A page of things.\n          headers:\n            X-Total-Count:\n              description: How many things there are.\n              schema:\n                type: integer\n                format: int32\n")
		w("          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  items:\n                    type: array\n                    maxItems: 100\n                    items:\n                      $ref: '#/components/schemas/Thing%d'\n                  total:\n                    type: integer\n                    format: int32\n                    minimum: 0\n", i)
		w("              example:\n                items:\n                  - id: %d\n                    name: thing-%d\n                    status: active\n                    created: '2024-01-02T03:04:05Z'\n                    tags: [a, b]\n                total: 1\n", i, i)
		w("        '400':\n          $ref: '#/components/responses/BadRequest'\n        default:\n          $ref: '#/components/responses/Error'\n")
		w("    post:\n      operationId: createThing%d\n      summary: Create a thing %d\n      description: Creates a thing of kind %d.\n      tags: [thing%d]\n", i, i, i, i)
		w("      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/Thing%d'\n            examples:\n              simple:\n                summary: A simple thing\n                value:\n                  name: thing-%d\n                  status: active\n                  tags: [x]\n", i, i)
		w("      responses:\n        '201':\n          description: The new thing.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Thing%d'\n        '400':\n          $ref: '#/components/responses/BadRequest'\n        default:\n          $ref: '#/components/responses/Error'\n", i)
		w("  /things%d/{id}:\n    parameters:\n      - $ref: '#/components/parameters/id'\n", i)
		for _, m := range []string{"get", "put", "delete"} {
			w("    %s:\n      operationId: %sThing%d\n      summary: %s thing %d\n      description: Works on one thing of kind %d.\n      tags: [thing%d]\n", m, m, i, m, i, i, i)
			if m == "put" {
				w("      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/Thing%d'\n", i)
			}
			w("      responses:\n")
			if m == "delete" {
				w("        '204':\n          description: Deleted.\n")
			} else {
				w("        '200':\n          description: The thing.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Thing%d'\n", i)
			}
			w("        '404':\n          $ref: '#/components/responses/NotFound'\n        default:\n          $ref: '#/components/responses/Error'\n")
		}
	}
	w("components:\n  securitySchemes:\n    bearer:\n      type: http\n      scheme: bearer\n      bearerFormat: JWT\n      description: A JWT following RFC8725.\n")
	w("  parameters:\n    id:\n      name: id\n      in: path\n      required: true\n      description: The thing's id.\n      schema:\n        type: integer\n        format: int64\n        minimum: 1\n")
	w("    limit:\n      name: limit\n      in: query\n      description: Page size.\n      schema:\n        type: integer\n        format: int32\n        minimum: 1\n        maximum: 100\n        default: 20\n")
	w("    offset:\n      name: offset\n      in: query\n      description: Page start.\n      schema:\n        type: integer\n        format: int32\n        minimum: 0\n        default: 0\n")
	w("  responses:\n")
	for _, r := range []string{"BadRequest", "NotFound", "Error"} {
		w("    %s:\n      description: %s\n      content:\n        application/problem+json:\n          schema:\n            $ref: '#/components/schemas/Problem'\n          example:\n            type: about:blank\n            title: %s\n            status: 400\n", r, r, r)
	}
	w("  schemas:\n    Problem:\n      type: object\n      required: [title]\n      properties:\n        type:\n          type: string\n          format: uri\n        title:\n          type: string\n          maxLength: 200\n        status:\n          type: integer\n          format: int32\n        detail:\n          type: string\n          maxLength: 2000\n")
	for i := 0; i < n; i++ {
		w("    Thing%d:\n      type: object\n      description: A thing of kind %d.\n      required: [name, status]\n      properties:\n", i, i)
		w("        id:\n          type: integer\n          format: int64\n          readOnly: true\n          example: %d\n", i)
		w("        name:\n          type: string\n          maxLength: 64\n          pattern: '^[a-z0-9-]+$'\n          example: thing-%d\n", i)
		w("        status:\n          type: string\n          enum: [active, archived]\n          default: active\n")
		w("        created:\n          type: string\n          format: date-time\n          readOnly: true\n")
		w("        tags:\n          type: array\n          maxItems: 10\n          items:\n            type: string\n            maxLength: 32\n")
		w("        owner:\n          $ref: '#/components/schemas/Owner'\n")
		w("        note:\n          type: string\n          nullable: true\n          maxLength: 500\n")
	}
	w("    Owner:\n      type: object\n      properties:\n        id:\n          type: string\n          format: uuid\n        email:\n          type: string\n          format: email\n          maxLength: 254\n")
	return b.Bytes()
}

// corpusDir is the shared corpus, relative to this package.
const corpusDir = "../../../shared/corpus"

// needCorpus returns the path of a corpus file, skipping the test when it is absent
// (failing instead when CI=true).
func needCorpus(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(corpusDir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus file %s is missing: %v", p, err)
		}
		tb.Skipf("corpus file %s is absent", p)
	}
	return p
}

func TestGenSpecSize(t *testing.T) {
	lines := bytes.Count(genSpec(55), []byte("\n"))
	if lines < 9000 || lines > 11000 {
		t.Fatalf("the generated spec has %d lines, want about 10,000", lines)
	}
}

// benchLint measures what an editor pays per keystroke: parse the text, then lint it.
func benchLint(b *testing.B, data []byte, rs *Ruleset) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse("openapi.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Lint(context.Background(), d, rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLint10k lints a 10,000-line description with spectral:oas.
func BenchmarkLint10k(b *testing.B) {
	benchLint(b, genSpec(55), DefaultRuleset())
}

// BenchmarkLint10kOWASP lints a 10,000-line description with spectral:oas and every OWASP rule.
func BenchmarkLint10kOWASP(b *testing.B) {
	rs, err := ParseRuleset("bench.yaml", []byte("extends: [spectral:oas, [owasp, all]]\n"))
	if err != nil {
		b.Fatal(err)
	}
	benchLint(b, genSpec(55), rs)
}

// BenchmarkLint10kNoParse lints an already parsed 10,000-line description (a new Document
// each time, so nothing is reused but the parse).
func BenchmarkLint10kNoParse(b *testing.B) {
	data := genSpec(55)
	rs := DefaultRuleset()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d, err := Parse("openapi.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Lint(context.Background(), d, rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse10k measures parsing alone.
func BenchmarkParse10k(b *testing.B) {
	data := genSpec(55)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("openapi.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLintDigitalOcean lints the DigitalOcean description (2,850 files) with
// spectral:oas, building the Document from files already in memory each time.
func BenchmarkLintDigitalOcean(b *testing.B) {
	root := needCorpus(b, "digitalocean/DigitalOcean-public.v2.yaml")
	d, err := Load(root)
	if err != nil {
		b.Fatal(err)
	}
	var files []model.SpecFile
	dir := filepath.Dir(root)
	for _, f := range d.Files() {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, model.SpecFile{Path: f, Content: data})
	}
	rs := DefaultRuleset()
	b.ReportAllocs()
	for b.Loop() {
		d, err := NewDocument(d.Root(), files)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Lint(context.Background(), d, rs); err != nil {
			b.Fatal(err)
		}
	}
}
