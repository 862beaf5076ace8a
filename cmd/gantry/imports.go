package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/atomicfile"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
)

func newImportCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "import SPEC",
		Short: "Import an OpenAPI 3.x or Swagger 2.0 file (and the files it references) into the workspace",
		Long: "Import an OpenAPI 3.0/3.1 or Swagger 2.0 document, YAML or JSON, with every file its relative\n" +
			"$refs reach. The API's name defaults to a slug of info.title; importing again under an\n" +
			"existing name adds a revision to that API (unchanged content adds nothing).",
		Args: cobra.ExactArgs(1),
		RunE: g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
			start := time.Now()
			opts := spec.Options{}
			if isTerminal(g.stderr) {
				opts.Progress = progressPrinter(g)
			}
			res, err := workspace.Import(cmd.Context(), st, args[0], name, opts)
			if opts.Progress != nil {
				fmt.Fprint(g.stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			printWarnings(g, res.Warnings)
			verb := "imported"
			if !res.Added {
				verb = "unchanged:"
			}
			fmt.Fprintf(g.stdout, "%s %s (%s %s): %d ops, %d files, revision %d, in %s\n",
				verb, res.API.Name, res.Revision.Title, res.Revision.Version, res.Revision.Operations,
				len(res.Revision.Files), res.Revision.ID, time.Since(start).Round(time.Millisecond))
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "API name (default: a slug of info.title)")
	return cmd
}

// progressPrinter draws a one-line progress indicator on a terminal.
func progressPrinter(g *globals) func(stage string, done, total int) {
	last := time.Time{}
	return func(stage string, done, total int) {
		if time.Since(last) < 100*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(g.stderr, "\r\033[K%s %d/%d", stage, done, total)
		} else {
			fmt.Fprintf(g.stderr, "\r\033[K%s %d", stage, done)
		}
	}
}

// printWarnings prints the importer's findings, one per line, as file:line:col: severity: message.
func printWarnings(g *globals, ws []spec.Warning) {
	const max = 20
	for i, w := range ws {
		if i == max {
			fmt.Fprintf(g.stderr, "... and %d more\n", len(ws)-max)
			break
		}
		fmt.Fprintln(g.stderr, w.String())
	}
}

func newAPIsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "apis", Short: "List, export and remove the workspace's APIs"}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the workspace's APIs: name, version, operation count",
		Args:  cobra.NoArgs,
		RunE: g.withStore(func(cmd *cobra.Command, _ []string, st *sqlite.Store) error {
			apis, err := st.ListAPIs(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g, apis)
			}
			if len(apis) == 0 {
				fmt.Fprintln(g.stderr, "no APIs yet: add one with `gantry import SPEC`")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tOPERATIONS\tREVISIONS\tTITLE")
			for _, a := range apis {
				fmt.Fprintf(tw, "%s\t%s\t%d ops\t%d\t%s\n", a.Name, a.Version, a.Operations, a.Revisions, a.Title)
			}
			return tw.Flush()
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	var out string
	export := &cobra.Command{
		Use:   "export NAME",
		Short: "Write the newest revision's spec as one self-contained document",
		Args:  cobra.ExactArgs(1),
		RunE: g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
			name, err := workspace.Resolve(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			rev, err := st.LatestRevision(cmd.Context(), name, true)
			if err != nil {
				return fmt.Errorf("API %q: %w", name, err)
			}
			doc, err := spec.Bundle(rev.Root, rev.Files)
			if err != nil {
				return fmt.Errorf("bundling %q: %w", args[0], err)
			}
			if out == "" || out == "-" {
				_, err = g.stdout.Write(doc)
				return err
			}
			if err := atomicfile.WriteBytes(out, 0o644, doc); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			fmt.Fprintf(g.stderr, "wrote %s (%d bytes)\n", out, len(doc))
			return nil
		}),
	}
	export.Flags().StringVarP(&out, "output", "o", "", "output file (default: standard output)")
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an API and all its revisions",
		Args:  cobra.ExactArgs(1),
		RunE: g.withStore(func(cmd *cobra.Command, args []string, st *sqlite.Store) error {
			if err := st.DeleteAPI(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("API %q: %w", args[0], err)
			}
			fmt.Fprintf(g.stdout, "removed %s\n", args[0])
			return nil
		}),
	}
	cmd.AddCommand(list, export, remove)
	return cmd
}

func writeJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
