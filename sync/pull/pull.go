// Package pull brings a catalog's APIs from the management server into a local workspace,
// never discarding local work: an API whose local copy is exactly what was last published
// or pulled moves forward to the catalog's revision; one with local changes keeps them and
// takes the catalog's revision as its new base, so the next publish is checked against
// what the catalog has now.
package pull

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// Workspace is the local store a pull writes to (core/store/sqlite.Store).
type Workspace interface {
	store.APIStore
	// LatestGatewayConfig returns the workspace's gateway configuration.
	LatestGatewayConfig(ctx context.Context) (*model.GatewayConfig, int64, error)
	// AddRevisionAndEditConfig stores a revision of an API and, in the same transaction,
	// lets edit change the gateway configuration.
	AddRevisionAndEditConfig(ctx context.Context, name string, rev *model.SpecRevision,
		edit func(c *model.GatewayConfig) (changed bool, err error)) (*model.API, *model.SpecRevision, bool, error)
}

// Source is the management server (*client.Client).
type Source interface {
	// ListAPIs lists a catalog's APIs.
	ListAPIs(ctx context.Context, catalog string) ([]protocol.CatalogAPI, error)
	// GetAPI returns an API of a catalog with its current revision's bundle.
	GetAPI(ctx context.Context, catalog, api string) (*protocol.APIDetail, error)
}

// What happened to one API.
const (
	// Added means the API was new to the workspace and now holds the catalog's revision.
	Added = "added"
	// Updated means the local copy was the recorded base and now is the catalog's revision.
	Updated = "updated"
	// UpToDate means the local copy already is the catalog's revision.
	UpToDate = "up-to-date"
	// KeptLocal means the local copy has changes the catalog does not: it is kept as it is,
	// and the catalog's revision is recorded as the base of its next publish.
	KeptLocal = "kept-local"
	// Failed means the API could not be pulled; Error says why and nothing was recorded.
	Failed = "failed"
)

// Result is the outcome of pulling one API.
type Result struct {
	// API is the API's name, in the catalog and in the workspace.
	API string `json:"api"`
	// Catalog is where it came from.
	Catalog string `json:"catalog"`
	// Revision is the catalog's revision, now the API's base.
	Revision int64 `json:"revision"`
	// State is its lifecycle state in the catalog (published, deprecated, retired).
	State string `json:"state"`
	// Outcome is Added, Updated, UpToDate or KeptLocal.
	Outcome string `json:"outcome"`
	// Reason says why local work was kept; "" otherwise.
	Reason string `json:"reason,omitempty"`
	// Operations is the operation count of the local copy afterwards.
	Operations int `json:"operations"`
	// Error says why the API could not be pulled (Outcome Failed).
	Error string `json:"error,omitempty"`
}

// Options say what to pull and where the bases are recorded.
type Options struct {
	// Server is the server's URL as the bases are keyed (the saved login's or --server).
	Server string
	// DBPath is the workspace database's path; the bases file sits beside it.
	DBPath string
	// APIs limits the pull to these APIs of the catalog; nil pulls every one.
	APIs []string
}

// Pull brings catalog's APIs into ws. It returns one Result per API; one that fails (its
// Result says why, and so does the joined error) does not stop the others, and every API
// that was pulled has its base recorded.
func Pull(ctx context.Context, src Source, ws Workspace, catalog string, o Options) ([]Result, error) {
	names := o.APIs
	if len(names) == 0 {
		list, err := src.ListAPIs(ctx, catalog)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			names = append(names, a.Name)
		}
	}
	bases, err := client.ReadBases(o.DBPath)
	if err != nil {
		return nil, err
	}
	var results []Result
	var errs []error
	for _, name := range names {
		r, base, err := pullOne(ctx, src, ws, catalog, name, bases[client.BaseKey(o.Server, catalog, name)])
		if err != nil {
			err = fmt.Errorf("pulling %s from %s: %w", name, catalog, err)
			errs = append(errs, err)
			results = append(results, Result{API: name, Catalog: catalog, Outcome: Failed, Error: err.Error()})
			continue
		}
		bases[client.BaseKey(o.Server, catalog, name)] = base
		results = append(results, *r)
	}
	if len(errs) < len(results) {
		if err := client.WriteBases(o.DBPath, bases); err != nil {
			errs = append(errs, err)
		}
	}
	return results, errors.Join(errs...)
}

// pullOne pulls one API and returns its result and new base.
func pullOne(ctx context.Context, src Source, ws Workspace, catalog, name string, base client.Base) (*Result, client.Base, error) {
	d, err := src.GetAPI(ctx, catalog, name)
	if err != nil {
		return nil, base, err
	}
	remote, err := d.Revision.Bundle.ToStore()
	if err != nil {
		return nil, base, fmt.Errorf("revision %d: %w", d.Revision.Number, err)
	}
	newBase := client.Base{Revision: d.Revision.Number, Hash: d.Revision.Hash, At: time.Now().UTC()}
	r := &Result{API: name, Catalog: catalog, Revision: d.Revision.Number, State: d.API.State}

	local, err := ws.GetAPI(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		r.Outcome = Added
	case err != nil:
		return nil, base, err
	default:
		lb, err := client.LocalBundle(ctx, ws, name)
		if err != nil {
			return nil, base, err
		}
		lh, err := lb.Hash()
		if err != nil {
			return nil, base, err
		}
		switch {
		case lh == d.Revision.Hash:
			r.Outcome = UpToDate
		case local.LinkedPath != "":
			r.Outcome, r.Reason = KeptLocal, "linked to "+local.LinkedPath+", which stays the source of its spec"
		case base.Hash == "":
			r.Outcome, r.Reason = KeptLocal, "the local copy was never published to or pulled from this catalog"
		case base.Hash != lh:
			r.Outcome, r.Reason = KeptLocal, fmt.Sprintf("the local copy changed since revision %d was published or pulled", base.Revision)
		default:
			r.Outcome = Updated
		}
	}
	if r.Outcome == Added || r.Outcome == Updated {
		if err := apply(ctx, ws, name, remote); err != nil {
			return nil, base, err
		}
	}
	rev, err := ws.LatestRevision(ctx, name, false)
	if err != nil {
		return nil, base, err
	}
	r.Operations = rev.Operations
	return r, newBase, nil
}

// apply makes the workspace's copy of the API the bundle: its spec as the newest revision
// and its settings as the API's entry of the gateway configuration, in one transaction.
func apply(ctx context.Context, ws Workspace, name string, b *store.Bundle) error {
	if err := workspace.ValidName(name); err != nil {
		return err
	}
	s, _, err := spec.LoadFiles(b.Root, b.Files, spec.Options{})
	if err != nil {
		return err
	}
	rev, err := workspace.Revision(s)
	if err != nil {
		return err
	}
	_, _, _, err = ws.AddRevisionAndEditConfig(ctx, name, rev, func(cfg *model.GatewayConfig) (bool, error) {
		return applySettings(cfg, name, b.Settings), nil
	})
	if err != nil {
		return fmt.Errorf("storing API %q and its gateway settings: %w", name, err)
	}
	return nil
}

// applySettings makes st the settings of API name in cfg and reports whether cfg needs
// storing: an API mocked with the defaults needs no entry.
func applySettings(cfg *model.GatewayConfig, name string, st store.APISettings) bool {
	ga := workspace.ConfiguredAPI(cfg, name)
	if ga == nil {
		if reflect.ValueOf(st).IsZero() {
			return false
		}
		cfg.APIs = append(cfg.APIs, model.GatewayAPI{Name: name, API: name})
		ga = &cfg.APIs[len(cfg.APIs)-1]
	}
	ga.BasePath, ga.Hosts, ga.Mode, ga.Validate = st.BasePath, st.Hosts, st.Mode, st.Validate
	ga.Upstream, ga.Upstreams, ga.Policies, ga.Operations = st.Upstream, st.Upstreams, st.Policies, st.Operations
	return true
}
