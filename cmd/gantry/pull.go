package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/pull"
)

func newPullCmd(g *globals) *cobra.Command {
	var rf remoteFlags
	var catalog string
	cmd := &cobra.Command{
		Use:   "pull --catalog CATALOG [API...]",
		Short: "Bring a catalog's APIs from the management server into the workspace",
		Long: "Bring the current revision of every API of a catalog (or of the APIs named) into the\n" +
			"workspace, with its gateway settings. Local work is never discarded: an API whose\n" +
			"local copy is what this workspace last published or pulled moves forward; one with\n" +
			"local changes (or linked to a file) keeps them, and the catalog's revision becomes the\n" +
			"base of its next publish, which is then checked against what the catalog has now.",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, server, err := rf.client(g)
			if err != nil {
				return err
			}
			st, dbPath, err := g.openStore()
			if err != nil {
				return err
			}
			defer st.Close()
			results, err := pull.Pull(cmd.Context(), c, st, catalog, pull.Options{Server: server, DBPath: dbPath, APIs: args})
			for _, r := range results {
				state := ""
				if r.State != "" && r.State != "published" {
					state = " (" + r.State + " in " + catalog + ")"
				}
				switch r.Outcome {
				case pull.Added:
					fmt.Fprintf(g.stdout, "%s: added revision %d of %s, %d operation%s%s\n", r.API, r.Revision, catalog, r.Operations, plural(r.Operations), state)
				case pull.Updated:
					fmt.Fprintf(g.stdout, "%s: updated to revision %d of %s%s\n", r.API, r.Revision, catalog, state)
				case pull.UpToDate:
					fmt.Fprintf(g.stdout, "%s: up to date with revision %d of %s%s\n", r.API, r.Revision, catalog, state)
				case pull.Failed:
					continue // in err
				case pull.KeptLocal:
					fmt.Fprintf(g.stdout, "%s: local changes kept (%s); revision %d of %s is the base of its next publish%s\n", r.API, r.Reason, r.Revision, catalog, state)
				}
			}
			if err != nil {
				return err
			}
			if len(results) == 0 {
				fmt.Fprintf(g.stdout, "%s has no APIs\n", catalog)
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&catalog, "catalog", "", "catalog to pull from (required)")
	_ = cmd.MarkFlagRequired("catalog")
	return cmd
}
