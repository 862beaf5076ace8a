package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/sync/client"
)

func newPublishCmd(g *globals) *cobra.Command {
	var rf remoteFlags
	var catalog, reason string
	var allowBreaking bool
	var base int64
	cmd := &cobra.Command{
		Use:   "publish API --catalog CATALOG",
		Short: "Publish the workspace API's newest revision to a catalog of the management server",
		Long: "Publish the newest revision of a workspace API, with its gateway settings from the\n" +
			"workspace's gateway configuration (upstreams, policies; none means the nodes mock it).\n" +
			"The publish is based on the catalog revision this workspace last published or pulled\n" +
			"(--base overrides it): if the catalog moved since, the server refuses it. Breaking\n" +
			"changes against the catalog's current revision are refused unless --allow-breaking\n" +
			"is given with a --reason, which the audit log keeps.",
		Args: cobra.ExactArgs(1),
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
			ctx := cmd.Context()
			name, err := workspace.Resolve(ctx, st, args[0])
			if err != nil {
				return err
			}
			req, err := client.PublishRequestFrom(ctx, st, name)
			if err != nil {
				return err
			}
			bases, err := client.ReadBases(dbPath)
			if err != nil {
				return err
			}
			key := client.BaseKey(server, catalog, name)
			req.BaseRevision = bases[key].Revision
			if cmd.Flags().Changed("base") {
				req.BaseRevision = base
			}
			req.AllowBreaking, req.Reason = allowBreaking, reason
			resp, err := c.Publish(ctx, catalog, name, *req)
			if err != nil {
				var ce *client.Error
				if errors.As(err, &ce) && ce.Status == http.StatusConflict {
					fmt.Fprintf(g.stderr, "the catalog moved on: `gantry pull --catalog %s %s` makes its revision the base (keeping local changes), then publish again\n", catalog, name)
				}
				return remoteError(g, fmt.Sprintf("publishing %s to %s", name, catalog), err)
			}
			if err := client.RecordBase(dbPath, server, catalog, name, resp.Revision); err != nil {
				return err
			}
			if !resp.Created {
				fmt.Fprintf(g.stdout, "unchanged: %s is revision %d in %s already\n", name, resp.Revision.Number, catalog)
				return nil
			}
			fmt.Fprintf(g.stdout, "revision %d of %s published to %s; %d change%s, %d breaking\n",
				resp.Revision.Number, name, catalog, len(resp.Changes), plural(len(resp.Changes)), resp.Breaking)
			for _, ch := range resp.Changes {
				if ch.Breaking {
					fmt.Fprintf(g.stdout, "  breaking: %s\n", describeChange(ch.Operation, ch.Path, ch.Text, ch.Location))
				}
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&catalog, "catalog", "", "target catalog (required)")
	cmd.Flags().BoolVar(&allowBreaking, "allow-breaking", false, "accept breaking changes (needs --reason)")
	cmd.Flags().StringVar(&reason, "reason", "", "why; kept in the audit log")
	cmd.Flags().Int64Var(&base, "base", 0, "catalog revision the publish is based on (default: the one this workspace last published)")
	_ = cmd.MarkFlagRequired("catalog")
	return cmd
}
