// Command gantry-bench measures the mock gateway on loopback against Stoplight Prism and a
// static Go handler in the same run, with wrk, and times importing and mocking a large spec.
// It prints Markdown tables with ratios to the baselines measured in that run.
//
// Prism is optional: point -prism at its binary (npm install @stoplight/prism-cli into any
// folder; the binary is node_modules/.bin/prism). Every target is on 127.0.0.1 and every load
// run is bounded by -duration.
package main

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

type options struct {
	gantry    string
	prism     string
	spec      string
	path      string
	prismPath string
	large     string
	duration  time.Duration
	rounds    int
	conns     []int
	static    string
	// gateway benchmark
	stockProxy string
	upstream   string
	mode       string
}

func main() {
	var o options
	var conns string
	flag.StringVar(&o.gantry, "gantry", "bin/gantry", "gantry binary")
	flag.StringVar(&o.prism, "prism", os.Getenv("PRISM"), "prism binary (optional; $PRISM)")
	flag.StringVar(&o.spec, "spec", "../shared/corpus/oai/petstore.yaml", "spec served in the load test")
	flag.StringVar(&o.path, "path", "/v1/pets?limit=5", "request path and query for the load test")
	flag.StringVar(&o.prismPath, "prism-path", "/pets?limit=5", "the same request for Prism, which mounts every spec at the root")
	flag.StringVar(&o.large, "large", "../shared/corpus/digitalocean/DigitalOcean-public.v2.yaml", "large spec for the start-up test")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "duration of each wrk run")
	flag.StringVar(&conns, "conns", "64,8", "wrk connection counts")
	flag.IntVar(&o.rounds, "rounds", 3, "load rounds; each target's median round is reported (a shared VM is noisy)")
	flag.StringVar(&o.static, "serve-static", "", "internal: serve the static baseline on this address")
	flag.StringVar(&o.stockProxy, "serve-stock-proxy", "", "internal: serve Go's stock reverse proxy on this address, to -upstream")
	flag.StringVar(&o.upstream, "upstream", "", "internal: the stock proxy's upstream URL")
	flag.StringVar(&o.mode, "mode", "mock", "what to measure: mock (mock gateway and import) or gateway (proxying with policies, against nginx and Go's stock proxy)")
	flag.Parse()
	if o.static != "" {
		serveStatic(o.static)
		return
	}
	if o.stockProxy != "" {
		serveStockProxy(o.stockProxy, o.upstream)
		return
	}
	for _, c := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			fatal("-conns: %v", err)
		}
		o.conns = append(o.conns, n)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fatal("wrk is not installed (Debian package wrk)")
	}
	tmp, err := os.MkdirTemp("", "gantry-bench-")
	if err != nil {
		fatal("%v", err)
	}
	defer os.RemoveAll(tmp)
	if o.mode == "gateway" {
		gatewayTest(o, tmp)
		return
	}
	loadTest(o, tmp)
	startupTest(o, tmp)
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gantry-bench: "+format+"\n", args...)
	os.Exit(1)
}

// serveStatic answers every request with the body read from standard input, like a
// hand-written Go handler would.
func serveStatic(addr string) {
	body, _ := io.ReadAll(os.Stdin)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	if err := http.ListenAndServe(addr, nil); err != nil {
		fatal("%v", err)
	}
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("%v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHTTP polls url until it answers (any status) or the timeout passes.
func waitHTTP(url string, timeout time.Duration) (time.Duration, []byte, error) {
	start := time.Now()
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Since(start) < timeout {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return time.Since(start), b, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, nil, fmt.Errorf("%s did not answer within %s", url, timeout)
}

type proc struct {
	cmd    *exec.Cmd
	stderr *strings.Builder
}

func start(name string, args []string, stdin io.Reader) *proc {
	cmd := exec.Command(name, args...)
	var errb strings.Builder
	cmd.Stdout = io.Discard
	cmd.Stderr = &errb
	cmd.Stdin = stdin
	if err := cmd.Start(); err != nil {
		fatal("starting %s: %v", name, err)
	}
	return &proc{cmd: cmd, stderr: &errb}
}

// stop interrupts the process, waits, and returns its peak RSS in MiB.
func (p *proc) stop() float64 {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024
	}
	return 0
}

type wrkResult struct {
	rps      float64
	p50      time.Duration
	p99      time.Duration
	requests int
	errors   int
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reP99    = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
	reP50    = regexp.MustCompile(`\s50%\s+([\d.]+)(us|ms|s)`)
	reTotal  = regexp.MustCompile(`(\d+) requests in`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSockE  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func runWrk(url string, conns int, d time.Duration, headers ...string) wrkResult {
	threads := 2
	if conns < threads {
		threads = conns
	}
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + d.String(), "--latency"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		fatal("wrk: %v\n%s", err, out)
	}
	s := string(out)
	var r wrkResult
	if m := reRPS.FindStringSubmatch(s); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reP50.FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		r.p50 = time.Duration(v * float64(unit))
	}
	if m := reP99.FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		r.p99 = time.Duration(v * float64(unit))
	}
	if m := reTotal.FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := reNon2xx.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
	}
	if m := reSockE.FindStringSubmatch(s); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(g)
			r.errors += n
		}
	}
	if r.errors > 0 {
		// Show what wrk saw, so that a failing target can be told from a slow one.
		fmt.Fprintf(os.Stderr, "wrk -c%d %s: %d errors\n%s\n", conns, url, r.errors, s)
	}
	return r
}

type target struct {
	name string
	url  string
	runs map[int][]wrkResult
	res  map[int]wrkResult // the median of runs, by requests/s
}

// median returns the run with the median requests/s, its p99 replaced by the median p99.
func median(runs []wrkResult) wrkResult {
	byRPS := slices.SortedFunc(slices.Values(runs), func(a, b wrkResult) int { return cmp.Compare(a.rps, b.rps) })
	byP99 := slices.SortedFunc(slices.Values(runs), func(a, b wrkResult) int { return cmp.Compare(a.p99, b.p99) })
	byP50 := slices.SortedFunc(slices.Values(runs), func(a, b wrkResult) int { return cmp.Compare(a.p50, b.p50) })
	m := byRPS[len(runs)/2]
	m.p99 = byP99[len(runs)/2].p99
	m.p50 = byP50[len(runs)/2].p50
	return m
}

func loadTest(o options, tmp string) {
	db := filepath.Join(tmp, "load.db")
	gAddr := freeAddr()
	g := start(o.gantry, []string{"mock", o.spec, "--listen", gAddr, "--db", db, "--log-level", "warn"}, nil)
	_, body, err := waitHTTP("http://"+gAddr+o.path, 30*time.Second)
	if err != nil {
		fatal("gantry: %v\n%s", err, g.stderr)
	}
	sAddr := freeAddr()
	self, _ := os.Executable()
	s := start(self, []string{"-serve-static", sAddr}, strings.NewReader(string(body)))
	if _, _, err := waitHTTP("http://"+sAddr+o.path, 10*time.Second); err != nil {
		fatal("static: %v", err)
	}
	nAddr := freeAddr()
	n := start(o.gantry, []string{"mock", o.spec, "--listen", nAddr, "--db", filepath.Join(tmp, "norecord.db"), "--no-record", "--log-level", "warn"}, nil)
	if _, _, err := waitHTTP("http://"+nAddr+o.path, 30*time.Second); err != nil {
		fatal("gantry --no-record: %v\n%s", err, n.stderr)
	}
	targets := []*target{
		{name: "static Go handler", url: "http://" + sAddr + o.path},
		{name: "Gantry mock (recording on)", url: "http://" + gAddr + o.path},
		{name: "Gantry mock (recording off)", url: "http://" + nAddr + o.path},
	}
	var p *proc
	if o.prism != "" {
		pAddr := freeAddr()
		host, port, _ := net.SplitHostPort(pAddr)
		p = start(o.prism, []string{"mock", o.spec, "-h", host, "-p", port}, nil)
		_, pbody, err := waitHTTP("http://"+pAddr+o.prismPath, 60*time.Second)
		if err != nil {
			fatal("prism: %v\n%s", err, p.stderr)
		}
		fmt.Fprintf(os.Stderr, "Gantry answers %s\nPrism answers  %s\n", body, pbody)
		targets = append(targets, &target{name: "Stoplight Prism", url: "http://" + pAddr + o.prismPath})
	}
	served := 1 // the readiness probe
	// Rounds interleave the targets, so that a slow spell of the machine does not fall on
	// one target only.
	for range max(o.rounds, 1) {
		for _, c := range o.conns {
			for _, t := range targets {
				if t.runs == nil {
					t.runs = map[int][]wrkResult{}
				}
				r := runWrk(t.url, c, o.duration)
				t.runs[c] = append(t.runs[c], r)
				if t.name == "Gantry mock (recording on)" {
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
	s.stop()
	n.stop()
	if p != nil {
		p.stop()
	}
	g.stop()
	recorded := countExchanges(db)

	fmt.Printf("## Mock throughput (%s, wrk, median of %d runs of %s each, loopback)\n\n", o.path, max(o.rounds, 1), o.duration)
	fmt.Println("| target | conns | requests/s | p99 | vs static | vs Prism | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, c := range o.conns {
		base := targets[0].res[c]
		var prism wrkResult
		if len(targets) > 3 {
			prism = targets[3].res[c]
		}
		for _, t := range targets {
			r := t.res[c]
			vsPrism := "-"
			if prism.rps > 0 {
				vsPrism = fmt.Sprintf("%.1f×", r.rps/prism.rps)
			}
			fmt.Printf("| %s | %d | %.0f | %s | %.2f× rps, %.2f× p99 | %s | %d |\n", t.name, c, r.rps,
				r.p99.Round(10*time.Microsecond), r.rps/base.rps, float64(r.p99)/float64(base.p99), vsPrism, r.errors)
		}
	}
	fmt.Printf("\nGantry served %d requests (wrk's completed count plus one probe) and recorded %d exchanges (%s).\n\n",
		served, recorded, strings.TrimSpace(lastLine(g.stderr.String())))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func countExchanges(db string) int {
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		fatal("%v", err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM exchanges").Scan(&n); err != nil {
		fatal("counting exchanges: %v", err)
	}
	return n
}

func startupTest(o options, tmp string) {
	if _, err := os.Stat(o.large); err != nil {
		fmt.Printf("(start-up test skipped: %v)\n", err)
		return
	}
	db := filepath.Join(tmp, "large.db")
	// Import: wall time and peak RSS of the whole CLI process.
	t0 := time.Now()
	imp := exec.Command(o.gantry, "import", o.large, "--db", db, "--log-level", "warn")
	out, err := imp.CombinedOutput()
	if err != nil {
		fatal("import: %v\n%s", err, out)
	}
	importWall := time.Since(t0)
	importRSS := float64(imp.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	name := strings.Fields(strings.TrimPrefix(string(firstMatching(out, "imported")), "imported "))[0]

	// Mock start from the compiled form: until the first answered request.
	addr := freeAddr()
	t1 := time.Now()
	g := start(o.gantry, []string{"mock", name, "--listen", addr, "--db", db, "--log-level", "warn"}, nil)
	if _, _, err := waitHTTP("http://"+addr+"/v2/account", 30*time.Second); err != nil {
		fatal("gantry mock %s: %v\n%s", name, err, g.stderr)
	}
	mockStart := time.Since(t1)
	mockRSS := g.stop()

	fmt.Println("## Large spec (DigitalOcean, 659 operations, 2,900 files)")
	fmt.Println()
	fmt.Println("| step | wall time | peak RSS |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| `gantry import` (parse, resolve, compile, check examples, store) | %s | %.0f MiB |\n", importWall.Round(time.Millisecond), importRSS)
	fmt.Printf("| `gantry mock %s` from the compiled form, to the first answered request | %s | %.0f MiB |\n", name, mockStart.Round(time.Millisecond), mockRSS)
	if o.prism != "" {
		addr := freeAddr()
		host, port, _ := net.SplitHostPort(addr)
		t2 := time.Now()
		p := start(o.prism, []string{"mock", o.large, "-h", host, "-p", port}, nil)
		if _, _, err := waitHTTP("http://"+addr+"/v2/account", 120*time.Second); err != nil {
			fatal("prism: %v\n%s", err, p.stderr)
		}
		prismStart := time.Since(t2)
		prismRSS := p.stop()
		fmt.Printf("| Prism `mock` start on the same spec, to the first answered request | %s | %.0f MiB |\n", prismStart.Round(time.Millisecond), prismRSS)
		fmt.Printf("\nGantry import: %.2f× Prism's start-up time, %.2f× its memory; Gantry mock start: %.3f× Prism's start-up time.\n",
			importWall.Seconds()/prismStart.Seconds(), importRSS/prismRSS, mockStart.Seconds()/prismStart.Seconds())
	}
}

func firstMatching(out []byte, prefix string) []byte {
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return []byte(sc.Text())
		}
	}
	fatal("no %q line in: %s", prefix, out)
	return nil
}
