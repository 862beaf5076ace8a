package suite

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/suite/junit"
)

// JUnit returns the result as one JUnit test suite: one test case per request, with the
// request file and line, failed when an assertion or capture did not hold (every verdict
// listed in the failure's text), in error when the request could not be built or sent, and
// skipped when it was not sent.
func (res *Result) JUnit() junit.TestSuite {
	ts := junit.TestSuite{
		Name:      "suite " + res.Suite,
		Time:      junit.Seconds(res.Duration),
		Timestamp: res.StartedAt.UTC().Format(time.RFC3339),
	}
	if res.BaseURL != "" {
		ts.Properties = []junit.Property{{Name: "baseUrl", Value: res.BaseURL}}
	}
	class := "suite." + res.Suite
	for _, r := range res.Requests {
		tc := junit.TestCase{Name: r.Name, Classname: class, Time: junit.Seconds(r.Duration), File: r.Source.File, Line: r.Source.Line}
		text := strings.Join(resultLines(r), "\n")
		switch r.Outcome {
		case OutcomeSkipped:
			tc.Skipped = &junit.Skip{Message: r.Error}
		case OutcomeError:
			tc.Error = &junit.Failure{Type: "error", Message: r.Error, Text: text}
		case OutcomeFailed:
			var failed []string
			for _, a := range r.Assertions {
				if !a.Passed {
					failed = append(failed, a.Assertion+": "+a.Message)
				}
			}
			msg := failed[0]
			if len(failed) > 1 {
				msg = fmt.Sprintf("%s (and %d more)", msg, len(failed)-1)
			}
			tc.Failure = &junit.Failure{Type: "assertion", Message: msg, Text: text}
		default:
			tc.SystemOut = text
		}
		ts.Cases = append(ts.Cases, tc)
	}
	return ts
}

// resultLines renders a request's result: the request line, then each verdict.
func resultLines(r RequestResult) []string {
	got := "no answer"
	if r.Status != 0 {
		got = strconv.Itoa(r.Status)
		if r.MediaType != "" {
			got += " " + r.MediaType
		}
	}
	out := []string{fmt.Sprintf("%s %s -> %s", r.Method, r.URL, got)}
	if r.Error != "" {
		out = append(out, "error: "+r.Error)
	}
	for _, a := range r.Assertions {
		verdict := "ok"
		if !a.Passed {
			verdict = "FAILED"
		}
		line := fmt.Sprintf("%s %s", verdict, a.Assertion)
		if a.Line > 0 {
			line += fmt.Sprintf(" (line %d)", a.Line)
		}
		if a.Message != "" {
			line += ": " + a.Message
		}
		out = append(out, line)
	}
	return out
}
