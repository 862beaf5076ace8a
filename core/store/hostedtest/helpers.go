package hostedtest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
)

// alice is the actor of most changes.
var alice = store.Actor{Name: "alice", SourceIP: "192.0.2.10"}

// bundle builds a two-file bundle whose content depends on version.
func bundle(version string) *store.Bundle {
	return &store.Bundle{
		Root: "openapi.yaml",
		Files: []model.SpecFile{
			{Path: "openapi.yaml", Content: []byte("openapi: 3.1.0\ninfo: {title: Pets, version: '" + version + "'}\npaths: {}\n")},
			{Path: "schemas/pet.yaml", Content: []byte{0, 1, 2, 0xff, '\n'}},
		},
		Settings: store.APISettings{
			BasePath: "/pets",
			Upstream: json.RawMessage(`{ "targets": [ "http://127.0.0.1:1" ] }`),
			Policies: []model.PolicyConfig{{Name: "rateLimit", Settings: json.RawMessage(`{"limit": 10}`)}},
		},
	}
}

func mustCatalog(t *testing.T, s store.HostedStore, name string) *store.Catalog {
	t.Helper()
	c, err := s.CreateCatalog(t.Context(), store.CreateCatalogInput{Name: name, BaseURL: "https://" + name + ".example.com", Actor: alice})
	if err != nil {
		t.Fatalf("CreateCatalog(%q): %v", name, err)
	}
	return c
}

func mustPublish(t *testing.T, s store.HostedStore, catalog, api string, base int64, b *store.Bundle) *store.Revision {
	t.Helper()
	r, created, err := s.Publish(t.Context(), store.PublishInput{Catalog: catalog, API: api, BaseRevision: base, Bundle: b, Actor: alice})
	if err != nil {
		t.Fatalf("Publish(%s/%s, base %d): %v", catalog, api, base, err)
	}
	if !created {
		t.Fatalf("Publish(%s/%s, base %d): not created", catalog, api, base)
	}
	return r
}

func auditCount(t *testing.T, s store.HostedStore) int {
	t.Helper()
	recs, err := s.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	return len(recs)
}

func checkBundle(t *testing.T, what string, got, want *store.Bundle) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no bundle", what)
	}
	if got.Root != want.Root || len(got.Files) != len(want.Files) {
		t.Fatalf("%s: root %q with %d files, want %q with %d", what, got.Root, len(got.Files), want.Root, len(want.Files))
	}
	for i := range want.Files {
		if got.Files[i].Path != want.Files[i].Path || !bytes.Equal(got.Files[i].Content, want.Files[i].Content) {
			t.Errorf("%s: file %d = %q %q, want %q %q", what, i, got.Files[i].Path, got.Files[i].Content, want.Files[i].Path, want.Files[i].Content)
		}
	}
	gh, err := got.Hash()
	if err != nil {
		t.Fatal(err)
	}
	wh, _ := want.Hash()
	if gh != wh {
		t.Errorf("%s: bundle hash changed in the store (settings %+v)", what, got.Settings)
	}
}

func key(s string) string { return secret.Hash("key-" + s) }
