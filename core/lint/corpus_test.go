package lint

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// allRules enables every rule of both built-in rulesets.
const allRules = "extends: [[spectral:oas, all], [owasp, all]]\n"

// lintFile lints a file with every built-in rule and fails the test on any error.
func lintFile(t *testing.T, path string) []Finding {
	t.Helper()
	rs, err := ParseRuleset("all.yaml", []byte(allRules))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fs, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, f := range fs {
		if f.Line < 1 || f.Column < 1 || f.File == "" || !strings.HasPrefix(f.Path, "$") || f.Message == "" {
			t.Errorf("%s: malformed finding %+v", path, f)
		}
	}
	return fs
}

// want is a finding expected at a position.
type want struct {
	file, rule string
	line, col  int
	contains   string
}

func checkWant(t *testing.T, fs []Finding, ws []want) {
	t.Helper()
	for _, w := range ws {
		found := false
		for _, f := range fs {
			if f.File == w.file && f.Rule == w.rule && f.Line == w.line && f.Column == w.col && strings.Contains(f.Message, w.contains) {
				found = true
				break
			}
		}
		if !found {
			var near []string
			for _, f := range fs {
				if f.Rule == w.rule {
					near = append(near, f.String())
				}
			}
			t.Errorf("no %s at %s:%d:%d containing %q; %s findings:\n%s", w.rule, w.file, w.line, w.col, w.contains, w.rule, strings.Join(near, "\n"))
		}
	}
}

// TestCorpusCopies lints the copies of public examples kept in testdata and checks known
// findings appear where they should.
func TestCorpusCopies(t *testing.T) {
	known := map[string][]want{
		"petstore.yaml": {
			{"petstore.yaml", "operation-description", 11, 5, "description"},
			{"petstore.yaml", "operation-tag-defined", 15, 11, "global tags"},
			{"petstore.yaml", "owasp:api8:2023-no-server-http", 8, 10, "http://"},
		},
		"petstore-expanded.yaml": {
			{"petstore-expanded.yaml", "operation-operationId-valid-in-url", 83, 20, "operationId"},
			{"petstore-expanded.yaml", "operation-tags", 18, 5, "tags"},
		},
		"uspto.yaml": {
			{"uspto.yaml", "operation-description", 35, 5, "description"},
		},
		"museum.yaml": {
			{"museum.yaml", "openapi-tags-alphabetical", 694, 1, "alphabetical"},
			{"museum.yaml", "owasp:api2:2023-no-http-basic", 421, 15, "HTTP Basic"},
		},
		"callback-example.yaml": {
			{"callback-example.yaml", "operation-operationId", 7, 5, "operationId"},
		},
	}
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	if len(files) < 7 {
		t.Fatalf("only %d corpus copies", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fs := lintFile(t, f)
			checkWant(t, fs, known[filepath.Base(f)])
		})
	}
}

// TestFixtures checks findings in the multi-file and Swagger fixtures, including findings
// in referenced files and in resolved ($ref-followed) views.
func TestFixtures(t *testing.T) {
	fs := lintFile(t, "testdata/lint/multi/openapi.yaml")
	checkWant(t, fs, []want{
		{"paths/pets.yaml", "operation-description", 1, 1, "description"},
		{"paths/pets.yaml", "oas3-valid-media-example", 16, 19, `"id" property must be integer`},
		{"schemas/pet.yaml", "typed-enum", 11, 22, `Enum value 7 must be "string".`},
		{"openapi.yaml", "invalid-ref", 41, 13, "schemas/nowhere.yaml"},
		{"openapi.yaml", "oas3-unused-component", 38, 5, "unused"},
		{"openapi.yaml", "oas3-parameter-description", 22, 11, "description"},
	})
	for _, f := range fs {
		if f.Rule == "oas3-valid-media-example" && strings.Contains(f.Message, `"id"`) && f.File == "paths/pets.yaml" && f.Line != 16 {
			t.Errorf("readOnly id reported in a request: %v", f)
		}
	}
	fs = lintFile(t, "testdata/lint/swagger.yaml")
	checkWant(t, fs, []want{
		{"swagger.yaml", "oas2-host-trailing-slash", 5, 7, "trailing slash"},
		{"swagger.yaml", "path-keys-no-trailing-slash", 9, 3, "slash"},
		{"swagger.yaml", "operation-parameters", 17, 11, `same combination of "name" and "in"`},
		{"swagger.yaml", "path-params", 30, 11, `"required" property that is set to "true"`},
		{"swagger.yaml", "oas2-schema", 30, 11, `must have required property "required"`},
		{"swagger.yaml", "oas2-operation-security-defined", 28, 19, `"write" must be listed among scopes`},
		{"swagger.yaml", "oas2-valid-media-example", 40, 21, `"name" property must be string`},
		{"swagger.yaml", "oas2-discriminator", 42, 3, "required property list"},
		{"swagger.yaml", "oas2-discriminator", 45, 5, "defined in this schema"},
		{"swagger.yaml", "oas2-anyOf", 49, 9, "anyOf"},
		{"swagger.yaml", "oas2-unused-definition", 52, 3, "unused"},
		{"swagger.yaml", "oas2-valid-schema-example", 54, 14, `"default" property must be string`},
		{"swagger.yaml", "owasp:api8:2023-no-scheme-http", 6, 11, "http"},
	})
	fs = lintFile(t, "testdata/lint/circular.yaml")
	for _, f := range fs {
		if f.Rule == "invalid-ref" {
			t.Errorf("circular references reported as invalid: %v", f)
		}
	}
}

// TestSharedCorpus lints every description of the shared corpus (when it is there).
func TestSharedCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "oai", "*.yaml"))
	files = append(files, filepath.Join(corpusDir, "museum", "openapi.yaml"))
	if len(files) == 1 {
		needCorpus(t, "oai/petstore.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			needCorpus(t, strings.TrimPrefix(filepath.ToSlash(f), corpusDir+"/"))
			lintFile(t, f)
		})
	}
}

// TestDigitalOcean lints the multi-file DigitalOcean description: findings land in the
// files that hold the nodes, at the right lines.
func TestDigitalOcean(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	root := needCorpus(t, "digitalocean/DigitalOcean-public.v2.yaml")
	fs := lintFile(t, root)
	byFile := map[string]int{}
	for _, f := range fs {
		byFile[f.File]++
	}
	if len(byFile) < 100 {
		t.Errorf("findings in only %d files", len(byFile))
	}
	checkWant(t, fs, []want{
		{"DigitalOcean-public.v2.yaml", "info-description", 6, 16, "description"},
		{"DigitalOcean-public.v2.yaml", "owasp:api9:2023-inventory-access", 17, 5, "x-internal"},
		{"resources/1-clicks/models/oneClicks.yml", "owasp:api4:2023-string-limit", 4, 3, "maxLength"},
	})
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.Rule]++
	}
	if counts["invalid-ref"] != 0 {
		t.Errorf("%d invalid refs in a description whose refs all resolve", counts["invalid-ref"])
	}
	t.Log(fmt.Sprint(counts))
}
