package node

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/server"
)

// runClusterSource runs a Source against cpURL with its state in dir, applying every
// snapshot it sends, and returns the clusters passed to OnCluster and a stop function.
func runClusterSource(t *testing.T, cpURL, dir string) (<-chan protocol.Cluster, func()) {
	t.Helper()
	got := make(chan protocol.Cluster, 8)
	src, err := New(Options{Server: cpURL, Token: nodeToken, StateDir: dir, NodeID: "n1",
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		OnCluster: func(c protocol.Cluster) { got <- c }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *config.Snapshot)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = src.Run(ctx, out)
	}()
	go func() {
		for {
			select {
			case s := <-out:
				src.Applied(s, nil)
			case <-done:
				return
			}
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return got, stop
}

func waitCluster(t *testing.T, got <-chan protocol.Cluster, want protocol.Cluster) {
	t.Helper()
	select {
	case c := <-got:
		if c != want {
			t.Fatalf("OnCluster(%+v), want %+v", c, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnCluster not called within 5 s")
	}
}

func TestOnCluster(t *testing.T) {
	want := protocol.Cluster{Redis: "redis://redis.internal:6379/0", RedisFailClosed: true}
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	if _, err := st.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash(nodeToken)}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st, Cluster: want})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.CloseStreams()
	dir := t.TempDir()

	// From the feed, once, and saved with the snapshot.
	got, stop := runClusterSource(t, ts.URL, dir)
	waitCluster(t, got, want)
	waitFor(t, "the state saved", 5*time.Second, func() error {
		st, err := LoadState(dir)
		if err != nil {
			return err
		}
		if st.Snapshot.Cluster == nil || *st.Snapshot.Cluster != want {
			t.Fatalf("saved cluster = %+v, want %+v", st.Snapshot.Cluster, want)
		}
		return nil
	})
	stop()
	select {
	case c := <-got:
		t.Fatalf("OnCluster called again with the same settings: %+v", c)
	default:
	}

	// From the saved state while the control plane is down.
	ts.Close()
	got, _ = runClusterSource(t, ts.URL, dir)
	waitCluster(t, got, want)
}

// A node that resumes its feed after the server's settings changed gets them: the server
// answers the resume with a snapshot, since events do not carry the settings.
func TestOnClusterChangedWhileResuming(t *testing.T) {
	want := protocol.Cluster{Redis: "redis://redis.internal:6379/0"}
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	if _, err := st.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash(nodeToken)}); err != nil {
		t.Fatal(err)
	}
	// An API, so that the catalog's sequence is past 0 and the node resumes from it.
	bundle := &store.Bundle{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(versionSpec(1))}}}
	if _, _, err := st.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle, Actor: store.Actor{Name: "test"}}); err != nil {
		t.Fatal(err)
	}
	serve := func(c protocol.Cluster) string {
		srv, err := server.New(server.Options{Store: st, Cluster: c})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(func() { srv.CloseStreams(); ts.Close() })
		return ts.URL
	}
	dir := t.TempDir()

	// First without settings: the node saves a state at the catalog's sequence.
	got, stop := runClusterSource(t, serve(protocol.Cluster{}), dir)
	waitCluster(t, got, protocol.Cluster{})
	waitFor(t, "the state saved", 5*time.Second, func() error { _, err := LoadState(dir); return err })
	stop()

	// Then the server names a Redis: the restarted node starts from its saved state (none)
	// and resumes from its sequence, and the server's answer brings the Redis.
	got, _ = runClusterSource(t, serve(want), dir)
	waitCluster(t, got, protocol.Cluster{})
	waitCluster(t, got, want)
}
