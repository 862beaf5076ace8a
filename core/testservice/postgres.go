package testservice

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresPackage is the Debian package that provides initdb and postgres.
const postgresPackage = "postgresql"

// postgresUser is the system user the server runs as when the tests run as root, which
// postgres refuses.
const postgresUser = "postgres"

// pgServer is a PostgreSQL server started by this test binary.
type pgServer struct {
	port int
	dir  string
	proc *process
}

// The PostgreSQL server is shared by every test of one test binary: initdb and start-up
// take seconds, a database takes milliseconds. It is started by the first test that asks
// and stopped (its directory removed) when the binary exits; see supervisor.
var shared struct {
	once   sync.Once
	srv    *pgServer
	skip   string // why the server cannot exist here: skip (or fail on CI)
	err    error  // the server should exist but failed to start: fail
	dbs    atomic.Uint64
	connMu sync.Mutex // serializes CREATE/DROP DATABASE
}

// Postgres returns the DSN of an empty database of its own for t, dropped when t ends.
// The database is on the server GANTRY_TEST_POSTGRES names when set (if its user may not
// create databases, the DSN itself is returned and tests share its database), else on a
// PostgreSQL server started from the installed initdb and postgres (PATH, then
// /usr/lib/postgresql/*/bin) and shared by the test binary: trust authentication, its
// socket in its own temporary directory, listening on 127.0.0.1 only. As root, the server
// runs as the postgres system user.
func Postgres(t testing.TB) string {
	t.Helper()
	if env := os.Getenv(EnvPostgres); env != "" {
		return databaseOn(t, env, true)
	}
	shared.once.Do(func() { shared.srv, shared.skip, shared.err = startPostgres() })
	if shared.skip != "" {
		unavailable(t, "%s", shared.skip)
	}
	if shared.err != nil {
		t.Fatalf("starting PostgreSQL: %v", shared.err)
	}
	return databaseOn(t, shared.srv.dsn("postgres"), false)
}

// dsn returns the DSN of database db on s.
func (s *pgServer) dsn(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", postgresUser, s.port, url.PathEscape(db))
}

// findPostgres returns the directory holding both initdb and postgres.
func findPostgres() (string, bool) {
	var dirs []string
	if p, ok := lookPath("initdb"); ok {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first.
	version := func(dir string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return n
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	dirs = append(dirs, found...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, true
		}
	}
	return "", false
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// startPostgres runs initdb and starts the shared server. It returns a skip reason when
// the server cannot be run on this machine at all, an error when starting it failed.
func startPostgres() (*pgServer, string, error) {
	bin, ok := findPostgres()
	if !ok {
		return nil, fmt.Sprintf("initdb and postgres not found on PATH or in /usr/lib/postgresql/*/bin; install the Debian package %q (or set %s to a DSN)", postgresPackage, EnvPostgres), nil
	}
	var cred *syscall.Credential
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup(postgresUser)
		if err != nil {
			return nil, fmt.Sprintf("running as root, and postgres refuses to run as root, but there is no %q user to run it as (%v); install the Debian package %q or run the tests as another user", postgresUser, err, postgresPackage), nil
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: false}
	}
	dir, err := os.MkdirTemp("", "gantry-pg-")
	if err != nil {
		return nil, "", fmt.Errorf("creating the server directory: %w", err)
	}
	started := false
	defer func() {
		if !started {
			_ = os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, "", fmt.Errorf("handing %s to the %s user: %w", dir, postgresUser, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", postgresUser, "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("initdb in %s: %w\n%s", dir, err, out)
	}
	log := filepath.Join(dir, "postgres.log")
	if cred != nil {
		// The supervisor runs as the postgres user, so the log must be theirs to append to.
		f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, "", fmt.Errorf("creating the server log: %w", err)
		}
		f.Close()
		if err := os.Chown(log, uid, gid); err != nil {
			return nil, "", fmt.Errorf("handing the server log to the %s user: %w", postgresUser, err)
		}
	}
	var lastErr error
	for range 3 { // a free port can be taken before the server binds it
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		argv := []string{filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", strconv.Itoa(port),
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=200"}
		p, err := startProcess(argv, procOptions{log: log, cred: cred, rmDir: dir, dir: dir, signal: "INT"})
		if err != nil {
			return nil, "", err
		}
		s := &pgServer{port: port, dir: dir, proc: p}
		if lastErr = s.waitReady(30 * time.Second); lastErr == nil {
			started = true
			return s, "", nil
		}
		_ = p.stop(10 * time.Second)
	}
	return nil, "", lastErr
}

// waitReady waits until the server accepts connections.
func (s *pgServer) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if s.proc.exited() {
			return fmt.Errorf("postgres exited on port %d: %v\n%s", s.port, s.proc.err, tail(s.proc.log, 4096))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.dsn("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			_ = c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres on port %d did not accept connections within %s: %w\n%s", s.port, timeout, err, tail(s.proc.log, 4096))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseOn creates a database for t on the server of dsn and returns its DSN; it is
// dropped when t ends. With shareOnDenied, a server that refuses CREATE DATABASE yields
// dsn itself.
func databaseOn(t testing.TB, dsn string, shareOnDenied bool) string {
	t.Helper()
	name := unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_")
	suffix := fmt.Sprintf("_%d_%d", os.Getpid(), shared.dbs.Add(1))
	name = "t_" + name[:min(len(name), 63-2-len(suffix))] + suffix
	ident := pgx.Identifier{name}.Sanitize()
	exec := func(sql string) error {
		shared.connMu.Lock()
		defer shared.connMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("connecting to PostgreSQL: %w", err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	}
	if err := exec("CREATE DATABASE " + ident); err != nil {
		if shareOnDenied {
			t.Logf("using %s as is, without a database of the test's own: %v", EnvPostgres, err)
			return dsn
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	out, err := withDatabase(dsn, name)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withDatabase returns dsn (URL or key=value form) naming database db instead.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parsing the PostgreSQL DSN: %w", err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	return dsn + " dbname='" + db + "'", nil
}
