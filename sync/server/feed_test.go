package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// pollingStore hides the store's Subscribe, so that the feed polls.
type pollingStore struct{ store.HostedStore }

// feedEnv is a server with catalog dev, the API pets at revision 1 and a node token.
type feedEnv struct {
	st   *hostedsqlite.Store
	srv  *Server
	ts   *httptest.Server
	node *client.Client
}

func newFeedEnv(t *testing.T, polling bool) *feedEnv {
	t.Helper()
	return newFeedEnvCluster(t, polling, protocol.Cluster{})
}

// newFeedEnvCluster is newFeedEnv with Options.Cluster set to cluster.
func newFeedEnvCluster(t *testing.T, polling bool, cluster protocol.Cluster) *feedEnv {
	t.Helper()
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var hs store.HostedStore = st
	if polling {
		hs = pollingStore{st}
	}
	srv, err := New(Options{Store: hs, FeedPoll: 20 * time.Millisecond, FeedKeepAlive: 50 * time.Millisecond, FeedTokenCheck: 50 * time.Millisecond,
		FeedReplay: 3, Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.CloseStreams)
	ctx := t.Context()
	if _, err := st.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash("tok-node")}); err != nil {
		t.Fatal(err)
	}
	e := &feedEnv{st: st, srv: srv, ts: ts}
	e.publish(t, petsV1)
	e.node, err = client.New(ts.URL, "tok-node", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// publish stores doc as the next revision of pets.
func (e *feedEnv) publish(t *testing.T, doc string) {
	t.Helper()
	b := &store.Bundle{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(doc)}}}
	if _, _, err := e.st.Publish(t.Context(), store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: -1, Bundle: b}); err != nil {
		t.Fatal(err)
	}
}

// next reads one frame within 5 s.
func next(t *testing.T, f *client.Feed) *protocol.Frame {
	t.Helper()
	type res struct {
		f   *protocol.Frame
		err error
	}
	ch := make(chan res, 1)
	go func() {
		fr, err := f.Next()
		ch <- res{fr, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("reading a frame: %v", r.err)
		}
		return r.f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5 s")
		return nil
	}
}

func TestFeed(t *testing.T) {
	for _, polling := range []bool{false, true} {
		name := "notified"
		if polling {
			name = "polling"
		}
		t.Run(name, func(t *testing.T) {
			e := newFeedEnv(t, polling)
			ctx := t.Context()
			f, err := e.node.OpenFeed(ctx, "dev", 0, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fr := next(t, f)
			if fr.Type != protocol.FrameSnapshot || fr.Sequence != 1 || len(fr.Snapshot.APIs) != 1 || fr.Snapshot.APIs[0].Bundle == nil {
				t.Fatalf("first frame: %+v", fr)
			}
			steps := []struct {
				name   string
				change func()
				check  func(*protocol.Frame) bool
			}{
				{"publish", func() { e.publish(t, petsWithTag) }, func(f *protocol.Frame) bool {
					return f.Type == protocol.FrameRevision && f.API.Revision == 2 && f.API.Bundle != nil &&
						strings.Contains(f.API.Bundle.Files[0].Content, "tag")
				}},
				{"deprecate", func() {
					sunset := time.Now().Add(24 * time.Hour)
					if _, err := e.st.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: "pets", State: store.LifecycleDeprecated, Sunset: sunset}); err != nil {
						t.Fatal(err)
					}
				}, func(f *protocol.Frame) bool {
					return f.Type == protocol.FrameLifecycle && f.API.State == "deprecated" && f.API.Sunset != nil && f.API.DeprecatedAt != nil
				}},
				{"consumer", func() {
					if _, err := e.st.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app"}); err != nil {
						t.Fatal(err)
					}
				}, func(f *protocol.Frame) bool {
					return f.Type == protocol.FrameConsumers && len(f.Consumers) == 1 && f.Consumers[0].Name == "app"
				}},
			}
			seq := fr.Sequence
			for _, st := range steps {
				st.change()
				fr := next(t, f)
				if fr.Sequence != seq+1 || !st.check(fr) {
					t.Fatalf("%s: frame %+v (api %+v), want sequence %d", st.name, fr, fr.API, seq+1)
				}
				seq = fr.Sequence
			}
			if f.LastID != "4" {
				t.Errorf("LastID = %q, want 4", f.LastID)
			}
		})
	}
}

func TestFeedResume(t *testing.T) {
	e := newFeedEnv(t, false)
	for range 2 {
		e.publish(t, petsV1+"# "+time.Now().String()+"\n")
	} // sequence 3
	tests := []struct {
		name     string
		after    func(cur int64) int64 // the Last-Event-ID for the current sequence
		wantType string
		missed   int // frames before the stream is up to date
	}{
		{"from the start", func(int64) int64 { return 0 }, protocol.FrameSnapshot, 1},
		{"missed two", func(cur int64) int64 { return cur - 2 }, protocol.FrameRevision, 2},
		{"up to date", func(cur int64) int64 { return cur }, "", 0},
		{"ahead of the server", func(cur int64) int64 { return cur + 5 }, protocol.FrameSnapshot, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := e.st.GetCatalog(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			cur := cat.Sequence
			f, err := e.node.OpenFeed(t.Context(), "dev", tt.after(cur), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for i := range tt.missed {
				fr := next(t, f)
				if i == 0 && fr.Type != tt.wantType {
					t.Fatalf("first frame %s@%d, want %s", fr.Type, fr.Sequence, tt.wantType)
				}
				if i == tt.missed-1 && fr.Sequence != cur {
					t.Fatalf("frame %d: %s@%d, want sequence %d", i, fr.Type, fr.Sequence, cur)
				}
			}
			e.publish(t, petsV1+"# "+tt.name+"\n")
			fr := next(t, f)
			if fr.Type != protocol.FrameRevision || fr.Sequence != cur+1 {
				t.Fatalf("after a publish: %s@%d, want revision@%d", fr.Type, fr.Sequence, cur+1)
			}
		})
	}
	t.Run("too many missed: a snapshot", func(t *testing.T) {
		f, err := e.node.OpenFeed(t.Context(), "dev", 1, "", nil) // FeedReplay is 3
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if fr := next(t, f); fr.Type != protocol.FrameSnapshot {
			t.Fatalf("first frame %s@%d, want a snapshot", fr.Type, fr.Sequence)
		}
	})
}

func TestFeedKeepAliveAndClose(t *testing.T) {
	e := newFeedEnv(t, false)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.ts.URL+"/api/v1/catalogs/dev/feed", nil)
	req.Header.Set("Authorization", "Bearer tok-node")
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	buf := make([]byte, len(protocol.KeepAliveComment))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != protocol.KeepAliveComment {
		t.Fatalf("read %q, %v; want a keep-alive comment", buf, err)
	}
	if n := e.srv.OpenStreams(); n != 1 {
		t.Errorf("OpenStreams = %d, want 1", n)
	}
	e.srv.CloseStreams()
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end after CloseStreams")
	}
	r2, b := (&env{t: t, ts: e.ts}).do("GET", "/api/v1/catalogs/dev/feed", "tok-node", nil)
	if r2.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after CloseStreams: %d %s", r2.StatusCode, b)
	}
}

// A revoked node token loses its open stream too, not only its next connection.
func TestFeedEndsWhenTokenRevoked(t *testing.T) {
	e := newFeedEnv(t, false)
	tok, err := e.st.CreateToken(t.Context(), store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash("tok-revoked")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.ts.URL+"/api/v1/catalogs/dev/feed", nil)
	req.Header.Set("Authorization", "Bearer tok-revoked")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	// The stream stays open while the token is valid: several token checks pass.
	time.Sleep(300 * time.Millisecond)
	if n := e.srv.OpenStreams(); n != 1 {
		t.Fatalf("OpenStreams = %d before the revocation, want 1", n)
	}
	if err := e.st.RevokeToken(t.Context(), tok.ID, store.Actor{Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream of a revoked token did not end")
	}
	r2, b := (&env{t: t, ts: e.ts}).do("GET", "/api/v1/catalogs/dev/feed", "tok-revoked", nil)
	if r2.StatusCode != http.StatusUnauthorized {
		t.Errorf("reconnecting with the revoked token: %d %s", r2.StatusCode, b)
	}
}

func TestFeedUnknownCatalog(t *testing.T) {
	e := newFeedEnv(t, false)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := e.st.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash("x")}); err != nil {
		t.Fatal(err)
	}
	// A node token names its catalog; another catalog's feed is forbidden, not missing.
	_, err := e.node.OpenFeed(ctx, "prod", 0, "", nil)
	if client.StatusOf(err) != http.StatusForbidden {
		t.Errorf("err = %v, want 403", err)
	}
}

func TestFeedSnapshotCluster(t *testing.T) {
	tests := []struct {
		name    string
		cluster protocol.Cluster
		want    *protocol.Cluster
	}{
		{"none", protocol.Cluster{}, nil},
		{"redis", protocol.Cluster{Redis: "redis://redis.internal:6379/0"}, &protocol.Cluster{Redis: "redis://redis.internal:6379/0"}},
		{"redis fail closed", protocol.Cluster{Redis: "redis://r:6379", RedisFailClosed: true}, &protocol.Cluster{Redis: "redis://r:6379", RedisFailClosed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFeedEnvCluster(t, false, tt.cluster)
			// Two streams, both led by a snapshot: each carries the settings.
			for i := range 2 {
				f, err := e.node.OpenFeed(t.Context(), "dev", 0, "", nil)
				if err != nil {
					t.Fatal(err)
				}
				fr := next(t, f)
				f.Close()
				if fr.Type != protocol.FrameSnapshot {
					t.Fatalf("stream %d: first frame is %s", i, fr.Type)
				}
				if got := fr.Snapshot.Cluster; (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
					t.Errorf("stream %d: cluster = %+v, want %+v", i, got, tt.want)
				}
			}
		})
	}
}

func TestNewRejectsBadCluster(t *testing.T) {
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = New(Options{Store: st, Cluster: protocol.Cluster{Redis: "http://r:6379"}})
	if err == nil || !strings.Contains(err.Error(), "Options.Cluster") {
		t.Fatalf("error = %v, want one naming Options.Cluster", err)
	}
}

// A node resuming with other cluster settings than the server's gets a snapshot (events do
// not carry the settings); with the same ones, only what it missed.
func TestFeedResumeClusterChanged(t *testing.T) {
	cluster := protocol.Cluster{Redis: "redis://redis.internal:6379/0"}
	e := newFeedEnvCluster(t, false, cluster)
	e.publish(t, petsV1)
	cat, err := e.st.GetCatalog(t.Context(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	other := protocol.Cluster{Redis: "redis://old:6379/0"}
	tests := []struct {
		name     string
		has      string // the fingerprint the node sends
		snapshot bool
	}{
		{"same settings: resumed", cluster.Fingerprint(), false},
		{"none yet: a snapshot", "", true},
		{"other settings: a snapshot", other.Fingerprint(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := e.node.OpenFeed(t.Context(), "dev", cat.Sequence, tt.has, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if tt.snapshot {
				fr := next(t, f)
				if fr.Type != protocol.FrameSnapshot || fr.Snapshot.Cluster == nil || *fr.Snapshot.Cluster != cluster {
					t.Fatalf("first frame %s@%d (cluster %+v), want a snapshot with %+v", fr.Type, fr.Sequence, fr.Snapshot, cluster)
				}
				return
			}
			e.publish(t, petsV1+"# "+tt.name+"\n")
			if fr := next(t, f); fr.Type != protocol.FrameRevision {
				t.Fatalf("first frame %s@%d, want the new revision only", fr.Type, fr.Sequence)
			}
		})
	}
}
