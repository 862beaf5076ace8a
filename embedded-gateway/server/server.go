// Package server runs a Gateway on a listener: it applies the snapshots of a config source
// as they come, serves HTTP (or HTTPS) and an optional admin handler, and shuts down
// gracefully. The CLI's mock and gateway commands and the desktop app share it.
package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/h1server"
)

// Options is what Run serves. Gateway, Source and Listener are required.
type Options struct {
	// Gateway serves the requests; Run closes it on the way out.
	Gateway *gateway.Gateway
	// Source delivers the snapshots: a full one first, then each change.
	Source config.Source
	// Listener is where the gateway serves; Run closes it.
	Listener net.Listener
	// TLS, if set, makes the listener serve HTTPS.
	TLS *tls.Config
	// Admin, if set with AdminListener, is served there (health, metrics, live traffic).
	Admin         http.Handler
	AdminListener net.Listener
	// Ready, if set, is called once the first snapshot is applied and the listener serves,
	// with the base URL ("http://127.0.0.1:4010").
	Ready func(first *config.Snapshot, baseURL string)
	// OnApply, if set, is called after every Apply, the first included, with its error; a
	// rejected later snapshot leaves the last good one serving.
	OnApply func(s *config.Snapshot, err error)
	// ReadHeaderTimeout, IdleTimeout and MaxHeaderBytes limit the listener; zero means
	// 10 s, 2 min and 64 KiB.
	ReadHeaderTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                 int
	// ShutdownTimeout bounds the graceful shutdown; zero means 10 s.
	ShutdownTimeout time.Duration
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// Run applies the source's first snapshot, serves until ctx is done or the listener
// fails, and then shuts down gracefully: in-flight requests finish within the shutdown
// timeout. A first snapshot the gateway rejects is returned as the error.
func Run(ctx context.Context, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer o.Listener.Close()
	if o.AdminListener != nil {
		defer o.AdminListener.Close()
	}
	snaps := make(chan *config.Snapshot)
	srcErr := make(chan error, 1)
	go func() { srcErr <- o.Source.Run(runCtx, snaps) }()
	var first *config.Snapshot
	select {
	case first = <-snaps:
	case err := <-srcErr:
		if err == nil {
			err = errors.New("the configuration source stopped before its first snapshot")
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
	err := o.Gateway.Apply(first)
	if o.OnApply != nil {
		o.OnApply(first, err)
	}
	if err != nil {
		return err
	}
	go func() {
		for {
			select {
			case s := <-snaps:
				err := o.Gateway.Apply(s)
				if o.OnApply != nil {
					o.OnApply(s, err)
				}
			case <-runCtx.Done():
				return
			}
		}
	}()
	srv := newDataServer(o, log)
	served := make(chan error, 2)
	go func() { served <- srv.Serve(o.Listener) }()
	var adminSrv *http.Server
	if o.Admin != nil && o.AdminListener != nil {
		adminSrv = &http.Server{Handler: o.Admin, ReadHeaderTimeout: 10 * time.Second}
		if c, ok := o.Admin.(interface{ CloseStreams() }); ok {
			// Live traffic streams never go idle: end them so that Shutdown need not wait.
			adminSrv.RegisterOnShutdown(c.CloseStreams)
		}
		go func() { served <- adminSrv.Serve(o.AdminListener) }()
	}
	if o.Ready != nil {
		scheme := "http://"
		if o.TLS != nil {
			scheme = "https://"
		}
		o.Ready(first, scheme+o.Listener.Addr().String())
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	case err := <-srcErr:
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("configuration source stopped; serving the last snapshot", "err", err)
		}
		select {
		case <-ctx.Done():
		case serveErr = <-served:
		}
	}
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), cmp.Or(o.ShutdownTimeout, 10*time.Second))
	defer done()
	if adminSrv != nil {
		_ = adminSrv.Shutdown(shutCtx)
	}
	_ = srv.Shutdown(shutCtx)
	_ = o.Gateway.Close()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// dataServer is what serves the gateway's listener: h1server.Server for plain HTTP,
// net/http's server for HTTPS (HTTP/2, client certificates).
type dataServer interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

func newDataServer(o Options, log *slog.Logger) dataServer {
	readHeader := cmp.Or(o.ReadHeaderTimeout, 10*time.Second)
	idle := cmp.Or(o.IdleTimeout, 2*time.Minute)
	maxHeader := cmp.Or(o.MaxHeaderBytes, 64<<10)
	if o.TLS == nil {
		return &h1server.Server{
			Handler:           o.Gateway,
			ReadHeaderTimeout: readHeader,
			IdleTimeout:       idle,
			MaxHeaderBytes:    maxHeader,
			Logger:            log,
		}
	}
	return tlsServer{&http.Server{
		Handler:           o.Gateway,
		ReadHeaderTimeout: readHeader,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeader,
		TLSConfig:         o.TLS,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
}

// tlsServer serves HTTPS with net/http.
type tlsServer struct{ *http.Server }

// Serve serves HTTPS on ln.
func (s tlsServer) Serve(ln net.Listener) error {
	return s.Server.Serve(tls.NewListener(ln, s.TLSConfig))
}
