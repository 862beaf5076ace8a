package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/declarative"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check, import and export gateway configurations (gantry.yaml)"}
	var env string

	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Check a gateway configuration: structure, specs, policies and upstreams",
		Long: "Check everything `gantry gateway --config FILE` would refuse, without serving: every problem\n" +
			"is printed as FILE:LINE:COL: FIELD: MESSAGE and the command exits non-zero if there is one.",
		Args: cobra.ExactArgs(1),
		RunE: g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
			doc, err := declarative.Load(args[0])
			if err != nil {
				return err
			}
			snap, _, err := doc.Snapshot(1, declarative.Loaders{Environment: env, Spec: loadSpecFile(g), Workspace: workspaceDefinition(cmd.Context(), st)})
			if err != nil {
				return err
			}
			if issues := gateway.Check(snap, nil); len(issues) > 0 {
				return issueProblems(doc, issues)
			}
			c := doc.Config
			ops := 0
			for _, a := range snap.APIs {
				ops += len(a.Definition.Operations)
			}
			fmt.Fprintf(g.stdout, "%s: OK: %d API%s (%d ops), %d consumer%s\n", args[0], len(c.APIs), plural(len(c.APIs)),
				ops, len(c.Consumers), plural(len(c.Consumers)))
			return nil
		}),
	}

	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Store a gateway configuration in the workspace, importing the specs it names",
		Long: "Check the configuration, import each spec it names into the workspace (as an API of the\n" +
			"same name, a new revision if it changed), and store the configuration referring to those\n" +
			"APIs, so that `gantry gateway` without --config, and `gantry config export`, use it.",
		Args: cobra.ExactArgs(1),
		RunE: g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
			ctx := cmd.Context()
			doc, err := declarative.Load(args[0])
			if err != nil {
				return err
			}
			snap, _, err := doc.Snapshot(1, declarative.Loaders{Environment: env, Spec: loadSpecFile(g), Workspace: workspaceDefinition(ctx, st)})
			if err != nil {
				return err
			}
			if issues := gateway.Check(snap, nil); len(issues) > 0 {
				return issueProblems(doc, issues)
			}
			// The stored configuration keeps its {{placeholders}}; the specs are read from
			// where the chosen environment puts them.
			expanded, err := doc.Expand(env)
			if err != nil {
				return err
			}
			c := doc.Config
			c.APIs = append([]model.GatewayAPI(nil), c.APIs...)
			for i, a := range c.APIs {
				if a.Spec == "" {
					continue
				}
				res, err := workspace.Import(ctx, st, doc.SpecPath(expanded.APIs[i]), a.Name, spec.Options{})
				if err != nil {
					return fmt.Errorf("%s: importing the spec of %s: %w", args[0], a.Name, err)
				}
				fmt.Fprintf(g.stdout, "imported %s: revision %d\n", a.Name, res.Revision.ID)
				c.APIs[i].Spec, c.APIs[i].API = "", a.Name
			}
			rev, added, err := st.PutGatewayConfig(ctx, &c)
			if err != nil {
				return err
			}
			if added {
				fmt.Fprintf(g.stdout, "stored the gateway configuration as revision %d\n", rev)
			} else {
				fmt.Fprintf(g.stdout, "the gateway configuration is unchanged (revision %d)\n", rev)
			}
			return nil
		}),
	}

	var out string
	export := &cobra.Command{
		Use:   "export [-o FILE]",
		Short: "Write the workspace's gateway configuration as gantry.yaml",
		Args:  cobra.NoArgs,
		RunE: g.withStore(func(cmd *cobra.Command, _ []string, st *sqlite.Store) error {
			c, _, err := st.LatestGatewayConfig(cmd.Context())
			if err != nil {
				return err
			}
			b, err := declarative.Marshal(c)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := g.stdout.Write(b)
				return err
			}
			return atomicfile.Write(out, 0o644, func(w io.Writer) error {
				_, err := w.Write(b)
				return err
			})
		}),
	}
	export.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")

	for _, c := range []*cobra.Command{check, imp} {
		c.Flags().StringVar(&env, "env", "", "environment whose variables fill the configuration's {{name}} placeholders")
	}
	cmd.AddCommand(check, imp, export)
	return cmd
}
