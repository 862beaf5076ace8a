// Package hostedsqlite is the SQLite implementation of the management plane's store
// (store.HostedStore), built on modernc.org/sqlite (pure Go, no cgo). It is the default
// for a single `gantry server` process.
//
// Like the workspace store it holds two connection pools on one database file: a single
// writer connection, on which every mutation is one BEGIN IMMEDIATE transaction (so writers
// queue instead of deadlocking on lock upgrades and every read-check-write inside a method
// is atomic), and a read-only pool that in WAL mode never waits for the writer. The schema
// is created and upgraded by embedded, numbered SQL migrations when the file is opened.
package hostedsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlitedb"
)

var _ store.HostedStore = (*Store)(nil)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives migration messages; nil discards them.
	Logger *slog.Logger
	// ReadConns is the size of the read-only pool; 0 means max(4, GOMAXPROCS).
	ReadConns int
}

// Store is a management-plane store in one SQLite file. It is safe for concurrent use.
type Store struct {
	path   string
	log    *slog.Logger
	w      *sql.DB // the one writer connection
	r      *sql.DB // read-only pool
	closed sync.Once
	err    error
	subs   subscribers // Subscribe's channels, signalled after each commit
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
// The parent folder is created with mode 0700 if missing. A file written by a newer Gantry
// is refused with ErrSchemaTooNew.
func Open(path string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w, r, err := sqlitedb.Open(path, sqlitedb.Options{
		Name:      "server database",
		ReadConns: opts.ReadConns,
		Migrate:   func(w *sql.DB) error { return migrate(context.Background(), w, path, log) },
	})
	if err != nil {
		return nil, err
	}
	return &Store{path: path, log: log, w: w, r: r}, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes both pools. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closed.Do(func() {
		s.subs.closeAll()
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.err = fmt.Errorf("closing server database %q: %w", s.path, err)
		}
	})
	return s.err
}

// writeTx runs fn in one IMMEDIATE transaction on the writer and commits if fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	s.notifyCommitted(ctx)
	return nil
}

// readTx runs fn in one read transaction, so that its queries see one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning read transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

// wrapWrite adds what to err, and store.ErrConflict if err is a uniqueness violation.
func wrapWrite(what string, err error) error {
	if sqlitedb.IsUniqueViolation(err) {
		return fmt.Errorf("%s: %w: %w", what, store.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// now returns the current time as stored: UTC, truncated to microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toMicros(t), Valid: true}
}

// fromNullMicros reads a nullable time; NULL gives the zero time.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// actorName is the stored actor: "unknown" for an empty name.
func actorName(a store.Actor) string {
	if a.Name == "" {
		return "unknown"
	}
	return a.Name
}
