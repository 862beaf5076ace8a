package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// serveStockProxy serves Go's stock httputil.ReverseProxy with a transport tuned the way a
// careful user would (keep-alives, enough idle connections per host), the baseline the
// gateway issue names.
func serveStockProxy(addr, upstream string) {
	u, err := url.Parse(upstream)
	if err != nil {
		fatal("-upstream: %v", err)
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
		},
		Transport: tr,
	}
	if err := http.ListenAndServe(addr, rp); err != nil {
		fatal("%v", err)
	}
}

// nginxConf is a plain nginx reverse proxy: 2 workers, upstream keep-alive, no logs.
const nginxConf = `worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream app {
        server %[2]s;
        keepalive 64;
    }
    server {
        listen %[3]s;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
`

// gatewayTest measures proxying: the upstream hit directly, nginx, Go's stock proxy, and
// Gantry with key auth, a (high) rate limit and recording on, in interleaved rounds.
func gatewayTest(o options, tmp string) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/sbin/nginx"} {
			if _, e := os.Stat(p); e == nil {
				nginx, err = p, nil
			}
		}
	}
	if err != nil {
		fatal("nginx is not installed (Debian package nginx-light)")
	}
	self, _ := os.Executable()

	// The upstream: a static handler returning what the petstore mock returns.
	upAddr := freeAddr()
	body := `[{"id":1,"name":"rex","tag":"dog"},{"id":2,"name":"tom","tag":"cat"}]`
	up := start(self, []string{"-serve-static", upAddr}, strings.NewReader(body))
	defer up.stop()
	if _, _, err := waitHTTP("http://"+upAddr+"/", 10*time.Second); err != nil {
		fatal("upstream: %v", err)
	}

	nAddr := freeAddr()
	ndir := filepath.Join(tmp, "nginx")
	_ = os.MkdirAll(ndir, 0o755)
	conf := filepath.Join(ndir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, ndir, upAddr, nAddr)), 0o644); err != nil {
		fatal("%v", err)
	}
	ng := start(nginx, []string{"-c", conf, "-p", ndir}, nil)
	defer func() {
		_ = ng.cmd.Process.Signal(os.Interrupt)
		_ = ng.cmd.Wait()
	}()
	if _, _, err := waitHTTP("http://"+nAddr+"/", 10*time.Second); err != nil {
		fatal("nginx: %v\n%s", err, ng.stderr)
	}

	sAddr := freeAddr()
	sp := start(self, []string{"-serve-stock-proxy", sAddr, "-upstream", "http://" + upAddr}, nil)
	defer sp.stop()
	if _, _, err := waitHTTP("http://"+sAddr+"/", 10*time.Second); err != nil {
		fatal("stock proxy: %v", err)
	}

	gAddr := freeAddr()
	spec, err := filepath.Abs(o.spec)
	if err != nil {
		fatal("%v", err)
	}
	cfg := filepath.Join(tmp, "gantry.yaml")
	const key = "bench-key-0123456789"
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: %s
apis:
  - name: petstore
    spec: %s
    basePath: /
    mode: proxy
    validate: false
    upstream:
      targets: [{url: "http://%s"}]
    policies:
      keyAuth: {in: header, name: apikey}
      rateLimit: {requests: 100000000, window: 1s, by: consumer}
consumers:
  - name: bench
    apiKeys: [%s]
`, gAddr, spec, upAddr, key)), 0o644); err != nil {
		fatal("%v", err)
	}
	db := filepath.Join(tmp, "gateway.db")
	g := start(o.gantry, []string{"gateway", "--config", cfg, "--db", db, "--admin", "off", "--log-level", "warn"}, nil)
	path := "/pets?limit=5"
	if _, _, err := waitHTTP("http://"+gAddr+path, 30*time.Second); err != nil {
		fatal("gantry gateway: %v\n%s", err, g.stderr)
	}

	type gtarget struct {
		name    string
		url     string
		headers []string
		runs    map[int][]wrkResult
		res     map[int]wrkResult
	}
	targets := []*gtarget{
		{name: "upstream directly", url: "http://" + upAddr + path},
		{name: "nginx (2 workers, keep-alive)", url: "http://" + nAddr + path},
		{name: "Go httputil.ReverseProxy (tuned transport)", url: "http://" + sAddr + path},
		{name: "Gantry (key auth + rate limit + recording)", url: "http://" + gAddr + path, headers: []string{"apikey: " + key}},
	}
	served := 1
	for range max(o.rounds, 1) {
		for _, c := range o.conns {
			for _, t := range targets {
				if t.runs == nil {
					t.runs = map[int][]wrkResult{}
				}
				r := runWrk(t.url, c, o.duration, t.headers...)
				t.runs[c] = append(t.runs[c], r)
				if strings.HasPrefix(t.name, "Gantry") {
					served += r.requests
				}
				time.Sleep(time.Second)
			}
		}
	}
	for _, t := range targets {
		t.res = map[int]wrkResult{}
		for c, runs := range t.runs {
			t.res[c] = median(runs)
		}
	}
	g.stop()
	recorded := countExchanges(db)

	fmt.Printf("## Gateway proxying (%s, wrk, median of %d runs of %s each, loopback)\n\n", path, max(o.rounds, 1), o.duration)
	fmt.Println("| target | conns | requests/s | p50 | p99 | vs nginx | vs stock Go proxy | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range o.conns {
		ng, stock := targets[1].res[c], targets[2].res[c]
		for _, t := range targets {
			r := t.res[c]
			fmt.Printf("| %s | %d | %.0f | %s | %s | %.2f× rps, %.2f× p99 | %.2f× rps, %.2f× p99 | %d |\n", t.name, c, r.rps,
				r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond),
				r.rps/ng.rps, float64(r.p99)/float64(ng.p99), r.rps/stock.rps, float64(r.p99)/float64(stock.p99), r.errors)
		}
	}
	fmt.Printf("\nGantry served %d requests (wrk's completed count plus one probe) and recorded %d exchanges (%s).\n",
		served, recorded, strings.TrimSpace(lastLine(g.stderr.String())))
}
