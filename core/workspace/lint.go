package workspace

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// LintResult is what linting an API's text found.
type LintResult struct {
	// Findings are the rule violations, in the engine's order (file, line, column).
	Findings []lint.Finding
	// Ruleset is the ruleset file that applied; "" means the built-in recommended set.
	Ruleset string
}

// Lint runs the ruleset that applies to the API called name over text as its root document,
// with the API's other files as stored; nothing is written. The ruleset is the
// .spectral.yaml (or .yml, .json) found from the folder of the API's linked file, else of
// the file it was imported from, up to the repository's root; else the built-in
// recommended set. A text too broken to lint yields no findings (Check reports why); a
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
