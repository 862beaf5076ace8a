package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/client"
)

func newAuditCmd(g *globals) *cobra.Command {
	var rf remoteFlags
	var q client.AuditQuery
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show who changed what on the management server, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := rf.client(g)
			if err != nil {
				return err
			}
			recs, err := c.ListAudit(cmd.Context(), q)
			if err != nil {
				return remoteError(g, "reading the audit log", err)
			}
			if asJSON {
				return writeJSON(g, recs)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tCATALOG\tTARGET\tREVISION\tREASON\tDETAIL")
			for _, r := range recs {
				rev := ""
				if r.RevisionBefore != 0 || r.RevisionAfter != 0 {
					rev = fmt.Sprintf("%d→%d", r.RevisionBefore, r.RevisionAfter)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format(time.DateTime), r.Actor, r.Action,
					r.Catalog, r.Target, rev, r.Reason, r.Detail)
			}
			return tw.Flush()
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&q.Catalog, "catalog", "", "only this catalog's records (needed unless you are a global admin)")
	cmd.Flags().StringVar(&q.Actor, "actor", "", "only this actor's records")
	cmd.Flags().IntVar(&q.Limit, "limit", 50, "how many records (at most 1000)")
	cmd.Flags().Int64Var(&q.Before, "before", 0, "only records older than this record ID (paging)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
