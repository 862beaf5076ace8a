package h1server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// blockingServer serves "/block" by waiting for release, everything else at once.
func blockingServer(t *testing.T) (ts *testServer, started chan struct{}, release chan struct{}) {
	started = make(chan struct{}, 4)
	release = make(chan struct{})
	ts = startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			started <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "done "+r.URL.Path)
	})})
	return ts, started, release
}

// idleConn makes a keep-alive request and leaves the connection idle.
func idleConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br := sendRaw(t, addr, "GET /idle HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := readResponse(t, br, "GET"); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("%d close=%v", resp.StatusCode, resp.Close)
	}
	return c, br
}

func TestShutdownIdle(t *testing.T) {
	ts, _, _ := blockingServer(t)
	c1, br1 := idleConn(t, ts.addr)
	c2, br2 := idleConn(t, ts.addr)
	// A connection that never sent anything counts as idle too.
	c3 := dial(t, ts.addr)

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	expectClosed(t, c1, br1)
	expectClosed(t, c2, br2)
	expectClosed(t, c3, nil)
	if err := ts.serveErr(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if c, err := net.DialTimeout("tcp", ts.addr, ioTimeout); err == nil {
		c.Close()
		t.Error("the listener still accepts")
	}
	// Serve on a closed server returns at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v", err)
	}
}

func TestShutdownWaitsForInFlight(t *testing.T) {
	ts, started, release := blockingServer(t)
	idle, idleBR := idleConn(t, ts.addr)
	c, br := sendRaw(t, ts.addr, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
	waitFor(t, started, "the handler")

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		shut <- ts.Shutdown(ctx)
	}()
	// The idle connection goes at once, while the request is still in flight.
	expectClosed(t, idle, idleBR)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	resp, body := readResponse(t, br, "GET")
	if string(body) != "done /block" {
		t.Errorf("in-flight response %d %q", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Error("the last response of a shutting-down server does not announce the close")
	}
	expectClosed(t, c, br)
	if err := waitFor(t, shut, "Shutdown"); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := ts.serveErr(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
}

// TestShutdownContextEnds checks that a Shutdown whose context ends first closes the
// active connections under their handlers and returns the context's error.
func TestShutdownContextEnds(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, started, release := blockingServer(t)
			defer close(release)
			c, br := sendRaw(t, ts.addr, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
			waitFor(t, started, "the handler")
			ctx, cancel := tc.ctx()
			defer cancel()
			if err := ts.Shutdown(ctx); !errors.Is(err, tc.want) {
				t.Errorf("Shutdown = %v, want %v", err, tc.want)
			}
			expectClosed(t, c, br)
			if err := ts.serveErr(t); !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve = %v", err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	ts, started, release := blockingServer(t)
	defer close(release)
	idle, idleBR := idleConn(t, ts.addr)
	c, br := sendRaw(t, ts.addr, "GET /block HTTP/1.1\r\nHost: h\r\n\r\n")
	waitFor(t, started, "the handler")
	if err := ts.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	expectClosed(t, idle, idleBR)
	expectClosed(t, c, br)
	if err := ts.serveErr(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if err := ts.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after Close = %v", err)
	}
}

// TestShutdownBeforeServe: a Serve that starts after Shutdown returns at once and closes
// its listener.
func TestShutdownBeforeServe(t *testing.T) {
	s := &Server{Handler: http.HandlerFunc(okHandler)}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("the listener is still open")
	}
}

// TestShutdownRace starts Serve and Shutdown together many times: Serve must always
// return.
func TestShutdownRace(t *testing.T) {
	for range 50 {
		s := &Server{Handler: http.HandlerFunc(okHandler)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		go func() { _ = s.Shutdown(context.Background()) }()
		if err := waitFor(t, done, "Serve"); !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Serve = %v", err)
		}
	}
}

// flakyListener fails its first Accepts as a process out of file descriptors does.
type flakyListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestAcceptErrorsAreRetried(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &flakyListener{Listener: inner}
	ln.failures.Store(3)
	s := &Server{Handler: http.HandlerFunc(okHandler)}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	checkServing(t, inner.Addr().String())
	_ = s.Close()
	if err := waitFor(t, done, "Serve"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
}
