package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/client"
)

func newLoginCmd(g *globals) *cobra.Command {
	var token string
	cmd := &cobra.Command{
		Use:   "login URL",
		Short: "Check a token against a management server and save both for later commands",
		Long: "Save the server URL and token (from --token or $" + tokenEnv + ") in gantry/login.json in the\n" +
			"user's config folder, readable by the user only, after checking them against the server.",
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
			b, err := json.MarshalIndent(loginFile{Server: args[0], Token: token}, "", "  ")
			if err != nil {
				return err
			}
			p, err := loginPath()
			if err != nil {
				return err
			}
			if err := writePrivateFile(p, append(b, '\n')); err != nil {
				return fmt.Errorf("saving the login: %w", err)
			}
			who := "node of catalog " + me.Catalog
			if me.User != nil {
				who = me.User.Name
				if me.User.Admin {
					who += " (admin)"
				}
			}
			fmt.Fprintf(g.stdout, "logged in to %s as %s; saved in %s\n", args[0], who, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "bearer token (default: $"+tokenEnv+")")
	return cmd
}
