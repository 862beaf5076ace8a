package workspace

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/store"
)

// Source is a config.Source over the workspace: a snapshot of the newest revisions of the
// named APIs (every API when Names is empty), sent again whenever one of them gets a new
// revision, is added or is removed, by this process or another one (the CLI importing
// while the desktop serves). Changes are noticed on Poke at once, else by polling.
type Source struct {
	// Store is the workspace.
	Store store.APIStore
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

// NewSource returns a Source over st for the named APIs (all when none are named).
func NewSource(st store.APIStore, names ...string) *Source {
	return &Source{Store: st, Names: names, poke: make(chan struct{}, 1)}
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
	return key, nil
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
	snap := &config.Snapshot{Revision: rev}
	for _, name := range names {
		def, srev, err := Definition(ctx, s.Store, name)
		if err != nil {
			if len(s.Names) > 0 && rev == 1 {
				return nil, err
			}
			log.Warn("leaving an API out of the gateway", "api", name, "err", err)
			continue
		}
		base := ""
		if s.BasePath != nil {
			base = s.BasePath(name)
		}
		a, err := config.NewAPI(name, fmt.Sprintf("workspace:%s@%d", name, srev.ID), base, def, srev.Hash)
		if err != nil {
			return nil, fmt.Errorf("API %q: %w", name, err)
		}
		snap.APIs = append(snap.APIs, a)
	}
	return snap, nil
}
