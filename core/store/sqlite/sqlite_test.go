package sqlite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/storetest"
)

// openTemp opens a store in a new temporary folder and closes it when t ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "workspace.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compress bool
	}{
		{"compressed blobs", true},
		{"plain blobs", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				s := openTemp(t)
				s.compressFiles, s.compressCompiled = tc.compress, tc.compress
				return s
			})
		})
	}
}

func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workspace.db")
	type row struct {
		version   int
		name      string
		appliedAt int64
	}
	read := func(s *Store) []row {
		t.Helper()
		rows, err := s.r.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.version, &r.name, &r.appliedAt); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := read(s)
	if len(first) != SchemaVersion() || SchemaVersion() < 1 {
		t.Fatalf("schema_migrations has %d rows, want %d", len(first), SchemaVersion())
	}
	for i, r := range first {
		if r.version != i+1 || r.name != migrations[i].Name {
			t.Errorf("row %d = %+v, want version %d %s", i, r, i+1, migrations[i].Name)
		}
	}
	if _, err := s.PutEnvironment(t.Context(), &model.Environment{Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s, err = Open(path, Options{})
		if err != nil {
			t.Fatalf("reopening: %v", err)
		}
		again := read(s)
		if len(again) != len(first) {
			t.Fatalf("after reopen: %d migration rows, want %d", len(again), len(first))
		}
		for i := range first {
			if again[i] != first[i] {
				t.Errorf("after reopen: row %+v, want %+v", again[i], first[i])
			}
		}
		if _, err := s.GetEnvironment(t.Context(), "kept"); err != nil {
			t.Errorf("data lost on reopen: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentOpenOfNewFile(t *testing.T) {
	// Two processes (desktop and CLI) may create the file at once; each migration must
	// still be applied exactly once.
	path := filepath.Join(t.TempDir(), "workspace.db")
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(path, Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n int
	if err := stores[0].r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() {
		t.Errorf("schema_migrations has %d rows, want %d", n, SchemaVersion())
	}
	// A write through one store is visible through another.
	if _, err := stores[1].PutEnvironment(t.Context(), &model.Environment{Name: "shared"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[2].GetEnvironment(t.Context(), "shared"); err != nil {
		t.Errorf("other store: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workspace.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)`,
		SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: err = %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{path, "upgrade Gantry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000"}

	// The writer.
	wc, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range want {
		var got string
		if err := wc.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("writer: PRAGMA %s = %s, want %s", name, got, v)
		}
	}
	wc.Close()

	// Every reader connection: hold them all at once so that each is a distinct connection.
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 4 {
		rc, err := s.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, rc)
		for name, v := range map[string]string{"query_only": "1", "journal_mode": want["journal_mode"],
			"foreign_keys": want["foreign_keys"], "synchronous": want["synchronous"], "busy_timeout": want["busy_timeout"]} {
			var got string
			if err := rc.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("reader %d: PRAGMA %s = %s, want %s", i, name, got, v)
			}
		}
		if _, err := rc.ExecContext(ctx, `DELETE FROM environments`); err == nil {
			t.Errorf("reader %d accepted a write", i)
		}
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	s := openTemp(t)
	_, err := s.w.Exec(`INSERT INTO spec_revisions (api_id, hash, created_at) VALUES (12345, 'h', 0)`)
	if err == nil {
		t.Fatal("a revision of a missing API was accepted: foreign keys are off")
	}
}

func TestOpenCreatesParentFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "work space #1?%.db") // characters that matter in a file: URI
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.PutEnvironment(t.Context(), &model.Environment{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the given path: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode = %v, want 0700", fi.Mode().Perm())
	}
}

func TestOrphanBlobsRemoved(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	shared := model.SpecFile{Path: "shared.yaml", Content: []byte("shared")}
	add := func(name, hash, own string) {
		t.Helper()
		rev := &model.SpecRevision{Hash: hash, Root: "openapi.yaml", Compiled: []byte("compiled " + own),
			Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(own)}, shared}}
		if _, _, _, err := s.AddRevision(ctx, name, rev); err != nil {
			t.Fatal(err)
		}
	}
	blobs := func() int {
		t.Helper()
		var n int
		if err := s.r.QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	add("a", "h1", "a1")
	add("a", "h2", "a2")
	add("b", "h3", "b1")
	// a1, a2, b1, shared, and three compiled forms.
	if n := blobs(); n != 7 {
		t.Fatalf("%d blobs, want 7", n)
	}
	if err := s.DeleteAPI(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if n := blobs(); n != 3 {
		t.Errorf("after deleting a: %d blobs, want 3 (b1, shared, b's compiled form)", n)
	}
	if err := s.DeleteAPI(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if n := blobs(); n != 0 {
		t.Errorf("after deleting everything: %d blobs, want 0", n)
	}
}

func TestBlobEncoding(t *testing.T) {
	big := bytes.Repeat([]byte(`{"operationId":"listPets"},`), 10000)
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte((i*2654435761)>>13) ^ byte(i>>7)
	}
	for _, tc := range []struct {
		name     string
		compress bool
		content  []byte
		wantEnc  string
	}{
		{"small stays plain", true, []byte("small"), encIdentity},
		{"large compressible is deflated", true, big, encDeflate},
		{"compression off", false, big, encIdentity},
		{"empty", true, []byte{}, encIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			s.compressFiles, s.compressCompiled = tc.compress, tc.compress
			rev := &model.SpecRevision{Hash: "h", Compiled: tc.content}
			if _, _, _, err := s.AddRevision(t.Context(), "p", rev); err != nil {
				t.Fatal(err)
			}
			var enc string
			var size, stored int
			if err := s.r.QueryRow(`SELECT encoding, size, length(data) FROM blobs WHERE hash = ?`, blobHash(tc.content)).
				Scan(&enc, &size, &stored); err != nil {
				t.Fatal(err)
			}
			if enc != tc.wantEnc || size != len(tc.content) {
				t.Errorf("encoding %q size %d, want %q %d", enc, size, tc.wantEnc, len(tc.content))
			}
			if enc == encDeflate && stored >= size {
				t.Errorf("deflated blob is %d bytes, not smaller than %d", stored, size)
			}
			got, err := s.LatestRevision(t.Context(), "p", false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Compiled, tc.content) {
				t.Errorf("compiled form differs after round-trip")
			}
		})
	}
}

func TestUniqueViolationIsConflict(t *testing.T) {
	// PutEnvironment upserts, so a duplicate name cannot happen through it; check the mapping
	// on a raw insert.
	s := openTemp(t)
	if _, err := s.PutEnvironment(t.Context(), &model.Environment{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.w.Exec(`INSERT INTO environments (name, updated_at) VALUES ('dev', 0)`)
	if err == nil {
		t.Fatal("duplicate environment name accepted")
	}
	if got := wrapWrite("putting environment", err); !errors.Is(got, store.ErrConflict) {
		t.Errorf("wrapWrite(%v) = %v, want ErrConflict", err, got)
	}
	if got := wrapWrite("x", errors.New("disk I/O error")); errors.Is(got, store.ErrConflict) {
		t.Errorf("a non-constraint error became ErrConflict: %v", got)
	}
}

func TestPaths(t *testing.T) {
	home := func() (string, error) { return "/home/ada", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name    string
		flag    string
		goos    string
		getenv  func(string) string
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{name: "flag wins", flag: "/flag.db", goos: "linux", getenv: env(DBEnv, "/env.db"), home: home, want: "/flag.db"},
		{name: "env over default", goos: "linux", getenv: env(DBEnv, "/env.db", "XDG_DATA_HOME", "/xdg"), home: home, want: "/env.db"},
		{name: "relative flag kept", flag: "ws.db", goos: "linux", getenv: env(), home: home, want: "ws.db"},
		{name: "linux xdg", goos: "linux", getenv: env("XDG_DATA_HOME", "/xdg"), home: home,
			want: filepath.Join("/xdg", "gantry", "workspace.db")},
		{name: "linux relative xdg ignored", goos: "linux", getenv: env("XDG_DATA_HOME", "rel"), home: home,
			want: filepath.Join("/home/ada", ".local", "share", "gantry", "workspace.db")},
		{name: "linux home", goos: "linux", getenv: env(), home: home,
			want: filepath.Join("/home/ada", ".local", "share", "gantry", "workspace.db")},
		{name: "freebsd like linux", goos: "freebsd", getenv: env(), home: home,
			want: filepath.Join("/home/ada", ".local", "share", "gantry", "workspace.db")},
		{name: "linux no home", goos: "linux", getenv: env(), home: noHome, wantErr: true},
		{name: "macos", goos: "darwin", getenv: env("XDG_DATA_HOME", "/xdg"), home: home,
			want: filepath.Join("/home/ada", "Library", "Application Support", "Gantry", "workspace.db")},
		{name: "windows", goos: "windows", getenv: env("AppData", `C:\Users\ada\AppData\Roaming`), home: home,
			want: filepath.Join(`C:\Users\ada\AppData\Roaming`, "Gantry", "workspace.db")},
		{name: "windows no AppData", goos: "windows", getenv: env(), home: home, wantErr: true},
		{name: "windows env", goos: "windows", getenv: env(DBEnv, `D:\w.db`), home: home, want: `D:\w.db`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolvePath(tc.flag, tc.goos, tc.getenv, tc.home)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("path = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolvePathFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("AppData", filepath.Join(dir, "appdata"))
	t.Setenv(DBEnv, "")

	def, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"linux":   filepath.Join(dir, "data", "gantry", "workspace.db"),
		"darwin":  filepath.Join(dir, "Library", "Application Support", "Gantry", "workspace.db"),
		"windows": filepath.Join(dir, "appdata", "Gantry", "workspace.db"),
	}[runtime.GOOS]
	if want != "" && def != want {
		t.Errorf("DefaultPath() = %q, want %q", def, want)
	}
	for _, tc := range []struct {
		name, flag, env, want string
	}{
		{"default", "", "", def},
		{"env", "", filepath.Join(dir, "env.db"), filepath.Join(dir, "env.db")},
		{"flag over env", filepath.Join(dir, "flag.db"), filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(DBEnv, tc.env)
			got, err := ResolvePath(tc.flag)
			if err != nil || got != tc.want {
				t.Errorf("ResolvePath(%q) = %q, %v; want %q", tc.flag, got, err, tc.want)
			}
		})
	}
}
