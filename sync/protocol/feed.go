package protocol

import (
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// KeepAliveComment is the SSE comment a feed sends when it has been idle for a while; a
// node that reads nothing (frame or comment) for several keep-alive intervals treats the
// connection as dead.
const KeepAliveComment = ": keep-alive\n\n"

// APIStateFromStore builds an API's state from its catalog entry and a revision (with its
// bundle; nil for a lifecycle frame).
func APIStateFromStore(a *store.CatalogAPI, rev *store.Revision) APIState {
	s := APIState{Name: a.Name, Revision: a.Revision, Hash: a.Hash, State: a.State,
		DeprecatedAt: timePtr(a.DeprecatedAt), Sunset: timePtr(a.Sunset)}
	if rev != nil {
		s.Revision, s.Hash, s.Bundle = rev.Number, rev.Hash, BundleFromStore(rev.Bundle)
	}
	return s
}

// ConsumersFromStore converts a catalog's consumers to what the gateways enforce: names,
// groups and hashed keys.
func ConsumersFromStore(cs []store.HostedConsumer) []model.Consumer {
	out := make([]model.Consumer, 0, len(cs))
	for _, c := range cs {
		mc := model.Consumer{Name: c.Name, Groups: c.Groups}
		for _, k := range c.Credentials {
			mc.APIKeyHashes = append(mc.APIKeyHashes, k.Hash)
		}
		out = append(out, mc)
	}
	return out
}

// SnapshotFrame builds the snapshot frame of a catalog's state.
func SnapshotFrame(st *store.CatalogState) *Frame {
	snap := &Snapshot{Catalog: st.Catalog.Name, BaseURL: st.Catalog.BaseURL, APIs: make([]APIState, 0, len(st.APIs)),
		Consumers: ConsumersFromStore(st.Consumers)}
	for i := range st.APIs {
		var rev *store.Revision
		if i < len(st.Revisions) {
			rev = &st.Revisions[i]
		}
		snap.APIs = append(snap.APIs, APIStateFromStore(&st.APIs[i], rev))
	}
	return &Frame{Type: FrameSnapshot, Sequence: st.Catalog.Sequence, Snapshot: snap}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
