package testservice

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// redisPackage is the Debian package that provides redis-server.
const redisPackage = "redis-server"

// Redis returns the address (host:port) of a Redis server for t: GANTRY_TEST_REDIS when
// set (tests share it and must use keys of their own), else a fresh redis-server started
// for t and stopped when t ends.
func Redis(t testing.TB) string {
	t.Helper()
	if env := os.Getenv(EnvRedis); env != "" {
		addr := strings.TrimSuffix(strings.TrimPrefix(env, "redis://"), "/")
		if err := pingRedis(addr, 5*time.Second); err != nil {
			t.Fatalf("%s=%s: %v", EnvRedis, env, err)
		}
		return addr
	}
	return StartRedis(t).Addr()
}

// RedisServer is a redis-server started for one test, on a loopback port that stays the
// same across Stop and Start, so that clients reconnect to it. It keeps nothing on disk.
// Its methods must be called from the test's goroutine (they fail the test on error).
type RedisServer struct {
	t    testing.TB
	bin  string
	dir  string
	addr string
	port int

	mu   sync.Mutex
	proc *process // nil while stopped
}

// StartRedis starts a redis-server for t (whatever GANTRY_TEST_REDIS says, since a test
// that stops and restarts the server needs one of its own) and stops it when t ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin, ok := lookPath("redis-server")
	if !ok {
		unavailable(t, "redis-server not found on PATH; install the Debian package %q (or set %s=host:port)", redisPackage, EnvRedis)
	}
	s := &RedisServer{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc != nil {
			if err := s.proc.stop(10 * time.Second); err != nil {
				t.Errorf("stopping redis-server: %v", err)
			}
			s.proc = nil
		}
	})
	var lastErr error
	for range 3 { // a free port can be taken by someone else before the server binds it
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.port, s.addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

// Addr returns the server's address, 127.0.0.1:port.
func (s *RedisServer) Addr() string { return s.addr }

// Stop shuts the server down (SIGTERM) and waits until it has exited; its data is lost.
// Stopping a stopped server does nothing.
func (s *RedisServer) Stop() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	err := s.proc.stop(10 * time.Second)
	s.proc = nil
	if err != nil {
		s.t.Fatalf("stopping redis-server: %v", err)
	}
}

// Start starts a stopped server again on the same port and waits until it answers PING.
// Starting a running server does nothing.
func (s *RedisServer) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restarting redis-server: %v", err)
	}
}

func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	argv := []string{s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "",
	}
	log := filepath.Join(s.dir, "redis.log")
	p, err := startProcess(argv, procOptions{log: log})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if p.exited() {
			return fmt.Errorf("redis-server exited on port %d: %v\n%s", s.port, p.err, tail(log, 2048))
		}
		if pingRedis(s.addr, time.Second) == nil {
			s.proc = p
			return nil
		}
		if time.Now().After(deadline) {
			_ = p.stop(5 * time.Second)
			return fmt.Errorf("redis-server on port %d did not answer PING within 15s\n%s", s.port, tail(log, 2048))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pingRedis sends PING to addr and expects +PONG.
func pingRedis(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return fmt.Errorf("connecting to redis: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("sending PING: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the PING reply: %w", err)
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
