package har

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// Parse reads a HAR document and checks what Gantry needs of it: a "log" object, version
// 1.x (or none, meaning 1.1), an "entries" array, and in every entry a startedDateTime, a
// request with a method and an absolute URL, a response with a status, and body encodings
// it can decode. Other fields the spec requires are not enforced. Errors name the JSON
// position or the field path, such as "log.entries[3].request.method".
func Parse(r io.Reader) (*HAR, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading HAR: %w", err)
	}
	var h HAR
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("parsing HAR: %w", describeJSONError(data, err))
	}
	// A second, shape-only pass tells missing members from zero values.
	var p presence
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("parsing HAR: %w", describeJSONError(data, err))
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("parsing HAR: %w", err)
	}
	if err := validate(&h); err != nil {
		return nil, fmt.Errorf("parsing HAR: %w", err)
	}
	return &h, nil
}

// presence mirrors the members Parse requires, with pointers to tell absent from empty.
type presence struct {
	Log *struct {
		Entries *[]struct {
			StartedDateTime *string `json:"startedDateTime"`
			Request         *struct {
				Method *string `json:"method"`
				URL    *string `json:"url"`
			} `json:"request"`
			Response *struct {
				Status *json.RawMessage `json:"status"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

// check reports the first required member that is missing.
func (p *presence) check() error {
	if p.Log == nil {
		return errors.New(`missing the top-level "log" object`)
	}
	if p.Log.Entries == nil {
		return errors.New("log.entries is missing")
	}
	for i, e := range *p.Log.Entries {
		at := fmt.Sprintf("log.entries[%d]", i)
		switch {
		case e.StartedDateTime == nil:
			return fmt.Errorf("%s: missing startedDateTime", at)
		case e.Request == nil:
			return fmt.Errorf("%s: missing request", at)
		case e.Request.Method == nil:
			return fmt.Errorf("%s: missing request.method", at)
		case e.Request.URL == nil:
			return fmt.Errorf("%s: missing request.url", at)
		case e.Response == nil:
			return fmt.Errorf("%s: missing response", at)
		case e.Response.Status == nil:
			return fmt.Errorf("%s: missing response.status", at)
		}
	}
	return nil
}

// describeJSONError turns a decoding error into one that names the line, column and field.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		if strings.Contains(syn.Error(), "unexpected end of JSON input") {
			return fmt.Errorf("invalid JSON: the document ends too early, at line %d, column %d", line, col)
		}
		return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Errorf("%s at line %d, column %d: a JSON %s where %s belongs", field, line, col, typ.Value, jsonKind(typ))
	}
	return err
}

// jsonKind names the JSON type that a Go type decodes from.
func jsonKind(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "another type"
	}
	switch e.Type.Kind().String() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return e.Type.String()
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// validate checks the values Gantry relies on; it is shared by Parse and ToExchanges.
func validate(h *HAR) error {
	if v := h.Log.Version; v != "" && !strings.HasPrefix(v, "1.") {
		return fmt.Errorf("log.version is %q; only HAR 1.x is supported", v)
	}
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		at := fmt.Sprintf("log.entries[%d]", i)
		if _, err := parseTime(e.StartedDateTime); err != nil {
			return fmt.Errorf("%s.startedDateTime %q is not an ISO 8601 date-time", at, e.StartedDateTime)
		}
		if e.Request.Method == "" {
			return fmt.Errorf("%s: missing request.method", at)
		}
		if e.Request.URL == "" {
			return fmt.Errorf("%s: missing request.url", at)
		}
		if _, _, _, err := splitURL(e.Request.URL); err != nil {
			return fmt.Errorf("%s.request.url %q: %w", at, e.Request.URL, err)
		}
		if e.Response.Status < 0 || e.Response.Status > 999 {
			return fmt.Errorf("%s.response.status %d is not an HTTP status", at, e.Response.Status)
		}
		if math.IsNaN(e.Time) || math.IsInf(e.Time, 0) {
			return fmt.Errorf("%s.time is not a number", at)
		}
		if pd := e.Request.PostData; pd != nil {
			if _, err := decodeBody(pd.Text, pd.Encoding); err != nil {
				return fmt.Errorf("%s.request.postData: %w", at, err)
			}
		}
		if _, err := decodeBody(e.Response.Content.Text, e.Response.Content.Encoding); err != nil {
			return fmt.Errorf("%s.response.content: %w", at, err)
		}
	}
	return nil
}

// parseTime reads an ISO 8601 date-time; one without a zone is taken as UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}

// splitURL splits an absolute http(s) URL into its scheme (lower case), host and the rest
// (path and query as written, fragment removed; "/" if empty).
func splitURL(raw string) (scheme, host, rest string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", errors.New("not a valid URL")
	}
	scheme = strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", "", errors.New("not an absolute http or https URL")
	}
	if u.Host == "" {
		return "", "", "", errors.New("the URL has no host")
	}
	after := raw[len(u.Scheme)+len("://"):]
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	rest, _, _ = strings.Cut(after[end:], "#")
	if rest == "" || rest[0] == '?' {
		rest = "/" + rest
	}
	return scheme, u.Host, rest, nil
}

// decodeBody returns the bytes of a text with the given encoding ("" or "base64").
func decodeBody(text, encoding string) ([]byte, error) {
	switch encoding {
	case "":
		if text == "" {
			return nil, nil
		}
		return []byte(text), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, fmt.Errorf("text is not valid base64: %w", err)
		}
		if len(b) == 0 {
			return nil, nil
		}
		return b, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (want \"base64\" or none)", encoding)
}

// ToExchanges converts HAR entries back to exchanges, in the order of the file. It carries
// what HAR holds: the request line, headers (HTTP/2 pseudo-headers and Host are left out,
// as Go keeps them elsewhere), bodies and their sizes, status, start and duration, and the
// "_gantry" fields when present. Entries without a "_gantry" ID get an empty ID: the caller
// assigns one. URLs with scheme http become origin-form ("/path?query") with Host set; other
// schemes stay absolute, since an exchange has no scheme field.
func ToExchanges(h *HAR) ([]*model.Exchange, error) {
	if h == nil {
		return nil, errors.New("converting HAR: no document")
	}
	if err := validate(h); err != nil {
		return nil, fmt.Errorf("converting HAR: %w", err)
	}
	xs := make([]*model.Exchange, 0, len(h.Log.Entries))
	for i := range h.Log.Entries {
		xs = append(xs, toExchange(&h.Log.Entries[i]))
	}
	return xs, nil
}

// toExchange converts one entry that validate accepted.
func toExchange(e *Entry) *model.Exchange {
	started, _ := parseTime(e.StartedDateTime)
	scheme, host, rest, _ := splitURL(e.Request.URL)
	x := &model.Exchange{
		StartedAt:       started,
		Duration:        time.Duration(math.Round(max(e.Time, 0) * float64(time.Millisecond))),
		Method:          e.Request.Method,
		URL:             rest,
		Host:            host,
		Proto:           e.Request.HTTPVersion,
		RequestHeaders:  toHeader(e.Request.Headers),
		Status:          e.Response.Status,
		ResponseHeaders: toHeader(e.Response.Headers),
	}
	if scheme != "http" { // "" means http
		x.Scheme = scheme
	}
	if pd := e.Request.PostData; pd != nil {
		x.RequestBody, _ = decodeBody(pd.Text, pd.Encoding)
		if len(x.RequestBody) == 0 && len(pd.Params) > 0 {
			x.RequestBody = encodeParams(pd.Params)
		}
	}
	x.RequestSize = max(e.Request.BodySize, int64(len(x.RequestBody)))
	x.ResponseBody, _ = decodeBody(e.Response.Content.Text, e.Response.Content.Encoding)
	size := e.Response.Content.Size
	if size <= 0 {
		size = e.Response.BodySize
	}
	x.ResponseSize = max(size, int64(len(x.ResponseBody)))
	if g := e.Gantry; g != nil {
		x.ID, x.API, x.Operation, x.Mode, x.ClientAddr = g.ID, g.API, g.Operation, g.Mode, g.ClientAddr
		x.Violations = g.Violations
		x.Warnings = g.Warnings
	}
	return x
}

// toHeader builds an http.Header, canonicalizing names; nil if there are none.
func toHeader(hs []Header) http.Header {
	var h http.Header
	for _, hd := range hs {
		if hd.Name == "" || strings.HasPrefix(hd.Name, ":") || strings.EqualFold(hd.Name, "Host") {
			continue
		}
		if h == nil {
			h = make(http.Header, len(hs))
		}
		k := http.CanonicalHeaderKey(hd.Name)
		h[k] = append(h[k], hd.Value)
	}
	return h
}

// encodeParams rebuilds a URL-encoded body from posted parameters.
func encodeParams(ps []Param) []byte {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return []byte(b.String())
}
