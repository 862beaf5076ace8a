// Package h1server serves HTTP/1.x on a plain listener for the gateway's data plane: one
// goroutine per connection that parses requests, runs the handler and writes the response
// with no per-request helper goroutine, where net/http starts a background read for every
// request. TLS listeners (HTTP/2, client certificates) stay on net/http.
package h1server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is what Serve returns after Shutdown or Close: net/http's own value, so
// callers can treat both servers alike.
var ErrServerClosed = http.ErrServerClosed

// Server serves HTTP/1.0 and HTTP/1.1 requests to a handler. The zero value of every
// limit means the default named on it.
type Server struct {
	// Handler answers requests (nil means http.DefaultServeMux); "OPTIONS *" gets 200, as from net/http.
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request's line and header fields (default 10 s):
	// a client that sends them slowly is cut off.
	ReadHeaderTimeout time.Duration
	// ReadTimeout, if set, bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout, if set, bounds writing a response, from the end of the request's header.
	WriteTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive connection
	// (default 2 min).
	IdleTimeout time.Duration
	// MaxHeaderBytes limits the request line and header fields together (default 64 KiB);
	// more gets 431.
	MaxHeaderBytes int
	// DisconnectCheck is how long a handler may run before the server starts watching the
	// connection for the client going away, to cancel the request's context (default
	// 250 ms). Quick requests never pay for the watch.
	DisconnectCheck time.Duration
	// Logger receives connection-level errors at debug level; nil discards them.
	Logger *slog.Logger

	mu       sync.Mutex
	lns      map[*net.Listener]struct{}
	conns    map[*conn]struct{}
	closing  atomic.Bool
	done     chan struct{}
	doneOnce sync.Once
}

func (s *Server) readHeaderTimeout() time.Duration {
	return cmp.Or(s.ReadHeaderTimeout, 10*time.Second)
}

func (s *Server) idleTimeout() time.Duration { return cmp.Or(s.IdleTimeout, 2*time.Minute) }

func (s *Server) maxHeaderBytes() int { return cmp.Or(s.MaxHeaderBytes, 64<<10) }

func (s *Server) disconnectCheck() time.Duration {
	return cmp.Or(s.DisconnectCheck, 250*time.Millisecond)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) doneChan() chan struct{} {
	s.doneOnce.Do(func() { s.done = make(chan struct{}) })
	return s.done
}

// Serve accepts connections on ln and serves each on its own goroutine until Shutdown or
// Close; it then returns ErrServerClosed. ln is closed on the way out.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		// Checked under the lock, so that closeListeners either sees ln or is seen here.
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	if s.lns == nil {
		s.lns = map[*net.Listener]struct{}{}
	}
	s.lns[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, &ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()
	var delay time.Duration
	baseCtx := context.WithValue(context.Background(), http.ServerContextKey, s.stdServer())
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			// Out of file descriptors, an aborted handshake or similar: back off and retry,
			// as net/http does, rather than give up the listener.
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logger().Debug("accept failed; retrying", "err", err, "in", delay)
				select {
				case <-time.After(delay):
				case <-s.doneChan():
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		delay = 0
		c := newConn(s, nc, baseCtx)
		if !s.track(c, true) {
			_ = nc.Close()
			return ErrServerClosed
		}
		go c.serve()
	}
}

// stdServer describes the server as an *http.Server, for handlers that look for one under
// http.ServerContextKey as they would under net/http: httputil.ReverseProxy, for one, aborts
// a response whose upstream broke off (panicking with http.ErrAbortHandler) only then, and
// otherwise ends it as if it were complete. The value is never started.
func (s *Server) stdServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: s.readHeaderTimeout(),
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.idleTimeout(),
		MaxHeaderBytes:    s.maxHeaderBytes(),
	}
}

// track adds or removes a connection; adding fails once the server is closing.
func (s *Server) track(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = map[*conn]struct{}{}
		}
		s.conns[c] = struct{}{}
		return true
	}
	delete(s.conns, c)
	return true
}

// closeListeners stops accepting; the caller holds no lock.
func (s *Server) closeListeners() {
	s.closing.Store(true)
	s.doneOnce.Do(func() { s.done = make(chan struct{}) })
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	for ln := range s.lns {
		_ = (*ln).Close()
	}
}

// Shutdown stops accepting, closes idle connections, and waits for the requests in flight
// to finish, or for ctx to end (then the rest are closed and ctx's error returned).
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			s.closeAll()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops accepting and closes every connection at once.
func (s *Server) Close() error {
	s.closeListeners()
	s.closeAll()
	return nil
}

// closeIdle closes the connections waiting for a request and reports whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.closeIfIdle() {
			delete(s.conns, c)
		}
	}
	return len(s.conns) == 0
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		// A hijacked connection is its handler's, as with net/http.
		if c.state.Load() != stateHijacked {
			_ = c.rwc.Close()
		}
		delete(s.conns, c)
	}
}
