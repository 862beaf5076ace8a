package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	gwserver "github.com/gantry-dev/gantry/embedded-gateway/server"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/server"
)

// Test tokens.
const (
	adminToken = "gtu_test-admin"
	nodeToken  = "gtn_test-node"
)

// versionSpec is an API whose GET /version answers {"revision": rev} from its example.
func versionSpec(rev int) string {
	return fmt.Sprintf(`openapi: 3.0.3
info: {title: Versioned, version: "%d"}
paths:
  /version:
    get:
      operationId: getVersion
      responses:
        "200":
          description: the revision
          content:
            application/json:
              schema:
                type: object
                properties: {revision: {type: integer}}
              example: {revision: %d}
`, rev, rev)
}

// controlPlane is a management server on loopback that can be stopped and started again
// on the same address over the same database.
type controlPlane struct {
	t      testing.TB
	open   func(testing.TB) store.HostedStore // opens the (same) database
	addr   string
	st     store.HostedStore
	hs     *http.Server
	srv    *server.Server
	admin  *client.Client
	mu     sync.Mutex
	closed bool
}

// sqliteOpener opens one SQLite file each time.
func sqliteOpener(path string) func(testing.TB) store.HostedStore {
	return func(t testing.TB) store.HostedStore {
		st, err := hostedsqlite.Open(path, hostedsqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// newControlPlane starts a server, bootstraps it and creates catalog dev with a node token.
func newControlPlane(t testing.TB, open func(testing.TB) store.HostedStore) *controlPlane {
	t.Helper()
	cp := &controlPlane{t: t, open: open, addr: "127.0.0.1:0"}
	cp.start()
	t.Cleanup(cp.stop)
	ctx := context.Background()
	if _, err := cp.st.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.st.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "dev", Hash: secret.Hash(nodeToken)}); err != nil {
		t.Fatal(err)
	}
	return cp
}

// URL is the server's base URL.
func (cp *controlPlane) URL() string { return "http://" + cp.addr }

// start opens the store and serves on cp.addr (a fresh port the first time).
func (cp *controlPlane) start() {
	t := cp.t
	t.Helper()
	cp.st = cp.open(t)
	srv, err := server.New(server.Options{Store: cp.st, BootstrapToken: adminToken, FeedKeepAlive: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err = net.Listen("tcp", cp.addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old listener's port is still being released
	}
	if err != nil {
		t.Fatal(err)
	}
	cp.addr = ln.Addr().String()
	cp.srv = srv
	cp.hs = &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	cp.hs.RegisterOnShutdown(srv.CloseStreams)
	go func() { _ = cp.hs.Serve(ln) }()
	cp.admin, err = client.New(cp.URL(), adminToken, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cp.mu.Lock()
	cp.closed = false
	cp.mu.Unlock()
}

// stop stops the server as a crash would, dropping every connection (the nodes' feeds
// end without a goodbye), and closes its store.
func (cp *controlPlane) stop() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.closed {
		return
	}
	cp.closed = true
	_ = cp.hs.Close()
	cp.srv.CloseStreams() // let the handlers of the dropped streams return
	_ = cp.st.Close()
}

// publish publishes versionSpec(rev) as API name through the management API.
func (cp *controlPlane) publish(t testing.TB, name string, rev int, settings protocol.Settings) *protocol.PublishResponse {
	t.Helper()
	ctx := context.Background()
	var base int64
	if d, err := cp.admin.GetAPI(ctx, "dev", name); err == nil {
		base = d.API.Revision
	}
	resp, err := cp.admin.Publish(ctx, "dev", name, protocol.PublishRequest{BaseRevision: base, AllowBreaking: true, Reason: "test",
		Bundle: protocol.Bundle{Root: "openapi.yaml", Files: []protocol.File{{Path: "openapi.yaml", Content: versionSpec(rev)}}, Settings: settings}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// gatewayNode is a gateway served from a node Source on loopback.
type gatewayNode struct {
	id   string
	src  *Source
	base string
	stop func()
	errs chan error
}

// startNode runs a gateway node with its state in dir.
func startNode(t testing.TB, cpURL, id, dir string) *gatewayNode {
	t.Helper()
	src, err := New(Options{Server: cpURL, Token: nodeToken, StateDir: dir, NodeID: id, Version: "test",
		Heartbeat: 100 * time.Millisecond, IdleTimeout: 2 * time.Second, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &gatewayNode{id: id, src: src, base: "http://" + ln.Addr().String(), errs: make(chan error, 1)}
	go func() {
		n.errs <- gwserver.Run(ctx, gwserver.Options{Gateway: gateway.New(gateway.Options{}), Source: src, Listener: ln,
			OnApply: src.Applied, ShutdownTimeout: time.Second})
	}()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-n.errs:
			case <-time.After(5 * time.Second):
				t.Errorf("node %s did not stop", id)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// get fetches path from the node.
func (n *gatewayNode) get(path string) (int, http.Header, string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(n.base + path)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// waitRevision waits until the node answers GET path with revision rev.
func (n *gatewayNode) waitRevision(t testing.TB, path string, rev int, within time.Duration) {
	t.Helper()
	want := fmt.Sprintf(`"revision":%d`, rev)
	var last string
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		status, _, body, err := n.get(path)
		if err == nil && status == 200 && strings.Contains(strings.ReplaceAll(body, " ", ""), want) {
			return
		}
		last = fmt.Sprintf("%d %s %v", status, body, err)
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("node %s: no revision %d at %s within %s; last answer: %s", n.id, rev, path, within, last)
}

// copyDir copies the files of src into a new folder.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, what string, within time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, within, err)
}

var errNotYet = errors.New("not yet")
