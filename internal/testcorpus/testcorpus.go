// Package testcorpus locates the shared corpus of real OpenAPI descriptions for tests.
// The corpus lives beside the repository (../shared/corpus from the repository root).
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the repository root: the nearest parent folder holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Dir returns the corpus folder. Outside CI a missing corpus skips the test; with CI=true it
// fails it, so that CI never passes without having run the corpus tests.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing at %s (CI=true): %v", dir, err)
		}
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// File returns the path of one corpus file, such as "oai/petstore.yaml".
func File(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(Dir(t), filepath.FromSlash(rel))
}

// Specs lists the root documents of the corpus, relative to Dir.
var Specs = []string{
	"oai/petstore.yaml",
	"oai/petstore-expanded.yaml",
	"oai/uspto.yaml",
	"oai/api-with-examples.yaml",
	"oai/callback-example.yaml",
	"oai/link-example.yaml",
	"museum/openapi.yaml",
	"digitalocean/DigitalOcean-public.v2.yaml",
}
