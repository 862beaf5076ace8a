// Package hostedpg is the PostgreSQL implementation of the management plane's store
// (store.HostedStore), built on pgx. Any number of `gantry server` processes can share one
// database: everything that must be atomic is atomic in the database, not in a process.
//
// # Transactions and sequences
//
// Every mutation is one READ COMMITTED transaction that writes its audit record beside its
// change. A mutation the data plane sees (publish, promote, lifecycle, consumers and
// credentials) first locks its catalog's row with SELECT ... FOR NO KEY UPDATE, then reads
// what it checks (the current revision for the compare-and-set of Publish and Promote),
// writes, and increments the catalog's seq column on the row it holds. The lock serializes
// the mutations of one catalog across all processes, so the check reads the revision the
// previous writer committed, a stale base fails with *store.ConflictError naming the
// revision that won, and sequences are handed out in commit order: strictly increasing
// without gaps, and a reader never sees sequence n+1 before n. Mutations of different
// catalogs do not wait for each other, and the lock does not block readers, heartbeats or
// the foreign-key checks of other inserts (FOR NO KEY UPDATE conflicts with neither plain
// reads nor FOR KEY SHARE).
//
// SERIALIZABLE isolation with retries was the alternative. It would need a retry loop
// around every method, turn a lost compare-and-set into a serialization failure that must
// be retried before it can be reported as the typed conflict, and abort unrelated writers
// on predicate-lock false positives; the catalog row is written by every such mutation
// anyway, so locking it first costs one round trip and no aborts.
//
// Bootstrap locks the users table for the length of its transaction, so two processes
// bootstrapping an empty database at once create one admin, not two.
//
// # Change notification
//
// Each feed event row notifies the channel gantry_catalog_changed from a trigger, inside
// the writing transaction: PostgreSQL delivers it when the transaction commits, to the
// listeners of every process, and drops it on rollback. Each Store holds one dedicated
// connection that LISTENs on the channel (see Subscribe); it reconnects by itself with
// backoff and, after a reconnect, re-reads the sequence of every catalog it has
// subscribers for, since notifications sent while it was away are lost.
//
// # Connections
//
// Methods take connections from a bounded pool (Options.MaxConns); reads that need one
// snapshot run in REPEATABLE READ READ ONLY transactions, the others (one statement, or
// rows that never change, like a revision and its bundle) outside any. Statements are
// prepared once per connection and cached (pgx's default); behind a connection pooler in
// transaction mode, add default_query_exec_mode=exec to the DSN. Times are taken from the
// server process's clock, as in the SQLite store, and stored as timestamptz.
//
// # Schema
//
// The schema is created and upgraded by embedded, numbered SQL migrations when a Store is
// opened, all pending ones in one transaction under a transaction-scoped advisory lock, so
// that several processes starting at once against one database apply each migration
// exactly once. Tables are created in the first schema of the connection's search_path
// (public by default; a DSN can name another with search_path, and deployments in
// different schemas of one database do not see each other's notifications).
package hostedpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gantry-dev/gantry/core/store"
)

// Interface guards.
var (
	_ store.HostedStore   = (*Store)(nil)
	_ store.CatalogStore  = (*Store)(nil)
	_ store.RevisionStore = (*Store)(nil)
	_ store.ConsumerStore = (*Store)(nil)
	_ store.NodeStore     = (*Store)(nil)
	_ store.AccessStore   = (*Store)(nil)
	_ store.AuditStore    = (*Store)(nil)
	_ store.FeedStore     = (*Store)(nil)
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives migration and listener messages; nil discards them.
	Logger *slog.Logger
	// MaxConns caps the connections of the pool (the listener's connection comes on
	// top); 0 means max(4, GOMAXPROCS).
	MaxConns int

	// healthEvery overrides the listener's idle check interval (tests); 0 means
	// healthEvery.
	healthEvery time.Duration
}

// Store is a management-plane store in a PostgreSQL database. It is safe for concurrent
// use, also by several processes on the same database.
type Store struct {
	where  string // host and database, for messages (never the password)
	log    *slog.Logger
	db     *pool
	feed   *listener
	closed sync.Once
}

// Open connects to the database named by dsn (a URL or key=value DSN, as libpq takes),
// brings its schema up to date and starts listening for catalog changes. A database
// written by a newer Gantry is refused with ErrSchemaTooNew.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("opening server database: parsing the PostgreSQL DSN: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n := opts.MaxConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	db, err := newPool(ctx, cfg, n)
	if err != nil {
		return nil, fmt.Errorf("opening server database %s: %w", where, err)
	}
	s := &Store{where: where, log: log.With("db", where), db: db}
	if err := s.migrate(ctx); err != nil {
		s.db.close()
		return nil, fmt.Errorf("opening server database %s: %w", where, err)
	}
	health := opts.healthEvery
	if health <= 0 {
		health = healthEvery
	}
	if s.feed, err = startListener(ctx, cfg.Copy(), s.db, s.log, health); err != nil {
		s.db.close()
		return nil, fmt.Errorf("opening server database %s: %w", where, err)
	}
	return s, nil
}

// Database returns "host:port/database" of the store's database, for messages; it never
// includes the password.
func (s *Store) Database() string { return s.where }

// Close stops the listener and closes the pool's connections. Calling it again does
// nothing.
func (s *Store) Close() error {
	s.closed.Do(func() {
		s.feed.stop()
		s.db.close()
	})
	return nil
}

// writeTx runs fn in one read-write transaction and commits if fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.db.tx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}

// readTx runs fn in one read-only transaction that sees one snapshot throughout.
func (s *Store) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.db.tx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// isUniqueViolation reports whether err is a unique or primary-key violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// wrapWrite adds what to err, and store.ErrConflict if err is a uniqueness violation.
func wrapWrite(what string, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%s: %w: %w", what, store.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// now returns the current time as stored: UTC, truncated to microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// fromNullTime reads a nullable time in UTC; NULL gives the zero time.
func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// actorName is the stored actor: "unknown" for an empty name.
func actorName(a store.Actor) string {
	if a.Name == "" {
		return "unknown"
	}
	return a.Name
}
