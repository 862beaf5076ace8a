package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/workspace"
)

// onWorkspace runs fn on the workspace store, closing it after.
func onWorkspace(g *globals, fn func(workspace.Settings) error) error {
	st, _, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// newRulesetCmd returns `gantry ruleset`: the workspace's own lint ruleset, the one its APIs
// are checked with (in the desktop and by `gantry lint API`) when no .spectral.yaml sits
// beside their spec.
func newRulesetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ruleset",
		Short: "Show, set or clear the workspace's lint ruleset (Spectral format)",
		Long: "The workspace's lint ruleset applies to its APIs that have no .spectral.yaml beside their\n" +
			"spec, in the desktop and in `gantry lint API`; without one, spectral:oas's recommended rules\n" +
			"apply. It may extend spectral:oas and owasp, e.g.\n\n" +
			"  extends: [[spectral:oas, recommended], owasp]\n  rules:\n    operation-tags: off\n",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the workspace's ruleset",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return onWorkspace(g, func(st workspace.Settings) error {
				text, err := workspace.WorkspaceRuleset(cmd.Context(), st)
				if err != nil {
					return err
				}
				if text == "" {
					fmt.Fprintln(g.stderr, "the workspace has no ruleset of its own: spectral:oas's recommended rules apply")
					return nil
				}
				fmt.Fprint(g.stdout, text)
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "set FILE",
		Short: "Make FILE (a Spectral ruleset) the workspace's ruleset",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			// Checked under its own name first, so that an error names the file.
			if _, err := lint.ParseRuleset(args[0], data); err != nil {
				return err
			}
			return onWorkspace(g, func(st workspace.Settings) error {
				if err := workspace.SetWorkspaceRuleset(cmd.Context(), st, string(data)); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				fmt.Fprintf(g.stdout, "the workspace's APIs are now linted with %s (unless a .spectral.yaml sits beside their spec)\n", args[0])
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "clear",
		Short: "Remove the workspace's ruleset: spectral:oas's recommended rules apply",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return onWorkspace(g, func(st workspace.Settings) error {
				if err := workspace.SetWorkspaceRuleset(cmd.Context(), st, ""); err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, "the workspace has no ruleset of its own now")
				return nil
			})
		},
	})
	return cmd
}
