package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds each request when Options.Timeout is 0.
	DefaultTimeout = 30 * time.Second
	// DefaultConcurrency is how many operations are tested at once when Options.Concurrency is 0.
	DefaultConcurrency = 4
	// DefaultMaxBodyBytes is how much of a response body is read when Options.MaxBodyBytes is 0.
	DefaultMaxBodyBytes = 10 << 20
	// bodyExcerpt is how much of a body a Check keeps for the reader.
	bodyExcerpt = 2048
)

// Options configures a Runner. The zero value tests every operation with seed 0, four at a
// time, 30 s per request, through a client of its own.
type Options struct {
	// Client sends the requests; nil means a plain client. Redirects are never followed
	// (a 3xx is an answer to judge), whatever the client's CheckRedirect says.
	Client *http.Client
	// Timeout bounds each request, answer body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// Concurrency is how many operations are tested at once; 0 means DefaultConcurrency.
	// The requests of one operation are sent one after the other.
	Concurrency int
	// Seed makes the generated values repeatable: the same seed sends the same requests.
	Seed uint64
	// Filter selects the operations to test; the zero value selects all.
	Filter Filter
	// Header is added to every request, replacing what the request builder put under the
	// same names (real credentials instead of placeholders); nil adds nothing. It is left
	// out of the requests that test missing credentials where it carries them.
	Header http.Header
	// Query is added to every request's query the same way; nil adds nothing.
	Query url.Values
	// BasePath is the path the API is served under at the target: "" means the target's
	// own path when it has one, else the definition's base path (servers[0]); "/" means
	// the root.
	BasePath string
	// NoNegatives sends only the valid request of each operation.
	NoNegatives bool
	// CheckErrorBodies also validates the answers to negative requests against the
	// response the operation declares for their status (media type, schema, headers);
	// false judges them by status only.
	CheckErrorBodies bool
	// MaxBodyBytes caps how much of each answer is read; a longer one is a violation.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Progress, if set, is called with each operation's result as soon as it is known, one
	// call at a time, in completion order.
	Progress func(OperationResult)
}

// Filter selects operations. An operation is selected when it matches every non-empty list
// (and, within a list, any entry). The zero value selects every operation.
type Filter struct {
	// Operations are operationIds, or "METHOD /path" as the definition names operations
	// without one.
	Operations []string `json:"operations,omitempty"`
	// Tags are tag names.
	Tags []string `json:"tags,omitempty"`
	// Paths are path templates as in the spec ("/pets/{petId}"), or path.Match patterns
	// over them ("/pets/*").
	Paths []string `json:"paths,omitempty"`
}

// Match reports whether f selects op.
func (f Filter) Match(op *apidef.Operation) bool {
	if len(f.Operations) > 0 && !slices.ContainsFunc(f.Operations, func(id string) bool {
		return id == op.ID || strings.EqualFold(id, op.Method+" "+op.Path)
	}) {
		return false
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(f.Tags, func(t string) bool { return slices.Contains(op.Tags, t) }) {
		return false
	}
	if len(f.Paths) > 0 && !slices.ContainsFunc(f.Paths, func(p string) bool {
		ok, _ := path.Match(p, op.Path)
		return ok || p == op.Path
	}) {
		return false
	}
	return true
}

// Runner tests that a server keeps the contract of one Definition. It is safe for
// concurrent use; each Run is independent.
type Runner struct {
	def       *apidef.Definition
	opts      Options
	builder   *Builder
	validator *validate.Validator
	client    *http.Client
}

// NewRunner returns a Runner for def. def must not change afterwards.
func NewRunner(def *apidef.Definition, opts Options) *Runner {
	checker := apidef.NewChecker(def)
	b := New(def, mock.NewGenerator(def, checker))
	b.chk = checker
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	c := &http.Client{}
	if opts.Client != nil {
		cc := *opts.Client
		c = &cc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Runner{def: def, opts: opts, builder: b, validator: validate.New(def), client: c}
}

// Operations returns the operations Run tests, in definition order.
func (r *Runner) Operations() []*apidef.Operation {
	var out []*apidef.Operation
	for _, op := range r.def.Operations {
		if r.opts.Filter.Match(op) {
			out = append(out, op)
		}
	}
	return out
}

// BaseURL returns the URL operations are called under for target (see Options.BasePath).
func (r *Runner) BaseURL(target string) (string, error) {
	return BaseURL(target, r.opts.BasePath, r.def.BasePath)
}

// BaseURL joins a target URL and a base path: basePath "" keeps the target's own path, or
// uses specBasePath when the target has none; "/" means the root.
func BaseURL(target, basePath, specBasePath string) (string, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("target %q is not an absolute http(s) URL", target)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("target %q: use an http or https URL", target)
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	switch {
	case basePath == "/":
		p = ""
	case basePath != "":
		p = "/" + strings.Trim(basePath, "/")
	case p == "":
		p = strings.TrimRight(specBasePath, "/")
	}
	u.Path, u.RawPath = p, ""
	return strings.TrimRight(u.String(), "/"), nil
}

// Run tests every selected operation against target and reports the results in definition
// order. The error is about the run as a whole (a target that is not a URL, a cancelled
// ctx); what went wrong with single operations is in the report.
func (r *Runner) Run(ctx context.Context, target string) (*Report, error) {
	base, err := r.BaseURL(target)
	if err != nil {
		return nil, err
	}
	ops := r.Operations()
	rep := &Report{API: r.def.Title, Version: r.def.Version, Target: base, Seed: r.opts.Seed, StartedAt: time.Now().UTC(),
		Operations: make([]OperationResult, len(ops))}
	index := map[*apidef.Operation]int{}
	for i, op := range r.def.Operations {
		index[op] = i
	}
	var (
		wg       sync.WaitGroup
		progress sync.Mutex
		sem      = make(chan struct{}, r.opts.Concurrency)
	)
	for i, op := range ops {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res := r.testOperation(ctx, op, base, r.opSeed(index[op]))
			rep.Operations[i] = res
			if r.opts.Progress != nil {
				progress.Lock()
				r.opts.Progress(res)
				progress.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Duration = time.Since(rep.StartedAt)
	rep.Summary = summarize(rep.Operations)
	return rep, nil
}

// opSeed derives an operation's seed from the run's seed and the operation's place in the
// definition, so that filtering and concurrency never change what is sent.
func (r *Runner) opSeed(i int) uint64 {
	return r.opts.Seed*1_000_003 + uint64(i)*7919
}

// testOperation sends op's valid request and its negative requests.
func (r *Runner) testOperation(ctx context.Context, op *apidef.Operation, base string, seed uint64) (res OperationResult) {
	res = OperationResult{ID: op.ID, Method: op.Method, Path: op.Path, Tags: op.Tags}
	start := time.Now()
	defer func() { res.Duration = time.Since(start); res.Outcome = outcome(res) }()
	req, err := r.builder.Valid(op, base, seed)
	if err != nil {
		res.Error = "the valid request could not be built: " + err.Error()
		return res
	}
	r.decorate(req, op, nil)
	res.Checks = append(res.Checks, r.check(ctx, op, req, validExpectation(op), CheckValid, "valid request", nil))
	if r.opts.NoNegatives {
		return res
	}
	negs, err := r.negatives(op, base, seed)
	if err != nil {
		res.Error = "negative requests could not be built: " + err.Error()
		return res
	}
	for _, n := range negs {
		r.decorate(n.Request, op, &n)
		exp := negativeExpectation(op, n.Kind == KindUnauthenticated)
		res.Checks = append(res.Checks, r.check(ctx, op, n.Request, exp, CheckNegative, n.What, &n))
	}
	return res
}

// negatives collects every negative request the builder can make for op.
func (r *Runner) negatives(op *apidef.Operation, base string, seed uint64) ([]Negative, error) {
	negs, err := r.builder.Negatives(op, base, seed)
	if err != nil {
		return nil, err
	}
	inv, err := r.builder.Invalid(op, base, seed)
	if err != nil {
		return nil, err
	}
	negs = append(negs, inv...)
	un, err := r.builder.Unauthenticated(op, base, seed)
	if err != nil {
		return nil, err
	}
	if un != nil {
		negs = append(negs, *un)
	}
	return negs, nil
}

// decorate adds Options.Header and Options.Query to req. For a negative request, what it
// breaks is not put back: the parameter it leaves out or spoils, or, without credentials,
// the headers, query parameters and cookies that carry op's credentials.
func (r *Runner) decorate(req *http.Request, op *apidef.Operation, neg *Negative) {
	var skipHeaders, skipQuery, credCookies []string
	if neg != nil {
		switch {
		case neg.Kind == KindUnauthenticated:
			skipHeaders, skipQuery, credCookies = CredentialNames(r.def, op)
		case neg.In == "header":
			skipHeaders = []string{http.CanonicalHeaderKey(neg.Name)}
		case neg.In == "query":
			skipQuery = []string{neg.Name}
		}
	}
	for k, vs := range r.opts.Header {
		ck := http.CanonicalHeaderKey(k)
		if slices.Contains(skipHeaders, ck) || (ck == "Cookie" && len(credCookies) > 0) {
			continue
		}
		if ck == "Host" && len(vs) > 0 {
			req.Host = vs[0]
			continue
		}
		req.Header[ck] = append([]string(nil), vs...)
	}
	if len(r.opts.Query) > 0 {
		q := req.URL.Query()
		for k, vs := range r.opts.Query {
			if slices.Contains(skipQuery, k) {
				continue
			}
			q[k] = append([]string(nil), vs...)
		}
		req.URL.RawQuery = q.Encode()
	}
}

// expectation is what an answer must be to keep the contract.
type expectation struct {
	accept   func(status int) bool
	describe string
	statuses []string
}

// validExpectation: a success status (2xx, or 3xx) the operation declares exactly or by
// range; when it declares none, any 2xx that "default" covers.
func validExpectation(op *apidef.Operation) expectation {
	var declared []string
	hasDefault := false
	for _, resp := range op.Responses {
		switch {
		case resp.Status == "default":
			hasDefault = true
		case resp.Status != "" && (resp.Status[0] == '2' || resp.Status[0] == '3'):
			declared = append(declared, strings.ToUpper(resp.Status))
		}
	}
	if len(declared) == 0 && hasDefault {
		return expectation{
			accept:   func(s int) bool { return s >= 200 && s < 300 },
			describe: "a 2xx status (the operation declares only a default response)",
			statuses: []string{"2XX"},
		}
	}
	if len(declared) == 0 {
		return expectation{accept: func(int) bool { return false },
			describe: "a declared success status, but the operation declares none (declared: " + validate.DeclaredStatuses(op) + ")"}
	}
	return expectation{
		accept:   func(s int) bool { return matchesAny(declared, s) },
		describe: "a declared success status: " + strings.Join(declared, ", "),
		statuses: declared,
	}
}

// negativeExpectation: a 4xx the operation declares (exactly, by range, or through
// "default"); when it declares neither a 4xx nor a default, 400 or 422. A request without
// credentials may always get 401 or 403, declared or not.
func negativeExpectation(op *apidef.Operation, unauthenticated bool) expectation {
	var declared []string
	hasDefault := false
	for _, resp := range op.Responses {
		switch {
		case resp.Status == "default":
			hasDefault = true
		case resp.Status != "" && resp.Status[0] == '4':
			declared = append(declared, strings.ToUpper(resp.Status))
		}
	}
	fallback := []string{"400", "422"}
	if unauthenticated {
		fallback = []string{"401", "403"}
	}
	switch {
	case hasDefault:
		return expectation{
			accept:   func(s int) bool { return s >= 400 && s < 500 },
			describe: "a 4xx status (declared: " + strings.Join(append(slices.Clone(declared), "default"), ", ") + ")",
			statuses: []string{"4XX"},
		}
	case len(declared) > 0 && unauthenticated:
		statuses := slices.Clone(declared)
		for _, f := range fallback {
			if !matchesAny(statuses, atoi(f)) {
				statuses = append(statuses, f)
			}
		}
		return expectation{
			accept:   func(s int) bool { return matchesAny(statuses, s) },
			describe: "401, 403 or a declared 4xx status (" + strings.Join(declared, ", ") + ")",
			statuses: statuses,
		}
	case len(declared) > 0:
		return expectation{
			accept:   func(s int) bool { return matchesAny(declared, s) },
			describe: "a declared 4xx status: " + strings.Join(declared, ", "),
			statuses: declared,
		}
	}
	return expectation{
		accept:   func(s int) bool { return matchesAny(fallback, s) },
		describe: strings.Join(fallback, " or ") + " (the operation declares no 4xx status)",
		statuses: fallback,
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// matchesAny reports whether status matches one of the declared codes or ranges.
func matchesAny(declared []string, status int) bool {
	code := strconv.Itoa(status)
	for _, d := range declared {
		if d == code || (len(d) == 3 && strings.EqualFold(d[1:], "XX") && d[0] == code[0]) {
			return true
		}
	}
	return false
}

// check sends req and judges the answer.
func (r *Runner) check(ctx context.Context, op *apidef.Operation, req *http.Request, exp expectation, kind, what string, neg *Negative) Check {
	c := Check{Kind: kind, What: what, Expected: exp.describe, ExpectedStatuses: exp.statuses,
		Request: r.requestInfo(op, req)}
	if neg != nil {
		c.NegativeKind, c.In = neg.Kind, neg.In
	}
	status, header, body, dur, err := r.send(ctx, req)
	c.Duration = dur
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Status = status
	c.MediaType, _, _ = mime.ParseMediaType(header.Get("Content-Type"))
	c.Body = describeBody(c.MediaType, body)
	if int64(len(body)) > r.opts.MaxBodyBytes {
		c.Violations = append(c.Violations, model.Violation{In: validate.InBody,
			Message: fmt.Sprintf("the body is longer than %d bytes; it was not judged", r.opts.MaxBodyBytes)})
		return c
	}
	if !exp.accept(status) {
		msg := fmt.Sprintf("status %d, want %s", status, exp.describe)
		if kind == CheckNegative && status >= 200 && status < 300 {
			msg = fmt.Sprintf("status %d: the invalid request was accepted; want %s", status, exp.describe)
		}
		c.Violations = append(c.Violations, model.Violation{In: validate.InStatus, Name: strconv.Itoa(status), Message: msg})
		return c
	}
	if kind == CheckValid || r.opts.CheckErrorBodies {
		vs, err := r.validator.Response(op, req.Method, status, header, body)
		if err != nil {
			c.Error = "the answer could not be validated: " + err.Error()
			return c
		}
		c.Violations = append(c.Violations, vs...)
	}
	c.Passed = len(c.Violations) == 0
	return c
}

// send performs req with the run's timeout and reads the answer (up to one byte more than
// MaxBodyBytes, so that an overlong body is noticed).
func (r *Runner) send(ctx context.Context, req *http.Request) (int, http.Header, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	start := time.Now()
	resp, err := r.client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, nil, nil, time.Since(start), transportError(err, r.opts.Timeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.opts.MaxBodyBytes+1))
	dur := time.Since(start)
	if err != nil {
		return 0, nil, nil, dur, fmt.Errorf("reading the answer: %w", transportError(err, r.opts.Timeout))
	}
	return resp.StatusCode, resp.Header, body, dur, nil
}

func transportError(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, ue.URL, ue.Err)
	}
	return err
}

// requestInfo describes req for the report, with credentials redacted.
func (r *Runner) requestInfo(op *apidef.Operation, req *http.Request) RequestInfo {
	info := RequestInfo{Method: req.Method, URL: redactURL(req.URL, r.def, op), Header: RedactHeader(req.Header, r.def, op)}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, bodyExcerpt+1))
			rc.Close()
			mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
			info.Body = describeBody(mt, b)
		}
	}
	return info
}

// Redacted replaces secret values in reports.
const Redacted = "REDACTED"

// RedactHeader returns a copy of h with the values of Authorization, Proxy-Authorization,
// Cookie and the headers op's security schemes name replaced by Redacted.
func RedactHeader(h http.Header, def *apidef.Definition, op *apidef.Operation) http.Header {
	if len(h) == 0 {
		return nil
	}
	secret := map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true}
	if def != nil && op != nil {
		headers, _, _ := CredentialNames(def, op)
		for _, n := range headers {
			secret[n] = true
		}
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		if secret[http.CanonicalHeaderKey(k)] {
			out[k] = []string{Redacted}
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func redactURL(u *url.URL, def *apidef.Definition, op *apidef.Operation) string {
	_, query, _ := CredentialNames(def, op)
	if len(query) == 0 || u.RawQuery == "" {
		return u.String()
	}
	c := *u
	q := c.Query()
	for _, n := range query {
		if q.Has(n) {
			q.Set(n, Redacted)
		}
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// describeBody keeps the beginning of a textual body for the reader, and describes others.
func describeBody(mediaType string, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !textual(mediaType) {
		return fmt.Sprintf("(%d bytes of %s)", len(b), mediaType)
	}
	return excerpt(b)
}

// textual reports whether a media type's bodies are text worth quoting.
func textual(mt string) bool {
	mt = strings.ToLower(mt)
	return mt == "" || strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") || strings.Contains(mt, "xml") ||
		strings.Contains(mt, "yaml") || mt == "application/x-www-form-urlencoded" || mt == "application/javascript"
}

// excerpt keeps the beginning of a body for the reader.
func excerpt(b []byte) string {
	if len(b) <= bodyExcerpt {
		return string(b)
	}
	return string(b[:bodyExcerpt]) + fmt.Sprintf("... (%d bytes in all)", len(b))
}
