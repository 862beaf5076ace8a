// Package sqlite is the SQLite implementation of Gantry's workspace store, built on
// modernc.org/sqlite (pure Go, no cgo).
//
// A Store holds two connection pools on one database file: a single writer connection
// (every write is one BEGIN IMMEDIATE transaction, so writers never deadlock on lock
// upgrades) and a read-only pool for queries, which in WAL mode never waits for the writer.
// The schema is created and upgraded by embedded, numbered SQL migrations when the
// file is opened.
package sqlite

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

var _ store.Store = (*Store)(nil)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives migration and maintenance messages; nil discards them.
	Logger *slog.Logger
	// ReadConns is the size of the read-only connection pool; 0 means max(4, GOMAXPROCS).
	ReadConns int
}

// Store is a workspace store in one SQLite file. It is safe for concurrent use, also by
// several processes sharing the same file (the desktop app and the CLI).
type Store struct {
	path   string
	log    *slog.Logger
	w      *sql.DB // the one writer connection
	r      *sql.DB // read-only pool
	ckpt   *checkpointer
	ins    inserter // AppendExchanges' statements and buffers
	closed sync.Once
	err    error

	// compressFiles and compressCompiled say whether spec files and compiled forms of
	// compressMin bytes or more are DEFLATE-compressed when written (see blobs.go for the
	// measurements behind the defaults). Reading handles every encoding whatever they say.
	compressFiles, compressCompiled bool
}

// Open opens (creating if needed) the workspace database at path and brings its schema up
// to date. The parent folder is created with mode 0700 if missing. A database written by
// a newer Gantry, whose schema this binary does not know, is refused with ErrSchemaTooNew.
func Open(path string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{path: path, log: log, compressFiles: defaultCompressFiles, compressCompiled: defaultCompressCompiled}
	w, r, err := sqlitedb.Open(path, sqlitedb.Options{
		Name:      "workspace database",
		ReadConns: opts.ReadConns,
		Pragmas:   pragmas,
		Migrate:   func(w *sql.DB) error { return migrate(context.Background(), w, path, log) },
	})
	if err != nil {
		return nil, err
	}
	s.w, s.r = w, r
	if s.ckpt, err = startCheckpointer(path); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("opening workspace database %q for checkpoints: %w", path, err)
	}
	return s, nil
}

// pragmas are the workspace store's pragmas besides sqlitedb's, run on every connection.
var pragmas = []string{
	// The driver runs journal_mode (its own key) after the _pragma list: page_size must
	// come before it to take effect on a new file. 16 KiB pages write a batch of captured
	// exchanges in a quarter of the WAL frames and store 15% more exchanges/s with 1 KB
	// bodies (BenchmarkAppendExchanges).
	"page_size(16384)",
	// Checkpoints run in the background (checkpoint.go), never inside a COMMIT.
	"wal_autocheckpoint(0)",
	fmt.Sprintf("journal_size_limit(%d)", walSizeLimit),
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closed.Do(func() {
		var errs []error
		errs = append(errs, s.ins.close(s.w))
		if s.ckpt != nil {
			errs = append(errs, s.ckpt.close())
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.err = fmt.Errorf("closing workspace database %q: %w", s.path, err)
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
			_ = tx.Rollback() // fn panicked: release the single writer connection
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
	if s.ckpt != nil {
		s.ckpt.note(walPage)
	}
	return nil
}

// walPage is the least a committed write adds to the WAL: one page. Writers that know they
// wrote more tell the checkpointer themselves.
const walPage = 4096

// readTx runs fn in one read transaction on the read pool, so that several queries see one
// snapshot.
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

// toMicros converts t to the stored form.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// deleteOne runs a DELETE that should remove a row and returns store.ErrNotFound when it
// removed none.
func deleteOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
