// Package sqlitedb opens SQLite databases the way Gantry's stores want them and applies
// their migrations. It is built on modernc.org/sqlite (pure Go, no cgo).
//
// A database is used through two pools on one file: a single writer connection, on which
// every transaction begins IMMEDIATE (so writers queue instead of deadlocking on lock
// upgrades), and a query_only read pool that in WAL mode never waits for the writer.
package sqlitedb

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a connection waits for another process's lock before failing.
const BusyTimeout = 5 * time.Second

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Name names the database in Open's errors, e.g. "workspace database".
	Name string
	// ReadConns is the size of the read-only pool; 0 means max(4, GOMAXPROCS).
	ReadConns int
	// Pragmas are run on every connection besides the defaults, e.g. "page_size(16384)".
	Pragmas []string
	// Migrate, if set, runs on the connected writer before the read pool is opened.
	Migrate func(w *sql.DB) error
}

// Open opens (creating if needed, with its parent folder at mode 0700) the database at
// path: the writer, then opts.Migrate on it, then the read pool. Both are connected.
func Open(path string, opts Options) (w, r *sql.DB, err error) {
	if path == "" {
		return nil, nil, fmt.Errorf("opening %s: empty path", opts.Name)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("creating folder for %s %q: %w", opts.Name, path, err)
		}
	}
	// Connect the writer first: it is the connection that switches a new file to WAL.
	w, err = OpenWriter(path, opts.Pragmas...)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s %q: %w", opts.Name, path, err)
	}
	if opts.Migrate != nil {
		if err := opts.Migrate(w); err != nil {
			w.Close()
			return nil, nil, fmt.Errorf("opening %s %q: %w", opts.Name, path, err)
		}
	}

	n := opts.ReadConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	r, err = sql.Open("sqlite", dsn(path, true, opts.Pragmas))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("opening %s %q for reading: %w", opts.Name, path, err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := connect(r); err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("opening %s %q for reading: %w", opts.Name, path, err)
	}
	return w, r, nil
}

// OpenWriter opens and connects one writer connection (IMMEDIATE transactions) on path.
func OpenWriter(path string, pragmas ...string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, false, pragmas))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := connect(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the modernc.org/sqlite data source name. Every connection gets the same pragmas
// (the driver runs them on connect, busy_timeout first and the rest sorted by name, then
// journal_mode from its own key); the writer begins transactions IMMEDIATE and the readers
// are query_only.
func dsn(path string, readOnly bool, pragmas []string) string {
	p := filepath.ToSlash(path)
	if runtime.GOOS == "windows" && !strings.HasPrefix(p, "/") {
		p = "/" + p // file:/C:/...
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Statement journals (a multi-row INSERT inside a transaction keeps one) stay in memory.
	q.Add("_pragma", "temp_store(MEMORY)")
	for _, pr := range pragmas {
		q.Add("_pragma", pr)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// connect opens db's first connection. Switching a new file to WAL as the connection's
// pragmas do can fail with SQLITE_BUSY without waiting on busy_timeout while another
// process opens the same file, so a busy connect is retried until BusyTimeout.
func connect(db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := db.Ping()
		if err == nil || !IsBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// IsBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func IsBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}
