package workspace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
)

func TestCreateOpenCheckSave(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for _, tc := range []struct {
		name, api, template, wantErr string
	}{
		{name: "blank", api: "orders", template: "blank"},
		{name: "petstore", api: "pets", template: "petstore"},
		{name: "duplicate", api: "orders", template: "blank", wantErr: "already exists"},
		{name: "unknown template", api: "x", template: "nope", wantErr: "unknown template"},
		{name: "bad name", api: "Bad Name", template: "blank", wantErr: "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Create(ctx, st, tc.api, tc.template)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.API.Name != tc.api || res.Revision.Operations == 0 {
				t.Errorf("created %+v", res.Revision)
			}
		})
	}

	doc, err := Open(ctx, st, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Text, "getHealth") || doc.Root == "" || len(doc.Files) != 1 {
		t.Fatalf("document %+v", doc)
	}

	// A broken edit is reported with its position and stores nothing.
	broken := strings.Replace(doc.Text, "paths:", "paths: [oops", 1)
	if _, _, err := Check(ctx, st, "orders", broken); err == nil {
		t.Fatal("Check accepted a broken document")
	} else if se, ok := spec.AsError(err); !ok || len(se.Problems) == 0 || se.Problems[0].Location.Line == 0 {
		t.Fatalf("err = %v, want problems with a line", err)
	}
	if _, err := Save(ctx, st, "orders", broken); err == nil {
		t.Fatal("Save stored a broken document")
	}
	revs, _ := st.ListRevisions(ctx, "orders")
	if len(revs) != 1 {
		t.Fatalf("%d revisions after a refused save", len(revs))
	}

	edited := strings.Replace(doc.Text, "/health:", "/status:", 1)
	res, err := Save(ctx, st, "orders", edited)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Added || res.Revision.ID == doc.Revision.ID {
		t.Fatalf("save did not add a revision: %+v", res)
	}
	def, _, err := Definition(ctx, st, "orders")
	if err != nil || def.Operations[0].Path != "/status" {
		t.Fatalf("definition after save: %v %+v", err, def)
	}
}

func TestSource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	if _, err := Create(ctx, st, "orders", "blank"); err != nil {
		t.Fatal(err)
	}
	src := NewSource(st)
	src.Poll = time.Hour // only Poke wakes it
	out := make(chan *config.Snapshot)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	next := func() *config.Snapshot {
		t.Helper()
		select {
		case s := <-out:
			return s
		case err := <-done:
			t.Fatalf("Run: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no snapshot")
		}
		return nil
	}
	first := next()
	if first.Revision != 1 || len(first.APIs) != 1 || first.APIs[0].Name != "orders" {
		t.Fatalf("first snapshot %+v", first)
	}
	// A poke without a change sends nothing; one after a save sends the new revision.
	src.Poke()
	doc, _ := Open(ctx, st, "orders")
	if _, err := Save(ctx, st, "orders", strings.Replace(doc.Text, "/health:", "/status:", 1)); err != nil {
		t.Fatal(err)
	}
	src.Poke()
	second := next()
	if second.Revision != 2 || second.APIs[0].Definition.Operations[0].Path != "/status" {
		t.Fatalf("second snapshot %+v", second)
	}
	if _, err := Create(ctx, st, "pets", "petstore"); err != nil {
		t.Fatal(err)
	}
	src.Poke()
	if third := next(); len(third.APIs) != 2 {
		t.Fatalf("third snapshot has %d APIs, want 2", len(third.APIs))
	}
	if err := st.DeleteAPI(ctx, "pets"); err != nil {
		t.Fatal(err)
	}
	src.Poke()
	if fourth := next(); len(fourth.APIs) != 1 {
		t.Fatalf("after removing an API: %d APIs", len(fourth.APIs))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestSourceUnknownAPI(t *testing.T) {
	st := openStore(t)
	src := NewSource(st, "missing")
	err := src.Run(context.Background(), make(chan *config.Snapshot, 1))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}
