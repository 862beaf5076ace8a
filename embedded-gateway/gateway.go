// Package gateway is Gantry's HTTP engine: one http.Handler that serves every API of a
// config.Snapshot side by side, routing each request (by host and path) to its operation,
// running the operation's policy chain, validating the request against the spec, and
// answering from the mock or forwarding to the upstream.
//
// Apply compiles a snapshot into a routing table and swaps it in atomically; a snapshot that
// fails to compile never replaces the one in force. Every error is an RFC 9457 problem.
package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/access"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/builtin"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/embedded-gateway/proxy"
	"github.com/gantry-dev/gantry/embedded-gateway/route"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
)

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// Options configures a Gateway. The zero value is usable: no capture, validation on,
// a 10 MiB request body limit and a discarding logger.
type Options struct {
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Recorder, if set, receives every exchange the gateway serves.
	Recorder *capture.Recorder
	// Capture tunes what the recorder keeps (body cap, secret redaction).
	Capture capture.CaptureOptions
	// MaxBodyBytes caps request bodies (413 beyond); 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// SkipValidation turns request validation off.
	SkipValidation bool
	// CORS answers preflight requests and adds Access-Control-Allow-Origin (the request's
	// Origin, with credentials) to responses, as Prism does; meant for local mocking.
	// False leaves CORS to the API (and to the cors policy).
	CORS bool
	// Policies builds the policy chains; nil means every built-in policy.
	Policies *policy.Registry
	// Shared keeps policy state (rate-limit counters, caches, JWKS) across Apply calls;
	// nil means one owned by the Gateway.
	Shared *policy.Shared
	// ProxyTransport is the transport of every upstream proxy; nil means each proxy's own
	// tuned transport. Tests set it.
	ProxyTransport http.RoundTripper
	// Observe, if set, is called once per request with the API ("" if none matched), the
	// mode, the status and the time taken, for metrics.
	Observe func(api, mode string, status int, d time.Duration)
	// UpstreamError, if set, is called for every request an upstream failed (502/504),
	// with the API, the upstream's name and the kind of failure (see proxy.Options.OnError).
	UpstreamError func(api, upstream, kind string)
}

// Gateway serves the APIs of the snapshot last applied. It is safe for concurrent use.
type Gateway struct {
	opts    Options
	log     *slog.Logger
	state   atomic.Pointer[state]
	handler http.Handler

	mu      sync.Mutex
	lastErr error

	// applyMu serializes Apply, which owns proxies.
	applyMu sync.Mutex
	proxies map[string]*proxy.Set // by proxyKey, the proxies of the state in force
}

// state is one compiled snapshot.
type state struct {
	snap  *config.Snapshot
	hosts []hostTable // exact hosts, then wildcard hosts, then any host ("")
	apis  []*apiRuntime
}

// hostTable is the routing table of the APIs that answer for one host pattern.
type hostTable struct {
	pattern string // "api.example.com", "*.example.com" or "" for any host
	table   *route.Table[*boundOp]
}

type apiRuntime struct {
	api       *config.API
	base      string // normalised BasePath
	validator *validate.Validator
	responder *mock.Responder
	secrets   []secret // credentials the spec declares, redacted in captures
	log       *slog.Logger
	warnOnce  sync.Once

	// Set per Apply (a runtime is shared by the states of unchanged definitions, so these
	// are copied into a fresh runtime when settings change; see compiler.runtime).
	upstreams *proxy.Set // nil without upstream
	hasCORS   bool       // a cors policy is configured, so it answers preflights
}

// secret is a header or query parameter that carries an API key.
type secret struct{ in, name string }

type boundOp struct {
	api     *apiRuntime
	op      *apidef.Operation
	mode    string       // model.ModeMock or model.ModeProxy
	handler http.Handler // the policy chain around the mock or the proxy
	// policies is true when the chain has policies (an identity may come out of it).
	policies bool
}

// New returns a Gateway with no APIs; every request gets 404 until Apply succeeds.
func New(opts Options) *Gateway {
	g := &Gateway{opts: opts, log: opts.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.opts.MaxBodyBytes == 0 {
		g.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if g.opts.Policies == nil {
		g.opts.Policies = builtin.Registry()
	}
	if g.opts.Shared == nil {
		g.opts.Shared = &policy.Shared{}
	}
	g.state.Store(&state{snap: &config.Snapshot{}})
	var h http.Handler = http.HandlerFunc(g.serve)
	if opts.Recorder != nil {
		h = capture.Middleware(opts.Recorder, opts.Capture)(h)
	}
	g.handler = h
	return g
}

// Apply compiles s and makes it the configuration in force. If s cannot be compiled the
// previous configuration stays and the error says why.
func (g *Gateway) Apply(s *config.Snapshot) error {
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	c := &compiler{g: g, reuse: map[runtimeKey]*apiRuntime{}, oldProxies: g.proxies, proxies: map[string]*proxy.Set{}}
	g.opts.Shared.Mark()
	st, err := c.compile(s, g.state.Load())
	g.mu.Lock()
	g.lastErr = err
	g.mu.Unlock()
	if err != nil {
		var rev uint64
		if s != nil {
			rev = s.Revision
		}
		g.log.Error("configuration rejected; keeping the last good one", "revision", rev, "err", err)
		c.closeNew()
		g.opts.Shared.Unmark()
		return err
	}
	g.state.Store(st)
	g.opts.Shared.Sweep()
	c.closeUnused()
	g.proxies = c.proxies
	routes := 0
	for _, h := range st.hosts {
		routes += h.table.Len()
	}
	g.log.Info("configuration applied", "revision", s.Revision, "apis", len(s.APIs), "routes", routes)
	return nil
}

// Close stops the upstream proxies' background work (health checks). Requests under way
// finish; the Gateway must not be used afterwards.
func (g *Gateway) Close() error {
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	var errs []error
	for _, p := range g.proxies {
		errs = append(errs, p.Close())
	}
	g.proxies = nil
	return errors.Join(errs...)
}

// Snapshot returns the snapshot in force and the error of the last Apply (nil if it succeeded).
func (g *Gateway) Snapshot() (*config.Snapshot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.Load().snap, g.lastErr
}

type runtimeKey struct{ name, base, hash string }

func keyOf(a *config.API) runtimeKey {
	return runtimeKey{a.Name, config.NormalizeBasePath(a.BasePath), a.Hash}
}

// ServeHTTP serves one request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

func (g *Gateway) corsOn() bool { return g.opts.CORS }

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	if g.opts.Observe == nil {
		g.route(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	api, mode := g.route(sw, r)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	g.opts.Observe(api, mode, status, time.Since(start))
}

// route finds the request's operation and runs its chain; it returns the API and mode
// that served it ("" if none).
func (g *Gateway) route(w http.ResponseWriter, r *http.Request) (api, mode string) {
	st := g.state.Load()
	x := capture.FromContext(r.Context())
	if g.corsOn() && r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Access-Control-Expose-Headers", "*")
	}
	path := r.URL.EscapedPath()
	m, res, allowed, table := st.lookup(r, path)
	if r.Method == http.MethodOptions && res == route.MethodNotAllowed {
		if g.corsOn() && r.Header.Get("Access-Control-Request-Method") != "" {
			g.preflight(w, r, table, path)
			return "", ""
		}
		// A plain OPTIONS on a known path that declares no OPTIONS operation (a CORS
		// preflight, when a cors policy is configured, is answered by that policy: see
		// below).
		if b := anyOp(table, path); b != nil && b.api.hasCORS && r.Header.Get("Access-Control-Request-Method") != "" {
			g.dispatch(w, r, b, x)
			return b.api.api.Name, b.mode
		}
		w.Header().Set("Allow", strings.Join(append(allowed, "OPTIONS"), ", "))
		w.WriteHeader(http.StatusNoContent)
		return "", ""
	}
	switch res {
	case route.NotFound:
		problem.Write(w, r, notFound(st, r))
		return "", ""
	case route.MethodNotAllowed:
		allowed = append(allowed, "OPTIONS")
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		problem.Error(w, r, http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("%s is not declared for %s; allowed: %s.", r.Method, m.Template, strings.Join(allowed, ", ")))
		return "", ""
	}
	b := m.Value
	g.dispatch(w, r, b, x)
	return b.api.api.Name, b.mode
}

// dispatch runs b's chain, recording the operation and the identity the chain found.
func (g *Gateway) dispatch(w http.ResponseWriter, r *http.Request, b *boundOp, x *model.Exchange) {
	if !lifecycle(w, r, b.api.api) {
		return
	}
	if x == nil {
		b.handler.ServeHTTP(w, r)
		return
	}
	x.API = b.api.api.Name
	x.Operation = b.op.ID
	x.Mode = b.mode
	if !g.opts.Capture.KeepSecrets {
		for _, s := range b.api.secrets {
			capture.RedactSecret(x, s.in, s.name)
		}
	}
	if !b.policies {
		b.handler.ServeHTTP(w, r)
		return
	}
	ctx, identity := policy.WithIdentityHolder(r.Context())
	b.handler.ServeHTTP(w, r.WithContext(ctx))
	if id := identity(); id != nil {
		x.Consumer = id.Subject
	}
}

// serveMock answers r for b from the mock: the spec's security requirement, the body
// limit and request validation first.
func (g *Gateway) serveMock(w http.ResponseWriter, r *http.Request, b *boundOp) {
	x := capture.FromContext(r.Context())
	if d := checkSecurity(b.api.api.Definition, b.op, r); d != nil {
		for _, c := range d.challenges {
			w.Header().Add("WWW-Authenticate", c)
		}
		if x != nil {
			x.Violations = append(x.Violations, model.Violation{In: "security", Message: d.detail})
		}
		problem.Error(w, r, http.StatusUnauthorized, "unauthorized", d.detail)
		return
	}
	body, ok := g.readBody(w, r)
	if !ok || !g.validate(w, r, b, body) {
		return
	}
	res := b.api.responder.Respond(w, r, b.op)
	if x != nil && len(res.Warnings) > 0 {
		x.Warnings = append(x.Warnings, res.Warnings...)
	}
}

// serveProxy forwards r for b to the API's upstream, after request validation unless it
// is off. Without validation the body streams through unread.
func (g *Gateway) serveProxy(w http.ResponseWriter, r *http.Request, b *boundOp) {
	if !b.api.api.NoValidation && !g.opts.SkipValidation {
		body, ok := g.readBody(w, r)
		if !ok || !g.validate(w, r, b, body) {
			return
		}
	}
	b.api.upstreams.ServeHTTP(w, r)
}

// readBody reads the request body up to the limit (413 beyond) and puts it back, unread,
// for what comes next. ok is false if an answer was written.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.opts.MaxBodyBytes+1))
	if err != nil {
		if limit, ok := access.TooLargeLimit(err); ok {
			access.WriteTooLarge(w, r, limit)
			return nil, false
		}
		problem.Error(w, r, http.StatusBadRequest, "unreadable-body", "The request body could not be read: "+err.Error())
		return nil, false
	}
	if int64(len(body)) > g.opts.MaxBodyBytes {
		problem.Error(w, r, http.StatusRequestEntityTooLarge, "body-too-large",
			fmt.Sprintf("The request body exceeds the limit of %d bytes.", g.opts.MaxBodyBytes))
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// validate checks r against b's operation; false means a problem was written.
func (g *Gateway) validate(w http.ResponseWriter, r *http.Request, b *boundOp, body []byte) bool {
	if g.opts.SkipValidation || b.api.api.NoValidation {
		return true
	}
	x := capture.FromContext(r.Context())
	rel := strings.TrimPrefix(r.URL.EscapedPath(), b.api.base)
	if rel == "" {
		rel = "/"
	}
	vs, err := b.api.validator.RequestWithBody(r, b.op, rel, body)
	if err != nil {
		// The error is cached per operation; say so once, not on every request.
		b.api.warnOnce.Do(func() {
			g.log.Warn("request validator unavailable; requests are served unvalidated", "api", b.api.api.Name, "operation", b.op.ID, "err", err)
		})
		warning := "request not validated: " + err.Error()
		mock.AddWarnings(w.Header(), warning)
		if x != nil {
			x.Warnings = append(x.Warnings, warning)
		}
	}
	if len(vs) > 0 {
		if x != nil {
			x.Violations = append(x.Violations, vs...)
		}
		problem.Write(w, r, invalidRequest(b.op, vs))
		return false
	}
	return true
}

// statusWriter remembers the status written, for Observe.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flush, hijack, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes on, for streamed responses.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, table *route.Table[*boundOp], path string) {
	var methods []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		if _, res, _ := table.Lookup(m, path); res == route.Found {
			methods = append(methods, m)
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
	if reqH := r.Header.Get("Access-Control-Request-Headers"); reqH != "" {
		h.Set("Access-Control-Allow-Headers", reqH)
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Allow", strings.Join(append(methods, "OPTIONS"), ", "))
	w.WriteHeader(http.StatusNoContent)
}

func notFound(st *state, r *http.Request) *problem.Details {
	var bases []string
	for _, a := range st.apis {
		bp := a.base
		if bp == "" {
			bp = "/"
		}
		bases = append(bases, fmt.Sprintf("%s (%s)", bp, a.api.Name))
	}
	sort.Strings(bases)
	detail := fmt.Sprintf("No operation matches %s %s.", r.Method, r.URL.Path)
	if len(bases) > 0 {
		detail += " APIs are mounted at: " + strings.Join(bases, ", ") + "."
	} else {
		detail += " No API is loaded."
	}
	return problem.New(http.StatusNotFound, "no-route", detail)
}

// invalidRequest picks the status the operation declares for bad requests: 422 for body
// problems if declared, else 400 if declared, else 422 if declared; with neither declared,
// 404 when only path parameters are wrong and the operation declares 404 (no such
// resource, and an answer its clients expect), else 400.
func invalidRequest(op *apidef.Operation, vs []model.Violation) *problem.Details {
	declared := map[string]bool{}
	for _, r := range op.Responses {
		declared[r.Status] = true
	}
	bodyProblem, onlyPath := false, len(vs) > 0
	for _, v := range vs {
		if v.In == "body" {
			bodyProblem = true
		}
		if v.In != "path" {
			onlyPath = false
		}
	}
	status := http.StatusBadRequest
	switch {
	case bodyProblem && declared["422"]:
		status = http.StatusUnprocessableEntity
	case declared["400"]:
	case declared["422"]:
		status = http.StatusUnprocessableEntity
	case onlyPath && declared["404"] && !declared["4XX"] && !declared["default"]:
		status = http.StatusNotFound
	}
	d := problem.New(status, "invalid-request", "")
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		d.Errors = append(d.Errors, problem.Violation{In: v.In, Name: v.Name, Detail: v.Message})
		where := v.In
		if v.Name != "" {
			where += " " + v.Name
		}
		parts = append(parts, where+": "+v.Message)
	}
	noun := "violation"
	if len(vs) > 1 {
		noun = "violations"
	}
	d.Detail = fmt.Sprintf("The request does not match operation %s (%d %s): %s", op.ID, len(vs), noun, strings.Join(parts, "; "))
	return d
}
