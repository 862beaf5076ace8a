package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Defaults of Runner.
const (
	// DefaultTimeout bounds each request when Runner.Timeout is 0.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodyBytes is how much of an answer is read when Runner.MaxBodyBytes is 0.
	DefaultMaxBodyBytes = 10 << 20
	// bodyExcerpt is how much of an answer a RequestResult keeps.
	bodyExcerpt = 2048
)

// ResponseValidator checks an answer against a spec operation; the embedded gateway's
// validate.Validator is one.
type ResponseValidator interface {
	// Response returns how the answer breaks op's contract (nil when it keeps it); an error
	// means the operation could not be checked at all.
	Response(op *apidef.Operation, method string, status int, header http.Header, body []byte) ([]model.Violation, error)
}

// Runner executes suites against a server. Its fields are read-only once Run is called; a
// Runner may run several suites, one at a time or at once.
type Runner struct {
	// Client sends the requests; nil means a plain client. Redirects are not followed: the
	// 3xx answer itself is checked.
	Client *http.Client
	// Timeout bounds each request, answer body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// BaseURL is the value of {{baseUrl}}, which URLs without a scheme are relative to; ""
	// leaves baseUrl to Vars.
	BaseURL string
	// Vars are the environment's variables; nil means none.
	Vars map[string]string
	// Definition is the spec the requests are checked against (schemaValid) and where
	// operations are looked up; nil makes schemaValid fail with an explanation.
	Definition *apidef.Definition
	// Validator checks answers for schemaValid; nil makes schemaValid fail with an explanation.
	Validator ResponseValidator
	// FailFast skips the rest of a suite after the first request that fails.
	FailFast bool
	// MaxBodyBytes caps how much of each answer is read; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Progress, if set, is called with each request's result as soon as it is known.
	Progress func(RequestResult)
}

// Outcomes of a request.
const (
	// OutcomePassed means every assertion and capture held.
	OutcomePassed = "passed"
	// OutcomeFailed means an assertion or a capture did not hold.
	OutcomeFailed = "failed"
	// OutcomeError means the request could not be built or sent.
	OutcomeError = "error"
	// OutcomeSkipped means the request was not sent (FailFast after a failure).
	OutcomeSkipped = "skipped"
)

// Result is what happened when a suite ran. It is plain data, safe to encode as JSON.
type Result struct {
	// Suite is the suite's name.
	Suite string `json:"suite"`
	// BaseURL is the value {{baseUrl}} had.
	BaseURL string `json:"baseUrl,omitempty"`
	// StartedAt is when the run began (UTC).
	StartedAt time.Time `json:"startedAt"`
	// Duration is how long the suite took (JSON: nanoseconds).
	Duration time.Duration `json:"duration"`
	// Requests are the results in run order.
	Requests []RequestResult `json:"requests"`
	// Summary counts the outcomes.
	Summary Summary `json:"summary"`
}

// Summary counts the outcomes of a suite's requests.
type Summary struct {
	// Requests is how many requests the suite has.
	Requests int `json:"requests"`
	// Passed, Failed, Errors and Skipped count them by outcome.
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errors  int `json:"errors"`
	Skipped int `json:"skipped"`
}

// OK reports whether every request passed.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errors == 0 && s.Skipped == 0 }

// RequestResult is what happened to one request.
type RequestResult struct {
	// Name is the request's name.
	Name string `json:"name"`
	// Source is where the request was loaded from.
	Source Location `json:"source"`
	// Method and URL are what was sent (URL with the variables substituted; values of
	// secret-looking variables such as tokens and keys are redacted).
	Method string `json:"method"`
	URL    string `json:"url"`
	// Outcome is OutcomePassed, OutcomeFailed, OutcomeError or OutcomeSkipped.
	Outcome string `json:"outcome"`
	// Status is the answer's status; 0 when there was none.
	Status int `json:"status,omitempty"`
	// MediaType is the answer's media type without parameters.
	MediaType string `json:"mediaType,omitempty"`
	// Body is the beginning of the answer's body (or a note for binary bodies).
	Body string `json:"body,omitempty"`
	// Duration is the time from sending to the last byte of the answer (JSON: nanoseconds).
	Duration time.Duration `json:"duration"`
	// Assertions are the verdicts, in the request's order (implicit checks first).
	Assertions []AssertionResult `json:"assertions,omitempty"`
	// Captured lists the variables set from this answer.
	Captured []string `json:"captured,omitempty"`
	// Error says why the request could not be built or sent; "" when it was.
	Error string `json:"error,omitempty"`
}

// AssertionResult is the verdict on one assertion or capture.
type AssertionResult struct {
	// Assertion describes the check ("status 2xx", "capture petId from /id").
	Assertion string `json:"assertion"`
	// Passed reports whether it held.
	Passed bool `json:"passed"`
	// Message says what was found when it did not hold (and sometimes when it did).
	Message string `json:"message,omitempty"`
	// Field is the check's field in the request file ("assert[2]"); "" for implicit checks.
	Field string `json:"field,omitempty"`
	// Line is the line of the check in the request file; 0 when unknown.
	Line int `json:"line,omitempty"`
}

// Run executes s's requests in order. Before anything is sent every variable is checked
// (Check); problems are returned as Problems naming the file, line and field. Otherwise the
// error is about the run as a whole (a cancelled ctx); what happened to each request is in
// the result.
func (rn *Runner) Run(ctx context.Context, s *Suite) (*Result, error) {
	vars := NewVars(rn.Vars)
	if rn.BaseURL != "" {
		vars.Set(BaseURLVar, strings.TrimRight(rn.BaseURL, "/"), "the target")
	}
	if err := Check(s, vars.Names()); err != nil {
		return nil, err
	}
	res := &Result{Suite: s.Name, StartedAt: time.Now().UTC(), Requests: make([]RequestResult, 0, len(s.Requests))}
	res.BaseURL, _ = vars.Get(BaseURLVar)
	skip := false
	for _, r := range s.Requests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var rr RequestResult
		if skip {
			rr = RequestResult{Name: r.Name, Source: r.Source, Method: r.Method, URL: r.URL, Outcome: OutcomeSkipped,
				Error: "skipped after an earlier failure (fail fast)"}
			for name := range r.Capture {
				vars.failed[name] = r.Name + " (skipped)"
			}
		} else {
			rr = rn.runRequest(ctx, r, vars)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if rr.Outcome != OutcomePassed && rr.Outcome != OutcomeSkipped && rn.FailFast {
			skip = true
		}
		res.Requests = append(res.Requests, rr)
		if rn.Progress != nil {
			rn.Progress(rr)
		}
	}
	res.Duration = time.Since(res.StartedAt)
	res.Summary = summarize(res.Requests)
	return res, nil
}

func summarize(rs []RequestResult) Summary {
	s := Summary{Requests: len(rs)}
	for _, r := range rs {
		switch r.Outcome {
		case OutcomePassed:
			s.Passed++
		case OutcomeFailed:
			s.Failed++
		case OutcomeSkipped:
			s.Skipped++
		default:
			s.Errors++
		}
	}
	return s
}

// prepared is a request ready to send.
type prepared struct {
	req     *http.Request
	url     string   // for the result, secrets redacted
	expect  []*value // per assertion: Equals with the variables substituted
	matches []string // per assertion: Matches with the variables substituted
}

// runRequest sends r and judges the answer.
func (rn *Runner) runRequest(ctx context.Context, r *Request, vars *Vars) RequestResult {
	rr := RequestResult{Name: r.Name, Source: r.Source, Method: r.Method, URL: r.URL}
	if rr.Method == "" {
		rr.Method = http.MethodGet
	}
	fail := func(err error) RequestResult {
		rr.Outcome, rr.Error = OutcomeError, err.Error()
		for name := range r.Capture {
			vars.failed[name] = r.Name
		}
		return rr
	}
	p, err := rn.prepare(ctx, r, vars)
	if err != nil {
		return fail(err)
	}
	rr.URL = p.url
	timeout := rn.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	max := rn.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := rn.client().Do(p.req.WithContext(tctx))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return fail(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	resp.Body.Close()
	rr.Duration = time.Since(start)
	if err != nil {
		return fail(fmt.Errorf("reading the answer: %w", err))
	}
	rr.Status = resp.StatusCode
	rr.MediaType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	rr.Body = describeBody(rr.MediaType, body)
	a := &answer{status: resp.StatusCode, header: resp.Header, body: body, duration: rr.Duration, tooLong: int64(len(body)) > max}
	rr.Assertions = rn.judge(r, p, a)
	rr.Captured = capture(r, a, vars, &rr.Assertions)
	rr.Outcome = OutcomePassed
	for _, ar := range rr.Assertions {
		if !ar.Passed {
			rr.Outcome = OutcomeFailed
		}
	}
	return rr
}

func (rn *Runner) client() *http.Client {
	c := &http.Client{}
	if rn.Client != nil {
		cc := *rn.Client
		c = &cc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// prepare substitutes the variables and builds the HTTP request.
func (rn *Runner) prepare(ctx context.Context, r *Request, vars *Vars) (*prepared, error) {
	var problems Problems
	raw := vars.expand(r, "url", r.URL, &problems)
	header := http.Header{}
	for _, k := range sortedKeys(r.Headers) {
		header.Set(k, vars.expand(r, "headers."+k, r.Headers[k], &problems))
	}
	query := url.Values{}
	for _, k := range sortedKeys(r.Query) {
		for i, s := range r.Query[k] {
			f := "query." + k
			if len(r.Query[k]) > 1 {
				f = fmt.Sprintf("%s[%d]", f, i)
			}
			query.Add(k, vars.expand(r, f, s, &problems))
		}
	}
	var body []byte
	if b := r.Body; b != nil {
		if b.JSON == nil {
			body = []byte(vars.expand(r, "body", b.Text, &problems))
			if header.Get("Content-Type") == "" {
				if jsonValid(body) {
					header.Set("Content-Type", "application/json")
				} else {
					header.Set("Content-Type", "text/plain; charset=utf-8")
				}
			}
		} else {
			v, err := parseJSON(b.JSON)
			if err != nil {
				return nil, r.Problem("body", "is not JSON: %v", err)
			}
			v = vars.expandValue(r, "body", v, &problems)
			ct := header.Get("Content-Type")
			mt, _, _ := mime.ParseMediaType(ct)
			switch {
			case mt == "application/x-www-form-urlencoded" && v.kind == kObject:
				form := url.Values{}
				for i, k := range v.keys {
					form.Add(k, v.vals[i].text())
				}
				body = []byte(form.Encode())
			default:
				body, _ = v.MarshalJSON()
				if ct == "" {
					header.Set("Content-Type", "application/json")
				}
			}
		}
	}
	expect, matches := make([]*value, len(r.Assert)), make([]string, len(r.Assert))
	for i, a := range r.Assert {
		f := fmt.Sprintf("assert[%d]", i)
		if a.Equals != nil {
			v, err := parseJSON(a.Equals)
			if err != nil {
				return nil, r.Problem(f+".equals", "is not JSON: %v", err)
			}
			expect[i] = vars.expandValue(r, f+".equals", v, &problems)
		}
		matches[i] = vars.expand(r, f+".matches", a.Matches, &problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	target, err := resolveURL(raw, vars)
	if err != nil {
		return nil, r.Problem("url", "%v", err)
	}
	if len(query) > 0 {
		q := target.Query()
		for k, vs := range query {
			q[k] = append(q[k], vs...)
		}
		target.RawQuery = q.Encode()
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, r.Problem("url", "%v", err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, vs := range header {
		if k == "Host" {
			req.Host = vs[0]
			continue
		}
		req.Header[k] = vs
	}
	return &prepared{req: req, url: redactURL(target.String(), vars), expect: expect, matches: matches}, nil
}

// resolveURL parses an expanded URL; one without a scheme is relative to baseUrl.
func resolveURL(raw string, vars *Vars) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "" {
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("%q: use an http or https URL", raw)
		}
		return u, nil
	}
	base, ok := vars.Get(BaseURLVar)
	if !ok || base == "" {
		return nil, fmt.Errorf("%q has no scheme and {{baseUrl}} is not set", raw)
	}
	full := strings.TrimRight(base, "/") + "/" + strings.TrimLeft(raw, "/")
	u, err = url.Parse(full)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q relative to baseUrl %q is not an http(s) URL", raw, base)
	}
	return u, nil
}

// secretName matches the names of variables whose values are not shown in results.
var secretName = regexp.MustCompile(`(?i)token|secret|password|passwd|key|auth|session|cookie|credential`)

// redactURL hides the values of secret-looking variables in a URL.
func redactURL(s string, vars *Vars) string {
	for _, name := range vars.Names() {
		val, _ := vars.Get(name)
		if len(val) < 4 || !secretName.MatchString(name) {
			continue
		}
		s = strings.ReplaceAll(s, val, "REDACTED")
		s = strings.ReplaceAll(s, url.QueryEscape(val), "REDACTED")
	}
	return s
}

// answer is a response as the assertions see it.
type answer struct {
	status   int
	header   http.Header
	body     []byte
	duration time.Duration
	tooLong  bool

	parsed  bool
	json    *value
	jsonErr error
}

// bodyJSON parses the body as JSON once.
func (a *answer) bodyJSON() (*value, error) {
	if !a.parsed {
		a.parsed = true
		switch {
		case a.tooLong:
			a.jsonErr = fmt.Errorf("the body is too long to be read")
		case len(a.body) == 0:
			a.jsonErr = fmt.Errorf("the body is empty")
		default:
			a.json, a.jsonErr = parseJSON(a.body)
			if a.jsonErr != nil {
				a.jsonErr = fmt.Errorf("the body is not JSON: %v", a.jsonErr)
			}
		}
	}
	return a.json, a.jsonErr
}

// judge checks every assertion of r against the answer; a request without a status
// assertion must get a status below 400.
func (rn *Runner) judge(r *Request, p *prepared, a *answer) []AssertionResult {
	var out []AssertionResult
	hasStatus := false
	for _, as := range r.Assert {
		hasStatus = hasStatus || as.Kind() == KindStatus
	}
	if !hasStatus {
		ar := AssertionResult{Assertion: "status below 400 (implicit: the request has no status check)", Passed: a.status < 400}
		if !ar.Passed {
			ar.Message = fmt.Sprintf("got %d", a.status)
		}
		out = append(out, ar)
	}
	for i, as := range r.Assert {
		field := fmt.Sprintf("assert[%d]", i)
		ar := AssertionResult{Assertion: as.String(), Field: field, Line: r.Position(field).Line}
		as.Matches = p.matches[i]
		ar.Passed, ar.Message = rn.check(r, as, p.expect[i], a, p.req)
		out = append(out, ar)
	}
	return out
}

// check evaluates one assertion.
func (rn *Runner) check(r *Request, as Assertion, expect *value, a *answer, req *http.Request) (bool, string) {
	switch as.Kind() {
	case KindStatus:
		want := as.Status
		got := strconv.Itoa(a.status)
		if strings.HasSuffix(want, "xx") {
			if got[0] == want[0] {
				return true, ""
			}
			return false, fmt.Sprintf("got %d, want %s", a.status, want)
		}
		if got == want {
			return true, ""
		}
		return false, fmt.Sprintf("got %d, want %s", a.status, want)
	case KindMaxDuration:
		ms := a.duration.Milliseconds()
		if ms <= as.MaxDurationMs {
			return true, fmt.Sprintf("took %d ms", ms)
		}
		return false, fmt.Sprintf("took %d ms, more than %d ms", ms, as.MaxDurationMs)
	case KindHeader:
		vals := a.header.Values(as.Header)
		return judgeValues(as, expect, vals, len(vals) > 0, "header "+as.Header)
	case KindJSONPointer:
		doc, err := a.bodyJSON()
		if err != nil {
			if as.Exists != nil && !*as.Exists {
				return true, ""
			}
			return false, err.Error()
		}
		v, ok := doc.pointer(*as.JSONPointer)
		where := "the body"
		if *as.JSONPointer != "" {
			where = "the body at " + *as.JSONPointer
		}
		if expect != nil && ok {
			if equal(v, expect) {
				return true, ""
			}
			return false, fmt.Sprintf("%s is %s, want %s", where, short(v), short(expect))
		}
		var texts []string
		if ok {
			texts = []string{v.text()}
		}
		return judgeValues(as, nil, texts, ok, where)
	case KindSchemaValid:
		return rn.schemaValid(r, a, req)
	}
	return false, "the assertion checks nothing"
}

// judgeValues evaluates exists/equals/matches over the values found (headers may repeat).
func judgeValues(as Assertion, expect *value, vals []string, found bool, where string) (bool, string) {
	switch {
	case as.Exists != nil && !*as.Exists:
		if found {
			return false, fmt.Sprintf("%s is present (%s), want it absent", where, shortText(strings.Join(vals, ", ")))
		}
		return true, ""
	case !found:
		return false, where + " is missing"
	case expect != nil:
		want := expect.text()
		for _, v := range vals {
			if v == want {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s is %q, want %q", where, shortText(strings.Join(vals, ", ")), want)
	case as.Matches != "":
		re, err := regexp.Compile(as.Matches)
		if err != nil {
			return false, fmt.Sprintf("%q is not a regular expression: %v", as.Matches, err)
		}
		for _, v := range vals {
			if re.MatchString(v) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s is %q, which does not match %s", where, shortText(strings.Join(vals, ", ")), as.Matches)
	}
	return true, ""
}

// schemaValid checks the answer against the request's spec operation.
func (rn *Runner) schemaValid(r *Request, a *answer, req *http.Request) (bool, string) {
	if rn.Definition == nil || rn.Validator == nil {
		return false, "no spec to check against: run the suite with a spec (gantry test SPEC)"
	}
	op, err := rn.operation(r, req)
	if err != nil {
		return false, err.Error()
	}
	if a.tooLong {
		return false, "the body is too long to be checked"
	}
	vs, err := rn.Validator.Response(op, req.Method, a.status, a.header, a.body)
	if err != nil {
		return false, fmt.Sprintf("operation %s cannot be checked: %v", op.ID, err)
	}
	if len(vs) == 0 {
		return true, "keeps the contract of " + op.ID
	}
	msgs := make([]string, 0, len(vs))
	for _, v := range vs {
		where := v.In
		if v.Name != "" {
			where += " " + v.Name
		}
		msgs = append(msgs, where+": "+v.Message)
	}
	return false, fmt.Sprintf("breaks the contract of %s: %s", op.ID, strings.Join(msgs, "; "))
}

// operation finds the spec operation of r: by operationId, else by method and path.
func (rn *Runner) operation(r *Request, req *http.Request) (*apidef.Operation, error) {
	def := rn.Definition
	if r.OperationID != "" {
		for _, op := range def.Operations {
			if op.ID == r.OperationID {
				return op, nil
			}
		}
		return nil, fmt.Errorf("the spec has no operation %q", r.OperationID)
	}
	path := req.URL.Path
	if base, ok := url.Parse(rn.BaseURL); ok == nil && base.Path != "" {
		path = strings.TrimPrefix(path, strings.TrimRight(base.Path, "/"))
	}
	var best *apidef.Operation
	bestScore := -1
	for _, op := range def.Operations {
		if !strings.EqualFold(op.Method, req.Method) {
			continue
		}
		for _, candidate := range []string{path, strings.TrimPrefix(path, def.BasePath)} {
			if score, ok := matchTemplate(op.Path, candidate); ok && score > bestScore {
				best, bestScore = op, score
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no operation of the spec matches %s %s; give the request an operationId", req.Method, req.URL.Path)
	}
	return best, nil
}

// matchTemplate matches a path against a path template ("/pets/{id}"); the score counts
// literal characters, so that "/pets/mine" beats "/pets/{id}".
func matchTemplate(tmpl, path string) (int, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return 0, false
	}
	score := 0
	for i, t := range ts {
		if !strings.Contains(t, "{") {
			if t != ps[i] {
				return 0, false
			}
			score += len(t)
			continue
		}
		if !templateSegment(t).MatchString(ps[i]) {
			return 0, false
		}
		score += len(t) - strings.Count(t, "{")*2
	}
	return score, true
}

// templateSegment turns a path template segment ("{id}.json") into a regular expression.
func templateSegment(t string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for t != "" {
		i := strings.IndexByte(t, '{')
		j := strings.IndexByte(t, '}')
		if i < 0 || j < i {
			b.WriteString(regexp.QuoteMeta(t))
			break
		}
		b.WriteString(regexp.QuoteMeta(t[:i]))
		b.WriteString("[^/]+")
		t = t[j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// capture sets the variables r captures from the answer, adding a failed result for each
// that cannot be taken.
func capture(r *Request, a *answer, vars *Vars, results *[]AssertionResult) []string {
	var out []string
	for _, name := range sortedKeys(r.Capture) {
		src := r.Capture[name]
		field := "capture." + name
		ar := AssertionResult{Assertion: fmt.Sprintf("capture %s from %s", name, describeSource(src)), Field: field, Line: r.Position(field).Line, Passed: true}
		if h, ok := strings.CutPrefix(src, "header:"); ok {
			if v := a.header.Get(strings.TrimSpace(h)); v != "" {
				vars.Set(name, v, r.Name)
				out = append(out, name)
			} else {
				ar.Passed, ar.Message = false, "the answer has no header "+strings.TrimSpace(h)
			}
		} else if doc, err := a.bodyJSON(); err != nil {
			ar.Passed, ar.Message = false, err.Error()
		} else if v, ok := doc.pointer(src); ok {
			vars.setJSON(name, v, r.Name)
			out = append(out, name)
		} else {
			ar.Passed, ar.Message = false, "the body has nothing at "+describeSource(src)
		}
		if !ar.Passed {
			vars.failed[name] = r.Name
			delete(vars.text, name)
			*results = append(*results, ar)
		}
	}
	return out
}

func describeSource(src string) string {
	if src == "" {
		return `"" (the whole body)`
	}
	return src
}

func short(v *value) string {
	b, _ := v.MarshalJSON()
	return shortText(string(b))
}

func shortText(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func jsonValid(b []byte) bool {
	_, err := parseJSON(b)
	return err == nil
}

// describeBody keeps the beginning of a textual body, and describes others.
func describeBody(mediaType string, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	mt := strings.ToLower(mediaType)
	textual := mt == "" || strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") || strings.Contains(mt, "xml") ||
		strings.Contains(mt, "yaml") || mt == "application/x-www-form-urlencoded"
	if !textual {
		return fmt.Sprintf("(%d bytes of %s)", len(b), mediaType)
	}
	if len(b) > bodyExcerpt {
		return string(b[:bodyExcerpt]) + fmt.Sprintf("... (%d bytes in all)", len(b))
	}
	return string(b)
}
