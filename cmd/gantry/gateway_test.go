package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	servingRe = regexp.MustCompile(`Serving \S+ \(.*\) at (http://[^/\s]+)`)
	adminRe   = regexp.MustCompile(`Admin \(.*\) at (http://[^/\s]+)/`)
)

// writeGatewayConfig writes a gantry.yaml proxying petstore to upstream, with key auth
// and a rate limit, beside a copy of the petstore spec.
func writeGatewayConfig(t *testing.T, dir, upstream string, limit int) string {
	t.Helper()
	return writeGatewayConfigWindow(t, dir, upstream, limit, "1m")
}

// writeGatewayConfigWindow is writeGatewayConfig with the rate limit's window.
func writeGatewayConfigWindow(t *testing.T, dir, upstream string, limit int, window string) string {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "petstore.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
admin: 127.0.0.1:0
apis:
  - name: petstore
    spec: petstore.yaml
    basePath: /petstore
    mode: proxy
    upstream:
      targets: [{url: %q, weight: 1}]
    policies:
      keyAuth: {in: header, name: apikey}
      rateLimit: {requests: %d, window: %s, by: consumer}
consumers:
  - name: alice
    apiKeys: [alice-key-0123456789]
`, upstream, limit, window)
	path := filepath.Join(dir, "gantry.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func getStatus(t *testing.T, url string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, re *regexp.Regexp, out *syncBuffer, errb *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in output: %s %s", re, out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestGatewayCommand(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":1,"name":"rex"}]`)
	}))
	defer upstream.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	cfg := writeGatewayConfig(t, dir, upstream.URL, 3)

	if code, out, errOut := gantry(t, db, "config", "check", cfg); code != 0 || !strings.Contains(out, "OK: 1 API (3 ops), 1 consumer") {
		t.Fatalf("config check = %d %q %q", code, out, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"gateway", "--config", cfg, "--db", db, "--log-level", "error"}, &out, &errb)
	}()
	base := waitFor(t, servingRe, &out, &errb)
	adminBase := waitFor(t, adminRe, &out, &errb)

	key := []string{"apikey", "alice-key-0123456789"}
	steps := []struct {
		name   string
		header []string
		want   int
	}{
		{"no key", nil, 401},
		{"alice 1", key, 200},
		{"alice 2", key, 200},
		{"alice 3", key, 200},
		{"alice over the limit", key, 429},
	}
	for _, s := range steps {
		if got := getStatus(t, base+"/petstore/pets", s.header...); got != s.want {
			t.Errorf("%s: %d, want %d", s.name, got, s.want)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nope": 404} {
		if got := getStatus(t, adminBase+path); got != want {
			t.Errorf("admin %s: %d, want %d", path, got, want)
		}
	}

	// A broken edit is reported with its position and the last good configuration stays.
	broken := strings.Replace(readFile(t, cfg), "window: 1m", "window: soon", 1)
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), `gantry.yaml:12:40: apis[0].policies.rateLimit.window: "soon" is not a duration`) {
		if time.Now().After(deadline) {
			t.Fatalf("broken edit not reported: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := getStatus(t, base+"/petstore/pets"); got != 401 {
		t.Errorf("after a broken edit: %d, want 401 from the last good configuration", got)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("gateway exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("gateway did not stop")
	}
	if !strings.Contains(errb.String(), "recorded 6 exchanges (6 written, 0 dropped") {
		t.Errorf("shutdown summary: %s", errb.String())
	}
	if code, text, _ := gantry(t, db, "traffic", "list", "--consumer", "alice"); code != 0 || strings.Count(text, "\n") != 5 {
		t.Errorf("traffic list --consumer alice: %s", text)
	}
}

func TestConfigImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	cfg := writeGatewayConfig(t, dir, "http://127.0.0.1:9", 5)
	code, out, errOut := gantry(t, db, "config", "import", cfg)
	if code != 0 || !strings.Contains(out, "imported petstore") || !strings.Contains(out, "revision 1") {
		t.Fatalf("config import = %d %q %q", code, out, errOut)
	}
	if code, out, _ := gantry(t, db, "config", "import", cfg); code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second import = %d %q", code, out)
	}
	exported := filepath.Join(dir, "exported.yaml")
	if code, _, errOut := gantry(t, db, "config", "export", "-o", exported); code != 0 {
		t.Fatal(errOut)
	}
	text := readFile(t, exported)
	for _, want := range []string{"api: petstore", "apiKeyHashes:", "keyAuth:", "rateLimit:"} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "alice-key-0123456789") {
		t.Errorf("export holds the key in the clear:\n%s", text)
	}
	// The exported file is a valid configuration against the same workspace.
	if code, out, errOut := gantry(t, db, "config", "check", exported); code != 0 {
		t.Fatalf("exported configuration does not check: %q %q", out, errOut)
	}
}

func TestConfigCheckReportsPositions(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gantry.yaml")
	if err := os.WriteFile(cfg, []byte("apis:\n  - name: x\n    spec: missing.yaml\n    mode: sideways\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := gantry(t, filepath.Join(dir, "ws.db"), "config", "check", cfg)
	if code == 0 || !strings.Contains(errOut, "gantry.yaml:4:11: apis[0].mode: \"sideways\" is not a mode") {
		t.Fatalf("config check = %d %q", code, errOut)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestQuotaSurvivesRestart: a daily quota used up before the gateway restarts stays used up.
func TestQuotaSurvivesRestart(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[]`)
	}))
	defer upstream.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	cfg := writeGatewayConfig(t, dir, upstream.URL, 1000)
	text := strings.Replace(readFile(t, cfg), "      rateLimit:", "      quota: {requests: 2, period: day, by: consumer}\n      rateLimit:", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	key := []string{"apikey", "alice-key-0123456789"}
	runOnce := func(want ...int) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"gateway", "--config", cfg, "--db", db, "--admin", "off", "--log-level", "error"}, &out, &errb)
		}()
		base := waitFor(t, servingRe, &out, &errb)
		for i, w := range want {
			if got := getStatus(t, base+"/petstore/pets", key...); got != w {
				t.Errorf("request %d: %d, want %d", i+1, got, w)
			}
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("gateway exited %d: %s", code, errb.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("gateway did not stop")
		}
	}
	runOnce(200, 200, 429)
	runOnce(429)
}

// TestGatewayListenerLimits: slow and oversized requests are refused while others are served.
func TestGatewayListenerLimits(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	spec, err := os.ReadFile(filepath.Join("testdata", "petstore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "petstore.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "gantry.yaml")
	if err := os.WriteFile(cfg, []byte(`listen: 127.0.0.1:0
limits: {readHeaderTimeout: 300ms, maxHeaderBytes: 2048, maxBodyBytes: 64}
apis:
  - name: petstore
    spec: petstore.yaml
    basePath: /
    mode: mock
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"gateway", "--config", cfg, "--db", db, "--admin", "off", "--no-record", "--log-level", "error"}, &out, &errb)
	}()
	base := waitFor(t, servingRe, &out, &errb)
	addr := strings.TrimPrefix(base, "http://")

	// A slowloris client: headers never finish; the gateway hangs up after the timeout.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET /pets HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// Others are served meanwhile.
	if got := getStatus(t, base+"/pets"); got != 200 {
		t.Errorf("while a client is slow: %d", got)
	}
	_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(slow)
	if err != nil || time.Since(start) > 4*time.Second {
		t.Errorf("slow client not cut off by the header timeout (after %s: %v)", time.Since(start), err)
	}

	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"oversized headers", "GET /pets HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8192) + "\r\n\r\n", "431"},
		{"oversized body", "POST /pets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + `{"id":1,"name":"` + strings.Repeat("x", 200-17) + `"}`, "413"},
		{"malformed request line", "GARBAGE\r\n\r\n", "400"},
		{"still serving", "GET /pets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tc.raw); err != nil {
				t.Fatal(err)
			}
			line := make([]byte, 12)
			if _, err := io.ReadFull(c, line); err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if got := string(line[9:12]); got != tc.want {
				t.Errorf("status %s, want %s", got, tc.want)
			}
		})
	}
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("gateway did not stop")
	}
}

func TestConfigEnvironments(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	cfg := writeGatewayConfig(t, dir, "{{upstream}}", 5)
	text := readFile(t, cfg) + "environments:\n  - name: dev\n    variables: {upstream: \"http://127.0.0.1:9001\"}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no environment", []string{"config", "check", cfg}, 1, "uses {{upstream}}: choose an environment (--env NAME)"},
		{"unknown environment", []string{"config", "check", cfg, "--env", "prod"}, 1, `no environment is called "prod"`},
		{"dev", []string{"config", "check", cfg, "--env", "dev"}, 0, "OK: 1 API"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, st.args...)
			if code != st.wantCode || !strings.Contains(out+errOut, st.want) {
				t.Fatalf("exit %d, output %q %q; want exit %d and %q", code, out, errOut, st.wantCode, st.want)
			}
		})
	}
}
