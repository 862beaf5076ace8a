package node

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// compiler turns catalog snapshots into gateway snapshots, keeping the compiled definition
// of each bundle so that a change to one API does not parse the others again.
type compiler struct {
	defs map[string]*apidef.Definition // by bundle hash
}

// compile builds the gateway snapshot of a catalog's state at seq: every API with its
// spec, settings and lifecycle (a retired API stays, so that it answers 410), and the
// consumers. An API without an upstream is mocked; with one, proxied.
func (c *compiler) compile(catalog string, seq int64, s *protocol.Snapshot) (*config.Snapshot, error) {
	if c.defs == nil {
		c.defs = map[string]*apidef.Definition{}
	}
	out := &config.Snapshot{Revision: uint64(seq), Consumers: slices.Clone(s.Consumers)}
	used := map[string]bool{}
	for _, st := range s.APIs {
		a, err := c.api(catalog, st)
		if err != nil {
			return nil, fmt.Errorf("API %s revision %d: %w", st.Name, st.Revision, err)
		}
		used[st.Hash] = true
		out.APIs = append(out.APIs, a)
	}
	for h := range c.defs {
		if !used[h] {
			delete(c.defs, h)
		}
	}
	return out, nil
}

// api builds one API of the gateway snapshot.
func (c *compiler) api(catalog string, st protocol.APIState) (*config.API, error) {
	if st.Bundle == nil {
		return nil, fmt.Errorf("no bundle")
	}
	b, err := st.Bundle.ToStore()
	if err != nil {
		return nil, err
	}
	def := c.defs[st.Hash]
	if def == nil || st.Hash == "" {
		sp, _, err := spec.LoadFiles(b.Root, b.Files, spec.Options{})
		if err != nil {
			return nil, err
		}
		def = sp.Definition
		if st.Hash != "" {
			c.defs[st.Hash] = def
		}
	}
	set := b.Settings
	a, err := config.NewAPI(st.Name, fmt.Sprintf("catalog:%s/%s@%d", catalog, st.Name, st.Revision), set.BasePath, def, st.Hash)
	if err != nil {
		return nil, err
	}
	a.Hosts = set.Hosts
	a.Mode = set.Mode
	if a.Mode == "" {
		a.Mode = model.ModeMock
		if len(set.Upstream) > 0 {
			a.Mode = model.ModeProxy
		}
	}
	a.NoValidation = set.Validate != nil && !*set.Validate
	a.Upstream, a.Upstreams = set.Upstream, set.Upstreams
	a.Policies, a.Operations = set.Policies, set.Operations
	a.Lifecycle = config.Lifecycle{State: st.State}
	if st.DeprecatedAt != nil {
		a.Lifecycle.DeprecatedAt = *st.DeprecatedAt
	}
	if st.Sunset != nil {
		a.Lifecycle.Sunset = *st.Sunset
	}
	return a, nil
}

// applyFrame returns the catalog state after frame f (cur is not modified; nil before
// the first snapshot). Frames other than a snapshot need a state to apply to.
func applyFrame(cur *protocol.Snapshot, f *protocol.Frame) (*protocol.Snapshot, error) {
	if f.Type == protocol.FrameSnapshot {
		return f.Snapshot, nil
	}
	if cur == nil {
		return nil, fmt.Errorf("a %s frame before any snapshot", f.Type)
	}
	next := *cur
	switch f.Type {
	case protocol.FrameRevision, protocol.FrameLifecycle:
		next.APIs = slices.Clone(cur.APIs)
		i := slices.IndexFunc(next.APIs, func(a protocol.APIState) bool { return a.Name == f.API.Name })
		if f.Type == protocol.FrameLifecycle {
			if i < 0 {
				return nil, fmt.Errorf("lifecycle of unknown API %s", f.API.Name)
			}
			a := next.APIs[i]
			a.State, a.DeprecatedAt, a.Sunset = f.API.State, f.API.DeprecatedAt, f.API.Sunset
			next.APIs[i] = a
			break
		}
		if i < 0 {
			next.APIs = append(next.APIs, *f.API)
			slices.SortFunc(next.APIs, func(a, b protocol.APIState) int { return strings.Compare(a.Name, b.Name) })
		} else {
			next.APIs[i] = *f.API
		}
	case protocol.FrameConsumers:
		next.Consumers = f.Consumers
	}
	return &next, nil
}
