// Package proxy is the gateway's reverse proxy to real upstreams: an
// httputil.ReverseProxy (Rewrite, ModifyResponse, ErrorHandler) over a Transport tuned for
// a gateway, with smooth weighted round-robin across an upstream's targets, active health
// checks, a per-target circuit breaker and retries of idempotent requests. Bodiless GET,
// HEAD, OPTIONS and DELETE requests to plain-HTTP targets take a direct path with the same
// semantics that writes and reads the upstream exchange on the request's goroutine (see
// direct.go).
//
// On the way up it appends the client to X-Forwarded-For and Forwarded (RFC 7239),
// replaces X-Forwarded-Host and X-Forwarded-Proto with what it saw, and passes on a sane
// X-Request-Id or makes one; the id is also set on the response. A valid W3C traceparent
// is continued with a new parent-id for the hop and its tracestate kept; otherwise a new,
// unsampled trace starts and any tracestate is dropped.
//
// Upstream failures become RFC 9457 problems that name the upstream and the configured
// target URL, never a resolved address: 502 when the target cannot be reached, its TLS
// handshake fails or it breaks the exchange, 504 when it is too slow, 503 when no target
// is available. Streamed responses (SSE, chunked) and protocol upgrades (WebSocket) pass
// through unbuffered. Hop-by-hop headers, those the Connection field names included, are
// removed in both directions.
package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// StatusClientClosedRequest is the status recorded (nginx's 499) when the client went
// away before the upstream answered; the client never sees it.
const StatusClientClosedRequest = 499

// maxIdleConnsPerHost is how many idle keep-alive connections are kept per target: a
// gateway sends many concurrent requests to few hosts, far beyond net/http's default of 2.
const maxIdleConnsPerHost = 256

// Options configures a Proxy or a Set. The zero value is usable.
type Options struct {
	// Logger receives operational messages (failed attempts, health and circuit changes);
	// nil discards them.
	Logger *slog.Logger
	// Transport sends requests and health checks to the targets; nil means a Transport
	// built from the upstream's settings (timeouts, keep-alives, no proxy from the
	// environment), which Close shuts down. A Transport given here is not closed.
	Transport http.RoundTripper
	// Now tells the time to the circuit breakers; nil means time.Now.
	Now func() time.Time
	// UpstreamFromContext names the upstream a request is for; a Set uses it to dispatch
	// and a Proxy ignores it. Nil means a Set serves its only upstream.
	UpstreamFromContext func(ctx context.Context) (name string, ok bool)
	// OnError, if set, is called for every request answered with a 502 or 504, with the
	// upstream's name and the kind of failure: "refused" (unreachable), "timeout", "tls"
	// or "other" (a closed connection or an invalid response). For metrics.
	OnError func(upstream, kind string)
}

// Proxy forwards requests to the targets of one upstream. It is an http.Handler, safe
// for concurrent use; Close stops its health checks.
type Proxy struct {
	up  Upstream // with defaults applied
	log *slog.Logger
	now func() time.Time
	rt  http.RoundTripper // sends one attempt
	own *h1Transport      // rt when New built it; closed by Close
	// direct is set when own sends to plain-HTTP targets only: bodiless requests then
	// take the direct path (see serveDirect).
	direct bool
	rp     *httputil.ReverseProxy
	bal    balancer
	// onError is Options.OnError.
	onError func(upstream, kind string)

	ctx       context.Context // cancelled by Close; stops health checks
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	requests, retries, unavailable, unreachable, timeouts,
	tlsFailures, badResponses, clientClosed, circuitOpens atomic.Uint64
}

var (
	_ http.Handler        = (*Proxy)(nil)
	_ http.Handler        = (*Set)(nil)
	_ httputil.BufferPool = (*bufferPool)(nil)
)

// Stats is a snapshot of an upstream's counters, for metrics.
type Stats struct {
	// Upstream is the upstream's name.
	Upstream string `json:"upstream"`
	// Requests counts the requests the proxy was asked to serve.
	Requests uint64 `json:"requests"`
	// Retries counts the extra attempts made after a transport failure.
	Retries uint64 `json:"retries"`
	// Unavailable counts 503s: no target was healthy with a closed circuit.
	Unavailable uint64 `json:"unavailable"`
	// Unreachable counts 502s for targets that refused the connection or could not be
	// reached.
	Unreachable uint64 `json:"unreachable"`
	// Timeouts counts 504s: a target did not connect or answer in time.
	Timeouts uint64 `json:"timeouts"`
	// TLSFailures counts 502s for failed TLS handshakes with a target.
	TLSFailures uint64 `json:"tlsFailures"`
	// BadResponses counts 502s for targets that dropped the connection or sent an
	// invalid response.
	BadResponses uint64 `json:"badResponses"`
	// ClientClosed counts requests whose client went away before the target answered.
	ClientClosed uint64 `json:"clientClosed"`
	// CircuitOpens counts the times a target's circuit opened.
	CircuitOpens uint64 `json:"circuitOpens"`
	// Targets holds per-target state, in configuration order.
	Targets []TargetStats `json:"targets"`
}

// TargetStats is a snapshot of one target's state and counters.
type TargetStats struct {
	// URL is the target's configured URL.
	URL string `json:"url"`
	// Weight is the target's effective weight.
	Weight int `json:"weight"`
	// Healthy is false while active health checks keep the target out of rotation.
	Healthy bool `json:"healthy"`
	// Circuit is the state of the target's circuit breaker (closed if there is none).
	Circuit CircuitState `json:"circuit"`
	// Requests counts the attempts sent to the target, retries included.
	Requests uint64 `json:"requests"`
	// Failures counts the attempts that failed: transport errors and 502/503/504.
	Failures uint64 `json:"failures"`
}

// New returns a Proxy for u, which must pass Validate; zero settings take their defaults.
// Health checks, if configured, start at once and run until Close.
func New(u Upstream, opts Options) (*Proxy, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	u = u.withDefaults()
	p := &Proxy{up: u, log: opts.Logger, now: opts.Now, rt: opts.Transport, onError: opts.OnError}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rt == nil {
		p.own = newTransport(u)
		p.rt = p.own
	}
	for i, tc := range u.Targets {
		tu, _ := parseTargetURL(tc.URL) // checked by Validate
		t := &target{index: i, url: tu, raw: tc.URL, weight: tc.Weight, hostPort: hostPort(tu)}
		t.healthy.Store(true)
		t.cb = breaker{cfg: u.CircuitBreaker, state: CircuitClosed}
		p.bal.targets = append(p.bal.targets, t)
	}
	p.direct = p.own != nil
	for _, t := range p.bal.targets {
		p.direct = p.direct && t.url.Scheme == "http"
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      roundTripperFunc(p.roundTrip),
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.handleError,
		ErrorLog:       slog.NewLogLogger(p.log.With("upstream", u.Name).Handler(), slog.LevelWarn),
		BufferPool:     &bufferPool{},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.startHealthChecks()
	return p, nil
}

// newTransport returns the transport for u's targets: bodiless idempotent requests to
// plain-HTTP targets take the direct HTTP/1.1 path, the rest a net/http Transport. Both
// keep connections alive with a pool sized for a gateway, bound dials and TLS handshakes
// by ConnectTimeout and response headers by ReadTimeout, ignore proxy environment
// variables and never decompress; HTTP/2 is attempted only when a target is https.
func newTransport(u Upstream) *h1Transport {
	d := &net.Dialer{Timeout: u.ConnectTimeout.Std(), KeepAlive: 30 * time.Second}
	h2 := false
	for _, t := range u.Targets {
		h2 = h2 || strings.HasPrefix(t.URL, "https:")
	}
	return newH1Transport(&http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     h2,
		MaxIdleConns:          maxIdleConnsPerHost * len(u.Targets),
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   u.ConnectTimeout.Std(),
		ResponseHeaderTimeout: u.ReadTimeout.Std(),
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}, d, u.ReadTimeout.Std(), maxIdleConnsPerHost)
}

// Name returns the upstream's name.
func (p *Proxy) Name() string { return p.up.Name }

// Close stops the health checks and closes idle connections of the Transport New built.
// Requests under way finish. It is safe to call more than once and always returns nil.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
		if p.own != nil {
			p.own.close()
		}
	})
	return nil
}

// Stats returns a snapshot of the upstream's counters and its targets' state.
func (p *Proxy) Stats() Stats {
	s := Stats{
		Upstream:     p.up.Name,
		Requests:     p.requests.Load(),
		Retries:      p.retries.Load(),
		Unavailable:  p.unavailable.Load(),
		Unreachable:  p.unreachable.Load(),
		Timeouts:     p.timeouts.Load(),
		TLSFailures:  p.tlsFailures.Load(),
		BadResponses: p.badResponses.Load(),
		ClientClosed: p.clientClosed.Load(),
		CircuitOpens: p.circuitOpens.Load(),
	}
	for _, t := range p.bal.targets {
		s.Targets = append(s.Targets, TargetStats{
			URL:      t.raw,
			Weight:   t.weight,
			Healthy:  t.healthy.Load(),
			Circuit:  p.bal.circuit(t),
			Requests: t.requests.Load(),
			Failures: t.failures.Load(),
		})
	}
	return s
}

// reqState is what one request carries through the ReverseProxy hooks, in its context.
// Only the request's own goroutine touches it.
type reqState struct {
	id      string  // X-Request-Id sent up and echoed back
	inPath  string  // the client's escaped path, the problem instance
	inHost  string  // the client's Host
	base    url.URL // outbound URL before a target is joined
	target  *target // target of the latest attempt
	gen     uint64  // breaker generation of the first pick
	pending bool    // the first pick has not been reported to the breaker yet
	tried   []*target
	triedA  [4]*target
}

func (st *reqState) wasTried(t *target) bool { return slices.Contains(st.tried, t) }

type stateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// ServeHTTP forwards r to a target of the upstream. The response's X-Request-Id is the
// id sent upstream, whatever the target or an earlier handler set.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	st := &reqState{inPath: r.URL.EscapedPath(), inHost: r.Host}
	if ids := r.Header.Values("X-Request-Id"); len(ids) == 1 && saneRequestID(ids[0]) {
		st.id = ids[0]
	} else {
		st.id = newRequestID()
	}
	w.Header().Del("X-Request-Id") // ModifyResponse or handleError sets it
	t, gen := p.bal.pick(p.now(), nil)
	if t == nil {
		p.unavailable.Add(1)
		unhealthy, open := p.bal.unavailable(p.now())
		p.log.Warn("no upstream target available", "upstream", p.up.Name, "unhealthy", unhealthy, "circuitOpen", open, "requestId", st.id)
		d := problem.New(http.StatusServiceUnavailable, "upstream-unavailable",
			fmt.Sprintf("Upstream %q has no target available (%d unhealthy, %d with an open circuit); try again later.", p.up.Name, unhealthy, open))
		d.Extra = map[string]any{"upstream": p.up.Name}
		w.Header().Set("X-Request-Id", st.id)
		problem.Write(w, r, d)
		return
	}
	st.target, st.gen, st.pending = t, gen, true
	st.tried = append(st.triedA[:0], t)
	if p.directEligible(r) {
		p.serveDirect(w, r, st)
	} else {
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	}
	if st.pending { // the request never reached the transport: free a half-open slot
		p.bal.report(t, gen, outcomeNone, p.now())
	}
}

// rewrite is the ReverseProxy's Rewrite hook: forwarding, request-id and trace headers,
// prefix stripping and the first target. The ReverseProxy has already removed
// hop-by-hop headers (those Connection names included) and inbound forwarding headers
// from pr.Out.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	st := stateFrom(out.Context())
	if prior := in.Header["X-Forwarded-For"]; len(prior) > 0 {
		out.Header["X-Forwarded-For"] = slices.Clone(prior)
	}
	pr.SetXForwarded()
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	fwd := ForwardedElement{For: forNode(in.RemoteAddr), Host: in.Host, Proto: proto}.String()
	if prior := in.Header.Values("Forwarded"); len(prior) > 0 {
		if _, err := ParseForwarded(prior...); err == nil {
			fwd = strings.Join(prior, ", ") + ", " + fwd
		} else {
			p.log.Debug("dropping a malformed Forwarded header", "upstream", p.up.Name, "requestId", st.id, "err", err)
		}
	}
	out.Header.Set("Forwarded", fwd)
	out.Header.Set("X-Request-Id", st.id)
	tp, continued := nextHop(in.Header.Values("Traceparent"))
	out.Header.Set("Traceparent", tp.String())
	if !continued {
		out.Header.Del("Tracestate") // it belongs to a trace we do not continue
	}
	if p.up.StripPrefix != "" {
		stripPrefix(out.URL, p.up.StripPrefix)
	}
	st.base = *out.URL
	p.aim(out, st.target, st)
}

// forNode returns the Forwarded "for" node of a RemoteAddr: the client's IP without its
// port, or "unknown".
func forNode(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return "unknown"
	}
	return ForwardedNode(host)
}

// stripPrefix removes prefix (no trailing slash) from u's path if the path is the prefix
// or continues it with "/".
func stripPrefix(u *url.URL, prefix string) {
	path := u.Path
	if path != prefix && !strings.HasPrefix(path, prefix+"/") {
		return
	}
	rest := path[len(prefix):]
	if rest == "" {
		rest = "/"
	}
	raw := ""
	if u.RawPath != "" {
		ep, eprefix := u.EscapedPath(), (&url.URL{Path: prefix}).EscapedPath()
		if strings.HasPrefix(ep, eprefix) {
			if raw = ep[len(eprefix):]; raw == "" {
				raw = "/"
			}
		}
	}
	u.Path, u.RawPath = rest, raw
}

// aim points out at target t: its URL (see targetURL) and the Host header.
func (p *Proxy) aim(out *http.Request, t *target, st *reqState) {
	u := targetURL(t, &st.base)
	out.URL = &u
	out.Host = ""
	if p.up.PreserveHost {
		out.Host = st.inHost
	}
}

// targetURL returns base aimed at target t: scheme and host, the target's path joined
// before the request path, and the target's query merged before the request's.
func targetURL(t *target, base *url.URL) url.URL {
	u := *base
	u.Scheme, u.Host = t.url.Scheme, t.url.Host
	u.Path, u.RawPath = joinPaths(t.url, base)
	if tq := t.url.RawQuery; tq != "" {
		if u.RawQuery == "" {
			u.RawQuery = tq
		} else {
			u.RawQuery = tq + "&" + u.RawQuery
		}
	}
	return u
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// idempotent reports whether requests with method m may be sent twice.
func idempotent(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// roundTrip is the ReverseProxy's Transport: it sends req to the picked target and, for
// idempotent requests whose body was not read, retries a transport failure on another
// target (see send). Nothing has been written to the client while it runs.
func (p *Proxy) roundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		return p.rt.RoundTrip(req)
	}
	canRetry := p.up.Retries > 0 && idempotent(req.Method)
	var body *bodyTracker
	if canRetry && req.Body != nil && req.Body != http.NoBody {
		body = &bodyTracker{rc: req.Body}
		req.Body, _ = body.next()
	}
	var nextBody io.ReadCloser
	replay := func() bool {
		if body == nil {
			return true
		}
		b, ok := body.next() // false: the failed attempt read some of the body
		nextBody = b
		return ok
	}
	return p.send(req.Context(), st, canRetry, replay, func(t *target, n int) (*http.Response, error) {
		if n == 0 {
			return p.rt.RoundTrip(req)
		}
		out := req.Clone(req.Context())
		if body != nil {
			out.Body = nextBody
		}
		p.aim(out, t, st)
		return p.rt.RoundTrip(out)
	})
}

// send makes the attempts of one request: the first to st.target and, after a transport
// failure that may be retried (canRetry, the upstream's retry budget, retryable, and
// replay agreeing), each further one to a target not tried yet if there is one. Every
// attempt's outcome goes to its target's circuit breaker.
func (p *Proxy) send(ctx context.Context, st *reqState, canRetry bool, replay func() bool,
	attempt func(t *target, n int) (*http.Response, error)) (*http.Response, error) {
	t, gen := st.target, st.gen
	for n := 0; ; n++ {
		t.requests.Add(1)
		resp, err := attempt(t, n)
		o := outcomeSuccess
		switch {
		case err != nil && ctx.Err() != nil:
			o = outcomeNone
		case err != nil:
			o = outcomeFailure
		case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
			o = outcomeFailure
		}
		st.pending = false
		switch p.bal.report(t, gen, o, p.now()) {
		case CircuitOpen:
			p.circuitOpens.Add(1)
			p.log.Warn("circuit opened; target taken out of rotation", "upstream", p.up.Name, "target", t.raw, "for", p.up.CircuitBreaker.OpenFor.Std())
		case CircuitClosed:
			p.log.Info("circuit closed; target back in rotation", "upstream", p.up.Name, "target", t.raw)
		}
		if err == nil {
			return resp, nil
		}
		if !canRetry || n >= p.up.Retries || ctx.Err() != nil || !retryable(err) || !replay() {
			return nil, err
		}
		now := p.now()
		nt, ngen := p.bal.pick(now, st.wasTried)
		if nt == nil {
			nt, ngen = p.bal.pick(now, nil)
		}
		if nt == nil {
			return nil, err
		}
		p.retries.Add(1)
		p.log.Debug("retrying on another target", "upstream", p.up.Name, "failed", t.raw, "next", nt.raw, "requestId", st.id, "err", err)
		t, gen = nt, ngen
		st.target = t
		st.tried = append(st.tried, t)
	}
}

// retryable reports whether a failed attempt may be repeated: any transport failure but a
// timeout waiting for the response (a slow target should not get the request twice).
func retryable(err error) bool { return classify(err) != failReadTimeout }

// bodyTracker lets a request body be handed to several attempts in turn, as long as no
// attempt has read any of it. Reads of an attempt that is no longer current fail.
type bodyTracker struct {
	mu      sync.Mutex
	rc      io.ReadCloser
	read    int64
	current int
}

// next returns the body for a new attempt, or false if some of it was already read.
func (b *bodyTracker) next() (io.ReadCloser, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.read > 0 {
		return nil, false
	}
	b.current++
	return &attemptBody{b: b, id: b.current}, true
}

var errStaleAttempt = errors.New("proxy: request body read by an abandoned attempt")

type attemptBody struct {
	b  *bodyTracker
	id int
}

func (a *attemptBody) Read(p []byte) (int, error) {
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	if a.id != a.b.current {
		return 0, errStaleAttempt
	}
	n, err := a.b.rc.Read(p)
	a.b.read += int64(n)
	return n, err
}

// Close does nothing: the ReverseProxy and the server own the inbound body.
func (a *attemptBody) Close() error { return nil }

// modifyResponse is the ReverseProxy's ModifyResponse hook.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	if st := stateFrom(resp.Request.Context()); st != nil {
		resp.Header.Set("X-Request-Id", st.id)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The ReverseProxy keeps a 101's hop-by-hop headers for the upgrade; drop any other
		// header the Connection field names.
		for _, f := range resp.Header["Connection"] {
			for name := range strings.SplitSeq(f, ",") {
				name = textproto.TrimString(name)
				if name != "" && !strings.EqualFold(name, "Upgrade") && !strings.EqualFold(name, "Connection") {
					resp.Header.Del(name)
				}
			}
		}
	}
	return nil
}

// failure classifies a transport error for the client and the counters.
type failure int

const (
	failUnreachable failure = iota
	failConnectTimeout
	failReadTimeout
	failTLS
	failBadResponse
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func classify(err error) failure {
	var op *net.OpError
	dial := errors.As(err, &op) && op.Op == "dial"
	switch {
	case isTimeout(err) && dial, strings.Contains(err.Error(), "TLS handshake timeout"):
		return failConnectTimeout
	case isTimeout(err):
		return failReadTimeout
	case isTLSError(err):
		return failTLS
	case dial:
		return failUnreachable
	}
	return failBadResponse
}

func isTLSError(err error) bool {
	var (
		rh tls.RecordHeaderError
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		al tls.AlertError
	)
	return errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || errors.As(err, &al) || strings.Contains(err.Error(), "tls: ")
}

// handleError is the ReverseProxy's ErrorHandler: it answers with a problem naming the
// upstream and the target of the failed attempt, never a resolved address.
func (p *Proxy) handleError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	if st == nil { // not one of ours; cannot happen
		problem.Error(w, r, http.StatusBadGateway, "upstream-bad-response", "The upstream request failed.")
		return
	}
	p.fail(w, r, st, err)
}

// fail answers a request whose attempts failed with err.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, st *reqState, err error) {
	w.Header().Set("X-Request-Id", st.id)
	t := st.target
	log := p.log.With("upstream", p.up.Name, "target", t.raw, "requestId", st.id, "method", r.Method, "path", st.inPath)
	if errors.Is(r.Context().Err(), context.Canceled) {
		p.clientClosed.Add(1)
		log.Debug("client went away before the upstream answered", "err", err)
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status, slug, detail, kind := http.StatusBadGateway, "", "", "other"
	switch classify(err) {
	case failConnectTimeout:
		p.timeouts.Add(1)
		status, slug, kind = http.StatusGatewayTimeout, "upstream-timeout", "timeout"
		detail = fmt.Sprintf("Upstream %q did not accept a connection at %s within %s.", p.up.Name, t.raw, p.up.ConnectTimeout.Std())
	case failReadTimeout:
		p.timeouts.Add(1)
		status, slug, kind = http.StatusGatewayTimeout, "upstream-timeout", "timeout"
		if errors.Is(err, context.DeadlineExceeded) {
			detail = fmt.Sprintf("Upstream %q at %s did not answer in time.", p.up.Name, t.raw)
		} else {
			detail = fmt.Sprintf("Upstream %q at %s did not answer within %s.", p.up.Name, t.raw, p.up.ReadTimeout.Std())
		}
	case failTLS:
		p.tlsFailures.Add(1)
		slug, kind = "upstream-tls", "tls"
		detail = fmt.Sprintf("The TLS handshake with upstream %q at %s failed.", p.up.Name, t.raw)
	case failUnreachable:
		p.unreachable.Add(1)
		slug, kind = "upstream-unreachable", "refused"
		detail = fmt.Sprintf("Upstream %q could not be reached at %s: the connection was refused or the host is unreachable.", p.up.Name, t.raw)
	default:
		p.badResponses.Add(1)
		slug = "upstream-bad-response"
		detail = fmt.Sprintf("Upstream %q at %s closed the connection or sent an invalid response.", p.up.Name, t.raw)
	}
	log.Warn("upstream request failed", "status", status, "err", err)
	if p.onError != nil {
		p.onError(p.up.Name, kind)
	}
	d := problem.New(status, slug, detail)
	d.Instance = st.inPath
	d.Extra = map[string]any{"upstream": p.up.Name, "target": t.raw}
	problem.Write(w, r, d)
}

// bufferPool recycles the ReverseProxy's copy buffers.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }
