// Package problem writes RFC 9457 problem details (application/problem+json), the one
// format every Gantry HTTP error uses.
package problem

import (
	"encoding/json"
	"net/http"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// TypeBase prefixes Gantry's problem type URIs.
const TypeBase = "https://gantry.dev/problems/"

// Details is an RFC 9457 problem document with Gantry's extension members.
type Details struct {
	// Type is a URI naming the problem type; "" is written as "about:blank".
	Type string `json:"type"`
	// Title is a short, human-readable summary of the problem type.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence in words a user can act on.
	Detail string `json:"detail,omitempty"`
	// Instance identifies this occurrence (the escaped request path); "" leaves it out.
	Instance string `json:"instance,omitempty"`
	// Errors lists individual violations, e.g. one per invalid parameter; nil leaves it out.
	Errors []Violation `json:"errors,omitempty"`
	// Extra holds further extension members, merged into the top-level object.
	Extra map[string]any `json:"-"`
}

// Violation is one entry of Details.Errors.
type Violation struct {
	// In is where the problem is: "path", "query", "header", "cookie", "body" or "security".
	In string `json:"in"`
	// Name is the parameter name, or the JSON pointer into the body ("" for the whole body).
	Name string `json:"name,omitempty"`
	// Detail says what was wrong.
	Detail string `json:"detail"`
}

// New returns a problem of the given status whose type is TypeBase+slug and whose title is
// the status text.
func New(status int, slug, detail string) *Details {
	return &Details{Type: TypeBase + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// MarshalJSON writes d with its Extra members at the top level.
func (d *Details) MarshalJSON() ([]byte, error) {
	type plain Details
	p := plain(*d)
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	b, err := json.Marshal(p)
	if err != nil || len(d.Extra) == 0 {
		return b, err
	}
	m := map[string]any{}
	for k, v := range d.Extra {
		m[k] = v
	}
	var base map[string]any
	if err := json.Unmarshal(b, &base); err != nil {
		return nil, err
	}
	for k, v := range base {
		m[k] = v
	}
	return json.Marshal(m)
}

// Write sends d as the response: status, Content-Type and the JSON body. Instance defaults
// to the request path. Headers already set on w (Allow, WWW-Authenticate, ...) are kept.
func Write(w http.ResponseWriter, r *http.Request, d *Details) {
	if d.Instance == "" && r != nil {
		d.Instance = r.URL.EscapedPath()
	}
	body, err := json.Marshal(d)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		d.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(d.Status)
	if r == nil || r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}

// Error is shorthand for Write(w, r, New(status, slug, detail)).
func Error(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	Write(w, r, New(status, slug, detail))
}
