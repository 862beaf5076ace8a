package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/intercept"
)

// interceptFlags are the options of `gantry intercept`.
type interceptFlags struct {
	listen  string
	exclude []string
	mocks   []string
	recordFlags
	keepSecrets bool
}

func newInterceptCmd(g *globals) *cobra.Command {
	var f interceptFlags
	cmd := &cobra.Command{
		Use:   "intercept",
		Short: "Run an intercepting HTTP/HTTPS proxy that records every exchange",
		Long: "Run a forward proxy that records every exchange passing through it in the workspace (see\n" +
			"`gantry traffic`), HTTPS included. Point a client at it (HTTP_PROXY and HTTPS_PROXY set to\n" +
			"the proxy's URL, or its proxy settings) and make it trust Gantry's local CA, which is created\n" +
			"on first use (see `gantry ca path`); the proxy also serves the certificate at\n" +
			"http://ADDR" + intercept.CADownloadPath + ".\n\n" +
			"--exclude HOST tunnels a host untouched (the client sees its real certificate); HOST is a\n" +
			"name, *.domain, * or an IP address, optionally with :port. --mock HOST=SPEC answers a host\n" +
			"from a mock of SPEC (a spec file, watched for edits, or a workspace API) instead of the\n" +
			"network; HOST/PATH=SPEC mocks only the paths under PATH.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runIntercept(cmd.Context(), g, f) },
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:8000", "address to listen on")
	cmd.Flags().StringArrayVar(&f.exclude, "exclude", nil, "tunnel this host without intercepting it (repeatable)")
	cmd.Flags().StringArrayVar(&f.mocks, "mock", nil, "answer HOST[/PATH] from a mock of SPEC (a spec file or workspace API), as HOST=SPEC (repeatable)")
	f.recordFlags.register(cmd)
	cmd.Flags().BoolVar(&f.keepSecrets, "keep-secrets", false, "record credentials (Authorization, cookies, API keys) verbatim instead of redacted")
	return cmd
}

func runIntercept(ctx context.Context, g *globals, f interceptFlags) error {
	log := g.logger()
	start := time.Now()

	authority, err := loadCA(g)
	if err != nil {
		return err
	}
	st, dbPath, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	rules, mocked, err := mockRules(runCtx, g, st, f, log)
	if err != nil {
		return err
	}

	var rec *capture.Recorder
	if !f.noRecord {
		rec = capture.New(st, capture.Options{Logger: log})
		defer flushRecorder(g, rec) // on every way out, with its own time budget
	}
	proxy, err := intercept.New(intercept.Options{
		CA:           authority,
		Recorder:     rec,
		ExcludeHosts: f.exclude,
		Rules:        rules,
		MaxBodyBytes: f.bodyLimit,
		KeepSecrets:  f.keepSecrets,
		Logger:       log,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	defer ln.Close()
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		fmt.Fprintf(g.stderr, "warning: %s is reachable from other machines and asks for no credentials: "+
			"anyone who can reach it can proxy through it, and their traffic is recorded\n", ln.Addr())
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	proxyURL := "http://" + ln.Addr().String()
	fmt.Fprintf(g.stdout, "Intercepting on %s\n", proxyURL)
	fmt.Fprintf(g.stdout, "Point clients at it: HTTP_PROXY=%s HTTPS_PROXY=%s\n", proxyURL, proxyURL)
	fmt.Fprintf(g.stdout, "Clients must trust the CA certificate %s (also at %s%s)\n", authority.CertPath(), proxyURL, intercept.CADownloadPath)
	for _, m := range mocked {
		fmt.Fprintln(g.stdout, m)
	}
	for _, h := range f.exclude {
		fmt.Fprintf(g.stdout, "Tunnelling %s without intercepting it\n", h)
	}
	if rec != nil {
		fmt.Fprintf(g.stdout, "Recording exchanges in %s\n", dbPath)
		go reportDrops(runCtx, g, rec)
	}
	fmt.Fprintf(g.stdout, "Ready in %s. Press Ctrl-C to stop.\n", time.Since(start).Round(time.Millisecond))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	_ = srv.Shutdown(shutCtx)
	// Requests on intercepted connections outlive Shutdown: give them a moment to finish
	// so that their exchanges are recorded, without waiting on endless streams.
	waitCtx, waitDone := context.WithTimeout(shutCtx, 2*time.Second)
	defer waitDone()
	if err := proxy.Wait(waitCtx); err != nil {
		log.Warn("stopping with intercepted requests still running; they are not recorded")
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// mockRules builds one rule per --mock flag: a mock gateway for the spec file (reloaded
// when it changes) or workspace API, answering the host (and path prefix) it names. The
// gateways run until ctx is done. It also returns a line describing each mock.
func mockRules(ctx context.Context, g *globals, st *sqlite.Store, f interceptFlags, log *slog.Logger) ([]intercept.Rule, []string, error) {
	var rules []intercept.Rule
	var lines []string
	for _, m := range f.mocks {
		target, arg, ok := strings.Cut(m, "=")
		if !ok || target == "" || arg == "" {
			return nil, nil, fmt.Errorf("--mock %q: write HOST=SPEC or HOST/PATH=SPEC, where SPEC is a spec file or a workspace API", m)
		}
		host, prefix := target, ""
		if i := strings.Index(target, "/"); i >= 0 {
			host, prefix = target[:i], target[i:]
		}
		src, err := mockSource(ctx, g, st, arg, log)
		if err != nil {
			return nil, nil, fmt.Errorf("--mock %s: %w", m, err)
		}
		gw := gateway.New(gateway.Options{
			Logger:  log,
			Capture: capture.CaptureOptions{KeepSecrets: f.keepSecrets}, // redaction of spec-declared keys
			CORS:    true,
		})
		first, err := runSource(ctx, g, src, gw, target)
		if err != nil {
			return nil, nil, fmt.Errorf("--mock %s: %w", m, err)
		}
		rules = append(rules, intercept.Rule{Host: host, PathPrefix: prefix, Handler: gw})
		for _, a := range first.APIs {
			lines = append(lines, fmt.Sprintf("Mocking %s%s with %s (%s %s, %d ops) at %s",
				host, prefix, a.Name, a.Definition.Title, a.Definition.Version, len(a.Definition.Operations), a.BasePath+"/"))
		}
	}
	return rules, lines, nil
}

// mockSource returns the configuration source for a --mock argument: a watched spec file
// or an API of the workspace.
func mockSource(ctx context.Context, g *globals, st *sqlite.Store, arg string, log *slog.Logger) (config.Source, error) {
	fi, statErr := os.Stat(arg)
	if statErr == nil && !fi.IsDir() {
		return &config.FileSource{
			Specs:  []config.FileSpec{{Path: arg}},
			Load:   loadSpecFile(g),
			Logger: log,
			OnError: func(err error) {
				fmt.Fprintf(g.stderr, "reload of %s failed, still serving the last good version:\n%v\n", arg, err)
			},
		}, nil
	}
	name, err := workspace.Resolve(ctx, st, arg)
	if err == nil {
		var def *apidef.Definition
		var rev *model.SpecRevision
		if def, rev, err = workspace.Definition(ctx, st, name); err == nil {
			a, err := config.NewAPI(name, fmt.Sprintf("workspace:%s@%d", name, rev.ID), "", def, rev.Hash)
			if err != nil {
				return nil, err
			}
			return config.Static(&config.Snapshot{Revision: 1, APIs: []*config.API{a}}), nil
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		if statErr == nil {
			statErr = fmt.Errorf("%s is a folder", arg)
		}
		return nil, fmt.Errorf("%s is not a spec file (%v) and not an API in the workspace: %v", arg, statErr, err)
	}
	return nil, err
}

// runSource runs src until ctx is done, applying its snapshots to gw; it returns once the
// first snapshot is applied.
func runSource(ctx context.Context, g *globals, src config.Source, gw *gateway.Gateway, label string) (*config.Snapshot, error) {
	snaps := make(chan *config.Snapshot)
	srcErr := make(chan error, 1)
	go func() { srcErr <- src.Run(ctx, snaps) }()
	var first *config.Snapshot
	select {
	case first = <-snaps:
	case err := <-srcErr:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := gw.Apply(first); err != nil {
		return nil, err
	}
	go func() {
		for {
			select {
			case s := <-snaps:
				if err := gw.Apply(s); err != nil {
					fmt.Fprintf(g.stderr, "mock of %s: reload rejected, still serving the last good version: %v\n", label, err)
				} else {
					fmt.Fprintf(g.stderr, "mock of %s reloaded (revision %d)\n", label, s.Revision)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return first, nil
}
