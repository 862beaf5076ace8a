package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/login"
)

func newLoginCmd(g *globals) *cobra.Command {
	var token string
	cmd := &cobra.Command{
		Use:   "login URL",
		Short: "Check a token against a management server and save both for later commands",
		Long: "Save the server URL and token (from --token or $" + tokenEnv + ") after checking them against the\n" +
			"server: the token in the OS keyring where one is available, else with the URL in\n" +
			"gantry/login.json in the user's config folder, readable by the user only.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if token == "" {
				token = os.Getenv(tokenEnv)
			}
			if token == "" {
				return fmt.Errorf("pass --token TOKEN or set $%s", tokenEnv)
			}
			c, err := client.New(args[0], token, client.Options{UserAgent: "gantry/" + versionString()})
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return fmt.Errorf("logging in to %s: %w", args[0], err)
			}
			where, p, err := login.Default().Save(args[0], token)
			if err != nil {
				return err
			}
			who := "node of catalog " + me.Catalog
			if me.User != nil {
				who = me.User.Name
				if me.User.Admin {
					who += " (admin)"
				}
			}
			saved := "saved in " + p
			if where == login.InKeyring {
				saved = "token saved in the OS keyring, server in " + p
			}
			fmt.Fprintf(g.stdout, "logged in to %s as %s; %s\n", args[0], who, saved)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "bearer token (default: $"+tokenEnv+")")
	return cmd
}
