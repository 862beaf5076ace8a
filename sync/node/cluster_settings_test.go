package node

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
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

// devCatalogStore returns a server store holding catalog dev and nodeToken as its node
// token, closed when t ends.
func devCatalogStore(t *testing.T) *hostedsqlite.Store {
	t.Helper()
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateCatalog(t.Context(), store.CreateCatalogInput{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(t.Context(), store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash(nodeToken)}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOnCluster(t *testing.T) {
	want := protocol.Cluster{Redis: "redis://redis.internal:6379/0", RedisFailClosed: true}
	st := devCatalogStore(t)
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
	st := devCatalogStore(t)
	ctx := t.Context()
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

// A saved state the node rejects on start (a newer node may check more than the one that
// saved it) is reported, and the node goes on to the control plane's snapshot instead of
// stopping or resuming from the rejected state's sequence.
func TestRejectedSavedStateFallsBackToFeed(t *testing.T) {
	st := devCatalogStore(t)
	ctx := t.Context()
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.CloseStreams()
	dir := t.TempDir()
	_, stop := runClusterSource(t, ts.URL, dir)
	var saved *State
	waitFor(t, "the state saved", 5*time.Second, func() error {
		saved, err = LoadState(dir)
		return err
	})
	stop()

	checks := 0
	var reported []error
	src, err := New(Options{Server: ts.URL, Token: nodeToken, StateDir: dir, NodeID: "n1",
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Check: func(*config.Snapshot) error {
			checks++ // Run's goroutine only
			if checks == 1 {
				return errors.New("stricter than before")
			}
			return nil
		},
		OnError: func(err error) { reported = append(reported, err) }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *config.Snapshot)
	done := make(chan error, 1)
	go func() { done <- src.Run(runCtx, out) }()
	select {
	case snap := <-out:
		if snap.Revision != uint64(saved.Sequence) {
			t.Fatalf("got sequence %d from the feed, want %d", snap.Revision, saved.Sequence)
		}
	case err := <-done:
		t.Fatalf("Run returned %v after rejecting the saved state", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot from the control plane within 5 s after the saved state was rejected")
	}
	cancel()
	<-done
	if len(reported) == 0 || !strings.Contains(reported[0].Error(), "stricter than before") {
		t.Fatalf("reported %v, want the rejection of the saved state", reported)
	}
}
