package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/sync/protocol"
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
			req, err := publishRequest(ctx, st, name)
			if err != nil {
				return err
			}
			bases, err := readBases(dbPath)
			if err != nil {
				return err
			}
			key := baseKey(server, catalog, name)
			req.BaseRevision = bases[key].Revision
			if cmd.Flags().Changed("base") {
				req.BaseRevision = base
			}
			req.AllowBreaking, req.Reason = allowBreaking, reason
			resp, err := c.Publish(ctx, catalog, name, *req)
			if err != nil {
				return remoteError(g, fmt.Sprintf("publishing %s to %s", name, catalog), err)
			}
			bases[key] = publishedBase{Revision: resp.Revision.Number, Hash: resp.Revision.Hash, At: time.Now().UTC()}
			if err := writeBases(dbPath, bases); err != nil {
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

// publishRequest builds the publish payload from the workspace API's newest revision and
// its entry in the workspace's gateway configuration, if any.
func publishRequest(ctx context.Context, st *sqlite.Store, name string) (*protocol.PublishRequest, error) {
	rev, err := st.LatestRevision(ctx, name, true)
	if err != nil {
		return nil, fmt.Errorf("API %q: %w", name, err)
	}
	b := &store.Bundle{Root: rev.Root, Files: rev.Files}
	gc, _, err := st.LatestGatewayConfig(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if gc != nil {
		for _, a := range gc.APIs {
			if a.API == name {
				b.Settings = settingsOf(a)
				break
			}
		}
	}
	return &protocol.PublishRequest{Bundle: *protocol.BundleFromStore(b)}, nil
}

// settingsOf copies how a gateway configuration serves an API.
func settingsOf(a model.GatewayAPI) store.APISettings {
	return store.APISettings{BasePath: a.BasePath, Hosts: a.Hosts, Mode: a.Mode, Validate: a.Validate,
		Upstream: a.Upstream, Upstreams: a.Upstreams, Policies: a.Policies, Operations: a.Operations}
}

// publishedBase is the catalog revision a workspace API was last published as (or pulled from).
type publishedBase struct {
	// Revision is the catalog's revision number.
	Revision int64 `json:"revision"`
	// Hash is its bundle hash.
	Hash string `json:"hash"`
	// At is when it was recorded.
	At time.Time `json:"at"`
}

// basesPath is the file beside the workspace database that records published bases.
func basesPath(dbPath string) string { return dbPath + ".published.json" }

// baseKey identifies an API in a catalog of a server.
func baseKey(server, catalog, api string) string { return server + " " + catalog + " " + api }

// readBases reads the recorded bases; a missing file gives an empty map.
func readBases(dbPath string) (map[string]publishedBase, error) {
	m := map[string]publishedBase{}
	b, err := os.ReadFile(basesPath(dbPath))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", basesPath(dbPath), err)
	}
	return m, nil
}

// writeBases saves the recorded bases.
func writeBases(dbPath string, m map[string]publishedBase) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivateFile(basesPath(dbPath), append(b, '\n')); err != nil {
		return fmt.Errorf("recording the published revision: %w", err)
	}
	return nil
}
