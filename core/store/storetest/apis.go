package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// opener opens a new, empty store that is closed when t ends.
type opener func(t *testing.T) store.Store

// revision builds a revision whose hash covers root and every file, like the importer's.
func revision(title string, files ...model.SpecFile) *model.SpecRevision {
	h := sha256.New()
	root := ""
	if len(files) > 0 {
		root = files[0].Path
	}
	fmt.Fprintf(h, "%q\n", root)
	for _, f := range files {
		fmt.Fprintf(h, "%q %d\n", f.Path, len(f.Content))
		h.Write(f.Content)
	}
	return &model.SpecRevision{
		Hash:        hex.EncodeToString(h.Sum(nil)),
		SourcePath:  "/home/user/specs/" + root,
		Root:        root,
		Files:       files,
		Title:       title,
		Version:     "1.0." + fmt.Sprint(len(files)),
		SpecVersion: "3.1.0",
		Operations:  3 + len(files),
		Compiled:    []byte(`{"title":` + fmt.Sprintf("%q", title) + `,"operations":[]}`),
	}
}

// file builds a spec file.
func file(path, content string) model.SpecFile {
	return model.SpecFile{Path: path, Content: []byte(content)}
}

// binary returns n bytes cycling through every byte value.
func binary(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func mustAdd(t *testing.T, s store.Store, name string, rev *model.SpecRevision) (*model.API, *model.SpecRevision, bool) {
	t.Helper()
	api, stored, added, err := s.AddRevision(t.Context(), name, rev)
	if err != nil {
		t.Fatalf("AddRevision(%q): %v", name, err)
	}
	if api == nil || stored == nil {
		t.Fatalf("AddRevision(%q) returned api=%v stored=%v", name, api, stored)
	}
	return api, stored, added
}

// checkFiles compares files in order, byte for byte.
func checkFiles(t *testing.T, what string, got, want []model.SpecFile) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].Path != want[i].Path {
			t.Errorf("%s: file %d path %q, want %q", what, i, got[i].Path, want[i].Path)
		}
		if !bytes.Equal(got[i].Content, want[i].Content) {
			t.Errorf("%s: file %q content differs (%d bytes, want %d)", what, want[i].Path, len(got[i].Content), len(want[i].Content))
		}
	}
}

// checkMeta compares a revision's stored facts (not files or compiled form).
func checkMeta(t *testing.T, what string, got, want *model.SpecRevision) {
	t.Helper()
	if got.ID != want.ID || got.APIID != want.APIID || got.Hash != want.Hash || got.SourcePath != want.SourcePath ||
		got.Root != want.Root || got.Title != want.Title || got.Version != want.Version ||
		got.SpecVersion != want.SpecVersion || got.Operations != want.Operations || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, metaOf(got), metaOf(want))
	}
}

func metaOf(r *model.SpecRevision) model.SpecRevision {
	m := *r
	m.Files, m.Compiled = nil, nil
	return m
}

func testAPIs(t *testing.T, open opener) {
	t.Run("create and get", func(t *testing.T) {
		s := open(t)
		rev := revision("Petstore", file("openapi.yaml", "openapi: 3.1.0\n"))
		api, stored, added := mustAdd(t, s, "petstore", rev)
		if !added {
			t.Error("first revision: added=false")
		}
		if api.ID == 0 || api.Name != "petstore" || api.CreatedAt.IsZero() || api.UpdatedAt.IsZero() {
			t.Errorf("api = %+v", api)
		}
		if stored.ID == 0 || stored.APIID != api.ID || stored.Hash != rev.Hash || stored.CreatedAt.IsZero() {
			t.Errorf("stored = %+v", metaOf(stored))
		}
		got, err := s.GetAPI(t.Context(), "petstore")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != api.ID || got.Name != api.Name || !got.CreatedAt.Equal(api.CreatedAt) || !got.UpdatedAt.Equal(api.UpdatedAt) {
			t.Errorf("GetAPI = %+v, want %+v", got, api)
		}
	})

	t.Run("link", func(t *testing.T) {
		s := open(t)
		mustAdd(t, s, "petstore", revision("Petstore", file("openapi.yaml", "openapi: 3.1.0\n")))
		mustAdd(t, s, "other", revision("Other", file("openapi.yaml", "openapi: 3.0.3\n")))
		if err := s.SetLinkedPath(t.Context(), "petstore", "/specs/petstore.yaml"); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetAPI(t.Context(), "petstore")
		if err != nil || got.LinkedPath != "/specs/petstore.yaml" {
			t.Fatalf("GetAPI after link = %+v, %v", got, err)
		}
		list, err := s.ListAPIs(t.Context())
		if err != nil || len(list) != 2 || list[1].LinkedPath != "/specs/petstore.yaml" || list[0].LinkedPath != "" {
			t.Fatalf("ListAPIs after link = %+v, %v", list, err)
		}
		// A new revision keeps the link; unlinking clears it.
		mustAdd(t, s, "petstore", revision("Petstore 2", file("openapi.yaml", "openapi: 3.1.1\n")))
		if got, _ := s.GetAPI(t.Context(), "petstore"); got.LinkedPath != "/specs/petstore.yaml" {
			t.Errorf("a new revision dropped the link: %+v", got)
		}
		if err := s.SetLinkedPath(t.Context(), "petstore", ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetAPI(t.Context(), "petstore"); got.LinkedPath != "" {
			t.Errorf("unlink kept %q", got.LinkedPath)
		}
	})

	t.Run("list empty", func(t *testing.T) {
		s := open(t)
		list, err := s.ListAPIs(t.Context())
		if err != nil || len(list) != 0 {
			t.Fatalf("ListAPIs = %v, %v; want empty", list, err)
		}
	})

	t.Run("list ordered by name with newest revision facts", func(t *testing.T) {
		s := open(t)
		mustAdd(t, s, "zeta", revision("Zeta", file("z.yaml", "z")))
		mustAdd(t, s, "alpha", revision("Alpha v1", file("a.yaml", "a1")))
		alpha, alpha2, _ := mustAdd(t, s, "alpha", revision("Alpha v2", file("a.yaml", "a2"), file("b.yaml", "b")))
		mustAdd(t, s, "mid", revision("Mid", file("m.yaml", "m")))
		list, err := s.ListAPIs(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range list {
			names = append(names, a.Name)
		}
		if strings.Join(names, ",") != "alpha,mid,zeta" {
			t.Fatalf("ListAPIs names = %v, want alpha,mid,zeta", names)
		}
		a := list[0]
		if a.ID != alpha.ID || a.Title != "Alpha v2" || a.Version != alpha2.Version || a.Operations != alpha2.Operations ||
			a.Revisions != 2 || a.LatestRevision != alpha2.ID {
			t.Errorf("alpha summary = %+v; want title %q, version %q, operations %d, 2 revisions, latest %d",
				a, "Alpha v2", alpha2.Version, alpha2.Operations, alpha2.ID)
		}
		if a.UpdatedAt.Before(a.CreatedAt) {
			t.Errorf("alpha UpdatedAt %v before CreatedAt %v", a.UpdatedAt, a.CreatedAt)
		}
		if list[2].Revisions != 1 || list[2].Title != "Zeta" {
			t.Errorf("zeta summary = %+v", list[2])
		}
	})

	t.Run("new revision advances UpdatedAt only", func(t *testing.T) {
		s := open(t)
		first, _, _ := mustAdd(t, s, "p", revision("P", file("p.yaml", "1")))
		second, _, _ := mustAdd(t, s, "p", revision("P", file("p.yaml", "2")))
		if second.ID != first.ID || !second.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("second add: api %+v, want ID and CreatedAt of %+v", second, first)
		}
		if second.UpdatedAt.Before(first.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v < %v", second.UpdatedAt, first.UpdatedAt)
		}
		got, err := s.GetAPI(t.Context(), "p")
		if err != nil {
			t.Fatal(err)
		}
		if !got.UpdatedAt.Equal(second.UpdatedAt) {
			t.Errorf("GetAPI UpdatedAt = %v, want %v", got.UpdatedAt, second.UpdatedAt)
		}
	})

	t.Run("delete keeps shared content of other APIs", func(t *testing.T) {
		s := open(t)
		shared := file("common.yaml", "components: {}\n")
		revA := revision("A", file("a.yaml", "a"), shared, model.SpecFile{Path: "logo.png", Content: binary(5000)})
		revB := revision("B", file("b.yaml", "b"), shared, model.SpecFile{Path: "logo.png", Content: binary(5000)})
		revB.Compiled = revA.Compiled // identical compiled forms share storage too
		_, storedA, _ := mustAdd(t, s, "a", revA)
		_, storedA2, _ := mustAdd(t, s, "a", revision("A2", file("a.yaml", "a2"), shared))
		_, storedB, _ := mustAdd(t, s, "b", revB)

		if err := s.DeleteAPI(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAPI(t.Context(), "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPI after delete: %v, want ErrNotFound", err)
		}
		for _, id := range []int64{storedA.ID, storedA2.ID} {
			if _, err := s.GetRevision(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetRevision(%d) of deleted API: %v, want ErrNotFound", id, err)
			}
		}
		got, err := s.GetRevision(t.Context(), storedB.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkFiles(t, "surviving API", got.Files, revB.Files)
		if !bytes.Equal(got.Compiled, revB.Compiled) {
			t.Errorf("surviving API compiled = %q, want %q", got.Compiled, revB.Compiled)
		}
		list, err := s.ListAPIs(t.Context())
		if err != nil || len(list) != 1 || list[0].Name != "b" {
			t.Errorf("ListAPIs after delete = %+v, %v", list, err)
		}
		if err := s.DeleteAPI(t.Context(), "b"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("re-create after delete", func(t *testing.T) {
		s := open(t)
		rev := revision("P", file("p.yaml", "p"))
		old, _, _ := mustAdd(t, s, "p", rev)
		if err := s.DeleteAPI(t.Context(), "p"); err != nil {
			t.Fatal(err)
		}
		api, stored, added := mustAdd(t, s, "p", rev)
		if !added {
			t.Error("re-created API: added=false")
		}
		if api.ID == old.ID {
			t.Errorf("re-created API reused ID %d", api.ID)
		}
		got, err := s.LatestRevision(t.Context(), "p", true)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "re-created", got, stored)
		checkFiles(t, "re-created", got.Files, rev.Files)
		revs, err := s.ListRevisions(t.Context(), "p")
		if err != nil || len(revs) != 1 {
			t.Errorf("ListRevisions = %d revisions, %v; want 1", len(revs), err)
		}
	})
}

func testRevisions(t *testing.T, open opener) {
	t.Run("dedup by hash of newest", func(t *testing.T) {
		s := open(t)
		rev := revision("P", file("openapi.yaml", "a"), file("b.yaml", "b"))
		_, first, _ := mustAdd(t, s, "p", rev)
		again := *rev
		again.SourcePath = "/elsewhere/openapi.yaml" // same content, same hash
		_, stored, added := mustAdd(t, s, "p", &again)
		if added {
			t.Error("same hash: added=true")
		}
		checkMeta(t, "deduplicated", stored, first)
		checkFiles(t, "deduplicated", stored.Files, rev.Files)
		if !bytes.Equal(stored.Compiled, rev.Compiled) {
			t.Errorf("deduplicated compiled = %q, want %q", stored.Compiled, rev.Compiled)
		}
		revs, err := s.ListRevisions(t.Context(), "p")
		if err != nil || len(revs) != 1 {
			t.Errorf("ListRevisions = %d, %v; want 1", len(revs), err)
		}
	})

	t.Run("newest revision wins, earlier content counts as new", func(t *testing.T) {
		s := open(t)
		a := revision("A", file("openapi.yaml", "a"))
		b := revision("B", file("openapi.yaml", "b"))
		_, sa, _ := mustAdd(t, s, "p", a)
		_, sb, addedB := mustAdd(t, s, "p", b)
		if !addedB {
			t.Fatal("B: added=false")
		}
		latest, err := s.LatestRevision(t.Context(), "p", false)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "latest after B", latest, sb)
		_, sa2, addedA2 := mustAdd(t, s, "p", a)
		if !addedA2 || sa2.ID == sa.ID {
			t.Fatalf("A again after B: added=%v id=%d (first A %d); want a new revision", addedA2, sa2.ID, sa.ID)
		}
		latest, err = s.LatestRevision(t.Context(), "p", true)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "latest after A again", latest, sa2)
		checkFiles(t, "latest after A again", latest.Files, a.Files)
		revs, err := s.ListRevisions(t.Context(), "p")
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range revs {
			ids = append(ids, r.ID)
		}
		if want := []int64{sa2.ID, sb.ID, sa.ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("ListRevisions IDs = %v, want newest first %v", ids, want)
		}
	})

	t.Run("files round-trip byte-exact in order", func(t *testing.T) {
		s := open(t)
		files := []model.SpecFile{
			file("openapi.yaml", "openapi: 3.1.0\ninfo: {title: T, version: '1'}\n"),
			file("schemas/pet.json", `{"type":"object"}`),
			{Path: "assets/logo.png", Content: binary(70000)},
			{Path: "empty.yaml", Content: []byte{}},
			file("dir with space/ünïcödé.yaml", "x: \"✓\"\r\n\x00tail"),
			file("a.yaml", strings.Repeat("paths: {}\n", 3000)),
		}
		rev := revision("Files", files...)
		_, stored, _ := mustAdd(t, s, "files", rev)
		checkFiles(t, "AddRevision result", stored.Files, files)

		got, err := s.GetRevision(t.Context(), stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "GetRevision", got, stored)
		checkFiles(t, "GetRevision", got.Files, files)

		latest, err := s.LatestRevision(t.Context(), "files", true)
		if err != nil {
			t.Fatal(err)
		}
		checkFiles(t, "LatestRevision(withFiles)", latest.Files, files)

		bare, err := s.LatestRevision(t.Context(), "files", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(bare.Files) != 0 {
			t.Errorf("LatestRevision(withFiles=false) returned %d files", len(bare.Files))
		}
		if !bytes.Equal(bare.Compiled, rev.Compiled) {
			t.Errorf("LatestRevision(withFiles=false) compiled = %q, want %q", bare.Compiled, rev.Compiled)
		}
		checkMeta(t, "LatestRevision(withFiles=false)", bare, stored)
	})

	t.Run("compiled form round-trip", func(t *testing.T) {
		big := bytes.Repeat([]byte(`{"id":"listPets","method":"GET","path":"/pets","responses":{"200":{}}},`), 30000)
		big = append(big, binary(4096)...) // and some incompressible bytes
		for _, tc := range []struct {
			name     string
			compiled []byte
		}{
			{"small", []byte(`{"title":"x"}`)},
			{"large", big},
			{"binary", binary(100000)},
			{"nil", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				rev := revision("C", file("openapi.yaml", tc.name))
				rev.Compiled = tc.compiled
				_, stored, _ := mustAdd(t, s, "c", rev)
				for _, withFiles := range []bool{false, true} {
					got, err := s.LatestRevision(t.Context(), "c", withFiles)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Compiled, tc.compiled) || (tc.compiled == nil && got.Compiled != nil) {
						t.Errorf("LatestRevision(%v) compiled: %d bytes, want %d", withFiles, len(got.Compiled), len(tc.compiled))
					}
				}
				got, err := s.GetRevision(t.Context(), stored.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Compiled, tc.compiled) || (tc.compiled == nil && got.Compiled != nil) {
					t.Errorf("GetRevision compiled: %d bytes, want %d", len(got.Compiled), len(tc.compiled))
				}
			})
		}
	})

	t.Run("list revisions newest first without content", func(t *testing.T) {
		s := open(t)
		var want []*model.SpecRevision
		for i := range 5 {
			_, stored, _ := mustAdd(t, s, "p", revision(fmt.Sprintf("T%d", i), file("openapi.yaml", fmt.Sprint(i))))
			want = append([]*model.SpecRevision{stored}, want...)
		}
		mustAdd(t, s, "other", revision("O", file("o.yaml", "o")))
		revs, err := s.ListRevisions(t.Context(), "p")
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != len(want) {
			t.Fatalf("ListRevisions: %d revisions, want %d", len(revs), len(want))
		}
		for i := range want {
			checkMeta(t, fmt.Sprintf("revision %d", i), &revs[i], want[i])
			if len(revs[i].Files) != 0 || revs[i].Compiled != nil {
				t.Errorf("revision %d: ListRevisions returned files or compiled form", i)
			}
		}
	})

	t.Run("shared content between revisions", func(t *testing.T) {
		s := open(t)
		common := model.SpecFile{Path: "common.bin", Content: binary(9000)}
		a := revision("A", file("openapi.yaml", "a"), common, file("x.yaml", "x"))
		b := revision("B", file("openapi.yaml", "b"), common, file("x.yaml", "x"))
		_, sa, _ := mustAdd(t, s, "p", a)
		_, sb, _ := mustAdd(t, s, "p", b)
		for _, tc := range []struct {
			id   int64
			want []model.SpecFile
		}{{sa.ID, a.Files}, {sb.ID, b.Files}} {
			got, err := s.GetRevision(t.Context(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			checkFiles(t, fmt.Sprintf("revision %d", tc.id), got.Files, tc.want)
		}
	})

	t.Run("input revision is not modified", func(t *testing.T) {
		s := open(t)
		rev := revision("P", file("openapi.yaml", "p"))
		before := *rev
		mustAdd(t, s, "p", rev)
		if rev.ID != 0 || rev.APIID != 0 || !rev.CreatedAt.IsZero() || rev.Hash != before.Hash || len(rev.Files) != len(before.Files) {
			t.Errorf("AddRevision modified its argument: %+v", metaOf(rev))
		}
	})
}

func testNotFound(t *testing.T, open opener) {
	s := open(t)
	// Some data, so that lookups do not succeed or fail merely because the store is empty.
	_, stored, _ := mustAdd(t, s, "present", revision("P", file("p.yaml", "p")))
	if _, err := s.PutEnvironment(t.Context(), &model.Environment{Name: "present"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendExchanges(t.Context(), []*model.Exchange{{ID: "present", Method: "GET", URL: "/"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetAPI", func() error { _, err := s.GetAPI(t.Context(), "missing"); return err }},
		{"DeleteAPI", func() error { return s.DeleteAPI(t.Context(), "missing") }},
		{"SetLinkedPath", func() error { return s.SetLinkedPath(t.Context(), "missing", "/x.yaml") }},
		{"LatestRevision", func() error { _, err := s.LatestRevision(t.Context(), "missing", false); return err }},
		{"LatestRevision with files", func() error { _, err := s.LatestRevision(t.Context(), "missing", true); return err }},
		{"GetRevision", func() error { _, err := s.GetRevision(t.Context(), stored.ID+1000); return err }},
		{"ListRevisions", func() error { _, err := s.ListRevisions(t.Context(), "missing"); return err }},
		{"GetEnvironment", func() error { _, err := s.GetEnvironment(t.Context(), "missing"); return err }},
		{"DeleteEnvironment", func() error { return s.DeleteEnvironment(t.Context(), "missing") }},
		{"GetExchange", func() error { _, err := s.GetExchange(t.Context(), "missing"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", tc.name, err)
			}
		})
	}
}

func testInvalidInput(t *testing.T, open opener) {
	s := open(t)
	good := revision("P", file("p.yaml", "p"))
	noHash := revision("P", file("p.yaml", "p"))
	noHash.Hash = ""
	dupPaths := revision("P", file("p.yaml", "p"), file("q.yaml", "q"), file("p.yaml", "again"))
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"AddRevision empty name", func() error { _, _, _, err := s.AddRevision(t.Context(), "", good); return err }},
		{"AddRevision nil revision", func() error { _, _, _, err := s.AddRevision(t.Context(), "p", nil); return err }},
		{"AddRevision empty hash", func() error { _, _, _, err := s.AddRevision(t.Context(), "p", noHash); return err }},
		{"AddRevision repeated file path", func() error { _, _, _, err := s.AddRevision(t.Context(), "p", dupPaths); return err }},
		{"PutEnvironment nil", func() error { _, err := s.PutEnvironment(t.Context(), nil); return err }},
		{"PutEnvironment empty name", func() error {
			_, err := s.PutEnvironment(t.Context(), &model.Environment{Variables: map[string]string{"a": "b"}})
			return err
		}},
		{"AppendExchanges empty ID", func() error {
			return s.AppendExchanges(t.Context(), []*model.Exchange{{ID: "ok", Method: "GET"}, {Method: "GET"}})
		}},
		{"AppendExchanges nil exchange", func() error {
			return s.AppendExchanges(t.Context(), []*model.Exchange{{ID: "ok2", Method: "GET"}, nil})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Errorf("%s: no error", tc.name)
			}
		})
	}
	apis, err := s.ListAPIs(t.Context())
	if err != nil || len(apis) != 0 {
		t.Errorf("after invalid AddRevision calls: ListAPIs = %+v, %v; want none", apis, err)
	}
	envs, err := s.ListEnvironments(t.Context())
	if err != nil || len(envs) != 0 {
		t.Errorf("after invalid PutEnvironment calls: ListEnvironments = %+v, %v; want none", envs, err)
	}
	n, err := s.CountExchanges(t.Context(), store.TrafficFilter{})
	if err != nil || n != 0 {
		t.Errorf("after invalid AppendExchanges calls: CountExchanges = %d, %v; want 0", n, err)
	}
}
