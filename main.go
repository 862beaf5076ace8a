// Command gantry-desktop is Gantry's desktop workbench: a Wails window over the same
// workspace the gantry CLI uses (--db PATH or $GANTRY_DB, else the user's data dir).
// Build it with `make desktop`; plain `go build` compiles a stub without Wails' tags.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/gantry-dev/gantry/app"
	"github.com/gantry-dev/gantry/core/store/sqlite"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gantry-desktop:", err)
		os.Exit(1)
	}
}

func run() error {
	started := time.Now()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	path, err := sqlite.ResolvePath(dbFlag(os.Args[1:]))
	if err != nil {
		return err
	}
	st, err := sqlite.Open(path, sqlite.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("opening workspace %s: %w", path, err)
	}
	defer st.Close()
	a := app.New(app.Options{Store: st, DBPath: path, Logger: log, Version: version})
	return wails.Run(&options.App{
		Title:     "Gantry",
		Width:     1280,
		Height:    820,
		MinWidth:  900,
		MinHeight: 560,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		OnStartup: func(ctx context.Context) {
			a.Start(ctx, wailsEvents{ctx}, dialogs(ctx))
		},
		OnDomReady: func(context.Context) {
			log.Info("window ready", "since_start", time.Since(started).Round(time.Millisecond))
		},
		OnShutdown: func(context.Context) {
			if err := a.Shutdown(); err != nil {
				log.Warn("shutting down", "err", err)
			}
		},
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true},
		Bind:        a.Bindings(),
	})
}

// dbFlag returns the value of --db (or -db) among args, "" if absent.
func dbFlag(args []string) string {
	for i, a := range args {
		for _, p := range []string{"--db", "-db"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

// wailsEvents sends events to the window.
type wailsEvents struct{ ctx context.Context }

func (e wailsEvents) Emit(name string, payload any) { runtime.EventsEmit(e.ctx, name, payload) }

// wailsDialogs shows the platform's file dialogs.
type wailsDialogs struct{ ctx context.Context }

func (d wailsDialogs) OpenFile(title string, patterns ...string) (string, error) {
	return runtime.OpenFileDialog(d.ctx, runtime.OpenDialogOptions{
		Title:   title,
		Filters: []runtime.FileFilter{{DisplayName: "API descriptions", Pattern: strings.Join(patterns, ";")}},
	})
}

func (d wailsDialogs) SaveFile(title, defaultName string) (string, error) {
	return runtime.SaveFileDialog(d.ctx, runtime.SaveDialogOptions{Title: title, DefaultFilename: defaultName})
}
