package workspace

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// RulesetSetting is the workspace setting that holds the workspace's own lint ruleset
// (Spectral format); unset means the built-in recommended set.
const RulesetSetting = "lint.ruleset"

// WorkspaceRulesetName is how the workspace's ruleset is named in results and errors.
const WorkspaceRulesetName = "workspace ruleset"

// Settings is the part of a workspace store that keeps workspace-wide settings
// (core/store/sqlite.Store has it).
type Settings interface {
	// Setting returns the setting called name and whether it is set.
	Setting(ctx context.Context, name string) (string, bool, error)
	// PutSetting sets the setting called name; "" removes it.
	PutSetting(ctx context.Context, name, value string) error
}

// WorkspaceRuleset returns the text of the workspace's lint ruleset; "" if it has none.
func WorkspaceRuleset(ctx context.Context, st Settings) (string, error) {
	text, _, err := st.Setting(ctx, RulesetSetting)
	return text, err
}

// SetWorkspaceRuleset makes text (Spectral format; "" for none) the workspace's lint
// ruleset, for every API without a .spectral.yaml of its own. A ruleset that cannot be
// loaded is refused with the error, a *lint.RulesetError when it has a position.
func SetWorkspaceRuleset(ctx context.Context, st Settings, text string) error {
	if strings.TrimSpace(text) == "" {
		return st.PutSetting(ctx, RulesetSetting, "")
	}
	if _, err := lint.ParseRuleset(WorkspaceRulesetName, []byte(text)); err != nil {
		return err
	}
	return st.PutSetting(ctx, RulesetSetting, text)
}

// LintResult is what linting an API's text found.
type LintResult struct {
	// Findings are the rule violations, in the engine's order (file, line, column).
	Findings []lint.Finding
	// Ruleset is the ruleset file that applied, WorkspaceRulesetName for the workspace's,
	// or "" for the built-in recommended set.
	Ruleset string
}

// Lint runs the ruleset that applies to the API called name over text as its root document,
// with the API's other files as stored; nothing is written. The ruleset is the
// .spectral.yaml (or .yml, .json) found from the folder of the API's linked file, else of
// the file it was imported from, up to the repository's root; else the workspace's own
// (when st keeps Settings and one is set); else the built-in recommended set. A text too broken to lint yields no findings (Check reports why); a
// broken ruleset file is an error, a *lint.RulesetError when it has a position.
func Lint(ctx context.Context, st store.APIStore, name, text string) (*LintResult, error) {
	api, err := st.GetAPI(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("opening API %q: %w", name, err)
	}
	rev, err := st.LatestRevision(ctx, name, true)
	if err != nil {
		return nil, fmt.Errorf("opening API %q: %w", name, err)
	}
	rs, path := lint.DefaultRuleset(), ""
	if dir := rulesetDir(api, rev); dir != "" {
		if rs, path, err = lint.RulesetFor(dir, ""); err != nil {
			return nil, err
		}
	}
	if sst, ok := st.(Settings); ok && path == "" {
		text, err := WorkspaceRuleset(ctx, sst)
		if err != nil {
			return nil, err
		}
		if text != "" {
			if rs, err = lint.ParseRuleset(WorkspaceRulesetName, []byte(text)); err != nil {
				return nil, err
			}
			path = WorkspaceRulesetName
		}
	}
	files := make([]model.SpecFile, 0, len(rev.Files))
	for _, f := range rev.Files {
		if f.Path == rev.Root {
			f.Content = []byte(text)
		}
		files = append(files, f)
	}
	d, err := lint.NewDocument(rev.Root, files)
	if err != nil {
		return &LintResult{Ruleset: path}, nil
	}
	fs, err := lint.Lint(ctx, d, rs)
	if err != nil {
		return nil, fmt.Errorf("linting API %q: %w", name, err)
	}
	return &LintResult{Findings: fs, Ruleset: path}, nil
}

// rulesetDir is the folder a ruleset search starts from: the linked file's, else the
// imported file's; "" when the API has neither.
func rulesetDir(api *model.API, rev *model.SpecRevision) string {
	switch {
	case api.LinkedPath != "":
		return filepath.Dir(api.LinkedPath)
	case rev.SourcePath != "":
		return filepath.Dir(rev.SourcePath)
	}
	return ""
}
