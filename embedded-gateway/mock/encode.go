package mock

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gantry-dev/gantry/core/apidef"
)

// ---- content negotiation ----

type mediaRange struct {
	typ, sub string
	q        float64
	order    int
}

// parseAccept parses an Accept header; parameters other than q are ignored.
func parseAccept(h string) []mediaRange {
	var out []mediaRange
	for i, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, _ := strings.Cut(part, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
		if !ok {
			if typ != "*" {
				continue
			}
			sub = "*"
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		out = append(out, mediaRange{typ: strings.TrimSpace(typ), sub: strings.TrimSpace(sub), q: q, order: i})
	}
	return out
}

// splitType returns the lower-case type and subtype of a media type, parameters dropped.
func splitType(mt string) (string, string) {
	mt, _, _ = strings.Cut(mt, ";")
	t, s, _ := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
	return t, s
}

// negotiate picks the declared media type for an Accept header. It returns the index into
// resp.Content (-1: the response has no body), the media type to send, and false when the
// response has content but none of it is acceptable (406).
func negotiate(resp *apidef.Response, accept string) (int, string, bool) {
	content := resp.Content
	if len(content) == 0 {
		return -1, "", true
	}
	accept = strings.TrimSpace(accept)
	if accept == "" || accept == "*/*" {
		i := defaultMediaType(content)
		return i, servedType(content[i].Type, mediaRange{typ: "*", sub: "*"}), true
	}
	if !strings.ContainsAny(accept, ",;*") {
		// Fast path: a single concrete type that is declared as such.
		for i, mt := range content {
			if strings.EqualFold(mt.Type, accept) {
				return i, mt.Type, true
			}
		}
	}
	ranges := parseAccept(accept)
	best, bestQ, bestSpec, bestOrder := -1, 0.0, -1, 0
	var bestRange mediaRange
	for i, mt := range content {
		dt, ds := splitType(mt.Type)
		q, spec, order, rng := -1.0, -1, 0, mediaRange{}
		for _, r := range ranges {
			s := matchSpecificity(dt, ds, r)
			if s < 0 {
				continue
			}
			if s > spec || (s == spec && r.q > q) {
				q, spec, order, rng = r.q, s, r.order, r
			}
		}
		if spec < 0 || q <= 0 {
			continue
		}
		if best < 0 || q > bestQ || (q == bestQ && (spec > bestSpec || spec == bestSpec && order < bestOrder)) {
			best, bestQ, bestSpec, bestOrder, bestRange = i, q, spec, order, rng
		}
	}
	if best < 0 {
		return 0, "", false
	}
	return best, servedType(content[best].Type, bestRange), true
}

// matchSpecificity says how specifically r matches the declared type (-1: no match). A declared
// wildcard ("*/*", "image/*") matches any range it covers. A "+json"/"+xml" structured suffix
// is matched by its base type with the lowest specificity.
func matchSpecificity(dt, ds string, r mediaRange) int {
	switch {
	case r.typ == "*" && r.sub == "*":
		return 1
	case r.typ != dt && dt != "*":
		return -1
	case r.sub == "*":
		return 2
	case r.sub == ds:
		return 3
	case ds == "*":
		return 3
	case r.typ == "application" && (r.sub == "json" || r.sub == "xml") && strings.HasSuffix(ds, "+"+r.sub):
		return 0
	}
	return -1
}

// defaultMediaType is used without Accept: a declared "*/*" first (Prism), then the first
// JSON type, then the first declared one.
func defaultMediaType(content []*apidef.MediaType) int {
	for i, mt := range content {
		if strings.TrimSpace(mt.Type) == "*/*" {
			return i
		}
	}
	for i, mt := range content {
		if isJSON(mt.Type) {
			return i
		}
	}
	return 0
}

// servedType is the concrete Content-Type sent for a declared type matched by r.
func servedType(declared string, r mediaRange) string {
	dt, ds := splitType(declared)
	if dt != "*" && ds != "*" {
		mt, _, _ := strings.Cut(declared, ";")
		return strings.TrimSpace(mt)
	}
	if r.typ != "*" && r.sub != "*" {
		return r.typ + "/" + r.sub
	}
	switch dt {
	case "*":
		return "text/plain" // what Prism sends for */*
	case "application":
		return "application/json"
	case "image":
		return "image/png"
	case "text":
		return "text/plain"
	}
	return dt + "/octet-stream"
}

func isJSON(mt string) bool {
	t, s := splitType(mt)
	return (t == "application" || t == "*") && (s == "json" || strings.HasSuffix(s, "+json")) || strings.HasSuffix(s, "+json") || s == "x-ndjson"
}

func isXML(mt string) bool {
	t, s := splitType(mt)
	return s == "xml" || strings.HasSuffix(s, "+xml") || (t == "text" && s == "xml")
}

// contentType adds a charset to textual types.
func contentType(mt string) string {
	t, _ := splitType(mt)
	if t == "text" {
		return mt + "; charset=utf-8"
	}
	return mt
}

// ---- bodies ----

// Placeholder bodies for binary media types: each a minimal valid file.
const (
	// pngPixel is a 1x1 transparent PNG.
	pngPixel = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
	// gifPixel is a 1x1 transparent GIF.
	gifPixel = "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
	// svgImage is an empty 1x1 SVG.
	svgImage = `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`
	// pdfDoc is a one-page empty PDF.
	pdfDoc = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 1 1]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

// binaryPlaceholder returns the built-in body for a binary media type, if there is one.
func binaryPlaceholder(mt string) (string, bool) {
	t, s := splitType(mt)
	switch {
	case t == "image" && s == "png":
		return pngPixel, true
	case t == "image" && s == "gif":
		return gifPixel, true
	case t == "image" && s == "svg+xml":
		return svgImage, true
	case t == "image":
		return pngPixel, true // any other image type: a PNG is the most widely decodable
	case t == "application" && s == "pdf":
		return pdfDoc, true
	}
	return "", false
}

// encodeExample renders an example value for a media type. JSON types get the example
// verbatim; other types get the text of a string example, or a rendering of the value.
func encodeExample(mt string, raw json.RawMessage) ([]byte, error) {
	if isJSON(mt) {
		return []byte(raw), nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s), nil
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("example is not JSON: %w", err)
	}
	return encodeValue(mt, v, "")
}

// encodeValue renders a generated value for a media type:
//   - JSON types (application/json, */*+json): the JSON encoding;
//   - XML types (application/xml, text/xml, */*+xml except SVG): a simple XML rendering whose
//     root element is named after the schema (or "root");
//   - image/* and application/pdf: a minimal valid file (a 1x1 PNG or GIF, an empty SVG or PDF);
//   - application/x-www-form-urlencoded: the object's properties form-encoded;
//   - anything else (text/*, application/octet-stream, ...): a string value as is, any other
//     value as JSON.
func encodeValue(mt string, v any, name string) ([]byte, error) {
	if b, ok := binaryPlaceholder(mt); ok {
		return []byte(b), nil
	}
	switch {
	case isJSON(mt):
		return json.Marshal(v)
	case isXML(mt):
		return renderXML(v, name)
	}
	if _, s := splitType(mt); s == "x-www-form-urlencoded" {
		if o, ok := v.(*Object); ok {
			return []byte(formEncode(o)), nil
		}
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s), nil
		}
	}
	return json.Marshal(v)
}

func formEncode(o *Object) string {
	vals := url.Values{}
	for _, k := range o.keys {
		b, _ := json.Marshal(o.vals[k])
		var s string
		if json.Unmarshal(b, &s) != nil {
			s = string(b)
		}
		vals.Add(k, s)
	}
	return vals.Encode()
}

// renderXML writes v as XML: objects as elements per property, arrays as repeated <item>
// elements, scalars as text.
func renderXML(v any, name string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if name == "" {
		name = "root"
	}
	if err := writeXML(&b, xmlName(name), normalize(v)); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// normalize turns json.RawMessage values into decoded ones for rendering.
func normalize(v any) any {
	if raw, ok := v.(json.RawMessage); ok {
		var x any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&x) == nil {
			return x
		}
	}
	return v
}

func writeXML(b *bytes.Buffer, name string, v any) error {
	v = normalize(v)
	b.WriteString("<" + name + ">")
	switch x := v.(type) {
	case nil:
	case *Object:
		for _, k := range x.keys {
			if err := writeXML(b, xmlName(k), x.vals[k]); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := writeXML(b, xmlName(k), x[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := writeXML(b, "item", e); err != nil {
				return err
			}
		}
	default:
		if err := xml.EscapeText(b, []byte(scalarString(x))); err != nil {
			return err
		}
	}
	b.WriteString("</" + name + ">")
	return nil
}

// xmlName makes a valid XML element name from a property name.
func xmlName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_' || (i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'))
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	out := b.String()
	if strings.HasPrefix(strings.ToLower(out), "xml") {
		out = "_" + out
	}
	return out
}
