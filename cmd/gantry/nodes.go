package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/admin"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/builtin"
	"github.com/gantry-dev/gantry/sync/node"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// nodeTokenEnv names the node token of `gantry gateway --control-plane`.
const nodeTokenEnv = "GANTRY_NODE_TOKEN"

// nodeFlags are the options of `gantry gateway` that make it a node of a catalog.
type nodeFlags struct {
	controlPlane string
	nodeToken    string
	stateDir     string
	nodeID       string
}

func (f *nodeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.controlPlane, "control-plane", "", "serve the catalog of this management server (http://host:9090) instead of a configuration file")
	cmd.Flags().StringVar(&f.nodeToken, "node-token", "", "node token of the catalog (default: $"+nodeTokenEnv+")")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "folder for the last good snapshot, served when the control plane is down at start")
	cmd.Flags().StringVar(&f.nodeID, "node-id", "", "the node's name in `gantry nodes list` (default: saved in --state-dir, else generated)")
}

// runNodeGateway serves a catalog from the control plane's feed: `gantry gateway
// --control-plane URL`.
func runNodeGateway(ctx context.Context, g *globals, f gatewayFlags) error {
	log := g.logger()
	start := time.Now()
	if f.config != "" {
		return errors.New("--config and --control-plane exclude each other: a node serves its catalog")
	}
	token := firstNonEmpty(f.nodeToken, os.Getenv(nodeTokenEnv))
	if token == "" {
		return fmt.Errorf("--control-plane needs a node token: --node-token or $%s (`gantry nodes token --catalog C`)", nodeTokenEnv)
	}
	listen := firstNonEmpty(f.listen, "127.0.0.1:8080")
	adminAddr := f.admin
	if adminAddr == "off" {
		adminAddr = ""
	}
	// Rate limits and quotas are shared through --redis, else through the Redis the control
	// plane names, else counted in memory.
	counters, registry, onCluster, closeCounters, err := nodeRateLimitStores(ctx, g, f)
	if err != nil {
		return err
	}
	defer closeCounters()
	policies := builtin.RegistryWith(counters)
	shared := &policy.Shared{}
	src, err := node.New(node.Options{
		Server: f.controlPlane, Token: token, StateDir: f.stateDir, NodeID: f.nodeID, Version: versionString(), Logger: log,
		OnCluster: onCluster,
		Check: func(s *config.Snapshot) error {
			if issues := gateway.CheckPolicies(s, policies, shared); len(issues) > 0 {
				return fmt.Errorf("%s", issues[0].Message)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	defer ln.Close()
	var adminLn net.Listener
	if adminAddr != "" {
		if adminLn, err = net.Listen("tcp", adminAddr); err != nil {
			return fmt.Errorf("admin listener on %s: %w", adminAddr, err)
		}
		defer adminLn.Close()
	}
	var applied atomic.Bool
	adm := admin.New(admin.Options{Logger: log, Version: versionString(), Registry: registry,
		Ready: func() error {
			if !applied.Load() {
				return errors.New("no snapshot applied yet")
			}
			return nil
		}})
	metrics := adm.Metrics()
	gw := gateway.New(gateway.Options{
		Logger: log, Policies: policies, Shared: shared,
		Observe: func(api, mode string, status int, d time.Duration) {
			metrics.ObserveRequest(api, mode, status, d)
			if status == http.StatusTooManyRequests {
				metrics.ObserveRateLimitRejection(api, "rateLimit")
			}
		},
		UpstreamError: metrics.ObserveUpstreamError,
	})
	fmt.Fprintf(g.stderr, "following the control plane at %s\n", f.controlPlane)
	return serve(ctx, g, serveOptions{
		gateway: gw, source: src, listener: ln, admin: adm, adminListener: adminLn,
		onApply: func(s *config.Snapshot, err error) {
			src.Applied(s, err)
			if err != nil {
				metrics.ObserveConfigReloadError()
				return
			}
			applied.Store(true)
			metrics.SetConfigRevision(s.Revision)
		},
		ready: func(first *config.Snapshot, base string) {
			st := src.Status()
			fmt.Fprintf(g.stdout, "Node %s of catalog %s at sequence %d\n", st.NodeID, st.Catalog, first.Revision)
			for _, a := range first.APIs {
				mode := a.Mode
				if mode == "" {
					mode = model.ModeMock
				}
				fmt.Fprintf(g.stdout, "Serving %s (%s, %s) at %s%s/\n", a.Name, a.Definition.Title, mode, base, a.BasePath)
			}
			if adminLn != nil {
				fmt.Fprintf(g.stdout, "Admin (health, metrics) at http://%s/\n", adminLn.Addr())
			}
			fmt.Fprintf(g.stdout, "Ready in %s. Press Ctrl-C to stop.\n", time.Since(start).Round(time.Millisecond))
		},
	})
}

func newNodesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "nodes", Short: "Node tokens and the gateway nodes of a catalog"}
	var tf remoteFlags
	var tokCatalog, tokName string
	token := &cobra.Command{
		Use:   "token --catalog CATALOG",
		Short: "Issue a node token for the catalog's gateways (catalog admins); shown only once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := tf.client(g)
			if err != nil {
				return err
			}
			t, err := c.CreateNodeToken(cmd.Context(), tokCatalog, protocol.CreateSecretRequest{Name: tokName})
			if err != nil {
				return remoteError(g, "issuing a node token for "+tokCatalog, err)
			}
			fmt.Fprintf(g.stderr, "node token %d for catalog %s (shown only now):\n", t.Token.ID, tokCatalog)
			fmt.Fprintln(g.stdout, t.Secret)
			return nil
		},
	}
	tf.register(token)
	token.Flags().StringVar(&tokCatalog, "catalog", "", "catalog (required)")
	token.Flags().StringVar(&tokName, "name", "", "label of the token")
	_ = token.MarkFlagRequired("catalog")

	var lf remoteFlags
	var listCatalog string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list --catalog CATALOG",
		Short: "List the catalog's gateway nodes: version, applied sequence and revisions, last seen",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := lf.client(g)
			if err != nil {
				return err
			}
			nodes, err := c.ListNodes(cmd.Context(), listCatalog)
			if err != nil {
				return remoteError(g, "listing the nodes of "+listCatalog, err)
			}
			if asJSON {
				return writeJSON(g, nodes)
			}
			if len(nodes) == 0 {
				fmt.Fprintf(g.stderr, "no node of %s has reported yet\n", listCatalog)
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tVERSION\tSEQUENCE\tREVISIONS\tLAST SEEN\tERROR")
			for _, n := range nodes {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s ago\t%s\n", n.ID, n.Version, n.Sequence, revisionList(n.Revisions),
					time.Since(n.LastSeen).Round(time.Second), n.Error)
			}
			return tw.Flush()
		},
	}
	lf.register(list)
	list.Flags().StringVar(&listCatalog, "catalog", "", "catalog (required)")
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	_ = list.MarkFlagRequired("catalog")
	cmd.AddCommand(token, list)
	return cmd
}

// revisionList formats API revisions as "a@3 b@1", sorted by name.
func revisionList(revs map[string]int64) string {
	names := make([]string, 0, len(revs))
	for n := range revs {
		names = append(names, n)
	}
	slices.Sort(names)
	out := ""
	for i, n := range names {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s@%d", n, revs[n])
	}
	return out
}
