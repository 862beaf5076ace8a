// Package node is the configuration source of a production gateway node: it follows a
// catalog's data-plane feed on the management server (sync/server) and turns each state
// of the catalog into a gateway snapshot.
//
// The source keeps serving through control-plane outages. It opens one long-lived feed
// stream with its node token, applies every frame to its copy of the catalog, compiles it
// (a snapshot that does not compile is rejected and reported, the last good one keeps
// serving), saves the last applied snapshot in its state folder (atomic rename,
// checksummed), reports heartbeats with what it serves, and reconnects after a failure with
// jittered exponential backoff, resuming from the last sequence it received. Started while
// the control plane is down, it serves the snapshot saved in its state folder. The
// management server's cluster settings (the Redis to share counters through) come with the
// snapshots and are passed to Options.OnCluster.
package node

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// Defaults of the Options durations.
const (
	// DefaultHeartbeat is how often a node reports.
	DefaultHeartbeat = 10 * time.Second
	// DefaultIdleTimeout is how long a stream may stay silent (no frame, no keep-alive)
	// before the node drops it and reconnects: three of the server's keep-alive intervals.
	DefaultIdleTimeout = 45 * time.Second
	// DefaultBackoffMin and DefaultBackoffMax bound the wait between reconnections.
	DefaultBackoffMin = 200 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
)

// maxPending bounds the snapshots sent and not yet reported by Applied.
const maxPending = 64

// nodeIDFile holds a node's generated identifier in its state folder.
const nodeIDFile = "node-id"

// Options configures New. Server and Token are required.
type Options struct {
	// Server is the management server's URL ("https://cp.example.com").
	Server string
	// Token is a node token of the catalog.
	Token string
	// Catalog is the catalog to follow; "" means the token's catalog (from the saved
	// state, else asked from the server).
	Catalog string
	// StateDir is where the last good snapshot is saved; "" keeps nothing on disk (and a
	// node started while the server is down waits for it).
	StateDir string
	// NodeID identifies the node in heartbeats; "" means the one saved in StateDir, else
	// a new one (host name and random suffix), saved there.
	NodeID string
	// Version is reported in heartbeats; "" means "dev".
	Version string
	// Check, if set, vets a compiled snapshot before it is sent (gateway.Check, say); an
	// error rejects it as a compile error would.
	Check func(*config.Snapshot) error
	// OnError, if set, is called with every rejected snapshot and feed failure.
	OnError func(error)
	// OnCluster, if set, is called with the management server's cluster settings (the
	// Redis to share rate-limit and quota counters through) when they are first known and
	// whenever they change: from the saved state at start, then from the feed's snapshots.
	// The zero Cluster means the server names none. It is called on Run's goroutine, before
	// the state carrying the settings is compiled, and must not block for long.
	OnCluster func(protocol.Cluster)
	// Heartbeat is the reporting interval; 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	// IdleTimeout drops a silent stream; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// BackoffMin and BackoffMax bound the reconnection backoff (doubling, with jitter);
	// 0 means DefaultBackoffMin and DefaultBackoffMax.
	BackoffMin, BackoffMax time.Duration
	// HTTPClient sends the requests; nil means a default client.
	HTTPClient *http.Client
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// Source is a config.Source that follows a catalog's feed. Wire Applied to the gateway's
// apply callback (server.Options.OnApply): the state folder and heartbeats record what the
// gateway actually applied. It is safe for concurrent use; Run is called once.
type Source struct {
	opts Options
	log  *slog.Logger
	cli  *client.Client
	comp compiler
	// cluster is the cluster settings last passed to OnCluster, nil before any; used by
	// Run's goroutine only, as comp is.
	cluster *protocol.Cluster

	mu        sync.Mutex
	catalog   string
	wire      *protocol.Snapshot // the catalog as last received (maybe not compilable)
	wireSeq   int64              // its sequence: where a reconnect resumes
	pending   map[*config.Snapshot]*State
	applied   *State // the last state the gateway applied
	lastErr   string // the last rejection; "" after a good apply
	connected atomic.Bool
	beat      chan struct{} // asks the heartbeat loop to report now
}

var _ config.Source = (*Source)(nil)

// New checks opts and returns a source; nothing is contacted before Run.
func New(opts Options) (*Source, error) {
	if opts.Server == "" || opts.Token == "" {
		return nil, errors.New("node: a control-plane URL and a node token are required")
	}
	opts.Heartbeat = cmp.Or(opts.Heartbeat, DefaultHeartbeat)
	opts.IdleTimeout = cmp.Or(opts.IdleTimeout, DefaultIdleTimeout)
	opts.BackoffMin = cmp.Or(opts.BackoffMin, DefaultBackoffMin)
	opts.BackoffMax = max(cmp.Or(opts.BackoffMax, DefaultBackoffMax), opts.BackoffMin)
	opts.Version = cmp.Or(opts.Version, "dev")
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cli, err := client.New(opts.Server, opts.Token, client.Options{HTTPClient: opts.HTTPClient, UserAgent: "gantry-node/" + opts.Version})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	return &Source{opts: opts, log: log, cli: cli, catalog: opts.Catalog, pending: map[*config.Snapshot]*State{}, beat: make(chan struct{}, 1)}, nil
}

// Status is what a node serves, as its heartbeats report it.
type Status struct {
	// NodeID is the node's identifier.
	NodeID string
	// Catalog is the catalog followed; "" before it is known.
	Catalog string
	// Sequence is the catalog sequence of the applied snapshot; 0 before the first.
	Sequence int64
	// Revisions maps API names to the revisions applied.
	Revisions map[string]int64
	// Error is the last rejected snapshot's error; "" if the last one applied.
	Error string
	// Connected reports whether the feed stream is open.
	Connected bool
}

// Status returns what the node serves now.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{NodeID: s.opts.NodeID, Catalog: s.catalog, Error: s.lastErr, Connected: s.connected.Load()}
	if s.applied != nil {
		st.Sequence = s.applied.Sequence
		st.Revisions = map[string]int64{}
		for _, a := range s.applied.Snapshot.APIs {
			st.Revisions[a.Name] = a.Revision
		}
	}
	return st
}

// Applied records the gateway's verdict on a snapshot this source sent: on success the
// state is saved to the state folder and reported; on failure the error is reported and
// the last good state stays.
func (s *Source) Applied(snap *config.Snapshot, err error) {
	s.mu.Lock()
	st := s.pending[snap]
	delete(s.pending, snap)
	if err != nil {
		s.lastErr = err.Error()
		s.mu.Unlock()
		s.report(fmt.Errorf("the gateway rejected catalog sequence %d: %w", snapRevision(snap), err))
		s.kick()
		return
	}
	if st == nil { // not ours, or applied twice
		s.mu.Unlock()
		return
	}
	s.applied, s.lastErr = st, ""
	for p := range s.pending { // superseded: the gateway applies snapshots in order
		if p.Revision <= snap.Revision {
			delete(s.pending, p)
		}
	}
	s.mu.Unlock()
	if s.opts.StateDir != "" {
		if err := SaveState(s.opts.StateDir, st); err != nil {
			s.log.Error("saving the applied snapshot", "err", err)
		}
	}
	s.kick()
}

func snapRevision(s *config.Snapshot) uint64 {
	if s == nil {
		return 0
	}
	return s.Revision
}

// kick asks the heartbeat loop to report now.
func (s *Source) kick() {
	select {
	case s.beat <- struct{}{}:
	default:
	}
}

// report logs a problem and passes it to OnError.
func (s *Source) report(err error) {
	s.log.Error("node", "err", err)
	if s.opts.OnError != nil {
		s.opts.OnError(err)
	}
}

// Run sends the saved state first if there is one, then follows the feed until ctx ends,
// reconnecting after failures. A saved state that is rejected is reported and replaced by
// the control plane's snapshot. Run returns early only when there is no usable saved state
// and the server refuses the token (401/403) or the catalog is unknown.
func (s *Source) Run(ctx context.Context, out chan<- *config.Snapshot) error {
	if err := s.initNodeID(); err != nil {
		return err
	}
	if s.opts.StateDir != "" {
		st, err := LoadState(s.opts.StateDir)
		switch {
		case errors.Is(err, ErrNoState):
		case err != nil:
			s.report(fmt.Errorf("ignoring the saved state: %w", err))
		case s.catalog != "" && st.Catalog != s.catalog:
			s.report(fmt.Errorf("ignoring the saved state: it is of catalog %s, not %s", st.Catalog, s.catalog))
		default:
			s.catalog = st.Catalog
			switch {
			case s.accept(ctx, out, st.Sequence, st.Snapshot):
				s.log.Info("serving the saved snapshot until the control plane answers", "catalog", st.Catalog, "sequence", st.Sequence)
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				// Rejected (accept reported why; a newer node may check more than the one
				// that saved it): the feed starts afresh, with the control plane's snapshot.
				s.mu.Lock()
				s.wire, s.wireSeq = nil, 0
				s.mu.Unlock()
			}
		}
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go s.heartbeats(hbCtx)

	backoff := s.opts.BackoffMin
	for attempt := 1; ; attempt++ {
		got, err := s.follow(ctx, out)
		s.connected.Store(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.mu.Lock()
		have := s.wire != nil
		s.mu.Unlock()
		if !have && fatal(err) {
			return fmt.Errorf("following the control plane's feed: %w", err)
		}
		if got {
			backoff, attempt = s.opts.BackoffMin, 1
		}
		if attempt == 1 || attempt%10 == 0 {
			s.log.Warn("control-plane feed interrupted; reconnecting", "err", err, "attempt", attempt, "in", backoff)
		}
		wait := backoff/2 + mrand.N(backoff/2+1) // jitter: [backoff/2, backoff]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, s.opts.BackoffMax)
	}
}

// fatal reports whether a feed error will not go away by retrying: a refused token or an
// unknown catalog.
func fatal(err error) bool {
	switch client.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// follow opens the feed and applies its frames until the stream fails; got reports
// whether any frame arrived.
func (s *Source) follow(ctx context.Context, out chan<- *config.Snapshot) (got bool, err error) {
	s.mu.Lock()
	catalog, after, cluster := s.catalog, s.wireSeq, ""
	if s.wire == nil {
		after = 0
	} else {
		cluster = s.wire.Cluster.Fingerprint()
	}
	s.mu.Unlock()
	if catalog == "" {
		me, err := s.cli.Me(ctx)
		if err != nil {
			return false, fmt.Errorf("asking the server for the token's catalog: %w", err)
		}
		if me.Catalog == "" {
			return false, &client.Error{Status: http.StatusForbidden, Detail: "the token is not a node token"}
		}
		catalog = me.Catalog
		s.mu.Lock()
		s.catalog = catalog
		s.mu.Unlock()
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := &idleReader{}
	idle.touch()
	feed, err := s.cli.OpenFeed(sctx, catalog, after, cluster, func(r io.Reader) io.Reader { idle.r = r; return idle })
	if err != nil {
		return false, err
	}
	defer feed.Close()
	s.connected.Store(true)
	s.kick()
	go func() { // drop a silent stream
		t := time.NewTicker(s.opts.IdleTimeout / 4)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				if idle.since() > s.opts.IdleTimeout {
					s.log.Warn("control-plane feed silent; reconnecting", "for", idle.since().Round(time.Second))
					cancel()
					return
				}
			}
		}
	}()
	for {
		f, err := feed.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the server ended the stream")
			}
			return got, err
		}
		got = true
		if f.Type == protocol.FramePing {
			continue
		}
		s.mu.Lock()
		cur, seq := s.wire, s.wireSeq
		s.mu.Unlock()
		if f.Type != protocol.FrameSnapshot && (cur == nil || f.Sequence <= seq) {
			continue // already applied (or nothing to apply it to: a snapshot comes first)
		}
		next, err := applyFrame(cur, f)
		if err != nil {
			return got, err // the stream broke the protocol: reconnect for a snapshot
		}
		if !s.accept(ctx, out, f.Sequence, next) && ctx.Err() != nil {
			return got, ctx.Err()
		}
	}
}

// accept records a new catalog state, compiles it and sends it to out. A state that does
// not compile is reported and not sent (the last good one keeps serving), but later
// frames apply to it. It returns false when the state was rejected or ctx ended.
func (s *Source) accept(ctx context.Context, out chan<- *config.Snapshot, seq int64, next *protocol.Snapshot) bool {
	s.mu.Lock()
	s.wire, s.wireSeq = next, seq
	catalog := s.catalog
	s.mu.Unlock()
	s.noteCluster(next)
	snap, err := s.comp.compile(catalog, seq, next) // comp is used by Run's goroutine only
	if err == nil && s.opts.Check != nil {
		err = s.opts.Check(snap)
	}
	s.mu.Lock()
	if err != nil {
		s.lastErr = err.Error()
		s.mu.Unlock()
		s.report(fmt.Errorf("rejected catalog %s at sequence %d, still serving the last good snapshot: %w", catalog, seq, err))
		s.kick()
		return false
	}
	if len(s.pending) >= maxPending { // Applied is not wired: forget the oldest
		clear(s.pending)
	}
	s.pending[snap] = &State{Catalog: catalog, Sequence: seq, Snapshot: next}
	s.mu.Unlock()
	select {
	case out <- snap:
		return true
	case <-ctx.Done():
		return false
	}
}

// noteCluster passes the cluster settings of a catalog state to OnCluster when they are the
// first known or differ from the last ones passed.
func (s *Source) noteCluster(next *protocol.Snapshot) {
	var c protocol.Cluster
	if next.Cluster != nil {
		c = *next.Cluster
	}
	if s.cluster != nil && *s.cluster == c {
		return
	}
	s.cluster = &c
	if s.opts.OnCluster != nil {
		s.opts.OnCluster(c)
	}
}

// heartbeats reports the node's status every Heartbeat interval and whenever kicked,
// while the control plane answers.
func (s *Source) heartbeats(ctx context.Context) {
	t := time.NewTicker(s.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.beat:
		}
		st := s.Status()
		if st.Catalog == "" {
			continue
		}
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.cli.Heartbeat(hctx, protocol.Heartbeat{NodeID: st.NodeID, Version: s.opts.Version, Sequence: st.Sequence,
			Revisions: st.Revisions, Error: truncate(st.Error, 4000)})
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Debug("heartbeat not delivered", "err", err)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// initNodeID settles the node's identifier: the option, else the one saved in the state
// folder, else a new one (saved there when there is a state folder).
func (s *Source) initNodeID() error {
	if s.opts.NodeID != "" {
		return nil
	}
	if s.opts.StateDir != "" {
		if b, err := os.ReadFile(filepath.Join(s.opts.StateDir, nodeIDFile)); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				s.opts.NodeID = id
				return nil
			}
		}
	}
	host, _ := os.Hostname()
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	s.opts.NodeID = cmp.Or(host, "node") + "-" + hex.EncodeToString(buf)
	if s.opts.StateDir == "" {
		return nil
	}
	if err := os.MkdirAll(s.opts.StateDir, 0o700); err != nil {
		return fmt.Errorf("node state folder: %w", err)
	}
	if err := os.WriteFile(filepath.Join(s.opts.StateDir, nodeIDFile), []byte(s.opts.NodeID+"\n"), 0o600); err != nil {
		return fmt.Errorf("saving the node ID: %w", err)
	}
	return nil
}

// idleReader remembers when it last read something.
type idleReader struct {
	r    io.Reader
	last atomic.Int64 // unix nanoseconds
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.touch()
	}
	return n, err
}

func (ir *idleReader) touch() { ir.last.Store(time.Now().UnixNano()) }

func (ir *idleReader) since() time.Duration { return time.Since(time.Unix(0, ir.last.Load())) }
