package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/store/sqlite"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes from
// the module's build information.
var version = ""

// globals are the flags every command shares.
type globals struct {
	stdout, stderr io.Writer
	db             string
	logLevel       string
	cpuProfile     string
	memProfile     string
	stopProfile    func()
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "gantry",
		Short:         "Gantry: design, mock, test and inspect APIs from the command line",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
			return fmt.Errorf("--log-level %q: use debug, info, warn or error", g.logLevel)
		}
		if g.cpuProfile != "" {
			f, err := os.Create(g.cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return err
			}
			g.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		}
		if g.memProfile != "" {
			stopCPU := g.stopProfile
			g.stopProfile = func() {
				if stopCPU != nil {
					stopCPU()
				}
				if err := writeAllocsProfile(g.memProfile); err != nil {
					fmt.Fprintf(stderr, "gantry: --memprofile: %v\n", err)
				}
			}
		}
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if g.stopProfile != nil {
			g.stopProfile()
		}
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", "workspace database (default: $GANTRY_DB, else the user's data dir)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write an allocation profile of the command to this file when it ends (for go tool pprof)")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	root.AddCommand(
		newMockCmd(g),
		newGatewayCmd(g),
		newConfigCmd(g),
		newImportCmd(g),
		newAPIsCmd(g),
		newTrafficCmd(g),
		newTestCmd(g),
		newVersionCmd(g),
		newInterceptCmd(g),
		newCACmd(g),
		newLintCmd(g),
		newServerCmd(g),
		newLoginCmd(g),
		newCatalogsCmd(g),
		newPublishCmd(g),
		newPullCmd(g),
		newPromoteCmd(g),
		newAuditCmd(g),
		newNodesCmd(g),
	)
	root.AddCommand(newLifecycleCmds(g)...)
	root.AddCommand(newRulesetCmd(g))
	return root
}

// logger returns the logger for this invocation, writing text to stderr.
func (g *globals) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(g.logLevel))); err != nil {
		lvl = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: lvl}))
}

// openStore opens the workspace named by --db, $GANTRY_DB or the default location.
func (g *globals) openStore() (*sqlite.Store, string, error) {
	path, err := sqlite.ResolvePath(g.db)
	if err != nil {
		return nil, "", err
	}
	st, err := sqlite.Open(path, sqlite.Options{Logger: g.logger()})
	if err != nil {
		return nil, path, fmt.Errorf("opening workspace %s: %w", path, err)
	}
	return st, path, nil
}

// withStore adapts a command body that needs the workspace: it opens the store named by the
// flags, runs fn and closes the store.
func (g *globals) withStore(fn func(cmd *cobra.Command, args []string, st *sqlite.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		st, _, err := g.openStore()
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(cmd, args, st)
	}
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "dev"
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Gantry's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			goVersion := ""
			if bi != nil {
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(g.stdout, "gantry %s %s\n", versionString(), goVersion)
			return nil
		},
	}
}

// writeAllocsProfile writes the allocations made so far to path, in pprof's format.
func writeAllocsProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
