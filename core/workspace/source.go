package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// Source is a config.Source over the workspace: a snapshot of the newest revisions of the
// named APIs (every API when Names is empty), sent again whenever one of them gets a new
// revision, is added or is removed, by this process or another one (the CLI importing
// while the desktop serves). Changes are noticed on Poke at once, else by polling.
//
// When Config is set, the workspace's stored gateway configuration applies to the APIs it
// names (an entry whose `api` is the API's name): their policies, per-operation settings,
// mode, upstreams, validation switch, hosts and base path, and the configuration's
// consumers. A new revision of the configuration sends a new snapshot too.
type Source struct {
	// Store is the workspace.
	Store store.APIStore
	// Config holds the workspace's gateway configuration; nil serves the bare definitions
	// (mocked, validated, without policies).
	Config store.GatewayConfigStore
	// Names lists the APIs to serve; empty means every API in the workspace.
	Names []string
	// BasePath, if set, overrides where an API is mounted; "" keeps the path of its
	// servers[0].url.
	BasePath func(name string) string
	// Poll is how often the workspace is checked for changes; zero means every second.
	Poll time.Duration
	// Logger receives failures to load an API; nil discards them.
	Logger *slog.Logger

	poke chan struct{}
}

// NewSource returns a Source over st for the named APIs (all when none are named). When st
// also keeps the gateway configuration (store.GatewayConfigStore, as the SQLite store
// does), that configuration applies (see Source.Config).
func NewSource(st store.APIStore, names ...string) *Source {
	s := &Source{Store: st, Names: names, poke: make(chan struct{}, 1)}
	if cs, ok := st.(store.GatewayConfigStore); ok {
		s.Config = cs
	}
	return s
}

// Poke makes a running Source look for changes now, as after a save. It never blocks.
func (s *Source) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run sends the first snapshot, then a new one on every change, until ctx is done. An API
// that cannot be loaded is left out of the snapshot and logged; naming an API that does
// not exist fails the first snapshot.
func (s *Source) Run(ctx context.Context, out chan<- *config.Snapshot) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	if s.poke == nil {
		s.poke = make(chan struct{}, 1)
	}
	var (
		rev  uint64
		last string
	)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		key, err := s.versionKey(ctx)
		if err != nil {
			if rev == 0 {
				return err
			}
			log.Warn("checking the workspace for changes", "err", err)
		} else if key != last || rev == 0 {
			snap, err := s.snapshot(ctx, rev+1, log)
			if err != nil {
				if rev == 0 {
					return err
				}
				log.Warn("loading the workspace's APIs", "err", err)
			} else {
				rev++
				last = key
				select {
				case out <- snap:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-s.poke:
		}
	}
}

// versionKey summarises which revision of each served API is the newest.
func (s *Source) versionKey(ctx context.Context) (string, error) {
	list, err := s.Store.ListAPIs(ctx)
	if err != nil {
		return "", err
	}
	key := ""
	for _, a := range list {
		if len(s.Names) > 0 && !slices.Contains(s.Names, a.Name) {
			continue
		}
		key += fmt.Sprintf("%s@%d;", a.Name, a.LatestRevision)
	}
	_, crev, err := s.gatewayConfig(ctx)
	if err != nil {
		return "", err
	}
	return key + fmt.Sprintf("config@%d", crev), nil
}

// gatewayConfig returns the newest stored gateway configuration and its revision; nil and
// 0 when there is none or Config is nil.
func (s *Source) gatewayConfig(ctx context.Context) (*model.GatewayConfig, int64, error) {
	if s.Config == nil {
		return nil, 0, nil
	}
	c, rev, err := s.Config.LatestGatewayConfig(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("loading the gateway configuration: %w", err)
	}
	return c, rev, nil
}

// ConfiguredAPI returns the entry of c that configures the workspace API called name: the
// one whose `api` names it (or, without `api` and `spec`, whose name is name); nil when c
// is nil or has none.
func ConfiguredAPI(c *model.GatewayConfig, name string) *model.GatewayAPI {
	if c == nil {
		return nil
	}
	for i := range c.APIs {
		if c.APIs[i].API == name {
			return &c.APIs[i]
		}
	}
	for i := range c.APIs {
		if a := &c.APIs[i]; a.API == "" && a.Spec == "" && a.Name == name {
			return a
		}
	}
	return nil
}

// Configure applies the settings of ga, an entry of the gateway configuration, to a (what
// Source does for every API it serves), all but the base path, which config.NewAPI takes;
// a nil ga leaves a as it is.
func Configure(a *config.API, ga *model.GatewayAPI) {
	if ga == nil {
		return
	}
	a.Hosts = ga.Hosts
	a.Mode = ga.Mode
	if a.Mode == "" && len(ga.Upstream) > 0 {
		a.Mode = model.ModeProxy
	}
	a.NoValidation = ga.Validate != nil && !*ga.Validate
	a.Upstream = ga.Upstream
	a.Upstreams = ga.Upstreams
	a.Policies = ga.Policies
	a.Operations = ga.Operations
}

// snapshot loads the compiled definitions of the served APIs.
func (s *Source) snapshot(ctx context.Context, rev uint64, log *slog.Logger) (*config.Snapshot, error) {
	names := s.Names
	if len(names) == 0 {
		list, err := s.Store.ListAPIs(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			names = append(names, a.Name)
		}
	}
	cfg, _, err := s.gatewayConfig(ctx)
	if err != nil {
		return nil, err
	}
	snap := &config.Snapshot{Revision: rev}
	if cfg != nil {
		snap.Consumers = cfg.Consumers
	}
	for _, name := range names {
		def, srev, err := Definition(ctx, s.Store, name)
		if err != nil {
			if len(s.Names) > 0 && rev == 1 {
				return nil, err
			}
			log.Warn("leaving an API out of the gateway", "api", name, "err", err)
			continue
		}
		ga := ConfiguredAPI(cfg, name)
		base := ""
		if s.BasePath != nil {
			base = s.BasePath(name)
		} else if ga != nil {
			base = ga.BasePath
		}
		a, err := config.NewAPI(name, fmt.Sprintf("workspace:%s@%d", name, srev.ID), base, def, srev.Hash)
		if err != nil {
			return nil, fmt.Errorf("API %q: %w", name, err)
		}
		Configure(a, ga)
		snap.APIs = append(snap.APIs, a)
	}
	return snap, nil
}
