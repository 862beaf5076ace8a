// Package gateway is Gantry's HTTP engine: one http.Handler that serves every API of a
// config.Snapshot side by side, routing each request to its operation, checking credentials
// and validating the request against the spec, and answering from the mock.
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

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/capture"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
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
	// False leaves CORS to the API.
	CORS bool
}

// Gateway serves the APIs of the snapshot last applied. It is safe for concurrent use.
type Gateway struct {
	opts    Options
	log     *slog.Logger
	state   atomic.Pointer[state]
	handler http.Handler

	mu      sync.Mutex
	lastErr error
}

// state is one compiled snapshot.
type state struct {
	snap  *config.Snapshot
	table *route.Table[*boundOp]
	apis  []*apiRuntime
}

type apiRuntime struct {
	api       *config.API
	base      string // normalised BasePath
	validator *validate.Validator
	responder *mock.Responder
	secrets   []secret // credentials the spec declares, redacted in captures
	log       *slog.Logger
	warnOnce  sync.Once
}

// secret is a header or query parameter that carries an API key.
type secret struct{ in, name string }

type boundOp struct {
	api *apiRuntime
	op  *apidef.Operation
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
	g.state.Store(&state{snap: &config.Snapshot{}, table: &route.Table[*boundOp]{}})
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
	st, err := compile(s, g.state.Load(), g.log)
	g.mu.Lock()
	g.lastErr = err
	g.mu.Unlock()
	if err != nil {
		var rev uint64
		if s != nil {
			rev = s.Revision
		}
		g.log.Error("configuration rejected; keeping the last good one", "revision", rev, "err", err)
		return err
	}
	g.state.Store(st)
	g.log.Info("configuration applied", "revision", s.Revision, "apis", len(s.APIs), "routes", st.table.Len())
	return nil
}

// Snapshot returns the snapshot in force and the error of the last Apply (nil if it succeeded).
func (g *Gateway) Snapshot() (*config.Snapshot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.Load().snap, g.lastErr
}

// compile builds the routing state for s. Runtimes (validators, responders and their caches)
// of APIs whose name, mount and content are unchanged are carried over from prev.
func compile(s *config.Snapshot, prev *state, log *slog.Logger) (*state, error) {
	if s == nil {
		return nil, errors.New("nil snapshot")
	}
	reuse := map[runtimeKey]*apiRuntime{}
	if prev != nil {
		for _, rt := range prev.apis {
			reuse[keyOf(rt.api)] = rt
		}
	}
	st := &state{snap: s, table: &route.Table[*boundOp]{}}
	var errs []error
	sources := map[string]string{}
	for i, a := range s.APIs {
		if a == nil || a.Definition == nil {
			name := fmt.Sprintf("#%d", i+1)
			if a != nil {
				name = fmt.Sprintf("%q (%s)", a.Name, a.Source)
			}
			errs = append(errs, fmt.Errorf("API %s has no definition", name))
			continue
		}
		if src, dup := sources[a.Name]; dup {
			errs = append(errs, fmt.Errorf("API name %q is used by both %s and %s; give one of them another name", a.Name, src, a.Source))
			continue
		}
		sources[a.Name] = a.Source
		base := config.NormalizeBasePath(a.BasePath)
		rt := reuse[keyOf(a)]
		if rt == nil {
			rt = &apiRuntime{
				api:       a,
				base:      base,
				validator: validate.New(a.Definition),
				responder: mock.NewResponder(a.Definition, apidef.NewChecker(a.Definition), mock.Options{}),
				log:       log,
			}
			for _, sch := range a.Definition.SecuritySchemes {
				if sch.Type == "apiKey" && (sch.In == "header" || sch.In == "query" || sch.In == "") {
					in := sch.In
					if in == "" {
						in = "header"
					}
					rt.secrets = append(rt.secrets, secret{in: in, name: sch.Name})
				}
			}
		}
		st.apis = append(st.apis, rt)
		for _, op := range a.Definition.Operations {
			if err := st.table.Add(op.Method, base+op.Path, &boundOp{api: rt, op: op}); err != nil {
				errs = append(errs, fmt.Errorf("API %s (%s): %w", a.Name, a.Source, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return st, nil
}

type runtimeKey struct{ name, base, hash string }

func keyOf(a *config.API) runtimeKey {
	return runtimeKey{a.Name, config.NormalizeBasePath(a.BasePath), a.Hash}
}

// ServeHTTP serves one request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

func (g *Gateway) corsOn() bool { return g.opts.CORS }

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	st := g.state.Load()
	x := capture.FromContext(r.Context())
	if g.corsOn() && r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Access-Control-Expose-Headers", "*")
	}
	path := r.URL.EscapedPath()
	m, res, allowed := st.table.Lookup(r.Method, path)
	if r.Method == http.MethodOptions && res == route.MethodNotAllowed {
		if g.corsOn() && r.Header.Get("Access-Control-Request-Method") != "" {
			g.preflight(w, r, st, path)
			return
		}
		// A plain OPTIONS on a known path that declares no OPTIONS operation.
		w.Header().Set("Allow", strings.Join(append(allowed, "OPTIONS"), ", "))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch res {
	case route.NotFound:
		problem.Write(w, r, notFound(st, r))
		return
	case route.MethodNotAllowed:
		allowed = append(allowed, "OPTIONS")
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		problem.Error(w, r, http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("%s is not declared for %s; allowed: %s.", r.Method, m.Template, strings.Join(allowed, ", ")))
		return
	}
	b := m.Value
	if x != nil {
		x.API = b.api.api.Name
		x.Operation = b.op.ID
		x.Mode = "mock"
		if !g.opts.Capture.KeepSecrets {
			for _, s := range b.api.secrets {
				capture.RedactSecret(x, s.in, s.name)
			}
		}
	}
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
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, g.opts.MaxBodyBytes+1))
		if err != nil {
			problem.Error(w, r, http.StatusBadRequest, "unreadable-body", "The request body could not be read: "+err.Error())
			return
		}
		if int64(len(body)) > g.opts.MaxBodyBytes {
			problem.Error(w, r, http.StatusRequestEntityTooLarge, "body-too-large",
				fmt.Sprintf("The request body exceeds the limit of %d bytes.", g.opts.MaxBodyBytes))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // unread: the mock may seed from it
	}
	if !g.opts.SkipValidation {
		rel := strings.TrimPrefix(path, b.api.base)
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
			return
		}
	}
	res2 := b.api.responder.Respond(w, r, b.op)
	if x != nil && len(res2.Warnings) > 0 {
		x.Warnings = append(x.Warnings, res2.Warnings...)
	}
}

func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, st *state, path string) {
	var methods []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		if _, res, _ := st.table.Lookup(m, path); res == route.Found {
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

// invalidRequest picks the status the operation declares for bad requests (422 for body
// problems if declared, else 400 if declared, else 422 if declared, else 400).
func invalidRequest(op *apidef.Operation, vs []model.Violation) *problem.Details {
	declared := map[string]bool{}
	for _, r := range op.Responses {
		declared[r.Status] = true
	}
	bodyProblem := false
	for _, v := range vs {
		if v.In == "body" {
			bodyProblem = true
		}
	}
	status := http.StatusBadRequest
	switch {
	case bodyProblem && declared["422"]:
		status = http.StatusUnprocessableEntity
	case declared["400"]:
	case declared["422"]:
		status = http.StatusUnprocessableEntity
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
