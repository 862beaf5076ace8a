package testservice

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgres(t *testing.T) {
	dsns := map[string]bool{}
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			dsn := Postgres(t)
			if dsns[dsn] {
				t.Fatalf("two tests got the same database: %s", dsn)
			}
			dsns[dsn] = true
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			// A fresh database: the table does not exist yet in either subtest.
			if _, err := c.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.QueryRow(ctx, "INSERT INTO t VALUES (1) RETURNING id").Scan(&n); err != nil || n != 1 {
				t.Fatalf("insert = %d, %v", n, err)
			}
		})
	}
}

func TestRedis(t *testing.T) {
	addr := Redis(t)
	if err := pingRedis(addr, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestRedisStopStart(t *testing.T) {
	s := StartRedis(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("address %q is not on loopback", s.Addr())
	}
	steps := []struct {
		name string
		do   func()
		up   bool
	}{
		{"running", func() {}, true},
		{"stopped", s.Stop, false},
		{"stopped twice", s.Stop, false},
		{"restarted", s.Start, true},
		{"started twice", s.Start, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			err := pingRedis(s.Addr(), time.Second)
			if up := err == nil; up != st.up {
				t.Fatalf("up = %v (%v), want %v", up, err, st.up)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"url", "postgres://u:p@h:5432/old?sslmode=disable", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"url without database", "postgresql://h", "postgresql://h/new"},
		{"key value", "host=h user=u", "host=h user=u dbname='new'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withDatabase(tt.dsn, "new")
			if err != nil || got != tt.want {
				t.Fatalf("withDatabase = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		ci       string
		wantSkip bool
	}{
		{"developer machine", "", true},
		{"CI", "true", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvCI, tt.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() { // Skip and Fatal end the goroutine that calls them
				defer close(done)
				unavailable(r, "install %q", "x")
			}()
			<-done
			if r.skipped != tt.wantSkip || r.failed == tt.wantSkip {
				t.Fatalf("skipped %v failed %v, want skip %v", r.skipped, r.failed, tt.wantSkip)
			}
			if !strings.Contains(r.msg, `install "x"`) {
				t.Fatalf("message %q", r.msg)
			}
		})
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of acting on them.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, strings.TrimSpace(fmt.Sprint(args...))
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestSupervisor: when the test binary goes away (its end of the pipe closes), the
// supervised server is stopped and its directory removed.
func TestSupervisor(t *testing.T) {
	tests := []struct {
		name  string
		rmDir bool
	}{
		{"keeps the directory", false},
		{"removes the directory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "gantry-supervisor-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			opts := procOptions{log: filepath.Join(t.TempDir(), "log")}
			if tt.rmDir {
				opts.rmDir = dir
			}
			p, err := startProcess([]string{"sleep", "60"}, opts)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if p.exited() {
				t.Fatalf("exited early: %v\n%s", p.err, tail(opts.log, 1024))
			}
			_ = p.stdin.Close() // what the binary's exit does
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Fatal("the server was not stopped")
			}
			_, err = os.Stat(dir)
			if gone := os.IsNotExist(err); gone != tt.rmDir {
				t.Fatalf("directory gone = %v, want %v", gone, tt.rmDir)
			}
		})
	}
}
