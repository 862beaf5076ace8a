// Package suite holds saved API requests with assertions, the suites they form, and the
// runner that executes a suite against a server.
//
// A saved request is one YAML file: what to send (method, url, headers, query, body, with
// {{variables}}), what to check in the answer (status, headers, JSON values, the spec's
// schema, duration) and what to capture from it for the requests after it. A suite is an
// ordered list of requests; the Folder source keeps each suite as a folder of request files
// run in file-name order. ParseRequest reads a file and reports every problem with its file,
// line, column and field; MarshalRequest writes one back with a stable key order.
package suite

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one saved request. The zero value is not usable: URL is required.
type Request struct {
	// Name names the request in results; the file name without extension when not given.
	Name string `json:"name"`
	// Description says what the request is for; "" means none.
	Description string `json:"description,omitempty"`
	// OperationID is the spec operation the request calls; "" means it is found by method
	// and path when an assertion needs it (schemaValid).
	OperationID string `json:"operationId,omitempty"`
	// Method is the upper-case HTTP method; "" means GET.
	Method string `json:"method"`
	// URL is where the request goes; it may use {{variables}}. A URL without a scheme
	// ("/pets") is relative to the {{baseUrl}} variable.
	URL string `json:"url"`
	// Headers are request headers, values may use {{variables}}; nil means none.
	Headers map[string]string `json:"headers,omitempty"`
	// Query adds query parameters (several values repeat the name); nil means none.
	Query map[string][]string `json:"query,omitempty"`
	// Body is the request body; nil means none.
	Body *Body `json:"body,omitempty"`
	// Capture maps variable names to where their value is taken from in the answer: a JSON
	// pointer into the body ("/access_token", "" for the whole body) or "header:NAME".
	Capture map[string]string `json:"capture,omitempty"`
	// Assert lists the checks on the answer, in order.
	Assert []Assertion `json:"assert,omitempty"`
	// Source is where the request was loaded from; the zero value means it was built in memory.
	Source Location `json:"source"`

	// pos maps field paths ("url", "headers.Authorization", "body.owner.name",
	// "assert[2].equals") to where their values are in Source.File.
	pos map[string]Position
}

// Body is a request body: either text sent as is or a JSON value. The zero value is an empty
// text body.
type Body struct {
	// Text is sent as is (after variable substitution) when JSON is nil.
	Text string `json:"text,omitempty"`
	// JSON is a JSON value, sent encoded (application/json unless the headers say otherwise;
	// an object is form-encoded for application/x-www-form-urlencoded).
	JSON json.RawMessage `json:"json,omitempty"`
}

// Assertion is one check on an answer. Exactly one of Status, Header, JSONPointer,
// SchemaValid and MaxDurationMs is set; Equals, Matches and Exists refine Header and
// JSONPointer (at most one of them; none means Exists).
type Assertion struct {
	// Status is a status code ("201") or class ("2xx") the answer must have.
	Status string `json:"status,omitempty"`
	// Header names a response header to check.
	Header string `json:"header,omitempty"`
	// JSONPointer points into the JSON body ("" is the whole body); nil when not this kind.
	JSONPointer *string `json:"jsonPointer,omitempty"`
	// SchemaValid asks that the answer keep the spec operation's contract (status, media
	// type, body schema, required headers).
	SchemaValid bool `json:"schemaValid,omitempty"`
	// MaxDurationMs bounds the time from sending to the last byte of the answer.
	MaxDurationMs int64 `json:"maxDurationMs,omitempty"`
	// Equals is the JSON value the header (a string) or the pointed-to value must equal;
	// strings may use {{variables}}.
	Equals json.RawMessage `json:"equals,omitempty"`
	// Matches is a regular expression (RE2) the header or the value's text must match; it
	// may use {{variables}}.
	Matches string `json:"matches,omitempty"`
	// Exists says whether the header or value must be present (true) or absent (false).
	Exists *bool `json:"exists,omitempty"`
}

// Assertion kinds, as returned by Assertion.Kind.
const (
	// KindStatus checks the status code or class.
	KindStatus = "status"
	// KindHeader checks a response header.
	KindHeader = "header"
	// KindJSONPointer checks a value in the JSON body.
	KindJSONPointer = "jsonPointer"
	// KindSchemaValid checks the answer against the spec operation.
	KindSchemaValid = "schemaValid"
	// KindMaxDuration bounds the request's duration.
	KindMaxDuration = "maxDurationMs"
)

// Kind returns which check a is: KindStatus, KindHeader, KindJSONPointer, KindSchemaValid
// or KindMaxDuration; "" when none is set.
func (a Assertion) Kind() string {
	switch {
	case a.Status != "":
		return KindStatus
	case a.Header != "":
		return KindHeader
	case a.JSONPointer != nil:
		return KindJSONPointer
	case a.SchemaValid:
		return KindSchemaValid
	case a.MaxDurationMs > 0:
		return KindMaxDuration
	}
	return ""
}

// String describes a in words: "status 2xx", "header Content-Type matches ^application/json".
func (a Assertion) String() string {
	subject := ""
	switch a.Kind() {
	case KindStatus:
		return "status " + a.Status
	case KindSchemaValid:
		return "schemaValid"
	case KindMaxDuration:
		return fmt.Sprintf("maxDurationMs %d", a.MaxDurationMs)
	case KindHeader:
		subject = "header " + a.Header
	case KindJSONPointer:
		p := *a.JSONPointer
		if p == "" {
			p = `""`
		}
		subject = "jsonPointer " + p
	default:
		return "(empty assertion)"
	}
	switch {
	case a.Equals != nil:
		return subject + " equals " + string(a.Equals)
	case a.Matches != "":
		return subject + " matches " + a.Matches
	case a.Exists != nil && !*a.Exists:
		return subject + " is absent"
	}
	return subject + " exists"
}

// Location is where a request came from. The zero value means it was built in memory.
type Location struct {
	// File is the file's path as the source names it.
	File string `json:"file,omitempty"`
	// Line and Column are 1-based; 0 means unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// Position is a place in a request file.
type Position struct {
	// Line and Column are 1-based; 0 means unknown.
	Line, Column int
}

// Position returns where the value of field is in the request's file, or the nearest
// enclosing field that has a position; the zero Position when unknown.
func (r *Request) Position(field string) Position {
	for p := field; ; {
		if pos, ok := r.pos[p]; ok {
			return pos
		}
		i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
		if i <= 0 {
			return r.pos[""]
		}
		p = p[:i]
	}
}

// Problem returns a Problem at field of r.
func (r *Request) Problem(field, format string, args ...any) Problem {
	return Problem{File: r.Source.File, Position: r.Position(field), Field: field, Message: fmt.Sprintf(format, args...)}
}

// Problem is one thing wrong with a request file or with a request's variables.
type Problem struct {
	// File is the request file's path; "" for a request built in memory.
	File string
	// Position is where the problem is.
	Position
	// Field is the dotted path of the offending field ("headers.Authorization",
	// "assert[1].status"); "" means the file as a whole.
	Field string
	// Message says what is wrong and what is expected.
	Message string
}

// Error formats the problem as "file:line:col: field: message".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found; it is the error loading and checking return.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}
