package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gantry-dev/gantry/core/testservice"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
	"github.com/gantry-dev/gantry/sync/protocol"
)

func TestServerRedisFlagErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"not a URL", []string{"--redis", "not-a-url"}, "--redis"},
		{"wrong scheme", []string{"--redis", "http://127.0.0.1:6379"}, "--redis"},
		{"fail closed alone", []string{"--redis-fail-closed"}, "--redis-fail-closed needs --redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb syncBuffer
			args := append([]string{"server", "--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "server.db")}, tt.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if code := run(ctx, args, &out, &errb); code == 0 {
				t.Fatalf("server %v exited 0: %s", tt.args, errb.String())
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr does not name %q: %s", tt.wantErr, errb.String())
			}
		})
	}
}

// TestServerRedisUnreachable: a Redis that does not answer only warns; the server starts.
func TestServerRedisUnreachable(t *testing.T) {
	t.Setenv(bootstrapTokenEnv, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "server.db"),
			"--redis", "redis://127.0.0.1:1/0", "--redis-fail-closed"}, &out, &errb)
	}()
	re := regexp.MustCompile(`management server on http://`)
	for deadline := time.Now().Add(20 * time.Second); !re.MatchString(errb.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", errb.String())
		}
	}
	for _, want := range []string{"does not answer yet", "through Redis at 127.0.0.1:1 (fail closed"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, errb.String())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("server exited %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestNodeRateLimitStoresFollowCluster: two nodes without --redis share a limit through the
// Redis the control plane names, count per node again when it names none, and a node's own
// --redis wins over the control plane's.
func TestNodeRateLimitStoresFollowCluster(t *testing.T) {
	addr := testservice.Redis(t)
	ctx := t.Context()
	var errb syncBuffer
	g := &globals{stdout: &syncBuffer{}, stderr: &errb}
	type node struct {
		counters  ratelimit.Stores
		onCluster func(protocol.Cluster)
	}
	var nodes []node
	var registry interface {
		Gather() ([]*dto.MetricFamily, error)
	}
	for range 2 {
		c, reg, onCluster, closeFn, err := nodeRateLimitStores(ctx, g, gatewayFlags{})
		registry = reg
		if err != nil {
			t.Fatal(err)
		}
		defer closeFn()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, mf := range mfs {
			found = found || mf.GetName() == "gantry_ratelimit_redis_up"
		}
		if !found {
			t.Error("/metrics registry lacks the Redis metrics before Redis is known")
		}
		nodes = append(nodes, node{c, onCluster})
	}
	limit := ratelimit.Limit{Requests: 2, Window: time.Hour}
	allowed := func(n int, key string) bool {
		t.Helper()
		d, err := nodes[n].counters.Limiter.Allow(ctx, key, limit, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return d.Allowed
	}
	shared := protocol.Cluster{Redis: "redis://" + addr + "/0"}
	steps := []struct {
		name    string
		cluster *protocol.Cluster // nil: unchanged
		key     string
		want    []bool // node 0, node 1, node 0
	}{
		{"per node before the control plane names a Redis", &protocol.Cluster{}, "k1", []bool{true, true, true}},
		{"shared through the control plane's Redis", &shared, "k2", []bool{true, true, false}},
		{"per node again when it names none", &protocol.Cluster{}, "k3", []bool{true, true, true}},
	}
	for _, st := range steps {
		if st.cluster != nil {
			for _, n := range nodes {
				n.onCluster(*st.cluster)
			}
		}
		for i, want := range st.want {
			if got := allowed([]int{0, 1, 0}[i], st.key); got != want {
				t.Errorf("%s: request %d allowed = %v, want %v", st.name, i, got, want)
			}
		}
		// The last node's /metrics says whether it counts in Redis.
		wantUp := 0.0
		if st.cluster != nil && st.cluster.Redis != "" {
			wantUp = 1
		}
		if up := gaugeValue(t, registry, "gantry_ratelimit_redis_up"); up != wantUp {
			t.Errorf("%s: gantry_ratelimit_redis_up = %v, want %v", st.name, up, wantUp)
		}
	}
	if !strings.Contains(errb.String(), "sharing rate limits and quotas through the Redis the control plane names") ||
		!strings.Contains(errb.String(), "addr="+addr) {
		t.Errorf("no log of the control plane's Redis: %s", errb.String())
	}

	// A node's own --redis wins: the control plane's settings change nothing.
	c, _, onCluster, closeFn, err := nodeRateLimitStores(ctx, g, gatewayFlags{redis: "redis://" + addr + "/1"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	before := c.Limiter
	onCluster(shared)
	if _, ok := before.(*ratelimit.Switch); ok {
		t.Error("a node with --redis counts through a switch")
	}
	if !strings.Contains(errb.String(), "this node's --redis wins") {
		t.Errorf("no log that --redis wins: %s", errb.String())
	}
}

// gaugeValue returns the value of the gauge called name in reg.
func gaugeValue(t *testing.T, reg interface {
	Gather() ([]*dto.MetricFamily, error)
}, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
