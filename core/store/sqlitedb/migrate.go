package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int    // 1, 2, 3, ...
	Name    string // the file name without .sql, e.g. "0001_init"
	SQL     string // the statements to run
}

// LoadMigrations reads the dir/NNNN_name.sql files of fsys in version order and checks
// that they are numbered 1, 2, 3, ... without gaps.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// MustLoadMigrations is LoadMigrations for embedded files; a broken set panics.
func MustLoadMigrations(fsys fs.FS, dir string) []Migration {
	ms, err := LoadMigrations(fsys, dir)
	if err != nil {
		panic(err)
	}
	return ms
}

// MigrateOptions configures Migrate.
type MigrateOptions struct {
	// TooNew is wrapped in the error for a database whose schema version is newer than
	// the last migration.
	TooNew error
	// Code is Go code, keyed by migration name, run after that migration's SQL in the same
	// transaction.
	Code map[string]func(ctx context.Context, tx *sql.Tx) error
	// Logger, if set, logs Message with LogArgs and "migration", name after each migration.
	Logger *slog.Logger
	// Message is the log message for an applied migration.
	Message string
	// LogArgs are the attributes logged before the migration's name.
	LogArgs []any
}

// Migrate applies every pending migration of ms on db (a writer from OpenWriter or Open),
// each in its own IMMEDIATE transaction together with its schema_migrations row. The
// version is re-read inside each transaction, so two processes opening a new file at once
// apply each migration exactly once.
func Migrate(ctx context.Context, db *sql.DB, ms []Migration, opts MigrateOptions) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	for {
		applied, done, err := migrateOne(ctx, db, ms, opts)
		if err != nil || done {
			return err
		}
		if opts.Logger != nil {
			opts.Logger.Info(opts.Message, append(append([]any(nil), opts.LogArgs...), "migration", applied)...)
		}
	}
}

// migrateOne applies the next pending migration in one transaction and returns its name,
// or done if there was none.
func migrateOne(ctx context.Context, db *sql.DB, ms []Migration, opts MigrateOptions) (applied string, done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit; also releases the writer on a panic
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return "", false, fmt.Errorf("reading schema version: %w", err)
	}
	if v > len(ms) {
		return "", false, fmt.Errorf("%w: the file has schema version %d, this Gantry knows versions up to %d; upgrade Gantry to open it",
			opts.TooNew, v, len(ms))
	}
	if v < len(ms) {
		m := ms[v]
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return "", false, fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if code := opts.Code[m.Name]; code != nil {
			if err := code(ctx, tx); err != nil {
				return "", false, fmt.Errorf("applying migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return "", false, fmt.Errorf("recording migration %s: %w", m.Name, err)
		}
		applied = m.Name
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("committing: %w", err)
	}
	return applied, applied == "", nil
}
