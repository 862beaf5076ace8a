package intercept

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/intercept/ca"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// sharedCA is the CA of every test here, created once in a temporary directory.
var sharedCA *ca.CA

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gantry-intercept-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedCA, err = ca.Load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testCA() (*ca.CA, error) { return sharedCA, nil }

// env is a running proxy with a recorder.
type env struct {
	t        *testing.T
	ca       *ca.CA
	proxy    *Proxy
	proxyURL *url.URL
	rec      *capture.Recorder
	sink     *capture.MemorySink
}

// startProxy runs a proxy configured by opts (CA and Recorder are filled in) on 127.0.0.1.
func startProxy(t *testing.T, opts Options) *env {
	t.Helper()
	c, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	sink := &capture.MemorySink{}
	rec := capture.New(sink, capture.Options{FlushInterval: time.Millisecond})
	opts.CA, opts.Recorder = c, rec
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		rec.Close(context.Background())
	})
	u, _ := url.Parse(srv.URL)
	return &env{t: t, ca: c, proxy: p, proxyURL: u, rec: rec, sink: sink}
}

// client returns an HTTP client that uses the proxy and trusts roots.
func (e *env) client(roots *x509.CertPool) *http.Client {
	tr := &http.Transport{
		Proxy:             http.ProxyURL(e.proxyURL),
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		DisableKeepAlives: true,
	}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// exchanges waits until at least n exchanges were recorded (an intercepted exchange is
// recorded when its handler returns, which may be just after the client has read the whole
// response), then flushes the recorder and returns everything it recorded.
func (e *env) exchanges(n int) []*model.Exchange {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.rec.Stats().Recorded < uint64(n) && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.rec.Close(ctx); err != nil {
		e.t.Fatal(err)
	}
	return e.sink.Exchanges()
}

// trusting returns a transport for the proxy that trusts the upstream test server's cert.
func trusting(upstream *httptest.Server) *http.Transport {
	tr := DefaultTransport()
	if c := upstream.Certificate(); c != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool(c)}
	}
	return tr
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// echo answers with what it got, so tests see what the upstream received.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Set-Cookie", "session=s3cret; Path=/")
		switch r.URL.Path {
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		case "/sized":
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "sized")
			return
		}
		fmt.Fprintf(w, "%s %s host=%s auth=%q proxy-auth=%q body=%s", r.Method, r.URL.RequestURI(), r.Host,
			r.Header.Get("Authorization"), r.Header.Get("Proxy-Authorization"), body)
	})
}

func decodeProblem(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q, want %q", ct, problem.ContentType)
	}
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestProxyForwardsAndCaptures(t *testing.T) {
	plain := httptest.NewServer(echo())
	defer plain.Close()
	secure := httptest.NewTLSServer(echo())
	defer secure.Close()

	type request struct {
		method, path, body string
	}
	tests := []struct {
		name     string
		upstream *httptest.Server
		scheme   string
		req      request
		wantCode int
		wantBody string
		check    func(t *testing.T, resp *http.Response, x *model.Exchange)
	}{
		{
			name: "https GET is intercepted with a leaf from our CA", upstream: secure, scheme: "https",
			req: request{"GET", "/echo?x=1&token=t0k", ""}, wantCode: 200, wantBody: "GET /echo?x=1&token=t0k",
			check: func(t *testing.T, resp *http.Response, x *model.Exchange) {
				c, _ := testCA()
				leaf := resp.TLS.PeerCertificates[0]
				if err := leaf.CheckSignatureFrom(c.Certificate()); err != nil {
					t.Errorf("the leaf the client saw is not signed by our CA: %v", err)
				}
				if leaf.Issuer.CommonName != ca.CommonName {
					t.Errorf("leaf issuer %q", leaf.Issuer.CommonName)
				}
				if gp, err := x509.ParseCertificate(goproxy.GoproxyCa.Certificate[0]); err == nil && leaf.CheckSignatureFrom(gp) == nil {
					t.Error("the leaf is signed by goproxy's shared CA")
				}
				if x.Scheme != "https" || x.URL != "/echo?x=1&token=[REDACTED]" {
					t.Errorf("scheme %q URL %q", x.Scheme, x.URL)
				}
			},
		},
		{
			name: "https POST body is forwarded and captured", upstream: secure, scheme: "https",
			req: request{"POST", "/items", `{"a":1}`}, wantCode: 200, wantBody: `body={"a":1}`,
			check: func(t *testing.T, _ *http.Response, x *model.Exchange) {
				if string(x.RequestBody) != `{"a":1}` || x.RequestSize != 7 || !strings.Contains(string(x.ResponseBody), `body={"a":1}`) {
					t.Errorf("bodies %q / %q", x.RequestBody, x.ResponseBody)
				}
			},
		},
		{
			name: "https HEAD keeps Content-Length and sends no body", upstream: secure, scheme: "https",
			req: request{"HEAD", "/sized", ""}, wantCode: 200, wantBody: "",
			check: func(t *testing.T, resp *http.Response, x *model.Exchange) {
				if resp.ContentLength != 5 {
					t.Errorf("Content-Length %d, want 5", resp.ContentLength)
				}
			},
		},
		{
			name: "https 204", upstream: secure, scheme: "https",
			req: request{"DELETE", "/empty", ""}, wantCode: 204, wantBody: "",
		},
		{
			name: "http GET is captured", upstream: plain, scheme: "http",
			req: request{"GET", "/echo?q=cats", ""}, wantCode: 200, wantBody: "GET /echo?q=cats",
			check: func(t *testing.T, resp *http.Response, x *model.Exchange) {
				if x.Scheme != "http" || x.URL != "/echo?q=cats" {
					t.Errorf("scheme %q URL %q", x.Scheme, x.URL)
				}
			},
		},
		{
			name: "http POST", upstream: plain, scheme: "http",
			req: request{"POST", "/p", "hello"}, wantCode: 200, wantBody: "body=hello",
		},
		{
			name: "http 204", upstream: plain, scheme: "http",
			req: request{"PUT", "/empty", "x"}, wantCode: 204, wantBody: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startProxy(t, Options{Transport: trusting(secure)})
			c := e.client(pool(e.ca.Certificate()))
			target := tt.scheme + "://" + tt.upstream.Listener.Addr().String() + tt.req.path
			req, err := http.NewRequest(tt.req.method, target, strings.NewReader(tt.req.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.req.body == "" {
				req.Body = nil
			}
			req.Header.Set("Authorization", "Bearer abc.def")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantBody) || (tt.wantBody == "" && len(body) > 0) {
				t.Fatalf("%d %q, want %d with %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if resp.StatusCode == 200 && tt.req.method != "HEAD" {
				// The upstream saw the client's credentials, and the Host it asked for.
				if !strings.Contains(string(body), `auth="Bearer abc.def"`) || !strings.Contains(string(body), "host="+tt.upstream.Listener.Addr().String()) {
					t.Errorf("upstream saw %q", body)
				}
			}
			xs := e.exchanges(1)
			if len(xs) != 1 {
				t.Fatalf("recorded %d exchanges, want 1", len(xs))
			}
			x := xs[0]
			if x.Mode != ModeIntercept || x.Method != tt.req.method || x.Status != tt.wantCode ||
				x.Host != tt.upstream.Listener.Addr().String() || x.Scheme != tt.scheme || x.ID == "" || x.Duration <= 0 {
				t.Errorf("exchange %+v", x)
			}
			if got := x.RequestHeaders.Get("Authorization"); got != "Bearer [REDACTED]" {
				t.Errorf("captured Authorization %q", got)
			}
			if got := x.ResponseHeaders.Get("Set-Cookie"); got != "session=[REDACTED]; Path=/" {
				t.Errorf("captured Set-Cookie %q", got)
			}
			if resp.Header.Get("Set-Cookie") != "session=s3cret; Path=/" || resp.Header.Get("X-Upstream") != "yes" {
				t.Errorf("client response headers %v", resp.Header)
			}
			if tt.check != nil {
				tt.check(t, resp, x)
			}
		})
	}
}

func TestProxyKeepSecretsAndBodyLimit(t *testing.T) {
	big := strings.Repeat("0123456789", 100_000) // 1 MB
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big)
	}))
	defer up.Close()
	e := startProxy(t, Options{Transport: trusting(up), KeepSecrets: true, MaxBodyBytes: 1024})
	req, _ := http.NewRequest("GET", up.URL+"/big?token=t", nil)
	req.Header.Set("Authorization", "Bearer abc")
	resp, err := e.client(e.ca.Pool()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != big {
		t.Fatalf("client got %d bytes, want %d", len(body), len(big))
	}
	x := e.exchanges(1)[0]
	if len(x.ResponseBody) != 1024 || x.ResponseSize != int64(len(big)) {
		t.Errorf("captured %d of %d bytes", len(x.ResponseBody), x.ResponseSize)
	}
	if x.URL != "/big?token=t" || x.RequestHeaders.Get("Authorization") != "Bearer abc" {
		t.Errorf("secrets redacted despite KeepSecrets: %q %v", x.URL, x.RequestHeaders)
	}
}

func TestProxyStreams(t *testing.T) {
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			release := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: one\n\n")
				w.(http.Flusher).Flush()
				select { // the client must see the first event before the upstream goes on
				case <-release:
				case <-time.After(10 * time.Second):
				}
				io.WriteString(w, "data: two\n\n")
			})
			up := httptest.NewUnstartedServer(h)
			if scheme == "https" {
				up.StartTLS()
			} else {
				up.Start()
			}
			defer up.Close()
			e := startProxy(t, Options{Transport: trusting(up)})
			resp, err := e.client(e.ca.Pool()).Get(scheme + "://" + up.Listener.Addr().String() + "/events")
			if err != nil {
				close(release)
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			line, err := br.ReadString('\n')
			close(release)
			if err != nil || line != "data: one\n" {
				t.Fatalf("first event %q, %v", line, err)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != "\ndata: two\n\n" {
				t.Fatalf("rest %q", rest)
			}
			xs := e.exchanges(1)
			if string(xs[0].ResponseBody) != "data: one\n\ndata: two\n\n" {
				t.Errorf("captured %q", xs[0].ResponseBody)
			}
		})
	}
}

func TestExcludedHostIsTunnelled(t *testing.T) {
	up := httptest.NewTLSServer(echo())
	defer up.Close()
	tests := []struct {
		name    string
		exclude []string
	}{
		{"exact IP", []string{"127.0.0.1"}},
		{"with port", []string{up.Listener.Addr().String()}},
		{"everything", []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startProxy(t, Options{ExcludeHosts: tt.exclude})
			// The client trusts only the upstream's own certificate: interception would fail.
			resp, err := e.client(pool(up.Certificate())).Get(up.URL + "/tunnelled")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !resp.TLS.PeerCertificates[0].Equal(up.Certificate()) {
				t.Fatalf("status %d; the client did not see the upstream's certificate", resp.StatusCode)
			}
			if xs := e.exchanges(0); len(xs) != 0 {
				t.Errorf("recorded %d exchanges of an excluded host", len(xs))
			}
		})
	}
}

func TestUpstreamFailuresAreProblems(t *testing.T) {
	untrusted := httptest.NewUnstartedServer(echo())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the proxy's rejected handshakes
	untrusted.StartTLS()
	defer untrusted.Close()
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	release := make(chan struct{})
	defer close(release)
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	slowTransport := trusting(slow)
	slowTransport.ResponseHeaderTimeout = 100 * time.Millisecond

	tests := []struct {
		name      string
		url       string
		transport http.RoundTripper
		exclude   []string
		wantCode  int
		wantType  string
		wantIn    string
	}{
		{"untrusted upstream certificate", untrusted.URL + "/x", nil, nil, 502, SlugUpstreamTLS, untrusted.Listener.Addr().String()},
		{"TLS spoken to a plain server", "https://" + refusedPlain(t) + "/x", nil, nil, 502, SlugUpstreamTLS, "TLS handshake"},
		{"connection refused over https", "https://" + refused + "/x", nil, nil, 502, SlugUpstreamUnreachable, refused},
		{"connection refused over http", "http://" + refused + "/x", nil, nil, 502, SlugUpstreamUnreachable, refused},
		{"timeout", slow.URL + "/x", slowTransport, nil, 504, SlugUpstreamTimeout, slow.Listener.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startProxy(t, Options{Transport: tt.transport, ExcludeHosts: tt.exclude})
			resp, err := e.client(e.ca.Pool()).Get(tt.url)
			if err != nil {
				t.Fatalf("the client got an error instead of a problem: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			d := decodeProblem(t, resp)
			if d["type"] != problem.TypeBase+tt.wantType || !strings.Contains(fmt.Sprint(d["detail"]), tt.wantIn) {
				t.Errorf("problem %v, want type %s naming %s", d, tt.wantType, tt.wantIn)
			}
			if d["host"] == "" || d["status"] != float64(tt.wantCode) {
				t.Errorf("problem %v lacks the host or status", d)
			}
			if xs := e.exchanges(1); len(xs) != 1 || xs[0].Status != tt.wantCode {
				t.Errorf("failure not captured: %+v", xs)
			}
		})
	}
}

// refusedPlain starts a plain HTTP server and returns its address, for TLS mismatches.
func refusedPlain(t *testing.T) string {
	srv := httptest.NewServer(echo())
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestTunnelDialFailureIsProblem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := startProxy(t, Options{ExcludeHosts: []string{"127.0.0.1"}})
	conn, err := net.DialTimeout("tcp", e.proxyURL.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", addr, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "CONNECT"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if d := decodeProblem(t, resp); d["type"] != problem.TypeBase+SlugUpstreamUnreachable || d["host"] != addr {
		t.Errorf("problem %v", d)
	}
}

// roundTripperFunc adapts a function to http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRulesAnswerWithoutNetwork(t *testing.T) {
	var network atomic.Int32
	offline := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		network.Add(1)
		return &http.Response{StatusCode: http.StatusTeapot, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("network")), Request: r}, nil
	})
	mock := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x := capture.FromContext(r.Context()); x != nil {
			x.API, x.Mode = "pets", "mock" // as the mock gateway does
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"mocked":%q,"host":%q}`, r.URL.Path, r.Host)
	})
	tests := []struct {
		name        string
		url         string
		exclude     []string
		wantCode    int
		wantBody    string
		wantNetwork int32
	}{
		{"https under the prefix", "https://api.invalid/v1/pets", nil, 200, `"mocked":"/v1/pets"`, 0},
		{"http under the prefix", "http://api.invalid/v1/pets?limit=1", nil, 200, `"mocked":"/v1/pets"`, 0},
		{"the prefix itself", "https://api.invalid/v1", nil, 200, `"mocked":"/v1"`, 0},
		{"wildcard host", "https://eu.regions.invalid/anything", nil, 200, `"host":"eu.regions.invalid"`, 0},
		{"rule beats an exclusion", "https://api.invalid/v1/pets", []string{"*"}, 200, `"mocked"`, 0},
		{"outside the prefix goes to the network", "https://api.invalid/v10", nil, 418, "network", 1},
		{"other host goes to the network", "http://other.invalid/v1/pets", nil, 418, "network", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network.Store(0)
			e := startProxy(t, Options{
				Transport:    offline,
				ExcludeHosts: tt.exclude,
				Rules: []Rule{
					{Host: "api.invalid", PathPrefix: "/v1/", Handler: mock},
					{Host: "*.regions.invalid", Handler: mock},
				},
			})
			resp, err := e.client(e.ca.Pool()).Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("%d %s, want %d with %s", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if n := network.Load(); n != tt.wantNetwork {
				t.Errorf("%d network round trips, want %d", n, tt.wantNetwork)
			}
			xs := e.exchanges(1)
			if len(xs) != 1 || xs[0].Mode != ModeIntercept {
				t.Fatalf("exchanges %+v", xs)
			}
			if tt.wantNetwork == 0 && xs[0].API != "pets" {
				t.Errorf("the rule's annotations were lost: %+v", xs[0])
			}
		})
	}
}

func TestProxyIgnoresProxyEnvironment(t *testing.T) {
	dead := "http://127.0.0.1:1"
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, dead)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	if tr := DefaultTransport(); tr.Proxy != nil {
		t.Fatal("DefaultTransport uses a proxy")
	}
	plain := httptest.NewServer(echo())
	defer plain.Close()
	secure := httptest.NewTLSServer(echo())
	defer secure.Close()

	tests := []struct {
		name    string
		url     string
		exclude []string
		roots   *x509.CertPool
	}{
		{"plain http", plain.URL + "/a", nil, nil},
		{"intercepted https", secure.URL + "/b", nil, nil},
		{"tunnelled https", secure.URL + "/c", []string{"127.0.0.1"}, pool(secure.Certificate())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The default transport, trusting the test upstream; its Proxy stays nil.
			e := startProxy(t, Options{Transport: trusting(secure), ExcludeHosts: tt.exclude})
			roots := tt.roots
			if roots == nil {
				roots = e.ca.Pool()
			}
			resp, err := e.client(roots).Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: the proxy went through the proxy in the environment", resp.StatusCode)
			}
		})
	}
	// With no Transport at all the plain case works too.
	e := startProxy(t, Options{})
	resp, err := e.client(nil).Get(plain.URL + "/d")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d with the default transport", resp.StatusCode)
	}
}

func TestProtocolSwitch(t *testing.T) {
	// A minimal upgrade server: it answers 101 and then echoes lines.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			brw.Flush()
		}
	})
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			up := httptest.NewUnstartedServer(h)
			if scheme == "https" {
				up.StartTLS()
			} else {
				up.Start()
			}
			defer up.Close()
			e := startProxy(t, Options{Transport: trusting(up)})
			addr := up.Listener.Addr().String()

			conn, err := net.DialTimeout("tcp", e.proxyURL.Host, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			var c net.Conn = conn
			target := "http://" + addr + "/ws"
			if scheme == "https" {
				fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", addr, addr)
				br := bufio.NewReader(conn)
				resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("CONNECT: %v %v", resp, err)
				}
				tc := tls.Client(conn, &tls.Config{ServerName: "127.0.0.1", RootCAs: e.ca.Pool()})
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				c, target = tc, "/ws"
			}
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", target, addr)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, msg := range []string{"ping\n", "pong\n"} {
				io.WriteString(c, msg)
				got, err := br.ReadString('\n')
				if err != nil || got != "echo "+msg {
					t.Fatalf("got %q, %v", got, err)
				}
			}
			c.Close()
			xs := e.exchanges(1)
			if xs[0].Status != http.StatusSwitchingProtocols || len(xs[0].Warnings) != 1 || xs[0].Scheme != scheme {
				t.Errorf("exchange %+v", xs[0])
			}
		})
	}
}

func TestDirectRequests(t *testing.T) {
	e := startProxy(t, Options{})
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantType string
		wantBody string
	}{
		{"CA certificate", CADownloadPath, 200, "application/x-pem-file", "-----BEGIN CERTIFICATE-----"},
		{"anything else", "/", 400, problem.ContentType, "not-a-proxy-request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(e.proxyURL.String() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || resp.Header.Get("Content-Type") != tt.wantType || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	c, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	h := http.NotFoundHandler()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no CA", Options{}, "CA"},
		{"bad exclusion", Options{CA: c, ExcludeHosts: []string{"https://x.test"}}, "https://x.test"},
		{"bad rule host", Options{CA: c, Rules: []Rule{{Host: "a*b", Handler: h}}}, "rule 1"},
		{"rule without handler", Options{CA: c, Rules: []Rule{{Host: "x.test"}}}, "no handler"},
		{"relative path prefix", Options{CA: c, Rules: []Rule{{Host: "x.test", PathPrefix: "v1", Handler: h}}}, "must start with /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHandlerPanicBeforeAnswer(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	e := startProxy(t, Options{Rules: []Rule{{Host: "panic.invalid", Handler: boom}}})
	resp, err := e.client(e.ca.Pool()).Get("https://panic.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if d := decodeProblem(t, resp); !strings.Contains(fmt.Sprint(d["detail"]), "panic.invalid") {
		t.Errorf("problem %v", d)
	}
}

func TestWaitForInterceptedRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slowRule := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, "done")
	})
	e := startProxy(t, Options{Rules: []Rule{{Host: "slow.invalid", Handler: slowRule}}})
	got := make(chan error, 1)
	go func() {
		resp, err := e.client(e.ca.Pool()).Get("https://slow.invalid/")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.proxy.Wait(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Wait with a request in flight = %v", err)
	}
	close(release)
	if err := e.proxy.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := e.rec.Stats().Recorded; n != 1 {
		t.Errorf("after Wait, %d exchanges recorded, want 1", n)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestUpstreamAbortIsNotACompleteResponse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial ")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the upstream dies mid-body
	})
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			up := httptest.NewUnstartedServer(h)
			if scheme == "https" {
				up.StartTLS()
			} else {
				up.Start()
			}
			defer up.Close()
			e := startProxy(t, Options{Transport: trusting(up)})
			resp, err := e.client(e.ca.Pool()).Get(scheme + "://" + up.Listener.Addr().String() + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				t.Fatalf("the client read %q as a complete response", body)
			}
			if string(body) != "partial " {
				t.Errorf("client got %q before the error", body)
			}
			xs := e.exchanges(1)
			if len(xs) != 1 || len(xs[0].Warnings) == 0 {
				t.Errorf("the capture does not say the response was cut: %+v", xs)
			}
		})
	}
}
