package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/testservice"
)

// TestGatewaySharedRateLimit: three gateway nodes started with the same --redis enforce
// one rate limit together (requests sent to all three at once admit exactly the limit),
// report Redis in /metrics, keep serving with per-node limits while Redis is down, and
// share the limit again once it is back.
func TestGatewaySharedRateLimit(t *testing.T) {
	const limit = 90 // per hour: no token comes back while the test runs
	redisSrv := testservice.StartRedis(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[]`)
	}))
	defer upstream.Close()
	dir := t.TempDir()
	cfg := writeGatewayConfigWindow(t, dir, upstream.URL, limit, "1h")

	type node struct {
		base, admin string
		out, errb   *syncBuffer
		done        chan int
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var nodes []node
	for i := range 3 {
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
	pets := func(n node) string { return n.base + "/petstore/pets" }

	// Together: 3 nodes x 4 clients x 20 requests = 240 against a limit of 90.
	var admitted, refused, other atomic.Int64
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range 4 {
			wg.Go(func() {
				for range 20 {
					switch code, _ := get(pets(n), key...); code {
					case http.StatusOK:
						admitted.Add(1)
					case http.StatusTooManyRequests:
						refused.Add(1)
					default:
						other.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if admitted.Load() != limit || refused.Load() != 240-limit || other.Load() != 0 {
		t.Errorf("sent together: %d admitted, %d refused, %d other; want exactly %d admitted", admitted.Load(), refused.Load(), other.Load(), limit)
	}
	if m := scrape(t, nodes[0].admin+"/metrics"); !redisUp.MatchString(m) {
		t.Errorf("/metrics lacks gantry_ratelimit_redis_up 1:\n%s", m)
	}

	// Redis gone: node c falls back to its own limit of 90, which it has not used.
	redisSrv.Stop()
	n := 0
	for ; n <= limit; n++ {
		if code, _ := get(pets(nodes[2]), key...); code != http.StatusOK {
			if code != http.StatusTooManyRequests {
				t.Fatalf("Redis down, request %d on c: %d", n+1, code)
			}
			break
		}
	}
	if n != limit {
		t.Errorf("Redis down: node c admitted %d on its own, want %d", n, limit)
	}
	m := scrape(t, nodes[2].admin+"/metrics")
	for _, want := range []string{"\ngantry_ratelimit_redis_up 0\n", `gantry_ratelimit_fallback_total{decision="local",policy="rateLimit"} 91`, "gantry_ratelimit_redis_outages_total 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m)
		}
	}

	// Redis back (empty): every node notices by itself, within its retry interval, and the
	// nodes count together again.
	redisSrv.Start()
	for i, nd := range nodes {
		deadline := time.Now().Add(10 * time.Second)
		for !redisUp.MatchString(scrape(t, nd.admin+"/metrics")) {
			if time.Now().After(deadline) {
				t.Fatalf("node %d did not go back to Redis within 10 s", i)
			}
			_, _ = get(pets(nd), key...) // a request lets the node try Redis again
			time.Sleep(100 * time.Millisecond)
		}
	}
	prev := -1
	for i, nd := range nodes {
		code, remaining := get(pets(nd), key...)
		if code != http.StatusOK || remaining < 0 || (prev >= 0 && remaining != prev-1) {
			t.Errorf("after recovery, node %d: %d with %d remaining; want 200 with %d", i, code, remaining, prev-1)
		}
		prev = remaining
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

// redisUp matches the metric line (not its help text) saying Redis decides.
var redisUp = regexp.MustCompile(`(?m)^gantry_ratelimit_redis_up 1$`)

// remainingRe finds the remaining quota in a RateLimit header field.
var remainingRe = regexp.MustCompile(`;r=(\d+)`)

// get sends a GET with header pairs from any goroutine and returns the status and the
// remaining requests its RateLimit field states (-1 if none).
func get(url string, header ...string) (int, int) {
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, -1
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	remaining := -1
	if m := remainingRe.FindStringSubmatch(resp.Header.Get("RateLimit")); m != nil {
		remaining, _ = strconv.Atoi(m[1])
	}
	return resp.StatusCode, remaining
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
