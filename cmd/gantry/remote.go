package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/login"
)

// Environment variables of the client commands.
const (
	serverEnv = "GANTRY_SERVER"
	tokenEnv  = "GANTRY_TOKEN"
)

// remoteFlags are the flags every command that talks to a management server takes.
type remoteFlags struct {
	server, token string
}

// register adds --server and --token to cmd.
func (f *remoteFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", "", "management server URL (default: $"+serverEnv+", else the one saved by gantry login)")
	cmd.Flags().StringVar(&f.token, "token", "", "bearer token (default: $"+tokenEnv+", else the one saved by gantry login)")
}

// loginPath returns where `gantry login` saves the server (and the token when there is
// no OS keyring).
func loginPath() (string, error) { return login.DefaultPath() }

// readLogin returns the saved login; none gives the zero value.
func readLogin() (login.Login, error) { return login.Default().Load() }

// client returns a management API client from the flags, the environment or the saved
// login, in that order, and the server URL it talks to.
func (f *remoteFlags) client(g *globals) (*client.Client, string, error) {
	server, token := f.server, f.token
	if server == "" {
		server = os.Getenv(serverEnv)
	}
	if token == "" {
		token = os.Getenv(tokenEnv)
	}
	if server == "" || token == "" {
		lf, err := readLogin()
		if err != nil {
			return nil, "", err
		}
		if server == "" {
			server = lf.Server
		}
		if token == "" && (lf.Server == server || f.server == "" && os.Getenv(serverEnv) == "") {
			token = lf.Token
		}
	}
	if server == "" {
		return nil, "", fmt.Errorf("no management server: pass --server URL, set $%s or run `gantry login URL --token TOKEN`", serverEnv)
	}
	if token == "" {
		return nil, "", fmt.Errorf("no token for %s: pass --token, set $%s or run `gantry login %s --token TOKEN`", server, tokenEnv, server)
	}
	c, err := client.New(server, token, client.Options{UserAgent: "gantry/" + versionString()})
	return c, server, err
}

// remoteError adds what was being done to a client error and, for breaking changes, lists them.
func remoteError(g *globals, what string, err error) error {
	var e *client.Error
	if errors.As(err, &e) && len(e.Changes) > 0 {
		fmt.Fprintf(g.stderr, "%d breaking change%s:\n", e.Breaking, plural(e.Breaking))
		for _, c := range e.Changes {
			fmt.Fprintf(g.stderr, "  %s\n", describeChange(c.Operation, c.Path, c.Text, c.Location))
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// describeChange formats one change as "METHOD /path: text (file:line:col)".
func describeChange(method, path, text, location string) string {
	var b strings.Builder
	if op := strings.TrimSpace(method + " " + path); op != "" {
		b.WriteString(op + ": ")
	}
	b.WriteString(text)
	if location != "" {
		b.WriteString(" (" + location + ")")
	}
	return b.String()
}
