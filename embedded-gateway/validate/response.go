package validate

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/responses"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	lowv3 "github.com/pb33f/libopenapi/datamodel/low/v3"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Violation locations used for responses, beside the request ones ("header", "body").
const (
	// InStatus marks a violation of the response status; Name is the status code.
	InStatus = "status"
	// InHeader marks a violation of a response header; Name is the header name.
	InHeader = "header"
	// InBody marks a violation of the body; Name is a JSON pointer ("" for the whole body).
	InBody = "body"
)

// respState is an operation's response validator, built on first use from the operation's
// document with its responses rendered, and reused afterwards.
type respState struct {
	once     sync.Once
	err      error
	rv       responses.ResponseBodyValidator
	pathItem *v3.PathItem
}

// Response checks a response that op gave to a request made with method ("" means
// op.Method): the status must be declared (exactly, by its range such as 2XX, or by
// default), the Content-Type must be one the matched response declares, the body must be
// valid against that media type's schema, and every header the response declares as required
// must be present (and every declared header valid against its schema). Violations name the
// status ("status", Name the code), a header ("header", Name the header) or a place in the
// body ("body", Name a JSON pointer). The response to a HEAD request is not expected to have
// a body. An error means the operation's validator could not be built.
func (v *Validator) Response(op *apidef.Operation, method string, status int, header http.Header, body []byte) ([]model.Violation, error) {
	if method == "" {
		method = op.Method
	}
	if header == nil {
		header = http.Header{}
	}
	resp := FindResponse(op, status)
	if resp == nil {
		return []model.Violation{{In: InStatus, Name: strconv.Itoa(status),
			Message: fmt.Sprintf("status %d is not declared for operation %s (declared: %s)", status, op.ID, DeclaredStatuses(op))}}, nil
	}
	var out []model.Violation
	ctype := header.Get("Content-Type")
	mediaType, _, _ := mime.ParseMediaType(ctype)
	head := strings.EqualFold(method, http.MethodHead)
	noBodyStatus := status == http.StatusNoContent || status == http.StatusNotModified || status < 200
	switch {
	case len(resp.Content) == 0:
		if len(body) > 0 && !head {
			out = append(out, model.Violation{In: InBody, Message: fmt.Sprintf(
				"the %s response declares no content, but %d bytes%s were sent", resp.Status, len(body), ofType(mediaType))})
		}
	case head || noBodyStatus:
		// No body is expected whatever the response declares.
	case len(body) == 0:
		out = append(out, model.Violation{In: InBody, Message: fmt.Sprintf(
			"the %s response declares content (%s), but the body is empty", resp.Status, declaredTypes(resp))})
	case ctype == "":
		out = append(out, model.Violation{In: InHeader, Name: "Content-Type", Message: fmt.Sprintf(
			"no Content-Type was sent with a %d-byte body; the %s response declares %s", len(body), resp.Status, declaredTypes(resp))})
	case MatchMediaType(resp, ctype) == nil:
		out = append(out, model.Violation{In: InHeader, Name: "Content-Type", Message: fmt.Sprintf(
			"media type %q is not declared for the %s response (declared: %s)", mediaType, resp.Status, declaredTypes(resp))})
	}
	if len(out) > 0 {
		// The body cannot be judged against a schema that does not apply; headers still can.
		return sortViolations(append(out, v.headerViolations(op, resp, status, header)...)), nil
	}
	st := v.respState(op)
	st.once.Do(func() { st.build(v.def, op) })
	if st.err != nil {
		return nil, st.err
	}
	if head || noBodyStatus {
		return sortViolations(v.headerViolations(op, resp, status, header)), nil
	}
	errs := st.validate(op, status, header, body)
	return sortViolations(responseViolations(errs)), nil
}

// headerViolations checks only the declared headers (for responses whose body is not judged).
func (v *Validator) headerViolations(op *apidef.Operation, resp *apidef.Response, status int, header http.Header) []model.Violation {
	if len(resp.Headers) == 0 {
		return nil
	}
	st := v.respState(op)
	st.once.Do(func() { st.build(v.def, op) })
	if st.err != nil {
		var out []model.Violation
		for _, h := range resp.Headers {
			if h.Required && header.Get(h.Name) == "" && !strings.EqualFold(h.Name, "Content-Type") {
				out = append(out, model.Violation{In: InHeader, Name: h.Name, Message: fmt.Sprintf("required header %s is missing", h.Name)})
			}
		}
		return out
	}
	r := st.pathItem.GetOperations().GetOrZero(strings.ToLower(op.Method))
	if r == nil || r.Responses == nil {
		return nil
	}
	decl := r.Responses.Codes.GetOrZero(strings.ToUpper(resp.Status))
	if resp.Status == "default" {
		decl = r.Responses.Default
	}
	if decl == nil || decl.Headers == nil {
		return nil
	}
	req := operationRequest(op)
	hr := &http.Response{StatusCode: status, Header: header, Body: http.NoBody, Request: req}
	_, errs := responses.ValidateResponseHeaders(req, hr, decl.Headers, op.Path, resp.Status, config.WithFormatAssertions())
	return responseViolations(errs)
}

func ofType(mediaType string) string {
	if mediaType == "" {
		return ""
	}
	return " of " + mediaType
}

func declaredTypes(resp *apidef.Response) string {
	types := make([]string, len(resp.Content))
	for i, mt := range resp.Content {
		types[i] = mt.Type
	}
	return strings.Join(types, ", ")
}

// respState returns op's response state; an operation that is not part of the definition
// gets a fresh one.
func (v *Validator) respState(op *apidef.Operation) *respState {
	if st := v.ops[op]; st != nil {
		return &st.resp
	}
	v.extraMu.Lock()
	defer v.extraMu.Unlock()
	if v.extra == nil {
		v.extra = map[*apidef.Operation]*respState{}
	}
	st := v.extra[op]
	if st == nil {
		st = &respState{}
		v.extra[op] = st
	}
	return st
}

func (st *respState) build(def *apidef.Definition, op *apidef.Operation) {
	doc, err := operationDocument(def, op, true)
	if err != nil {
		st.err = err
		return
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		st.err = fmt.Errorf("response validator for %s: %w", op.ID, err)
		return
	}
	m, err := d.BuildV3Model()
	if m == nil {
		st.err = fmt.Errorf("response validator for %s: %w", op.ID, err)
		return
	}
	pi := m.Model.Paths.PathItems.GetOrZero(op.Path)
	if pi == nil {
		st.err = fmt.Errorf("response validator for %s: path %s missing from rendered document", op.ID, op.Path)
		return
	}
	val := validator.NewValidatorFromV3Model(&m.Model,
		config.WithoutSecurityValidation(),
		config.WithFormatAssertions(),
	)
	st.rv, st.pathItem = val.GetResponseBodyValidator(), pi
}

// operationRequest makes the request the library locates the operation by.
func operationRequest(op *apidef.Operation) *http.Request {
	r, _ := http.NewRequest(op.Method, "http://validate.invalid/", nil)
	r.URL.Path = op.Path
	return r
}

func (st *respState) validate(op *apidef.Operation, status int, header http.Header, body []byte) []*verrors.ValidationError {
	req := operationRequest(op)
	hr := &http.Response{StatusCode: status, Header: header, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	_, errs := st.rv.ValidateResponseBodyWithPathItem(req, hr, st.pathItem, op.Path)
	return errs
}

// FindResponse returns the response op declares for status: the exact code, else its range
// ("4XX", any case), else "default"; nil when none covers it.
func FindResponse(op *apidef.Operation, status int) *apidef.Response {
	exact := strconv.Itoa(status)
	var rng, def *apidef.Response
	for _, r := range op.Responses {
		switch {
		case r.Status == exact:
			return r
		case len(r.Status) == 3 && strings.EqualFold(r.Status[1:], "XX") && r.Status[0] == exact[0]:
			if rng == nil {
				rng = r
			}
		case r.Status == "default":
			def = r
		}
	}
	if rng != nil {
		return rng
	}
	return def
}

// DeclaredStatuses lists op's declared statuses as written ("200, 4XX, default"), or "none".
func DeclaredStatuses(op *apidef.Operation) string {
	if len(op.Responses) == 0 {
		return "none"
	}
	out := make([]string, len(op.Responses))
	for i, r := range op.Responses {
		out[i] = r.Status
	}
	return strings.Join(out, ", ")
}

// MatchMediaType returns the media type of resp that covers the Content-Type ctype: the
// exact type, else a declared range ("application/*", "*/*") or a structured-syntax match
// (a declared "application/*+json"); nil when none does. Parameters are ignored.
func MatchMediaType(resp *apidef.Response, ctype string) *apidef.MediaType {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ctype, ";")[0]))
	}
	typ, sub, _ := strings.Cut(mt, "/")
	suffix := ""
	if i := strings.LastIndexByte(sub, '+'); i >= 0 {
		suffix = sub[i:]
	}
	var best *apidef.MediaType
	bestRank := 0
	for _, d := range resp.Content {
		key, _, err := mime.ParseMediaType(d.Type)
		if err != nil {
			key = strings.ToLower(strings.TrimSpace(strings.Split(d.Type, ";")[0]))
		}
		rank := 0
		switch key {
		case mt:
			rank = 5
		case typ + "/*" + suffix:
			rank = 4
		case typ + "/*":
			rank = 3
		case "*/" + sub:
			rank = 2
		case "*/*":
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = d, rank
		}
	}
	return best
}

// responseViolations turns the library's response findings into violations.
func responseViolations(errs []*verrors.ValidationError) []model.Violation {
	var out []model.Violation
	for _, e := range errs {
		if e == nil {
			continue
		}
		if e.ValidationSubType == helpers.ParameterValidationHeader || e.ValidationSubType == lowv3.HeadersLabel {
			name := e.ParameterName
			if len(e.SchemaValidationErrors) > 0 && e.SchemaValidationErrors[0].FieldName != "" && name == "" {
				name = e.SchemaValidationErrors[0].FieldName
			}
			name = http.CanonicalHeaderKey(name)
			if e.Message == "Missing required header" || len(e.SchemaValidationErrors) == 0 {
				msg := e.Reason
				if msg == "" {
					msg = e.Message
				}
				out = append(out, model.Violation{In: InHeader, Name: name, Message: msg})
				continue
			}
			for _, f := range e.SchemaValidationErrors {
				out = append(out, model.Violation{In: InHeader, Name: name, Message: fmt.Sprintf("header %s: %s", name, f.Reason)})
			}
			continue
		}
		if e.ValidationSubType == helpers.ResponseBodyResponseCode {
			out = append(out, model.Violation{In: InStatus, Message: e.Message})
			continue
		}
		if len(e.SchemaValidationErrors) == 0 {
			msg := e.Message
			if why, ok := strings.CutPrefix(e.Reason, "The response body cannot be decoded: "); ok {
				msg = "the body cannot be decoded: " + why
			} else if e.Reason != "" && !strings.Contains(msg, e.Reason) {
				msg += ": " + e.Reason
			}
			out = append(out, model.Violation{In: InBody, Message: msg})
			continue
		}
		for _, f := range e.SchemaValidationErrors {
			out = append(out, model.Violation{In: InBody, Name: pointer(f), Message: f.Reason})
		}
	}
	return out
}

// sortViolations orders violations by place (status, header, body) and removes duplicates.
func sortViolations(vs []model.Violation) []model.Violation {
	rank := map[string]int{InStatus: 0, InHeader: 1, InBody: 2}
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].In != vs[j].In {
			return rank[vs[i].In] < rank[vs[j].In]
		}
		if vs[i].Name != vs[j].Name {
			return vs[i].Name < vs[j].Name
		}
		return vs[i].Message < vs[j].Message
	})
	return slices.CompactFunc(vs, func(a, b model.Violation) bool { return a == b })
}

// renderResponses renders op's responses for the operation document, visiting every schema
// they use.
func renderResponses(op *apidef.Operation, visit func(*apidef.Schema)) map[string]any {
	out := map[string]any{}
	for _, r := range op.Responses {
		rm := map[string]any{"description": r.Description}
		if r.Description == "" {
			rm["description"] = "response " + r.Status
		}
		if len(r.Headers) > 0 {
			hs := map[string]any{}
			for _, h := range r.Headers {
				visit(h.Schema)
				hm := map[string]any{"required": h.Required}
				if h.Schema != nil {
					hm["schema"] = h.Schema
				} else {
					hm["schema"] = map[string]any{}
				}
				hs[h.Name] = hm
			}
			rm["headers"] = hs
		}
		if len(r.Content) > 0 {
			content := map[string]any{}
			for _, mt := range r.Content {
				visit(mt.Schema)
				m := map[string]any{}
				if mt.Schema != nil {
					m["schema"] = mt.Schema
				}
				content[mt.Type] = m
			}
			rm["content"] = content
		}
		key := r.Status
		if key != "default" {
			key = strings.ToUpper(key)
		}
		out[key] = rm
	}
	if len(out) == 0 {
		out["default"] = map[string]any{"description": "any"}
	}
	return out
}
