// Package intercept is Gantry's intercepting forward proxy, in the manner of HTTP Toolkit
// or mitmproxy: clients configured to use it as their HTTP and HTTPS proxy have their
// traffic forwarded upstream and captured, HTTPS included, with certificates issued by the
// local CA (package ca) that the client must trust.
//
// CONNECT requests are handled by goproxy, always with the local CA (never goproxy's
// built-in one); the requests it decrypts and plain proxy requests are served by one
// handler chain: capture, then a rule's handler or an httputil.ReverseProxy to the
// upstream. Upstream failures reach the client as RFC 9457 problem documents.
package intercept

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/intercept/ca"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// ModeIntercept is the model.Exchange Mode of every exchange the proxy captures.
const ModeIntercept = "intercept"

// CADownloadPath is the path at which the proxy, asked directly rather than as a proxy,
// serves its CA certificate (as mitmproxy serves it at mitm.it).
const CADownloadPath = "/gantry-ca.pem"

// Options configures a Proxy. Only CA is required; every other zero value is a working
// default.
type Options struct {
	// CA issues the certificates presented to clients for intercepted HTTPS hosts. Required.
	CA *ca.CA
	// Recorder receives every intercepted exchange; nil captures nothing.
	Recorder *capture.Recorder
	// ExcludeHosts are host patterns (see MatchHost) the proxy does not intercept: a CONNECT
	// to them becomes a blind tunnel (the client sees the host's own certificate) and plain
	// HTTP requests to them are forwarded without capture. A host that a Rule matches is
	// intercepted regardless. nil intercepts every host.
	ExcludeHosts []string
	// Rules answer matching requests from a handler instead of the network; the first
	// matching rule wins. nil forwards every request upstream.
	Rules []Rule
	// Transport sends requests upstream. nil means DefaultTransport(). Whatever it is, the
	// proxy dials CONNECT tunnels directly, never through another proxy.
	Transport http.RoundTripper
	// MaxBodyBytes is how many bytes of each request and response body are captured;
	// bodies always pass through whole and streaming. 0 means capture.DefaultBodyLimit
	// (64 KiB); a negative value captures no body bytes.
	MaxBodyBytes int64
	// KeepSecrets captures credentials verbatim. false (the default) redacts them as
	// package capture does: Authorization, Proxy-Authorization, Cookie, Set-Cookie, API-key
	// headers and secret-looking query parameters.
	KeepSecrets bool
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// Rule answers the requests it matches from Handler, without touching the network, for
// example from a mock of the API the host serves.
type Rule struct {
	// Host is a host pattern (see MatchHost) the request's host must match. Required.
	Host string
	// PathPrefix, if set, further limits the rule to requests whose path is PathPrefix or
	// below it ("/v1" matches "/v1" and "/v1/pets" but not "/v10"). "" matches every path.
	PathPrefix string
	// Handler answers the matched requests. Their URL is absolute (scheme, host, path and
	// query as the client asked); capture.FromContext gives the exchange being captured.
	// Required.
	Handler http.Handler
}

// Proxy is an intercepting forward proxy; use it as the handler of an HTTP server whose
// address clients are given as their proxy. It is safe for concurrent use.
type Proxy struct {
	log       *slog.Logger
	ca        *ca.CA
	transport http.RoundTripper
	exclude   []hostPattern
	rules     []rule
	dialer    func(ctx context.Context, network, addr string) (net.Conn, error)

	gp       *goproxy.ProxyHttpServer
	rp       *httputil.ReverseProxy
	captured http.Handler // capture (if any) around serve
	direct   http.Handler // serve, uncaptured: for excluded hosts

	tunnel, mitm *goproxy.ConnectAction
	busy         inflight // requests being answered on intercepted connections
}

var _ http.Handler = (*Proxy)(nil)

// rule is a Rule with its host pattern parsed.
type rule struct {
	Rule
	host hostPattern
}

// DefaultTransport returns a new transport tuned for the proxy: it ignores the proxy
// environment variables (Proxy is nil), so the proxy never loops through itself or
// another proxy; it verifies upstream certificates against the system roots; it leaves
// compression to the client (DisableCompression), so bodies pass through as sent; and it
// bounds connecting (30s) and TLS handshakes (10s) but not how long a response may take.
func DefaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// New returns a Proxy configured by opts, or an error if opts is invalid (no CA, a bad
// host pattern, a rule without a handler).
func New(opts Options) (*Proxy, error) {
	if opts.CA == nil {
		return nil, errors.New("intercept: Options.CA is required")
	}
	p := &Proxy{log: opts.Logger, ca: opts.CA, transport: opts.Transport}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for _, pat := range opts.ExcludeHosts {
		hp, err := parseHostPattern(pat)
		if err != nil {
			return nil, fmt.Errorf("excluded host: %w", err)
		}
		p.exclude = append(p.exclude, hp)
	}
	for i, r := range opts.Rules {
		hp, err := parseHostPattern(r.Host)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		if r.Handler == nil {
			return nil, fmt.Errorf("rule %d (%s): no handler", i+1, r.Host)
		}
		if r.PathPrefix != "" {
			if !strings.HasPrefix(r.PathPrefix, "/") {
				return nil, fmt.Errorf("rule %d (%s): path prefix %q must start with /", i+1, r.Host, r.PathPrefix)
			}
			r.PathPrefix = strings.TrimSuffix(r.PathPrefix, "/")
		}
		p.rules = append(p.rules, rule{Rule: r, host: hp})
	}

	tr, isTransport := p.transport.(*http.Transport)
	if p.transport == nil {
		tr, isTransport = DefaultTransport(), true
		p.transport = tr
	}
	if isTransport && tr.DialContext != nil {
		p.dialer = tr.DialContext
	} else {
		p.dialer = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}

	p.rp = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    p.transport,
		ErrorHandler: p.upstreamError,
		// What it logs is about clients or upstreams going away mid-response.
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	p.direct = http.HandlerFunc(p.serve)
	p.captured = p.direct
	if opts.Recorder != nil {
		p.captured = capture.Middleware(opts.Recorder, capture.CaptureOptions{
			BodyLimit:   opts.MaxBodyBytes,
			KeepSecrets: opts.KeepSecrets,
		})(p.direct)
	}

	p.tunnel = &goproxy.ConnectAction{Action: goproxy.ConnectAccept}
	p.mitm = &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: p.tlsConfig}
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = goproxyLogger{p.log}
	// NewProxyHttpServer reads HTTPS_PROXY into ConnectDial and gives Tr proxy settings from
	// the environment and no certificate verification: replace all three.
	gp.ConnectDial = nil
	gp.ConnectDialWithReq = func(req *http.Request, network, addr string) (net.Conn, error) {
		return p.dialer(req.Context(), network, addr)
	}
	if isTransport {
		gp.Tr = tr
	} else {
		gp.Tr = DefaultTransport()
	}
	gp.ConnectionErrHandler = p.connectFailed
	gp.NonproxyHandler = http.HandlerFunc(p.nonProxy)
	gp.OnRequest().HandleConnect(goproxy.FuncHttpsHandler(p.handleConnect))
	gp.OnRequest().DoFunc(p.handleDecrypted)
	p.gp = gp
	return p, nil
}

// ServeHTTP serves one request to the proxy: a CONNECT (intercepted, or tunnelled for
// excluded hosts), a plain proxy request (absolute URL), or a direct request, which gets
// the CA certificate at CADownloadPath and a 400 problem elsewhere.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		p.gp.ServeHTTP(w, r)
	case r.URL.IsAbs() && r.URL.Host != "":
		if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
			problem.Error(w, r, http.StatusBadRequest, "unsupported-scheme",
				fmt.Sprintf("The proxy forwards http and https URLs, not %s.", r.URL.Scheme))
			return
		}
		r2 := r.WithContext(r.Context())
		r2.RequestURI = r.URL.RequestURI() // capture the path and query, not the absolute URL
		h := p.captured
		if p.excluded(withDefaultPort(r.URL.Host, r.URL.Scheme)) {
			h = p.direct
		}
		h.ServeHTTP(switchGuard{w}, r2)
	default:
		p.nonProxy(w, r)
	}
}

// Wait blocks until no request is being answered on an intercepted (hijacked) connection,
// or until ctx is done, and returns ctx's error in that case. http.Server.Shutdown does not
// wait for such requests; call Wait after it, so that their exchanges reach the Recorder
// before it is closed.
func (p *Proxy) Wait(ctx context.Context) error { return p.busy.wait(ctx) }

// handleConnect decides what a CONNECT becomes: a blind tunnel for excluded hosts, else
// interception with a certificate from our CA.
func (p *Proxy) handleConnect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	if p.excluded(host) {
		p.log.Debug("tunnelling excluded host", "host", host)
		return p.tunnel, host
	}
	// goproxy hands UserData on to the requests it decrypts from this connection.
	ctx.UserData = connectInfo{server: ctx.Req.Context().Value(http.ServerContextKey)}
	return p.mitm, host
}

// connectInfo carries what the decrypted requests of an intercepted CONNECT need from it.
type connectInfo struct {
	// server is the *http.Server that accepted the CONNECT. Decrypted requests carry it
	// under http.ServerContextKey, as requests the server reads itself do, so that
	// ReverseProxy aborts (rather than cleanly ends) a response whose upstream failed midway.
	server any
}

// tlsSetupFailed marks a CONNECT whose interception certificate could not be made.
type tlsSetupFailed struct{}

// tlsConfig is the ConnectAction.TLSConfig of intercepted hosts: a leaf from our CA.
func (p *Proxy) tlsConfig(host string, ctx *goproxy.ProxyCtx) (*tls.Config, error) {
	cfg, err := p.ca.TLSConfigForHost(host)
	if err != nil {
		ctx.UserData = tlsSetupFailed{}
		p.log.Warn("cannot issue an interception certificate", "host", host, "err", err)
	}
	return cfg, err
}

// connectFailed answers a CONNECT whose tunnel could not be dialled with a problem.
func (p *Proxy) connectFailed(w io.Writer, ctx *goproxy.ProxyCtx, err error) {
	if _, ok := ctx.UserData.(tlsSetupFailed); ok {
		return // the client expects a TLS handshake, not an HTTP answer; already logged
	}
	host := ""
	if ctx.Req != nil {
		host = ctx.Req.URL.Host
	}
	p.log.Debug("tunnel failed", "host", host, "err", err)
	if werr := problemResponse(upstreamProblem(host, err)).Write(w); werr != nil {
		p.log.Debug("answering a failed CONNECT", "host", host, "err", werr)
	}
}

// handleDecrypted answers a request goproxy read from an intercepted connection: the same
// handlers as plain proxy requests serve it, through a pipeWriter.
func (p *Proxy) handleDecrypted(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	if ci, ok := ctx.UserData.(connectInfo); ok && ci.server != nil {
		req = req.WithContext(context.WithValue(req.Context(), http.ServerContextKey, ci.server))
	}
	req.RequestURI = req.URL.RequestURI()
	pw := newPipeWriter(req)
	p.busy.add()
	go p.servePipe(pw, req)
	return req, pw.response()
}

// servePipe runs the handler chain for a decrypted request, recovering from panics as
// net/http would.
func (p *Proxy) servePipe(pw *pipeWriter, req *http.Request) {
	failed := true
	defer p.busy.done()
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			p.log.Error("intercept handler panicked", "url", req.URL.String(), "panic", v)
		}
		pw.finish(failed, problem.New(http.StatusBadGateway, "intercept-failed",
			"The proxy failed while handling the request to "+req.URL.Host+"."))
	}()
	p.captured.ServeHTTP(pw, req)
	failed = false
}

// serve answers one proxied request, from a rule or from the upstream.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	x := capture.FromContext(r.Context())
	if x != nil {
		x.Mode, x.Scheme = ModeIntercept, r.URL.Scheme
		defer func() { x.Mode = ModeIntercept }() // a mock answering a rule labels it "mock"
	}
	if rl := p.matchRule(r); rl != nil {
		rl.Handler.ServeHTTP(w, r)
		return
	}
	p.rp.ServeHTTP(&upgradeWriter{ResponseWriter: w, x: x}, r)
}

// matchRule returns the first rule matching r, or nil.
func (p *Proxy) matchRule(r *http.Request) *rule {
	if len(p.rules) == 0 {
		return nil
	}
	host := withDefaultPort(r.URL.Host, r.URL.Scheme)
	for i := range p.rules {
		rl := &p.rules[i]
		if !rl.host.match(host) {
			continue
		}
		if rl.PathPrefix == "" || r.URL.Path == rl.PathPrefix || strings.HasPrefix(r.URL.Path, rl.PathPrefix+"/") {
			return rl
		}
	}
	return nil
}

// excluded reports whether hostport is excluded from interception (and no rule needs it).
func (p *Proxy) excluded(hostport string) bool {
	for _, hp := range p.exclude {
		if hp.match(hostport) {
			for _, rl := range p.rules {
				if rl.host.match(hostport) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// rewrite keeps the request as the client sent it (its URL is already absolute), except
// for hop-by-hop headers, which ReverseProxy drops. Forwarding headers the client sent are
// kept: an intercepting proxy is transparent.
func rewrite(pr *httputil.ProxyRequest) {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

// upstreamError answers a request the upstream could not answer with a problem naming the
// host: 504 for timeouts, 502 otherwise.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	host := r.URL.Host
	if r.Context().Err() != nil {
		p.log.Debug("client went away", "host", host, "err", err)
	} else {
		p.log.Debug("upstream failed", "host", host, "err", err)
	}
	problem.Write(w, r, upstreamProblem(host, err))
}

// nonProxy answers requests addressed to the proxy itself.
func (p *Proxy) nonProxy(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == CADownloadPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", `attachment; filename="gantry-ca.pem"`)
		if r.Method == http.MethodGet {
			_, _ = w.Write(p.ca.PEM())
		}
		return
	}
	problem.Error(w, r, http.StatusBadRequest, "not-a-proxy-request",
		"This is Gantry's intercept proxy: configure it as the HTTP and HTTPS proxy of your client. "+
			"The CA certificate the client must trust is at "+CADownloadPath+".")
}

// switchGuard wraps the server's ResponseWriter for plain proxy requests. The capture
// records a protocol switch by writing 101 before hijacking (see upgradeWriter); the
// server must not send that, since ReverseProxy writes the real 101 on the hijacked
// connection.
type switchGuard struct{ http.ResponseWriter }

func (g switchGuard) WriteHeader(code int) {
	if code != http.StatusSwitchingProtocols {
		g.ResponseWriter.WriteHeader(code)
	}
}

// Unwrap gives http.ResponseController the server's writer (Flush, Hijack, deadlines).
func (g switchGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// upgradeWriter is what ReverseProxy writes to. When ReverseProxy hijacks the connection
// to switch protocols, it records the 101 in the capture (which otherwise never sees a
// status) and notes that the frames that follow are not captured.
type upgradeWriter struct {
	http.ResponseWriter
	x *model.Exchange
}

// Hijack records the protocol switch and hijacks the underlying connection.
func (u *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	u.ResponseWriter.WriteHeader(http.StatusSwitchingProtocols)
	if u.x != nil {
		u.x.Warnings = append(u.x.Warnings, "the connection switched protocols; what follows the 101 is not captured")
	}
	return http.NewResponseController(u.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the wrapped writer.
func (u *upgradeWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// goproxyLogger routes goproxy's log lines to the slog logger: at debug level, except
// failed client handshakes, which usually mean the client does not trust the CA.
type goproxyLogger struct{ log *slog.Logger }

// Printf logs one goproxy message.
func (l goproxyLogger) Printf(format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	if strings.Contains(msg, "Cannot handshake client") && strings.Contains(msg, "certificate") {
		l.log.Warn("a client rejected the TLS handshake; does it trust the Gantry CA certificate?", "detail", msg)
		return
	}
	l.log.Debug("goproxy: " + msg)
}

// inflight counts running requests and lets callers wait until there are none.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (f *inflight) add() {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *inflight) done() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
	f.mu.Unlock()
}

func (f *inflight) wait(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.n == 0 {
			f.mu.Unlock()
			return nil
		}
		idle := f.idle
		f.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
