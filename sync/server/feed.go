package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// Feed timing and limits, the defaults of the Options fields.
const (
	// DefaultFeedPoll is how often a feed reads new events when the store cannot notify.
	DefaultFeedPoll = 2 * time.Second
	// DefaultFeedKeepAlive is how long a feed stays silent before it sends a keep-alive comment.
	DefaultFeedKeepAlive = 15 * time.Second
	// DefaultFeedTokenCheck is how often a feed checks that its token was not revoked.
	DefaultFeedTokenCheck = 30 * time.Second
	// DefaultFeedReplay is how many missed events a resuming node is sent one by one; more
	// than that and it gets a full snapshot instead.
	DefaultFeedReplay = 1000
	// feedSafetyPoll is how often a feed reads new events even with a notifying store, in
	// case a notification was lost.
	feedSafetyPoll = 30 * time.Second
	// feedWriteTimeout bounds the write of one frame: a node that does not read is dropped
	// (it resumes from its last sequence when it reconnects).
	feedWriteTimeout = 30 * time.Second
	// frameCacheSize is how many encoded frames are kept for other streams of the catalog.
	frameCacheSize = 256
)

// streams tracks the open feed streams so that CloseStreams can end them.
type streams struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	open   int
}

func newStreams() *streams {
	ctx, cancel := context.WithCancel(context.Background())
	return &streams{ctx: ctx, cancel: cancel}
}

// CloseStreams ends every open feed stream (nodes reconnect, to this process or another).
// Register it with http.Server.RegisterOnShutdown: Shutdown does not wait for streams,
// which never go idle. New streams are refused with 503 afterwards.
func (s *Server) CloseStreams() { s.streams.cancel() }

// OpenStreams returns how many feed streams are open.
func (s *Server) OpenStreams() int {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	return s.streams.open
}

// frameCache keeps the encoded frames of recent events, so that the streams of a catalog's
// nodes read and encode each change once, not once per node.
type frameCache struct {
	mu      sync.Mutex
	entries map[frameKey]*frameEntry
	order   []frameKey // oldest first
}

type frameKey struct {
	catalog string
	seq     int64
}

type frameEntry struct {
	done chan struct{}
	data []byte
	err  error
}

// get returns the encoded frame of (catalog, seq), building it with build once however
// many streams ask at the same time. Failed builds are not kept.
func (c *frameCache) get(catalog string, seq int64, build func() ([]byte, error)) ([]byte, error) {
	k := frameKey{catalog, seq}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[frameKey]*frameEntry{}
	}
	if e, ok := c.entries[k]; ok {
		c.mu.Unlock()
		<-e.done
		return e.data, e.err
	}
	e := &frameEntry{done: make(chan struct{})}
	c.entries[k] = e
	c.order = append(c.order, k)
	for len(c.order) > frameCacheSize {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.mu.Unlock()
	e.data, e.err = build()
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[k] == e {
			delete(c.entries, k)
		}
		c.mu.Unlock()
	}
	return e.data, e.err
}

// feed streams a catalog's changes to a gateway node as Server-Sent Events: a snapshot
// first (or, with Last-Event-ID, only what the node missed), then every change as it is
// committed, with keep-alive comments when idle.
func (s *Server) feed(w http.ResponseWriter, r *http.Request, c *call) {
	catalog := c.params["catalog"]
	s.streams.mu.Lock()
	if s.streams.ctx.Err() != nil {
		s.streams.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		problem.Error(w, r, http.StatusServiceUnavailable, "shutting-down", "the server is shutting down; reconnect")
		return
	}
	s.streams.open++
	s.streams.mu.Unlock()
	defer func() {
		s.streams.mu.Lock()
		s.streams.open--
		s.streams.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.streams.ctx, cancel)
	defer stop()

	// Subscribe before reading anything, so that no change falls between the first read
	// and the subscription.
	var notify <-chan int64
	if sub, ok := s.st.(store.CatalogSubscriber); ok {
		ch, err := sub.Subscribe(ctx, catalog)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		notify = ch
	}
	first, seq, err := s.feedStart(ctx, catalog, r.Header.Get("Last-Event-ID"), r.Header.Get(protocol.ClusterHeader))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(feedWriteTimeout)) // unsupported writers just block
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(first) {
		return
	}
	poll := s.opts.FeedPoll
	if notify != nil {
		poll = feedSafetyPoll
	}
	pollT := time.NewTicker(poll)
	defer pollT.Stop()
	keepAlive := time.NewTimer(s.opts.FeedKeepAlive)
	defer keepAlive.Stop()
	tokenT := time.NewTicker(s.opts.FeedTokenCheck)
	defer tokenT.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tokenT.C:
			if s.tokenRevoked(ctx, r) {
				s.log.Info("feed: ending the stream of a revoked or expired token", "catalog", catalog, "actor", c.actor(r).Name)
				return
			}
			continue
		case v, ok := <-notify:
			if !ok {
				notify = nil // the store closed its notifications: poll
				pollT.Reset(s.opts.FeedPoll)
				continue
			}
			if v <= seq {
				continue
			}
		case <-pollT.C:
		case <-keepAlive.C:
			if !send([]byte(protocol.KeepAliveComment)) {
				return
			}
			keepAlive.Reset(s.opts.FeedKeepAlive)
			continue
		}
		evs, err := s.st.EventsSince(ctx, catalog, seq, 0)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("feed: reading events", "catalog", catalog, "err", err)
			}
			return // the node reconnects and resumes
		}
		if len(evs) == 0 {
			continue
		}
		var buf bytes.Buffer
		for _, ev := range evs {
			b, err := s.eventFrame(ctx, catalog, ev)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("feed: building a frame", "catalog", catalog, "sequence", ev.Sequence, "err", err)
				}
				return
			}
			buf.Write(b)
			seq = ev.Sequence
		}
		if !send(buf.Bytes()) {
			return
		}
		keepAlive.Reset(s.opts.FeedKeepAlive)
	}
}

// feedStart returns what a new stream sends first and the sequence it reaches: the
// events after lastID when the node resumes from a sequence they can be replayed from
// (possibly nothing) and has the server's cluster settings (cluster is their
// fingerprint), else a snapshot.
func (s *Server) feedStart(ctx context.Context, catalog, lastID, cluster string) ([]byte, int64, error) {
	if lastID != "" && cluster == s.cluster.Fingerprint() {
		last, err := strconv.ParseInt(strings.TrimSpace(lastID), 10, 64)
		if err == nil && last >= 0 {
			b, seq, ok, err := s.replay(ctx, catalog, last)
			if err != nil || ok {
				return b, seq, err
			}
		}
	}
	st, err := s.st.CatalogState(ctx, catalog)
	if err != nil {
		return nil, 0, err
	}
	f := protocol.SnapshotFrame(st)
	f.Snapshot.Cluster = s.cluster // shared by every snapshot frame, never modified
	var buf bytes.Buffer
	if err := protocol.WriteFrame(&buf, f); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), st.Catalog.Sequence, nil
}

// replay returns the frames of the events after last, or ok=false if they cannot be
// replayed: last is ahead of the catalog (its database was replaced), events are missing,
// or there are more than Options.FeedReplay of them.
func (s *Server) replay(ctx context.Context, catalog string, last int64) ([]byte, int64, bool, error) {
	cat, err := s.st.GetCatalog(ctx, catalog)
	if err != nil {
		return nil, 0, false, err
	}
	if last > cat.Sequence {
		return nil, 0, false, nil
	}
	evs, err := s.st.EventsSince(ctx, catalog, last, s.opts.FeedReplay+1)
	if err != nil {
		return nil, 0, false, err
	}
	if len(evs) > s.opts.FeedReplay || len(evs) > 0 && evs[0].Sequence != last+1 {
		return nil, 0, false, nil
	}
	var buf bytes.Buffer
	seq := last
	for _, ev := range evs {
		if ev.Sequence != seq+1 {
			return nil, 0, false, nil
		}
		b, err := s.eventFrame(ctx, catalog, ev)
		if err != nil {
			return nil, 0, false, err
		}
		buf.Write(b)
		seq = ev.Sequence
	}
	return buf.Bytes(), seq, true, nil
}

// eventFrame returns the encoded frame of one event, from the cache when another stream
// built it already. The state read may be newer than the event; a later event then
// carries the same state again, which is harmless.
func (s *Server) eventFrame(ctx context.Context, catalog string, ev store.FeedEvent) ([]byte, error) {
	return s.frames.get(catalog, ev.Sequence, func() ([]byte, error) {
		// Other streams may wait for this frame: their build must not fail because this
		// stream's node went away.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), feedWriteTimeout)
		defer cancel()
		f := &protocol.Frame{Sequence: ev.Sequence}
		switch ev.Kind {
		case store.EventRevision:
			api, err := s.st.GetCatalogAPI(ctx, catalog, ev.API)
			if err != nil {
				return nil, err
			}
			rev, err := s.st.GetRevision(ctx, catalog, ev.API, ev.Revision)
			if err != nil {
				return nil, err
			}
			st := protocol.APIStateFromStore(api, rev)
			f.Type, f.API = protocol.FrameRevision, &st
		case store.EventLifecycle:
			api, err := s.st.GetCatalogAPI(ctx, catalog, ev.API)
			if err != nil {
				return nil, err
			}
			st := protocol.APIStateFromStore(api, nil)
			f.Type, f.API = protocol.FrameLifecycle, &st
		case store.EventConsumers:
			cs, err := s.st.ListConsumers(ctx, catalog)
			if err != nil {
				return nil, err
			}
			f.Type, f.Consumers = protocol.FrameConsumers, protocol.ConsumersFromStore(cs)
		default:
			return nil, fmt.Errorf("event %d: unknown kind %q", ev.Sequence, ev.Kind)
		}
		var buf bytes.Buffer
		if err := protocol.WriteFrame(&buf, f); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
}

// tokenRevoked reports whether the bearer token of r, which authenticated when the stream
// opened, is no longer valid. A store that cannot answer does not end the stream.
func (s *Server) tokenRevoked(ctx context.Context, r *http.Request) bool {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	_, err := s.st.LookupToken(ctx, secret.Hash(strings.TrimSpace(tok)))
	if err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
		s.log.Warn("feed: checking the stream's token", "err", err)
	}
	return errors.Is(err, store.ErrNotFound)
}
