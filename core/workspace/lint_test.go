package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/spec"
)

func TestLint(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		ruleset  string // written beside the spec when not ""
		wsRules  string // the workspace's ruleset when not ""
		wantRule string // a finding of this rule is expected
		noRule   string // no finding of this rule is expected
		wantErr  bool
		wantFrom string // suffix of LintResult.Ruleset
	}{
		{name: "built-in recommended set", wantRule: "operation-tags", wantFrom: ""},
		{
			name:     "a .spectral.yaml beside the spec turns a rule off",
			ruleset:  "extends: [[spectral:oas, recommended]]\nrules:\n  operation-tags: off\n",
			noRule:   "operation-tags",
			wantRule: "operation-operationId-valid-in-url",
			wantFrom: ".spectral.yaml",
		},
		{name: "broken ruleset is an error with a position", ruleset: "rules:\n  x: {given: '$', then: {function: nope}}\n", wantErr: true},
		{
			name:     "the workspace's ruleset when the spec has none beside it",
			wsRules:  "extends: [[spectral:oas, recommended]]\nrules:\n  operation-tags: off\n",
			noRule:   "operation-tags",
			wantRule: "operation-operationId-valid-in-url",
			wantFrom: WorkspaceRulesetName,
		},
		{
			name:     "a ruleset beside the spec wins over the workspace's",
			ruleset:  "extends: [[spectral:oas, recommended]]\nrules:\n  operation-tags: off\n",
			wsRules:  "extends: [[spectral:oas, off]]\n",
			noRule:   "operation-tags",
			wantRule: "operation-operationId-valid-in-url",
			wantFrom: ".spectral.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			dir := t.TempDir()
			specPath := filepath.Join(dir, "petstore.yaml")
			b, err := os.ReadFile("../../docs/examples/petstore-expanded.yaml")
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.ruleset != "" {
				if err := os.WriteFile(filepath.Join(dir, ".spectral.yaml"), []byte(tt.ruleset), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Import(ctx, st, specPath, "petstore", spec.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := SetWorkspaceRuleset(ctx, st, tt.wsRules); err != nil {
				t.Fatal(err)
			}
			res, err := Lint(ctx, st, "petstore", text)
			if tt.wantErr {
				var re *lint.RulesetError
				if !errors.As(err, &re) || re.Line == 0 {
					t.Fatalf("err = %v, want a positioned *lint.RulesetError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(res.Ruleset, tt.wantFrom) || (tt.wantFrom == "") != (res.Ruleset == "") {
				t.Errorf("ruleset = %q, want suffix %q", res.Ruleset, tt.wantFrom)
			}
			has := func(rule string) bool {
				for _, f := range res.Findings {
					if f.Rule == rule {
						return true
					}
				}
				return false
			}
			if tt.wantRule != "" && !has(tt.wantRule) {
				t.Errorf("no %s finding in %v", tt.wantRule, res.Findings)
			}
			if tt.noRule != "" && has(tt.noRule) {
				t.Errorf("unexpected %s finding", tt.noRule)
			}
			// Findings follow the edited text, not the stored one.
			edited := strings.Replace(text, "operationId: findPets", "operationId: find pets", 1)
			res2, err := Lint(ctx, st, "petstore", edited)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.Findings) <= len(res.Findings) && tt.noRule == "" {
				t.Errorf("editing in an invalid operationId added no finding (%d vs %d)", len(res2.Findings), len(res.Findings))
			}
		})
	}
}

func TestSetWorkspaceRuleset(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := SetWorkspaceRuleset(ctx, st, "extends: [owasp]\n"); err != nil {
		t.Fatal(err)
	}
	// A broken ruleset is refused with its position and leaves the stored one alone.
	err := SetWorkspaceRuleset(ctx, st, "extends: [owasp]\nrules:\n  x: {given: '$', then: {function: nope}}\n")
	var re *lint.RulesetError
	if !errors.As(err, &re) || re.Line != 3 {
		t.Fatalf("err = %v, want a *lint.RulesetError at line 3", err)
	}
	if text, err := WorkspaceRuleset(ctx, st); err != nil || text != "extends: [owasp]\n" {
		t.Fatalf("WorkspaceRuleset = %q, %v", text, err)
	}
	// Blank removes it.
	if err := SetWorkspaceRuleset(ctx, st, "  \n"); err != nil {
		t.Fatal(err)
	}
	if text, err := WorkspaceRuleset(ctx, st); err != nil || text != "" {
		t.Fatalf("WorkspaceRuleset after removal = %q, %v", text, err)
	}
}
