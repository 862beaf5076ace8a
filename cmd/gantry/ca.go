package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/embedded-gateway/intercept/ca"
)

func newCACmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Show or export the local CA that signs the certificates of `gantry intercept`",
		Long: "Gantry's intercept proxy presents certificates issued by a certificate authority of its own,\n" +
			"created on first use and kept in the user's configuration directory (or $" + ca.EnvDir + ").\n" +
			"Clients whose HTTPS traffic is intercepted must trust its certificate. Its private key stays\n" +
			"on this machine, readable by you only; anyone holding it could intercept your TLS traffic.",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "path",
		Short: "Print the path of the CA certificate, creating the CA if needed",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := loadCA(g)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, c.CertPath())
			return nil
		},
	})
	var out string
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the CA certificate (PEM) to stdout or to a file, creating the CA if needed",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := loadCA(g)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := g.stdout.Write(c.PEM())
				return err
			}
			if err := os.WriteFile(out, c.PEM(), 0o644); err != nil {
				return fmt.Errorf("exporting the CA certificate: %w", err)
			}
			fmt.Fprintf(g.stderr, "wrote the CA certificate to %s\n", out)
			return nil
		},
	}
	export.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	cmd.AddCommand(export)
	return cmd
}

// loadCA loads the local CA from its default directory, creating it (and saying so) on
// first use.
func loadCA(g *globals) (*ca.CA, error) {
	dir, err := ca.DefaultDir()
	if err != nil {
		return nil, err
	}
	c, err := ca.Load(dir)
	if err != nil {
		return nil, err
	}
	if c.Created() {
		fmt.Fprintf(g.stderr, "created a new local CA: %s\n"+
			"add it to the trust store of the clients whose HTTPS traffic you intercept; keep %s private\n",
			c.CertPath(), ca.KeyFile)
	}
	return c, nil
}
