package contract

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/suite/junit"
)

// Check kinds.
const (
	// CheckValid is the check of the valid request.
	CheckValid = "valid"
	// CheckNegative is the check of a negative request.
	CheckNegative = "negative"
)

// Outcomes of an operation.
const (
	// OutcomePassed means every answer kept the contract.
	OutcomePassed = "passed"
	// OutcomeFailed means at least one answer broke it.
	OutcomeFailed = "failed"
	// OutcomeError means a request could not be built or sent (and none failed).
	OutcomeError = "error"
)

// Report is the result of one contract run. It is plain data, safe to encode as JSON.
type Report struct {
	// API is the definition's title.
	API string `json:"api"`
	// Version is the definition's version.
	Version string `json:"version,omitempty"`
	// Target is the base URL the operations were called under.
	Target string `json:"target"`
	// Seed is the seed the requests were generated with.
	Seed uint64 `json:"seed"`
	// StartedAt is when the run began (UTC).
	StartedAt time.Time `json:"startedAt"`
	// Duration is how long the run took (JSON: nanoseconds).
	Duration time.Duration `json:"duration"`
	// Operations are the tested operations in definition order.
	Operations []OperationResult `json:"operations"`
	// Summary counts the outcomes.
	Summary Summary `json:"summary"`
}

// Summary counts the outcomes of a run.
type Summary struct {
	// Operations is how many operations were tested.
	Operations int `json:"operations"`
	// Passed, Failed and Errors count the operations by outcome.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	Errors int `json:"errors"`
	// Requests is how many requests were sent (or attempted).
	Requests int `json:"requests"`
	// FailedRequests is how many of them broke the contract or could not be sent.
	FailedRequests int `json:"failedRequests"`
}

// OK reports whether every operation passed.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errors == 0 }

// OperationResult is what happened to one operation.
type OperationResult struct {
	// ID is the operationId (or "METHOD /path").
	ID string `json:"id"`
	// Method and Path are the operation's method and path template.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Tags are the operation's tags.
	Tags []string `json:"tags,omitempty"`
	// Outcome is OutcomePassed, OutcomeFailed or OutcomeError.
	Outcome string `json:"outcome"`
	// Checks are the requests sent: the valid one first, then the negative ones.
	Checks []Check `json:"checks"`
	// Error says why the operation could not be tested fully; "" when it could.
	Error string `json:"error,omitempty"`
	// Duration is how long the operation's requests took together (JSON: nanoseconds).
	Duration time.Duration `json:"duration"`
}

// Check is one request and the verdict on its answer.
type Check struct {
	// Kind is CheckValid or CheckNegative.
	Kind string `json:"kind"`
	// NegativeKind is the Negative's Kind (KindMissing, ...); "" for the valid request.
	NegativeKind string `json:"negativeKind,omitempty"`
	// In is where a negative request breaks the contract ("query", "body", "security");
	// "" for the valid request.
	In string `json:"in,omitempty"`
	// What says what the request is ("valid request", "missing query parameter limit").
	What string `json:"what"`
	// Request is what was sent (credentials redacted).
	Request RequestInfo `json:"request"`
	// Expected says what answer keeps the contract, in words.
	Expected string `json:"expected"`
	// ExpectedStatuses lists the statuses that keep it ("200", "4XX"); empty when none can.
	ExpectedStatuses []string `json:"expectedStatuses,omitempty"`
	// Status is the status received; 0 when no answer came.
	Status int `json:"status,omitempty"`
	// MediaType is the answer's media type without parameters; "" when none.
	MediaType string `json:"mediaType,omitempty"`
	// Body is the beginning of the answer's body (or a note for binary bodies).
	Body string `json:"body,omitempty"`
	// Duration is how long the request took, body included (JSON: nanoseconds).
	Duration time.Duration `json:"duration"`
	// Passed reports whether the answer kept the contract.
	Passed bool `json:"passed"`
	// Violations say how the answer broke the contract.
	Violations []model.Violation `json:"violations,omitempty"`
	// Error says why there was no answer to judge (connection refused, timeout); "" if there was.
	Error string `json:"error,omitempty"`
}

// RequestInfo describes a request sent.
type RequestInfo struct {
	// Method is the request method.
	Method string `json:"method"`
	// URL is the full URL.
	URL string `json:"url"`
	// Header holds the request headers; nil when none were set.
	Header map[string][]string `json:"header,omitempty"`
	// Body is the beginning of the request body; "" when none.
	Body string `json:"body,omitempty"`
}

// Summary returns a one-line account of what went wrong with c ("" when it passed).
func (c Check) Summary() string {
	if c.Passed {
		return ""
	}
	if c.Error != "" {
		return c.What + ": " + c.Error
	}
	if len(c.Violations) == 0 {
		return c.What + ": failed"
	}
	v := c.Violations[0]
	more := ""
	if len(c.Violations) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(c.Violations)-1)
	}
	return fmt.Sprintf("%s: %s%s", c.What, ViolationString(v), more)
}

// ViolationString formats a violation as "in name: message".
func ViolationString(v model.Violation) string {
	where := v.In
	if v.Name != "" {
		where += " " + v.Name
	} else if v.In == "body" {
		where += " (root)"
	}
	if v.In == "status" {
		return v.Message
	}
	return where + ": " + v.Message
}

func outcome(r OperationResult) string {
	failed, errored := false, r.Error != ""
	for _, c := range r.Checks {
		switch {
		case c.Error != "":
			errored = true
		case !c.Passed:
			failed = true
		}
	}
	switch {
	case failed:
		return OutcomeFailed
	case errored:
		return OutcomeError
	}
	return OutcomePassed
}

func summarize(ops []OperationResult) Summary {
	s := Summary{Operations: len(ops)}
	for _, o := range ops {
		switch o.Outcome {
		case OutcomePassed:
			s.Passed++
		case OutcomeFailed:
			s.Failed++
		default:
			s.Errors++
		}
		s.Requests += len(o.Checks)
		for _, c := range o.Checks {
			if !c.Passed {
				s.FailedRequests++
			}
		}
	}
	return s
}

// JUnit returns the report as one JUnit test suite: one test case per operation, failed
// when an answer broke the contract (every finding listed in the failure's text) and in
// error when a request could not be built or sent.
func (r *Report) JUnit() junit.TestSuite {
	name := "contract: " + r.API
	class := "contract." + strings.ReplaceAll(r.API, " ", "_")
	ts := junit.TestSuite{
		Name:      name,
		Time:      junit.Seconds(r.Duration),
		Timestamp: r.StartedAt.UTC().Format(time.RFC3339),
		Properties: []junit.Property{
			{Name: "target", Value: r.Target},
			{Name: "seed", Value: strconv.FormatUint(r.Seed, 10)},
		},
	}
	if r.Version != "" {
		ts.Properties = append(ts.Properties, junit.Property{Name: "version", Value: r.Version})
	}
	for _, o := range r.Operations {
		tc := junit.TestCase{Name: o.Method + " " + o.Path + " (" + o.ID + ")", Classname: class, Time: junit.Seconds(o.Duration)}
		var lines, failures, errs []string
		for _, c := range o.Checks {
			lines = append(lines, checkLines(c)...)
			switch {
			case c.Error != "":
				errs = append(errs, c.Summary())
			case !c.Passed:
				failures = append(failures, c.Summary())
			}
		}
		if o.Error != "" {
			errs = append(errs, o.Error)
			lines = append(lines, "error: "+o.Error)
		}
		text := strings.Join(lines, "\n")
		switch {
		case len(failures) > 0:
			tc.Failure = &junit.Failure{Type: "contract", Message: firstAndCount(failures), Text: text}
		case len(errs) > 0:
			tc.Error = &junit.Failure{Type: "error", Message: firstAndCount(errs), Text: text}
		default:
			tc.SystemOut = text
		}
		ts.Cases = append(ts.Cases, tc)
	}
	return ts
}

func firstAndCount(msgs []string) string {
	if len(msgs) == 1 {
		return msgs[0]
	}
	return fmt.Sprintf("%s (%d requests failed)", msgs[0], len(msgs))
}

// checkLines renders one check for a JUnit text: the request line, the verdict and every
// violation.
func checkLines(c Check) []string {
	verdict := "ok"
	switch {
	case c.Error != "":
		verdict = "ERROR: " + c.Error
	case !c.Passed:
		verdict = "FAILED"
	}
	got := "no answer"
	if c.Status != 0 {
		got = strconv.Itoa(c.Status)
		if c.MediaType != "" {
			got += " " + c.MediaType
		}
	}
	out := []string{fmt.Sprintf("%s: %s %s -> %s (want %s): %s", c.What, c.Request.Method, c.Request.URL, got, c.Expected, verdict)}
	for _, v := range c.Violations {
		out = append(out, "  - "+ViolationString(v))
	}
	return out
}
