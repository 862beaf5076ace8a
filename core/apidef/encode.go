package apidef

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// This file writes a Schema's JSON form by hand. The bytes are exactly those encoding/json
// produces for the struct tags of Schema (field order, omitempty, HTML-safe string escaping,
// the float format, sorted map keys, compacted raw values), with the two MarshalJSON rules on
// top: a boolean schema is true or false, and a single type is written as a string after all
// other keywords (where encoding/json puts the shadowing field of the old wrapper struct).
// Nested schemas are written in the same pass, so a large Definition is encoded in linear
// time instead of re-validating every nested schema's output at each level.

// appendSchema appends the JSON form of s (null for a nil s) to buf.
func appendSchema(buf []byte, s *Schema) ([]byte, error) {
	if s == nil {
		return append(buf, "null"...), nil
	}
	if s.Bool != nil {
		if *s.Bool {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	}
	var err error
	buf = append(buf, '{')
	first := true
	key := func(k string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, k...)
		buf = append(buf, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			buf = appendJSONString(buf, v)
		}
	}
	num := func(k string, v *float64) {
		if v != nil && err == nil {
			key(k)
			buf, err = appendFloat(buf, *v)
		}
	}
	integer := func(k string, v *int) {
		if v != nil {
			key(k)
			buf = strconv.AppendInt(buf, int64(*v), 10)
		}
	}
	flag := func(k string, v bool) {
		if v {
			key(k)
			buf = append(buf, "true"...)
		}
	}
	raw := func(k string, v json.RawMessage) {
		if len(v) > 0 && err == nil {
			key(k)
			buf, err = appendRaw(buf, v)
		}
	}
	raws := func(k string, vs []json.RawMessage) {
		if len(vs) > 0 && err == nil {
			key(k)
			buf, err = appendArray(buf, vs, appendRaw)
		}
	}
	strs := func(k string, vs []string) {
		if len(vs) == 0 {
			return
		}
		key(k)
		buf = appendStrings(buf, vs)
	}
	sub := func(k string, v *Schema) {
		if v != nil && err == nil {
			key(k)
			buf, err = appendSchema(buf, v)
		}
	}
	list := func(k string, vs []*Schema) {
		if len(vs) > 0 && err == nil {
			key(k)
			buf, err = appendArray(buf, vs, appendSchema)
		}
	}

	str("$ref", s.Ref)
	if len(s.Type) != 1 {
		strs("type", s.Type)
	}
	str("format", s.Format)
	str("title", s.Title)
	str("description", s.Description)
	raws("enum", s.Enum)
	raw("const", s.Const)
	raw("default", s.Default)
	raws("examples", s.Examples)
	num("multipleOf", s.MultipleOf)
	num("minimum", s.Minimum)
	num("maximum", s.Maximum)
	num("exclusiveMinimum", s.ExclusiveMinimum)
	num("exclusiveMaximum", s.ExclusiveMaximum)
	integer("minLength", s.MinLength)
	integer("maxLength", s.MaxLength)
	str("pattern", s.Pattern)
	sub("items", s.Items)
	list("prefixItems", s.PrefixItems)
	integer("minItems", s.MinItems)
	integer("maxItems", s.MaxItems)
	flag("uniqueItems", s.UniqueItems)
	if len(s.Properties) > 0 && err == nil {
		key("properties")
		buf = append(buf, '{')
		for i, name := range slices.Sorted(maps.Keys(s.Properties)) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, name)
			buf = append(buf, ':')
			if buf, err = appendSchema(buf, s.Properties[name]); err != nil {
				break
			}
		}
		buf = append(buf, '}')
	}
	strs("x-gantry-order", s.PropertyOrder)
	strs("required", s.Required)
	sub("additionalProperties", s.AdditionalProperties)
	integer("minProperties", s.MinProperties)
	integer("maxProperties", s.MaxProperties)
	list("allOf", s.AllOf)
	list("oneOf", s.OneOf)
	list("anyOf", s.AnyOf)
	sub("not", s.Not)
	if d := s.Discriminator; d != nil {
		key("discriminator")
		buf = append(buf, `{"propertyName":`...)
		buf = appendJSONString(buf, d.PropertyName)
		if len(d.Mapping) > 0 {
			buf = append(buf, `,"mapping":{`...)
			for i, k := range slices.Sorted(maps.Keys(d.Mapping)) {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendJSONString(buf, k)
				buf = append(buf, ':')
				buf = appendJSONString(buf, d.Mapping[k])
			}
			buf = append(buf, '}')
		}
		buf = append(buf, '}')
	}
	flag("readOnly", s.ReadOnly)
	flag("writeOnly", s.WriteOnly)
	if len(s.Type) == 1 {
		key("type")
		buf = appendJSONString(buf, s.Type[0])
	}
	if err != nil {
		return nil, err
	}
	return append(buf, '}'), nil
}

// appendArray appends vs as a JSON array, each element encoded by enc.
func appendArray[T any](buf []byte, vs []T, enc func([]byte, T) ([]byte, error)) ([]byte, error) {
	buf = append(buf, '[')
	for i, v := range vs {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = enc(buf, v); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendStrings appends vs as a JSON array of strings.
func appendStrings(buf []byte, vs []string) []byte {
	buf = append(buf, '[')
	for i, v := range vs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, v)
	}
	return append(buf, ']')
}

// appendFloat appends f the way encoding/json writes a float64 (ES6 number formatting).
func appendFloat(buf []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9.
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

// appendRaw appends a raw JSON value the way encoding/json writes a json.RawMessage: nil as
// null, otherwise validated, compacted and HTML-escaped.
func appendRaw(buf []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(buf, "null"...), nil
	}
	if plainCompact(raw) {
		return append(buf, raw...), nil
	}
	b := bytes.NewBuffer(buf)
	start := b.Len()
	if err := json.Compact(b, raw); err != nil {
		return nil, &json.MarshalerError{Type: reflect.TypeFor[json.RawMessage](), Err: err}
	}
	out := b.Bytes()
	if !needsHTMLEscape(out[start:]) {
		return out, nil
	}
	compacted := append([]byte(nil), out[start:]...)
	b.Truncate(start)
	json.HTMLEscape(b, compacted)
	return b.Bytes(), nil
}

// plainCompact reports whether raw is a JSON number, true, false, null or a simple string
// (printable ASCII, no escapes): values encoding/json would copy unchanged.
func plainCompact(raw []byte) bool {
	switch raw[0] {
	case '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return false
		}
		for _, c := range raw[1 : len(raw)-1] {
			if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
		}
		return true
	case 't':
		return string(raw) == "true"
	case 'f':
		return string(raw) == "false"
	case 'n':
		return string(raw) == "null"
	}
	return isJSONNumber(raw)
}

// isJSONNumber reports whether b is exactly one JSON number.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

// needsHTMLEscape reports whether b holds a character encoding/json escapes for HTML safety.
func needsHTMLEscape(b []byte) bool {
	for i, c := range b {
		switch c {
		case '<', '>', '&':
			return true
		case 0xE2:
			if i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9) {
				return true
			}
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json writes it (HTML-safe).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '\\', '"':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
