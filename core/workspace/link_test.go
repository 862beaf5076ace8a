package workspace

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLinkSaveAndFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	data, err := os.ReadFile(petstore)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "petstore.yaml")
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := Link(ctx, st, "pets", path)
	if err != nil {
		t.Fatal(err)
	}
	if api, _ := st.GetAPI(ctx, "pets"); api.LinkedPath != path || res.API.LinkedPath != path {
		t.Fatalf("not linked: %+v", api)
	}

	changes := make(chan FileChange, 10)
	f := &Follower{Store: st, OnChange: func(c FileChange) { changes <- c }, Debounce: 20 * time.Millisecond, Rescan: time.Hour}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // let the watcher start

	// A save in Gantry is written back, keeps the file's mode, and is not reported back.
	edited := strings.Replace(string(data), "title:", "title: Edited", 1)
	if _, err := SaveLinked(ctx, st, "pets", edited); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != edited {
		t.Fatal("the linked file was not written")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	select {
	case c := <-changes:
		t.Fatalf("Gantry's own save was reported as an outside edit: %+v", c)
	case <-time.After(300 * time.Millisecond):
	}

	// An edit in another editor (write to a temp file, rename over) becomes a revision.
	outside := strings.Replace(edited, "title: Edited", "title: Outside", 1)
	tmp := path + ".swp"
	if err := os.WriteFile(tmp, []byte(outside), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	c := next(t, changes)
	if c.Err != nil || c.Result == nil || c.Text != outside || !strings.Contains(c.Result.Revision.Title, "Outside") {
		t.Fatalf("outside edit: %+v", c)
	}

	// A broken edit is reported with its error; the API keeps its last good revision.
	if err := os.WriteFile(path, []byte("openapi: 3.0.0\npaths: [\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	c = next(t, changes)
	if c.Err == nil || !strings.Contains(c.Text, "paths: [") {
		t.Fatalf("broken edit: %+v", c)
	}
	if rev, _ := st.LatestRevision(ctx, "pets", false); !strings.Contains(rev.Title, "Outside") {
		t.Errorf("newest revision after a broken edit: %q", rev.Title)
	}
	cancel()
	<-done
}

func next(t *testing.T, ch <-chan FileChange) FileChange {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported")
	}
	return FileChange{}
}

// TestFollowReferencedFile: an edit of a file the linked root reaches through a $ref, in
// another folder, imports the spec again too.
func TestFollowReferencedFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "openapi.yaml")
	schema := filepath.Join(dir, "schemas", "pet.yaml")
	const rootDoc = `openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: pets
          content:
            application/json:
              schema: {$ref: "schemas/pet.yaml#/Pet"}
`
	const petDoc = "Pet:\n  type: object\n  properties:\n    name: {type: string}\n"
	if err := os.MkdirAll(filepath.Dir(schema), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root, []byte(rootDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(schema, []byte(petDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Link(ctx, st, "pets", root); err != nil {
		t.Fatal(err)
	}
	changes := make(chan FileChange, 10)
	f := &Follower{Store: st, OnChange: func(c FileChange) { changes <- c }, Debounce: 20 * time.Millisecond, Rescan: time.Hour}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // let the watcher start

	edited := petDoc + "    tag: {type: string}\n"
	if err := os.WriteFile(schema, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	c := next(t, changes)
	if c.Err != nil || c.Result == nil || c.Text != rootDoc {
		t.Fatalf("edit of the referenced file: %+v", c)
	}
	rev, err := st.LatestRevision(ctx, "pets", true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sf := range rev.Files {
		found = found || (sf.Path == "schemas/pet.yaml" && string(sf.Content) == edited)
	}
	if !found {
		t.Errorf("the new revision lacks the edited schemas/pet.yaml: %+v", rev.Files)
	}
	cancel()
	<-done
}
