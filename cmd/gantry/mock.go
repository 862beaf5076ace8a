package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/server"
)

// mockFlags are the options of `gantry mock`.
type mockFlags struct {
	listen   string
	basePath string
	recordFlags
	noValidate bool
	noCORS     bool
}

func newMockCmd(g *globals) *cobra.Command {
	var f mockFlags
	cmd := &cobra.Command{
		Use:   "mock SPEC|API...",
		Short: "Serve mock responses for one or more APIs (files or workspace APIs) on one listener",
		Long: "Serve every operation of the given APIs from generated and example responses, validating\n" +
			"each request against the spec. An argument is a spec file (watched: edits are live within a\n" +
			"second; a broken edit keeps the last good routes) or the name of an API in the workspace.\n" +
			"Every exchange is recorded in the workspace (see `gantry traffic`).\n\n" +
			"Responses follow Prism's conventions: `Prefer: code=404`, `Prefer: example=NAME`,\n" +
			"`Prefer: dynamic=true`; the lowest 2xx by default.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runMock(cmd.Context(), g, f, args) },
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:4010", "address to listen on")
	cmd.Flags().StringVar(&f.basePath, "base-path", "", "mount the APIs here instead of their servers[0] path (/ for the root)")
	f.recordFlags.register(cmd)
	cmd.Flags().BoolVar(&f.noValidate, "no-validate", false, "do not validate requests against the spec")
	cmd.Flags().BoolVar(&f.noCORS, "no-cors", false, "do not answer CORS preflights or add Access-Control-Allow-Origin")

	return cmd
}

func runMock(ctx context.Context, g *globals, f mockFlags, args []string) error {
	log := g.logger()
	start := time.Now()

	st, dbPath, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()

	var files []config.FileSpec
	var static []*config.API
	for _, arg := range args {
		fi, statErr := os.Stat(arg)
		if statErr == nil && !fi.IsDir() {
			files = append(files, config.FileSpec{Path: arg, BasePath: f.basePath})
			continue
		}
		name, err := workspace.Resolve(ctx, st, arg)
		var def *apidef.Definition
		var rev *model.SpecRevision
		if err == nil {
			def, rev, err = workspace.Definition(ctx, st, name)
		}
		if errors.Is(err, store.ErrNotFound) {
			if statErr == nil {
				statErr = fmt.Errorf("%s is a folder", arg)
			}
			return fmt.Errorf("%s is not a spec file (%v) and not an API in the workspace: %v", arg, statErr, err)
		}
		if err != nil {
			return err
		}
		a, err := config.NewAPI(name, fmt.Sprintf("workspace:%s@%d", name, rev.ID), f.basePath, def, rev.Hash)
		if err != nil {
			return err
		}
		static = append(static, a)
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	defer ln.Close()
	var rec *capture.Recorder
	if !f.noRecord {
		rec = capture.New(st, capture.Options{Logger: log})
		defer flushRecorder(g, rec) // on every way out, with its own time budget
	}
	gw := gateway.New(gateway.Options{
		Logger:         log,
		Recorder:       rec,
		Capture:        capture.CaptureOptions{BodyLimit: f.bodyLimit},
		SkipValidation: f.noValidate,
		CORS:           !f.noCORS,
	})

	var src config.Source
	if len(files) > 0 {
		src = &config.FileSource{
			Specs:  files,
			Static: static,
			Load:   loadSpecFile(g),
			Logger: log,
			OnError: func(err error) {
				fmt.Fprintf(g.stderr, "reload failed, still serving the last good version:\n%v\n", err)
			},
		}
	} else {
		src = config.Static(&config.Snapshot{Revision: 1, APIs: static})
	}

	return serve(ctx, g, serveOptions{
		gateway:  gw,
		source:   src,
		listener: ln,
		recorder: rec,
		ready: func(first *config.Snapshot, base string) {
			for _, a := range first.APIs {
				fmt.Fprintf(g.stdout, "Mocking %s (%s %s, %d ops) at %s%s\n", a.Name, a.Definition.Title, a.Definition.Version,
					len(a.Definition.Operations), base, a.BasePath+"/")
			}
			if rec != nil {
				fmt.Fprintf(g.stdout, "Recording exchanges in %s\n", dbPath)
			}
			fmt.Fprintf(g.stdout, "Ready in %s. Press Ctrl-C to stop.\n", time.Since(start).Round(time.Millisecond))
		},
	})
}

// serveOptions is what serve runs.
type serveOptions struct {
	gateway  *gateway.Gateway
	source   config.Source
	listener net.Listener
	recorder *capture.Recorder // nil: not recording
	// admin, if set, is served on adminListener.
	admin         http.Handler
	adminListener net.Listener
	// ready is called once the first snapshot is applied and the listener serves.
	ready func(first *config.Snapshot, base string)
	// onApply, if set, is called after every successful Apply (metrics).
	onApply func(s *config.Snapshot, err error)
	// tls, if set, makes the listener serve HTTPS.
	tls *tls.Config
	// limits for the listener; zero fields take the defaults (10s, 2m, 64 KiB).
	readHeaderTimeout, idleTimeout time.Duration
	maxHeaderBytes                 int
}

// serve applies the source's snapshots to the gateway and serves it until ctx is done
// (Ctrl-C), then shuts down gracefully: in-flight requests finish, then the recorder is
// flushed by the caller's deferred Close. Reloads are reported on stderr.
func serve(ctx context.Context, g *globals, o serveOptions) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var gc servingGC
	defer gc.restore()
	applied := 0
	return server.Run(runCtx, server.Options{
		Gateway:           o.gateway,
		Source:            o.source,
		Listener:          o.listener,
		TLS:               o.tls,
		Admin:             o.admin,
		AdminListener:     o.adminListener,
		ReadHeaderTimeout: o.readHeaderTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    o.maxHeaderBytes,
		Logger:            g.logger(),
		OnApply: func(s *config.Snapshot, err error) {
			if o.onApply != nil {
				o.onApply(s, err)
			}
			applied++
			if applied == 1 {
				return
			}
			if err != nil {
				fmt.Fprintf(g.stderr, "reload rejected, still serving the last good version: %v\n", err)
			} else {
				fmt.Fprintf(g.stderr, "reloaded (revision %d)\n", s.Revision)
			}
		},
		Ready: func(first *config.Snapshot, base string) {
			gc.start() // after start-up, whose peak memory it would raise
			o.ready(first, base)
			if o.recorder != nil {
				go reportDrops(runCtx, g, o.recorder)
			}
		},
	})
}

// loadSpecFile adapts spec.Load to config.LoadFunc, printing the importer's warnings.
func loadSpecFile(g *globals) config.LoadFunc {
	return func(path string) (*apidef.Definition, []string, error) {
		s, warns, err := spec.Load(path, spec.Options{})
		if err != nil {
			return nil, nil, err
		}
		printWarnings(g, warns)
		dir := filepath.Dir(s.Path)
		files := make([]string, 0, len(s.Files))
		for _, f := range s.Files {
			files = append(files, filepath.Join(dir, filepath.FromSlash(f.Path)))
		}
		return s.Definition, files, nil
	}
}

// reportDrops warns, at most every few seconds, when the recorder had to drop exchanges
// because the workspace could not keep up.
func reportDrops(ctx context.Context, g *globals, rec *capture.Recorder) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s := rec.Stats()
			if s.Dropped > last {
				fmt.Fprintf(g.stderr, "warning: %d exchange%s not recorded (the workspace could not keep up; %d dropped in all)\n",
					s.Dropped-last, plural(int(s.Dropped-last)), s.Dropped)
				last = s.Dropped
			}
		}
	}
}
