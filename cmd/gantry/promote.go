package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/protocol"
)

func newPromoteCmd(g *globals) *cobra.Command {
	var rf remoteFlags
	var from, to, reason string
	var revision int64
	var allowBreaking bool
	cmd := &cobra.Command{
		Use:   "promote API --from CATALOG --to CATALOG",
		Short: "Copy the exact revision an API has in one catalog into another (e.g. dev to prod)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := rf.client(g)
			if err != nil {
				return err
			}
			resp, err := c.Promote(cmd.Context(), to, args[0], protocol.PromoteRequest{From: from, Revision: revision,
				AllowBreaking: allowBreaking, Reason: reason})
			if err != nil {
				return remoteError(g, fmt.Sprintf("promoting %s from %s to %s", args[0], from, to), err)
			}
			r := resp.Revision
			if !resp.Created {
				fmt.Fprintf(g.stdout, "unchanged: %s in %s is revision %d with that content already\n", args[0], to, r.Number)
				return nil
			}
			fmt.Fprintf(g.stdout, "%s revision %d of %s is revision %d in %s; %d breaking change%s\n",
				from, r.PromotedRevision, args[0], r.Number, to, resp.Breaking, plural(resp.Breaking))
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "source catalog (required)")
	cmd.Flags().StringVar(&to, "to", "", "target catalog (required)")
	cmd.Flags().Int64Var(&revision, "revision", 0, "revision number in the source catalog (default: its current one)")
	cmd.Flags().BoolVar(&allowBreaking, "allow-breaking", false, "accept breaking changes against the target (needs --reason)")
	cmd.Flags().StringVar(&reason, "reason", "", "why; kept in the audit log")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
