package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/protocol"
)

func newCatalogsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "catalogs", Short: "Create and list the management server's catalogs (one per environment)"}
	var rf remoteFlags
	var baseURL string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a catalog (global admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := rf.client(g)
			if err != nil {
				return err
			}
			cat, err := c.CreateCatalog(cmd.Context(), protocol.CreateCatalogRequest{Name: args[0], BaseURL: baseURL})
			if err != nil {
				return remoteError(g, "creating catalog "+args[0], err)
			}
			fmt.Fprintf(g.stdout, "created catalog %s\n", cat.Name)
			return nil
		},
	}
	rf.register(create)
	create.Flags().StringVar(&baseURL, "base-url", "", "where the catalog's gateways serve")
	var lf remoteFlags
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the catalogs you may see, with their API count and sequence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := lf.client(g)
			if err != nil {
				return err
			}
			cats, err := c.ListCatalogs(cmd.Context())
			if err != nil {
				return remoteError(g, "listing catalogs", err)
			}
			if asJSON {
				return writeJSON(g, cats)
			}
			if len(cats) == 0 {
				fmt.Fprintln(g.stderr, "no catalogs yet: an admin creates one with `gantry catalogs create NAME`")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tAPIS\tSEQUENCE\tBASE URL")
			for _, cat := range cats {
				apis, err := c.ListAPIs(cmd.Context(), cat.Name)
				if err != nil {
					return remoteError(g, "listing APIs of "+cat.Name, err)
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", cat.Name, len(apis), cat.Sequence, cat.BaseURL)
			}
			return tw.Flush()
		},
	}
	lf.register(list)
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.AddCommand(create, list)
	return cmd
}
