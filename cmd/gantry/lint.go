package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
)

// lintFlags are the options of `gantry lint`.
type lintFlags struct {
	ruleset      string
	format       string
	failSeverity string
}

func newLintCmd(g *globals) *cobra.Command {
	var f lintFlags
	cmd := &cobra.Command{
		Use:   "lint SPEC|API",
		Short: "Check an OpenAPI description against a Spectral ruleset (spectral:oas by default)",
		Long: "Lint an OpenAPI 3.x or Swagger 2.0 description (a file and the files its $refs reach, or the\n" +
			"newest revision of an API in the workspace) with a Spectral-format ruleset.\n\n" +
			"The ruleset is --ruleset, else the first .spectral.yaml, .spectral.yml or .spectral.json found\n" +
			"beside the spec or in a parent folder (up to the repository's root), else, for an API of the\n" +
			"workspace, the workspace's ruleset (`gantry ruleset`), else spectral:oas.\n" +
			"Rulesets may extend spectral:oas and owasp (@stoplight/spectral-owasp-ruleset).\n\n" +
			"The exit status is 1 when a finding is at least as severe as --fail-severity, or when the\n" +
			"spec or the ruleset cannot be read.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLint(cmd.Context(), g, f, args[0]) },
	}
	cmd.Flags().StringVarP(&f.ruleset, "ruleset", "r", "", "ruleset file (default: a .spectral.yaml beside the spec, else spectral:oas)")
	cmd.Flags().StringVarP(&f.format, "format", "f", "text", "output format: text, json or sarif")
	cmd.Flags().StringVarP(&f.failSeverity, "fail-severity", "F", "error", "exit 1 when a finding is this severe or more: error, warn, info, hint or none")
	return cmd
}

func runLint(ctx context.Context, g *globals, f lintFlags, arg string) error {
	switch f.format {
	case lint.FormatText, lint.FormatJSON, lint.FormatSARIF:
	default:
		return fmt.Errorf("--format %q: use text, json or sarif", f.format)
	}
	failAt, failNever := lint.SeverityError, false
	if f.failSeverity == "none" {
		failNever = true
	} else {
		sev, off, err := lint.ParseSeverity(f.failSeverity)
		if err != nil || off {
			return fmt.Errorf("--fail-severity %q: use error, warn, info, hint or none", f.failSeverity)
		}
		failAt = sev
	}

	doc, prefix, searchDir, wsRuleset, err := loadLintTarget(ctx, g, arg)
	if err != nil {
		return err
	}

	var rs *lint.Ruleset
	if f.ruleset != "" {
		if rs, err = lint.LoadRuleset(f.ruleset); err != nil {
			return fmt.Errorf("loading ruleset: %w", err)
		}
	} else {
		var found string
		rs, found, err = lint.RulesetFor(searchDir, "")
		if err != nil {
			return fmt.Errorf("loading ruleset: %w", err)
		}
		switch {
		case found != "":
			fmt.Fprintf(g.stderr, "using ruleset %s\n", displayPath(found))
		case wsRuleset != "":
			if rs, err = lint.ParseRuleset(workspace.WorkspaceRulesetName, []byte(wsRuleset)); err != nil {
				return fmt.Errorf("loading ruleset: %w (see `gantry ruleset show`)", err)
			}
			fmt.Fprintln(g.stderr, "using the workspace ruleset")
		}
	}

	findings, lintErr := lint.Lint(ctx, doc, rs)
	if lintErr != nil && findings == nil {
		return lintErr
	}
	for i := range findings {
		if prefix != "" && prefix != "." {
			findings[i].File = filepath.ToSlash(filepath.Join(prefix, filepath.FromSlash(findings[i].File)))
		}
	}
	if err := lint.Write(g.stdout, f.format, findings, rs, versionString()); err != nil {
		return err
	}
	if lintErr != nil {
		return lintErr
	}
	if !failNever && lint.AnyAtLeast(findings, failAt) {
		n := 0
		for _, fd := range findings {
			if fd.Severity.AtLeast(failAt) {
				n++
			}
		}
		return fmt.Errorf("lint failed: %d finding%s at severity %s or above", n, plural(n), failAt)
	}
	return nil
}

// loadLintTarget reads the spec file named by arg, or the newest revision of the workspace
// API it names. prefix is the folder to show file names from; searchDir is where to look
// for a workspace ruleset.
// loadLintTarget loads a spec file, or an API of the workspace; for an API, wsRuleset is the
// workspace's own ruleset ("" if none).
func loadLintTarget(ctx context.Context, g *globals, arg string) (doc *lint.Document, prefix, searchDir, wsRuleset string, err error) {
	fi, statErr := os.Stat(arg)
	if statErr == nil && !fi.IsDir() {
		doc, err = lint.Load(arg)
		if err != nil {
			return nil, "", "", "", fmt.Errorf("cannot lint %s: %w", arg, err)
		}
		dir := filepath.Dir(arg)
		return doc, dir, dir, "", nil
	}
	if statErr == nil {
		statErr = fmt.Errorf("%s is a folder", arg)
	}
	// Only an existing workspace is opened: linting must not create one as a side effect.
	dbPath, err := sqlite.ResolvePath(g.db)
	if err != nil {
		return nil, "", "", "", err
	}
	if _, err := os.Stat(dbPath); err != nil {
		return nil, "", "", "", fmt.Errorf("%s is not a spec file (%v) and there is no workspace at %s", arg, unwrapStat(statErr), dbPath)
	}
	st, _, err := g.openStore()
	if err != nil {
		return nil, "", "", "", err
	}
	defer st.Close()
	name, err := workspace.Resolve(ctx, st, arg)
	if err == nil {
		var rev *model.SpecRevision
		rev, err = st.LatestRevision(ctx, name, true)
		if err == nil {
			doc, err = lint.NewDocument(rev.Root, rev.Files)
			if err != nil {
				return nil, "", "", "", fmt.Errorf("cannot lint API %s: %w", name, err)
			}
			searchDir = "."
			if rev.SourcePath != "" {
				if d := filepath.Dir(rev.SourcePath); dirExists(d) {
					searchDir = d
				}
			}
			wsRuleset, err = workspace.WorkspaceRuleset(ctx, st)
			if err != nil {
				return nil, "", "", "", err
			}
			return doc, "", searchDir, wsRuleset, nil
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", "", "", fmt.Errorf("%s is not a spec file (%v) and not an API in the workspace: %v", arg, unwrapStat(statErr), err)
	}
	return nil, "", "", "", err
}

// unwrapStat shortens a stat error to its cause.
func unwrapStat(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dirExists reports whether p is a folder.
func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// displayPath shows p relative to the working folder when it is below it.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
