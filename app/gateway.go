package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/server"
)

// DefaultListen is where the desktop's gateway listens unless told otherwise.
const DefaultListen = "127.0.0.1:4010"

// GatewayService runs the embedded gateway over the workspace's APIs: every change to
// them is applied at once, and a change the gateway rejects keeps the last good routes.
type GatewayService struct {
	st  *sqlite.Store
	rec *capture.Recorder
	log *slog.Logger
	ev  Events

	mu     sync.Mutex
	status GatewayStatus
	src    *workspace.Source
	cancel context.CancelFunc
	done   chan struct{}
}

// GatewayStatus is the gateway's state.
type GatewayStatus struct {
	Running  bool         `json:"running"`
	Listen   string       `json:"listen"`
	BaseURL  string       `json:"baseURL"`
	APIs     []GatewayAPI `json:"apis"`
	Revision uint64       `json:"revision"`
	// Error is the last failure: while running, why a reload was rejected (the last good
	// routes keep serving); when not running, why the gateway did not start or stopped. A
	// deliberate Stop clears it.
	Error string `json:"error"`
}

// GatewayAPI is one API the gateway serves.
type GatewayAPI struct {
	Name       string `json:"name"`
	BaseURL    string `json:"baseURL"`
	Operations int    `json:"operations"`
}

// Status returns the gateway's state.
func (s *GatewayService) Status() (GatewayStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked(), nil
}

func (s *GatewayService) snapshotLocked() GatewayStatus {
	st := s.status
	st.APIs = append([]GatewayAPI{}, st.APIs...)
	return st
}

// Start serves the named APIs (every API when none are named) on listen ("" means
// DefaultListen), stopping a gateway already running first. It returns once the gateway
// serves, or with the reason it could not start.
func (s *GatewayService) Start(listen string, apis []string) (GatewayStatus, error) {
	if listen == "" {
		listen = DefaultListen
	}
	if _, err := s.Stop(); err != nil {
		return GatewayStatus{}, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return s.fail(listen, fmt.Errorf("cannot listen on %s: %w (choose another port)", listen, err))
	}
	src := workspace.NewSource(s.st, apis...)
	src.Logger = s.log
	gw := gateway.New(gateway.Options{Logger: s.log, Recorder: s.rec, CORS: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	ready := make(chan error, 1)
	base := "http://" + ln.Addr().String()

	s.mu.Lock()
	s.src, s.cancel, s.done = src, cancel, done
	s.status = GatewayStatus{Listen: ln.Addr().String(), BaseURL: base}
	s.mu.Unlock()

	go func() {
		defer close(done)
		err := server.Run(ctx, server.Options{
			Gateway: gw, Source: src, Listener: ln, Logger: s.log,
			Ready: func(*config.Snapshot, string) { ready <- nil },
			OnApply: func(snap *config.Snapshot, err error) {
				s.applied(base, snap, err)
			},
		})
		s.mu.Lock()
		s.status.Running = false
		if err != nil && !errors.Is(err, context.Canceled) {
			s.status.Error = err.Error()
		}
		st := s.snapshotLocked()
		s.mu.Unlock()
		select {
		case ready <- err:
		default:
		}
		s.emit(st)
	}()
	if err := <-ready; err != nil {
		cancel()
		<-done
		return s.fail(listen, err)
	}
	return s.Status()
}

// applied records the outcome of applying a snapshot.
func (s *GatewayService) applied(base string, snap *config.Snapshot, err error) {
	s.mu.Lock()
	if err != nil {
		s.status.Error = err.Error() // the last good routes keep serving
	} else {
		s.status.Running = true
		s.status.Error = ""
		s.status.Revision = snap.Revision
		s.status.APIs = s.status.APIs[:0]
		for _, a := range snap.APIs {
			s.status.APIs = append(s.status.APIs, GatewayAPI{Name: a.Name, BaseURL: base + a.BasePath, Operations: len(a.Definition.Operations)})
		}
	}
	st := s.snapshotLocked()
	s.mu.Unlock()
	s.emit(st)
}

func (s *GatewayService) fail(listen string, err error) (GatewayStatus, error) {
	s.mu.Lock()
	s.status = GatewayStatus{Listen: listen, Error: err.Error()}
	st := s.snapshotLocked()
	s.mu.Unlock()
	s.emit(st)
	return st, err
}

// Stop stops the gateway, letting requests under way finish.
func (s *GatewayService) Stop() (GatewayStatus, error) {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done, s.src = nil, nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	s.mu.Lock()
	s.status.Running, s.status.Error = false, ""
	st := s.snapshotLocked()
	s.mu.Unlock()
	if cancel != nil {
		s.emit(st)
	}
	return st, nil
}

// poke makes a running gateway look at the workspace now.
func (s *GatewayService) poke() {
	s.mu.Lock()
	src := s.src
	s.mu.Unlock()
	if src != nil {
		src.Poke()
	}
}

func (s *GatewayService) emit(st GatewayStatus) {
	if s.ev != nil {
		s.ev.Emit("gateway:status", st)
	}
}
