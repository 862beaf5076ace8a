package main

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/sync/server/servertest"
)

func TestGatewayNode(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv(serverEnv, "")
	t.Setenv(tokenEnv, "")
	t.Setenv(nodeTokenEnv, "")
	ts := servertest.Start(t, servertest.Options{})
	db := filepath.Join(t.TempDir(), "ws.db")
	remote := []string{"--server", ts.URL, "--token", "root-token"}
	for _, args := range [][]string{
		append([]string{"catalogs", "create", "dev"}, remote...),
		{"import", filepath.Join("testdata", "petstore.yaml")},
		append([]string{"publish", "swagger-petstore", "--catalog", "dev"}, remote...),
	} {
		if code, out, errOut := gantry(t, db, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	code, tok, errOut := gantry(t, db, append([]string{"nodes", "token", "--catalog", "dev"}, remote...)...)
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "gtn_") {
		t.Fatalf("nodes token: exit %d, %q: %s", code, tok, errOut)
	}
	code, _, errOut = gantry(t, db, "gateway", "--control-plane", ts.URL, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "node token") {
		t.Errorf("without a token: exit %d: %s", code, errOut)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"gateway", "--control-plane", ts.URL, "--node-token", tok, "--state-dir", t.TempDir(),
			"--node-id", "cli-node", "--listen", addr, "--db", db}, &out, &errb)
	}()
	var status int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && status != 200; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v1/pets"); err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		}
	}
	if status != 200 {
		t.Fatalf("the node does not serve GET /v1/pets: %d\n%s%s", status, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Node cli-node of catalog dev") {
		t.Errorf("stdout: %s", out.String())
	}
	var listOut string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, listOut, _ = gantry(t, db, append([]string{"nodes", "list", "--catalog", "dev"}, remote...)...)
		if strings.Contains(listOut, "swagger-petstore@1") {
			break
		}
	}
	if !strings.Contains(listOut, "cli-node") || !strings.Contains(listOut, "swagger-petstore@1") {
		t.Errorf("nodes list: %s", listOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("gateway exited %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not stop")
	}
}
