// Package app holds the desktop's Wails-bound services: thin facades over the core,
// gateway and capture packages that return (T, error) to the web UI and push live data
// as events. Nothing here is needed by the CLI; logic the CLI shares lives in those
// packages.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/sync/login"
)

// Events sends live data to the UI.
type Events interface {
	// Emit sends one event with its payload.
	Emit(name string, payload any)
}

// Dialogs asks the user for files.
type Dialogs interface {
	// OpenFile asks for an existing file; "" when cancelled.
	OpenFile(title string, patterns ...string) (string, error)
	// SaveFile asks where to save a file; "" when cancelled.
	SaveFile(title, defaultName string) (string, error)
}

// Options configures an App.
type Options struct {
	// Store is the workspace; the App does not close it.
	Store *sqlite.Store
	// DBPath is where the workspace lives, shown to the user.
	DBPath string
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Version is the app's version, recorded in exports.
	Version string
	// Logins keeps the management server's login; nil means the one the CLI shares
	// (login.Default()).
	Logins *login.Store
}

// App owns the services and their lifecycle. It is not bound to the UI itself.
type App struct {
	// Workspace manages APIs and their specs.
	Workspace *WorkspaceService
	// Gateway runs the embedded mock gateway.
	Gateway *GatewayService
	// Traffic lists, inspects and exports captured exchanges.
	Traffic *TrafficService
	// Console sends requests, keeps environments and saved requests, and runs tests.
	Console *ConsoleService
	// Policies edits the gateway policies of the workspace's APIs.
	Policies *PolicyService
	// Hosted logs in to a management server and publishes to its catalogs.
	Hosted *HostedService

	log      *slog.Logger
	recorder *capture.Recorder
	cancel   context.CancelFunc
}

// New builds the services over the workspace in opts.
func New(opts Options) *App {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rec := capture.New(opts.Store, capture.Options{Logger: log})
	a := &App{log: log, recorder: rec}
	a.Traffic = &TrafficService{st: opts.Store, version: opts.Version, log: log}
	a.Gateway = &GatewayService{st: opts.Store, rec: rec, log: log}
	a.Workspace = &WorkspaceService{st: opts.Store, dbPath: opts.DBPath, log: log, changed: a.Gateway.poke}
	a.Console = &ConsoleService{st: opts.Store, dbPath: opts.DBPath, gw: a.Gateway, log: log}
	a.Policies = &PolicyService{st: opts.Store, log: log, changed: a.Gateway.poke}
	logins := opts.Logins
	if logins == nil {
		logins = login.Default()
	}
	a.Hosted = &HostedService{st: opts.Store, dbPath: opts.DBPath, log: log, logins: logins, version: opts.Version, changed: a.Workspace.afterChange}
	return a
}

// Bindings returns the services to bind to the UI.
func (a *App) Bindings() []any {
	return []any{a.Workspace, a.Gateway, a.Traffic, a.Console, a.Policies, a.Hosted}
}

// Start connects the services to the UI's events and dialogs; call it once, when the
// window's context exists.
func (a *App) Start(ctx context.Context, ev Events, dlg Dialogs) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.Workspace.ev, a.Workspace.dlg = ev, dlg
	a.Gateway.ev = ev
	a.Traffic.ev, a.Traffic.dlg = ev, dlg
	a.Policies.ev = ev
	a.Hosted.ev = ev
	a.Traffic.follow(ctx, a.recorder)
	a.Workspace.follow(ctx)
}

// Shutdown stops the gateway and flushes the recorder, within a few seconds.
func (a *App) Shutdown() error {
	if a.cancel != nil {
		a.cancel()
	}
	_, stopErr := a.Gateway.Stop()
	ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	return errors.Join(stopErr, a.recorder.Close(ctx))
}
