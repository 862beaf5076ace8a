package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/testservice"
)

// TestGatewaySharedRateLimit: two gateway nodes started with the same --redis enforce one
// rate limit together, report Redis in /metrics, and keep serving (per-node limits) when
// Redis goes away.
func TestGatewaySharedRateLimit(t *testing.T) {
	redisSrv := testservice.StartRedis(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[]`)
	}))
	defer upstream.Close()
	dir := t.TempDir()
	cfg := writeGatewayConfig(t, dir, upstream.URL, 4)

	type node struct {
		base, admin string
		out, errb   *syncBuffer
		done        chan int
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var nodes []node
	for i := range 2 {
		n := node{out: &syncBuffer{}, errb: &syncBuffer{}, done: make(chan int, 1)}
		db := filepath.Join(dir, "node"+string(rune('a'+i))+".db")
		go func() {
			n.done <- run(ctx, []string{"gateway", "--config", cfg, "--db", db, "--no-record", "--log-level", "error",
				"--redis", "redis://" + redisSrv.Addr() + "/0"}, n.out, n.errb)
		}()
		n.base = waitFor(t, servingRe, n.out, n.errb)
		n.admin = waitFor(t, adminRe, n.out, n.errb)
		if !strings.Contains(n.out.String(), "Sharing rate limits and quotas through Redis at "+redisSrv.Addr()) {
			t.Fatalf("node %d does not say it shares its limits: %s", i, n.out.String())
		}
		nodes = append(nodes, n)
	}

	key := []string{"apikey", "alice-key-0123456789"}
	steps := []struct {
		name string
		node int
		want int
	}{
		{"a 1", 0, 200},
		{"b 2", 1, 200},
		{"a 3", 0, 200},
		{"b 4", 1, 200},
		{"a over the shared limit", 0, 429},
		{"b over the shared limit", 1, 429},
	}
	for _, s := range steps {
		if got := getStatus(t, nodes[s.node].base+"/petstore/pets", key...); got != s.want {
			t.Errorf("%s: %d, want %d", s.name, got, s.want)
		}
	}
	if m := scrape(t, nodes[0].admin+"/metrics"); !strings.Contains(m, "gantry_ratelimit_redis_up 1") {
		t.Errorf("/metrics lacks gantry_ratelimit_redis_up 1:\n%s", m)
	}

	// Redis gone: node b falls back to its own limit of 4, which it has not used.
	redisSrv.Stop()
	for i, want := range []int{200, 200, 200, 200, 429} {
		if got := getStatus(t, nodes[1].base+"/petstore/pets", key...); got != want {
			t.Errorf("Redis down, request %d on b: %d, want %d", i+1, got, want)
		}
	}
	m := scrape(t, nodes[1].admin+"/metrics")
	for _, want := range []string{"gantry_ratelimit_redis_up 0", `gantry_ratelimit_fallback_total{decision="local",policy="rateLimit"} 5`, "gantry_ratelimit_redis_outages_total 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m)
		}
	}

	cancel()
	for i, n := range nodes {
		select {
		case code := <-n.done:
			if code != 0 {
				t.Errorf("node %d exited %d: %s", i, code, n.errb.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("node %d did not stop", i)
		}
	}
}

func TestGatewayRedisFlagErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"not a redis URL", "http://127.0.0.1:6379", "--redis"},
		{"password not echoed", "redis://u:s3cret@127.0.0.1:bad/0", "--redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeGatewayConfig(t, dir, "http://127.0.0.1:9", 4)
			code, _, errOut := gantry(t, filepath.Join(dir, "ws.db"), "gateway", "--config", cfg, "--no-record", "--redis", tt.url)
			if code == 0 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "s3cret") {
				t.Fatalf("gateway --redis %s = %d %q", tt.url, code, errOut)
			}
		})
	}
}

// scrape returns the body of a GET.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
