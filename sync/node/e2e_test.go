package node

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedpg"
	"github.com/gantry-dev/gantry/core/testservice"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
)

func TestClusterEndToEnd(t *testing.T) {
	cp := newControlPlane(t, sqliteOpener(filepath.Join(t.TempDir(), "server.db")))
	runCluster(t, cp)
}

// runCluster is the end-to-end scenario on a control plane.
func runCluster(t *testing.T, cp *controlPlane) {
	const within = 10 * time.Second
	ctx := context.Background()
	outer := t
	cp.publish(t, "pets", 1, protocol.Settings{})
	dir1, dir2 := t.TempDir(), t.TempDir()
	n1 := startNode(t, cp.URL(), "node-1", dir1)
	n2 := startNode(t, cp.URL(), "node-2", dir2)
	nodes := []*gatewayNode{n1, n2}
	for _, n := range nodes {
		n.waitRevision(t, "/version", 1, within)
	}

	t.Run("publish: both nodes answer with the new revision", func(t *testing.T) {
		cp.publish(t, "pets", 2, protocol.Settings{})
		for _, n := range nodes {
			n.waitRevision(t, "/version", 2, within)
		}
	})

	t.Run("publish protocol: stale base 409, breaking change 422 until allowed", func(t *testing.T) {
		bundle := func(doc string) protocol.Bundle {
			return protocol.Bundle{Root: "openapi.yaml", Files: []protocol.File{{Path: "openapi.yaml", Content: doc}},
				Settings: protocol.Settings{BasePath: "/shop"}}
		}
		first, err := cp.admin.Publish(ctx, "dev", "shop", protocol.PublishRequest{Bundle: bundle(versionSpec(6))})
		if err != nil {
			t.Fatal(err)
		}
		base := first.Revision.Number
		for _, n := range nodes {
			n.waitRevision(t, "/shop/version", 6, within)
		}
		stale := base - 1
		_, err = cp.admin.Publish(ctx, "dev", "shop", protocol.PublishRequest{BaseRevision: stale, Bundle: bundle(versionSpec(7))})
		if client.StatusOf(err) != http.StatusConflict {
			t.Fatalf("publish on a stale base: %v, want 409", err)
		}
		// v2 renames /version to /version2: the old path is removed, a breaking change.
		v2 := strings.Replace(versionSpec(7), "/version:", "/version2:", 1)
		_, err = cp.admin.Publish(ctx, "dev", "shop", protocol.PublishRequest{BaseRevision: base, Bundle: bundle(v2)})
		if client.StatusOf(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "/version") {
			t.Fatalf("breaking publish: %v, want 422 naming /version", err)
		}
		for _, n := range nodes { // nothing changed on the nodes
			n.waitRevision(t, "/shop/version", 6, within)
		}
		if _, err := cp.admin.Publish(ctx, "dev", "shop", protocol.PublishRequest{BaseRevision: base, Bundle: bundle(v2),
			AllowBreaking: true, Reason: "rename"}); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			n.waitRevision(t, "/shop/version2", 7, within)
		}
	})

	t.Run("an API with an upstream is proxied", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"revision": 42}`)
		}))
		defer up.Close()
		cp.publish(t, "upstreamed", 1, protocol.Settings{BasePath: "/up",
			Upstream: []byte(fmt.Sprintf(`{"targets":[{"url":%q}]}`, up.URL))})
		for _, n := range nodes {
			n.waitRevision(t, "/up/version", 42, within)
		}
	})

	t.Run("nodes list what they serve", func(t *testing.T) {
		waitFor(t, "both nodes reported revision 2", within, func() error {
			ns, err := cp.admin.ListNodes(ctx, "dev")
			if err != nil {
				return err
			}
			ok := 0
			for _, n := range ns {
				if n.Version == "test" && n.Revisions["pets"] == 2 && n.Revisions["upstreamed"] == 1 && !n.LastSeen.IsZero() {
					ok++
				}
			}
			if ok != 2 {
				return fmt.Errorf("%d of 2 nodes up to date: %+v", ok, ns)
			}
			return nil
		})
	})

	t.Run("deprecated and retired", func(t *testing.T) {
		sunset := time.Now().Add(48 * time.Hour).UTC()
		if _, err := cp.admin.SetLifecycle(ctx, "dev", "upstreamed", protocol.LifecycleRequest{State: "retired"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cp.admin.SetLifecycle(ctx, "dev", "pets", protocol.LifecycleRequest{State: "deprecated", Sunset: &sunset}); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			waitFor(t, n.id+" applies the lifecycle", within, func() error {
				st, h, _, err := n.get("/version")
				if err != nil || st != 200 || h.Get("Deprecation") == "" || h.Get("Sunset") != sunset.Format(http.TimeFormat) {
					return fmt.Errorf("pets: %d %v %v", st, h, err)
				}
				if st, _, _, err := n.get("/up/version"); err != nil || st != http.StatusGone {
					return fmt.Errorf("retired: %d %v", st, err)
				}
				return nil
			})
		}
	})

	t.Run("a snapshot the gateway rejects keeps the last good one", func(t *testing.T) {
		cp.publish(t, "pets", 3, protocol.Settings{Policies: []model.PolicyConfig{{Name: "no-such-policy"}}})
		waitFor(t, "the nodes report the rejection", within, func() error {
			for _, n := range nodes {
				if n.src.Status().Error == "" {
					return fmt.Errorf("%s reports no error", n.id)
				}
			}
			return nil
		})
		for _, n := range nodes {
			n.waitRevision(t, "/version", 2, within)
		}
		cp.publish(t, "pets", 4, protocol.Settings{})
		for _, n := range nodes {
			n.waitRevision(t, "/version", 4, within)
			waitFor(t, "the error clears", within, func() error {
				if e := n.src.Status().Error; e != "" {
					return fmt.Errorf("%s", e)
				}
				return nil
			})
		}
	})

	t.Run("server down: nodes keep serving; a new node serves its state folder", func(t *testing.T) {
		cp.stop()
		for _, n := range nodes {
			n.waitRevision(t, "/version", 4, within)
		}
		waitFor(t, "node 1 saved revision 4", within, func() error {
			st, err := LoadState(dir1)
			if err != nil {
				return err
			}
			if st.Snapshot.APIs[0].Revision != 4 {
				return errNotYet
			}
			return nil
		})
		n3 := startNode(outer, cp.URL(), "node-3", copyDir(outer, dir1)) // lives on after this step
		n3.waitRevision(t, "/version", 4, within)
		nodes = append(nodes, n3)
	})

	t.Run("server back: every node catches up on the publish it missed", func(t *testing.T) {
		// Published into the database while no server runs: no node can have seen it.
		st := cp.open(t)
		b := &store.Bundle{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(versionSpec(5))}}}
		if _, _, err := st.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: -1, Bundle: b}); err != nil {
			t.Fatal(err)
		}
		st.Close()
		cp.start()
		for _, n := range nodes {
			n.waitRevision(t, "/version", 5, within)
		}
		waitFor(t, "three nodes listed", within, func() error {
			ns, err := cp.admin.ListNodes(ctx, "dev")
			if err != nil {
				return err
			}
			up := 0
			for _, n := range ns {
				if n.Revisions["pets"] == 5 {
					up++
				}
			}
			if up != 3 {
				return fmt.Errorf("%d of 3 nodes at revision 5", up)
			}
			return nil
		})
	})
}

func TestClusterEndToEndPostgres(t *testing.T) {
	dsn := testservice.Postgres(t)
	cp := newControlPlane(t, func(t testing.TB) store.HostedStore {
		st, err := hostedpg.Open(context.Background(), dsn, hostedpg.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
	runCluster(t, cp)
}
