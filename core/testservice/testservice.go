// Package testservice gives tests a real PostgreSQL or Redis server.
//
// Postgres and Redis use the server named by GANTRY_TEST_POSTGRES (a DSN) or
// GANTRY_TEST_REDIS (host:port) when it is set; otherwise they start a throwaway server
// from the installed binaries on a free loopback port in a temporary directory, and stop
// it when the test (or, for the shared PostgreSQL server, the test binary) ends. When the
// binaries are not installed the test is skipped with a message naming the Debian package
// to install, except under CI=true, where it fails instead: CI never skips these tests.
//
// It is a normal package, not a _test file, so that the tests of several packages can
// import it; nothing outside tests should.
package testservice

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
)

// Environment variables that name existing servers, and the CI switch.
const (
	// EnvPostgres names a PostgreSQL server by DSN (URL or key=value form); each test
	// gets its own database on it when the DSN's user may create databases.
	EnvPostgres = "GANTRY_TEST_POSTGRES"
	// EnvRedis names a Redis server by address (host:port, or redis://host:port); tests
	// share it and must keep to keys of their own.
	EnvRedis = "GANTRY_TEST_REDIS"
	// EnvCI is "true" on CI, where a missing server fails the test instead of skipping it.
	EnvCI = "CI"
)

// unavailable skips t with the reason, or fails it when running on CI.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvCI) == "true" {
		t.Fatalf("%s (CI=true: not skipping)", msg)
	}
	t.Skip(msg)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// lookPath finds an executable on PATH.
func lookPath(name string) (string, bool) {
	p, err := exec.LookPath(name)
	return p, err == nil
}

// tail returns the last n bytes of a file, for failure messages.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(0, fi.Size()-n)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return string(buf)
}
