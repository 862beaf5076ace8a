package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Exchange is one request sent on its own (Runner.Send) and everything about its answer:
// what a request console shows. It is plain data.
type Exchange struct {
	// Method and URL are what was sent (variables substituted, nothing redacted).
	Method string
	URL    string
	// RequestHeader and RequestBody are the headers and body sent.
	RequestHeader http.Header
	RequestBody   []byte
	// Status, Header and Body are the answer's; Body holds at most Runner.MaxBodyBytes.
	Status int
	Header http.Header
	Body   []byte
	// Truncated reports that the answer's body was longer than Body.
	Truncated bool
	// Duration is the time from sending to the last byte of the answer.
	Duration time.Duration
	// Assertions are the verdicts on the request's assertions (implicit checks first), as
	// a suite run gives them.
	Assertions []AssertionResult
	// Operation is the spec operation the request calls (by operationId, else by method
	// and path); nil without Runner.Definition or when none matches.
	Operation *apidef.Operation
	// Violations are how the answer breaks the operation's contract, checked whether or
	// not the request asks for schemaValid; nil when it keeps it or cannot be checked.
	Violations []model.Violation
	// ValidationError says why the answer could not be checked against the spec; "" when
	// it was (or there is no spec).
	ValidationError string
}

// Send sends r on its own, with the Runner's variables (a request console's "send"): every
// {{variable}} must be set by Vars, BaseURL or a built-in. Unlike Run it keeps the whole
// answer, and checks it against the spec operation whenever Definition and Validator are
// set. The error is a Problems for unknown variables or a bad URL, or the transport's
// (connection refused, timeout).
func (rn *Runner) Send(ctx context.Context, r *Request) (*Exchange, error) {
	vars := NewVars(rn.Vars)
	if rn.BaseURL != "" {
		vars.Set(BaseURLVar, strings.TrimRight(rn.BaseURL, "/"), "the target")
	}
	if err := Check(&Suite{Name: "console", Requests: []*Request{r}}, vars.Names()); err != nil {
		return nil, err
	}
	p, err := rn.prepare(ctx, r, vars)
	if err != nil {
		return nil, err
	}
	var reqBody []byte
	if p.req.GetBody != nil {
		if rc, err := p.req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	timeout := rn.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := rn.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := rn.client().Do(p.req.WithContext(tctx))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s %s: no answer within %s", p.req.Method, p.req.URL, timeout)
		}
		return nil, fmt.Errorf("sending %s %s: %w", p.req.Method, p.req.URL, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	x := &Exchange{
		Method: p.req.Method, URL: p.req.URL.String(), RequestHeader: p.req.Header.Clone(), RequestBody: reqBody,
		Status: resp.StatusCode, Header: resp.Header, Duration: time.Since(start),
	}
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", p.req.Method, p.req.URL, err)
	}
	if int64(len(body)) > limit {
		body, x.Truncated = body[:limit], true
	}
	x.Body = body
	a := &answer{status: resp.StatusCode, header: resp.Header, body: body, duration: x.Duration, tooLong: x.Truncated}
	x.Assertions = rn.judge(r, p, a)
	if rn.Definition != nil {
		if op, err := rn.operation(r, p.req); err == nil {
			x.Operation = op
			if rn.Validator != nil && !x.Truncated {
				vs, err := rn.Validator.Response(op, p.req.Method, resp.StatusCode, resp.Header, body)
				if err != nil {
					x.ValidationError = fmt.Sprintf("operation %s cannot be checked: %v", op.ID, err)
				}
				x.Violations = vs
			}
		} else {
			x.ValidationError = err.Error()
		}
	}
	return x, nil
}
