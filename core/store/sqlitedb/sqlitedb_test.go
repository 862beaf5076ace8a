package sqlitedb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// openTest opens a fresh database in a temporary folder.
func openTest(t *testing.T) (w, r *sql.DB) {
	t.Helper()
	w, r, err := Open(filepath.Join(t.TempDir(), "sub", "test.db"), Options{Name: "test database"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w, r
}

// column returns the int64 values of a one-column query.
func column(t *testing.T, db *sql.DB, query string) []int64 {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestLoadMigrations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string
		wantErr bool
	}{
		{"ordered", []string{"0002_b.sql", "0001_a.sql"}, false},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, true},
		{"duplicate version", []string{"0001_a.sql", "0001_b.sql"}, true},
		{"bad name", []string{"init.sql"}, true},
		{"zero", []string{"0000_a.sql"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			ms, err := LoadMigrations(fsys, "migrations")
			if (err != nil) != tc.wantErr {
				t.Fatalf("LoadMigrations(%v) = %v, %v; wantErr %v", tc.files, ms, err, tc.wantErr)
			}
			if err == nil && (ms[0].Version != 1 || ms[0].Name != "0001_a" || ms[1].Version != 2) {
				t.Errorf("order = %+v", ms)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	errTooNew := errors.New("too new")
	create := Migration{1, "0001_create", "CREATE TABLE t (x INTEGER NOT NULL)"}
	insert := Migration{2, "0002_insert", "INSERT INTO t (x) VALUES (1)"}
	broken := Migration{2, "0002_broken", "CREATE TABLE u (x); INSERT INTO nowhere VALUES (1)"}
	failing := func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (x) VALUES (2)"); err != nil {
			return err
		}
		return errors.New("code failed")
	}
	for _, tc := range []struct {
		name     string
		ms       []Migration
		code     map[string]func(context.Context, *sql.Tx) error
		before   string // SQL run on the writer first
		wantErr  bool
		wantIs   error
		versions []int64 // recorded in schema_migrations afterwards
		rows     []int64 // the x column of t afterwards
		logged   []string
	}{
		{name: "in order and once", ms: []Migration{create, insert},
			versions: []int64{1, 2}, rows: []int64{1}, logged: []string{"0001_create", "0002_insert"}},
		{name: "code in the same transaction", ms: []Migration{create, insert},
			code: map[string]func(context.Context, *sql.Tx) error{"0002_insert": func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO t (x) VALUES (2)")
				return err
			}},
			versions: []int64{1, 2}, rows: []int64{1, 2}, logged: []string{"0001_create", "0002_insert"}},
		{name: "failing SQL records nothing", ms: []Migration{create, broken},
			wantErr: true, versions: []int64{1}, rows: []int64{}, logged: []string{"0001_create"}},
		{name: "failing code records nothing", ms: []Migration{create, insert},
			code:    map[string]func(context.Context, *sql.Tx) error{"0002_insert": failing},
			wantErr: true, versions: []int64{1}, rows: []int64{}, logged: []string{"0001_create"}},
		{name: "newer schema refused", ms: []Migration{create},
			before:  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL); INSERT INTO schema_migrations VALUES (2, 'future', 0)",
			wantErr: true, wantIs: errTooNew, versions: []int64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := openTest(t)
			if tc.before != "" {
				if _, err := w.Exec(tc.before); err != nil {
					t.Fatal(err)
				}
			}
			var buf bytes.Buffer
			opts := MigrateOptions{
				TooNew:  errTooNew,
				Code:    tc.code,
				Logger:  slog.New(slog.NewTextHandler(&buf, nil)),
				Message: "applied test migration",
				LogArgs: []any{"db", "test"},
			}
			// The second run must find nothing left to do (or fail the same way).
			for i := range 2 {
				err := Migrate(t.Context(), w, tc.ms, opts)
				if (err != nil) != tc.wantErr || (tc.wantIs != nil && !errors.Is(err, tc.wantIs)) {
					t.Fatalf("run %d: Migrate = %v, wantErr %v (%v)", i, err, tc.wantErr, tc.wantIs)
				}
			}
			if got := column(t, r, "SELECT version FROM schema_migrations ORDER BY version"); !slices.Equal(got, tc.versions) {
				t.Errorf("recorded versions = %v, want %v", got, tc.versions)
			}
			if tc.rows != nil {
				if got := column(t, r, "SELECT x FROM t ORDER BY x"); !slices.Equal(got, tc.rows) {
					t.Errorf("rows of t = %v, want %v", got, tc.rows)
				}
			}
			if n := column(t, r, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'"); n[0] != 0 {
				t.Errorf("the failed migration's table u exists")
			}
			var logged []string
			for line := range strings.Lines(buf.String()) {
				if !strings.Contains(line, `msg="applied test migration" db=test migration=`) {
					t.Errorf("log line %q", line)
				}
				logged = append(logged, strings.TrimSpace(line[strings.LastIndex(line, "=")+1:]))
			}
			if !slices.Equal(logged, tc.logged) {
				t.Errorf("logged %v, want %v", logged, tc.logged)
			}
		})
	}
}

func TestErrorKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	w, r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := w.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL);
		INSERT INTO t VALUES (1, 'a', 'x')`); err != nil {
		t.Fatal(err)
	}
	_, errPK := w.Exec(`INSERT INTO t VALUES (1, 'b', 'x')`)
	_, errUnique := w.Exec(`INSERT INTO t VALUES (2, 'a', 'x')`)
	_, errNotNull := w.Exec(`INSERT INTO t VALUES (3, 'c', NULL)`)
	_, errSyntax := w.Exec(`INSERT INTO`)
	_, errReadOnly := r.Exec(`DELETE FROM t`)

	// A second writer that does not wait gets SQLITE_BUSY while the first holds the lock.
	w2, err := OpenWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if _, err := w2.Exec(`PRAGMA busy_timeout = 0`); err != nil {
		t.Fatal(err)
	}
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	_, errBusy := w2.Exec(`INSERT INTO t VALUES (4, 'd', 'x')`)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name         string
		err          error
		busy, unique bool
	}{
		{"nil", nil, false, false},
		{"not sqlite", errors.New("database is locked"), false, false},
		{"primary key", errPK, false, true},
		{"unique", errUnique, false, true},
		{"wrapped unique", fmt.Errorf("putting: %w", errUnique), false, true},
		{"not null", errNotNull, false, false},
		{"syntax", errSyntax, false, false},
		{"read only", errReadOnly, false, false},
		{"busy", errBusy, true, false},
		{"wrapped busy", fmt.Errorf("writing: %w", errBusy), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "nil" && tc.err == nil {
				t.Fatal("the statement did not fail")
			}
			if got := IsBusy(tc.err); got != tc.busy {
				t.Errorf("IsBusy(%v) = %v, want %v", tc.err, got, tc.busy)
			}
			if got := IsUniqueViolation(tc.err); got != tc.unique {
				t.Errorf("IsUniqueViolation(%v) = %v, want %v", tc.err, got, tc.unique)
			}
		})
	}
}
