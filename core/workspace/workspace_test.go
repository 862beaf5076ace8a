package workspace

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"petstore", true}, {"pet-store_2.v1", true}, {"", false}, {"-pets", false},
		{"Pets", false}, {"pets store", false}, {strings.Repeat("a", 65), false}, {strings.Repeat("a", 64), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidName(tt.name); (err == nil) != tt.ok {
				t.Fatalf("ValidName(%q) = %v", tt.name, err)
			}
		})
	}
}

func TestDefaultName(t *testing.T) {
	tests := []struct{ title, path, want string }{
		{"Swagger Petstore", "x.yaml", "swagger-petstore"},
		{"日本語", "specs/billing-api.yaml", "billing-api"},
		{"", "", "api"},
		{strings.Repeat("word ", 20), "", strings.TrimSuffix(strings.Repeat("word-", 12), "-")},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := apidef.DefaultName(tt.title, tt.path)
			if got != tt.want {
				t.Fatalf("DefaultName(%q, %q) = %q, want %q", tt.title, tt.path, got, tt.want)
			}
			if err := ValidName(got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestImportAndDefinition(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	path := petstore
	first, err := Import(ctx, st, path, "", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.API.Name != "swagger-petstore" || !first.Added || first.Revision.Operations != 3 {
		t.Fatalf("first import: %+v %+v", first.API, first.Revision)
	}
	again, err := Import(ctx, st, path, "", spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Added || again.Revision.ID != first.Revision.ID {
		t.Fatalf("unchanged re-import added revision %d", again.Revision.ID)
	}
	def, rev, err := Definition(ctx, st, "swagger-petstore")
	if err != nil {
		t.Fatal(err)
	}
	if rev.ID != first.Revision.ID || len(def.Operations) != 3 || def.BasePath != "/v1" {
		t.Fatalf("definition: rev %d, %d ops, base %q", rev.ID, len(def.Operations), def.BasePath)
	}
	if _, _, err := Definition(ctx, st, "nope"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "gantry apis list") {
		t.Fatalf("unknown API: %v", err)
	}
}

func TestResolve(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	path := petstore
	for _, name := range []string{"digitalocean-api", "shop-v1", "shop-v2", "shop"} {
		if _, err := Import(ctx, st, path, name, spec.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		arg, want string
		ok        bool
	}{
		{"digitalocean-api", "digitalocean-api", true},
		{"digitalocean", "digitalocean-api", true},
		{"shop", "shop", true}, // an exact name wins over prefixes
		{"shop-v", "", false},  // only whole words: "shop-v-..." would be needed
		{"digital", "", false},
		{"nothing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := Resolve(ctx, st, tt.arg)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("Resolve(%q) = %q, %v", tt.arg, got, err)
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("error does not wrap ErrNotFound: %v", err)
			}
		})
	}
	if err := st.DeleteAPI(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(ctx, st, "shop"); err == nil || !strings.Contains(err.Error(), "shop-v1, shop-v2") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
}

// petstore is a small spec that imports cleanly.
var petstore = filepath.Join("..", "spec", "testdata", "petstore.good.yaml")

// openStore opens a workspace in a temporary folder, closed when the test ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "ws.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
