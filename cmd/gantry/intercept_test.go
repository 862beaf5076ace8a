package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/intercept/ca"
)

func TestCACommands(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	t.Setenv(ca.EnvDir, caDir)
	db := filepath.Join(dir, "ws.db")
	certPath := filepath.Join(caDir, ca.CertFile)
	exported := filepath.Join(dir, "exported.pem")

	steps := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string // exact stdout, if set
		wantErr   string
		noErr     string
		checkFile string // a file that must hold the CA certificate afterwards
	}{
		{name: "path creates the CA", args: []string{"ca", "path"}, wantOut: certPath + "\n", wantErr: "created a new local CA"},
		{name: "path again reuses it", args: []string{"ca", "path"}, wantOut: certPath + "\n", noErr: "created"},
		{name: "export to stdout", args: []string{"ca", "export"}, wantOut: "<pem>"},
		{name: "export to a file", args: []string{"ca", "export", "-o", exported}, wantErr: "wrote the CA certificate", checkFile: exported},
		{name: "export to a bad path", args: []string{"ca", "export", "-o", filepath.Join(dir, "no", "such", "x.pem")}, wantCode: 1, wantErr: "exporting"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, out, errOut := gantry(t, db, st.args...)
			if code != st.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, st.wantCode, out, errOut)
			}
			pem, err := os.ReadFile(certPath)
			if err != nil {
				t.Fatal(err)
			}
			switch st.wantOut {
			case "":
			case "<pem>":
				if out != string(pem) {
					t.Errorf("stdout is not the certificate file:\n%s", out)
				}
			default:
				if out != st.wantOut {
					t.Errorf("stdout %q, want %q", out, st.wantOut)
				}
			}
			if !strings.Contains(errOut, st.wantErr) || (st.noErr != "" && strings.Contains(errOut, st.noErr)) {
				t.Errorf("stderr %q: want %q, not %q", errOut, st.wantErr, st.noErr)
			}
			if st.checkFile != "" {
				if got, err := os.ReadFile(st.checkFile); err != nil || string(got) != string(pem) {
					t.Errorf("%s does not hold the certificate: %v", st.checkFile, err)
				}
			}
		})
	}

	t.Run("a key others can read is refused", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no POSIX permissions")
		}
		if err := os.Chmod(filepath.Join(caDir, ca.KeyFile), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := gantry(t, db, "ca", "path")
		if code != 1 || !strings.Contains(errOut, ca.KeyFile) || !strings.Contains(errOut, "chmod 600") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

func TestInterceptBadFlags(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ca.EnvDir, filepath.Join(dir, "ca"))
	db := filepath.Join(dir, "ws.db")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"mock without spec", []string{"--mock", "api.test"}, "HOST=SPEC"},
		{"mock of nothing", []string{"--mock", "api.test=nope"}, "not a spec file"},
		{"bad exclusion", []string{"--exclude", "https://x.test/"}, "https://x.test/"},
		{"bad mock host", []string{"--mock", "a*b.test=" + filepath.Join("testdata", "petstore.yaml")}, "a*b.test"},
		{"bad listen address", []string{"--listen", "127.0.0.1:99999"}, "--listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := gantry(t, db, append([]string{"intercept", "--log-level", "error"}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, tt.wantErr)
			}
		})
	}
}

var proxyURLRe = regexp.MustCompile(`Intercepting on (http://\S+)\n`)

// TestInterceptRecordsAndMocks runs `gantry intercept` with a mocked host, sends plain and
// HTTPS requests through it, stops it the way Ctrl-C does and checks the recorded traffic.
func TestInterceptRecordsAndMocks(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	t.Setenv(ca.EnvDir, caDir)
	db := filepath.Join(dir, "ws.db")
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from upstream")
	}))
	defer upstream.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"intercept", "--listen", "127.0.0.1:0", "--db", db, "--log-level", "error",
			"--mock", "petstore.swagger.io=" + filepath.Join("testdata", "petstore.yaml"),
			"--exclude", "tunnelled.invalid"}, &out, &errb)
	}()
	var proxyAddr string
	deadline := time.Now().Add(10 * time.Second)
	for proxyAddr == "" {
		if m := proxyURLRe.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Ready in") {
			proxyAddr = m[1]
		} else if time.Now().After(deadline) {
			cancel()
			t.Fatalf("intercept did not start: %s %s", out.String(), errb.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, want := range []string{"Mocking petstore.swagger.io", "Tunnelling tunnelled.invalid", filepath.Join(caDir, ca.CertFile)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}

	pem, err := os.ReadFile(filepath.Join(caDir, ca.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	pu, _ := url.Parse(proxyAddr)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	targets := []struct {
		url      string
		wantCode int
		wantBody string
	}{
		{upstream.URL + "/hello?token=abc", 200, "hello from upstream"},
		{"https://petstore.swagger.io/v1/pets", 200, "["},
		{"http://petstore.swagger.io/v1/pets/7", 200, "{"},
		{"https://petstore.swagger.io/v1/nowhere", 404, "problem"},
	}
	for _, tg := range targets {
		resp, err := client.Get(tg.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tg.wantCode || !strings.Contains(string(body), tg.wantBody) {
			t.Errorf("GET %s = %d %s, want %d with %q", tg.url, resp.StatusCode, body, tg.wantCode, tg.wantBody)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("intercept exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("intercept did not stop")
	}
	if !strings.Contains(errb.String(), "recorded 4 exchanges (4 written, 0 dropped") {
		t.Errorf("shutdown summary: %s", errb.String())
	}

	code, listed, errOut := gantry(t, db, "traffic", "list", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var xs []struct {
		Mode, Scheme, Host, URL, API string
		Status                       int
	}
	if err := json.Unmarshal([]byte(listed), &xs); err != nil {
		t.Fatalf("traffic list --json: %v\n%s", err, listed)
	}
	if len(xs) != 4 {
		t.Fatalf("listed %d exchanges, want 4", len(xs))
	}
	byURL := map[string]int{}
	for i, x := range xs {
		byURL[x.Scheme+" "+x.Host+x.URL] = i
		if x.Mode != "intercept" {
			t.Errorf("exchange %s has mode %q", x.URL, x.Mode)
		}
	}
	upHost := strings.TrimPrefix(upstream.URL, "http://")
	for key, wantAPI := range map[string]bool{
		"http " + upHost + "/hello?token=[REDACTED]": false,
		"https petstore.swagger.io/v1/pets":          true,
		"http petstore.swagger.io/v1/pets/7":         true,
		"https petstore.swagger.io/v1/nowhere":       false,
	} {
		i, ok := byURL[key]
		if !ok {
			t.Errorf("no exchange %q among %v", key, byURL)
			continue
		}
		if (xs[i].API != "") != wantAPI {
			t.Errorf("exchange %q: API %q", key, xs[i].API)
		}
	}
}
