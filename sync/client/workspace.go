package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/sync/login"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// Workspace is what a publish reads from a local workspace (core/store/sqlite.Store).
type Workspace interface {
	// LatestRevision returns an API's newest revision, with its files when withFiles.
	LatestRevision(ctx context.Context, name string, withFiles bool) (*model.SpecRevision, error)
	// LatestGatewayConfig returns the workspace's gateway configuration.
	LatestGatewayConfig(ctx context.Context) (*model.GatewayConfig, int64, error)
}

// PublishRequestFrom builds the publish payload from a workspace API's newest revision and
// its entry in the workspace's gateway configuration, if any. The base revision is left 0.
func PublishRequestFrom(ctx context.Context, ws Workspace, api string) (*protocol.PublishRequest, error) {
	b, err := LocalBundle(ctx, ws, api)
	if err != nil {
		return nil, err
	}
	return &protocol.PublishRequest{Bundle: *protocol.BundleFromStore(b)}, nil
}

// LocalBundle returns what publishing a workspace API would send, in its stored form
// (its Hash says whether a catalog already has it).
func LocalBundle(ctx context.Context, ws Workspace, api string) (*store.Bundle, error) {
	rev, err := ws.LatestRevision(ctx, api, true)
	if err != nil {
		return nil, fmt.Errorf("API %q: %w", api, err)
	}
	b := &store.Bundle{Root: rev.Root, Files: rev.Files}
	gc, _, err := ws.LatestGatewayConfig(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if a := workspace.ConfiguredAPI(gc, api); a != nil {
		b.Settings = SettingsOf(*a)
	}
	return b, nil
}

// SettingsOf copies how a gateway configuration serves an API.
func SettingsOf(a model.GatewayAPI) store.APISettings {
	return store.APISettings{BasePath: a.BasePath, Hosts: a.Hosts, Mode: a.Mode, Validate: a.Validate,
		Upstream: a.Upstream, Upstreams: a.Upstreams, Policies: a.Policies, Operations: a.Operations}
}

// Base is the catalog revision a workspace API was last published as (or pulled from).
type Base struct {
	// Revision is the catalog's revision number.
	Revision int64 `json:"revision"`
	// Hash is its bundle hash.
	Hash string `json:"hash"`
	// At is when it was recorded.
	At time.Time `json:"at"`
}

// Bases maps BaseKey(server, catalog, api) to the recorded base.
type Bases map[string]Base

// BasesPath is the file beside the workspace database that records published bases.
func BasesPath(dbPath string) string { return dbPath + ".published.json" }

// BaseKey identifies an API in a catalog of a server.
func BaseKey(server, catalog, api string) string { return server + " " + catalog + " " + api }

// ReadBases reads the bases recorded beside the workspace at dbPath; a missing file gives
// an empty map.
func ReadBases(dbPath string) (Bases, error) {
	m := Bases{}
	b, err := os.ReadFile(BasesPath(dbPath))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", BasesPath(dbPath), err)
	}
	return m, nil
}

// WriteBases saves the bases beside the workspace at dbPath (mode 0600).
func WriteBases(dbPath string, m Bases) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := login.WritePrivateFile(BasesPath(dbPath), append(b, '\n')); err != nil {
		return fmt.Errorf("recording the published revision: %w", err)
	}
	return nil
}

// RecordBase records rev as the base of api in catalog of server, beside the workspace at
// dbPath.
func RecordBase(dbPath, server, catalog, api string, rev protocol.Revision) error {
	m, err := ReadBases(dbPath)
	if err != nil {
		return err
	}
	m[BaseKey(server, catalog, api)] = Base{Revision: rev.Number, Hash: rev.Hash, At: time.Now().UTC()}
	return WriteBases(dbPath, m)
}
