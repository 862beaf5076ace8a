// Package apidef holds the compiled, self-contained form of one API description.
//
// A Definition is what the importer produces from an OpenAPI 3.0/3.1 or Swagger 2.0
// document and what the store keeps beside each spec revision, so that serving an
// imported API never parses the original files again. Schemas are normalised to
// JSON Schema 2020-12 (the OpenAPI 3.1 dialect): `nullable` becomes a "null" type,
// boolean exclusive bounds become numeric ones, and every referenced schema becomes
// a named entry of Definition.Schemas referred to as "#/components/schemas/NAME".
package apidef

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"unicode"
)

// FormatVersion identifies the compiled form; it changes whenever the importer would compile
// the same files differently, so stored revisions are recompiled on the next import.
const FormatVersion = "gantry-apidef/2"

// SchemaRefPrefix is the prefix of every Schema.Ref inside a Definition.
const SchemaRefPrefix = "#/components/schemas/"

// Definition is one compiled API description. The zero value describes an API with no operations.
type Definition struct {
	// Title is info.title of the source document.
	Title string `json:"title"`
	// Version is info.version of the source document.
	Version string `json:"version"`
	// Description is info.description (Markdown), empty if absent.
	Description string `json:"description,omitempty"`
	// SpecVersion is the source dialect: the value of `openapi` ("3.0.3", "3.1.0") or "2.0".
	SpecVersion string `json:"specVersion"`
	// Servers lists the declared server URLs with variables substituted by their defaults.
	Servers []string `json:"servers,omitempty"`
	// BasePath is the path every operation is mounted under: the path of Servers[0]
	// (Swagger: basePath). It has a leading slash and no trailing slash; "" means the root.
	BasePath string `json:"basePath"`
	// Operations lists every operation in document order (paths, then methods in
	// get, put, post, delete, options, head, patch, trace order).
	Operations []*Operation `json:"operations"`
	// Schemas holds every named schema; Schema.Ref values point here.
	Schemas map[string]*Schema `json:"schemas,omitempty"`
	// SecuritySchemes holds the declared security schemes by name.
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes,omitempty"`
	// Security is the document-level security requirement; nil means none.
	Security []SecurityRequirement `json:"security,omitempty"`
}

// Operation is one method on one path template.
type Operation struct {
	// ID is the operationId, or "METHOD /path" when the document gives none.
	ID string `json:"id"`
	// Method is the upper-case HTTP method.
	Method string `json:"method"`
	// Path is the path template relative to Definition.BasePath, starting with "/".
	Path string `json:"path"`
	// Summary is the operation's summary.
	Summary string `json:"summary,omitempty"`
	// Description is the operation's description (Markdown), empty if absent.
	Description string `json:"description,omitempty"`
	// Deprecated reports whether the operation is marked deprecated.
	Deprecated bool `json:"deprecated,omitempty"`
	// Tags are the operation's tags.
	Tags []string `json:"tags,omitempty"`
	// Parameters are the effective parameters (path-item level merged with operation level).
	Parameters []*Parameter `json:"parameters,omitempty"`
	// RequestBody is the request body, nil if the operation takes none.
	RequestBody *RequestBody `json:"requestBody,omitempty"`
	// Responses are the declared responses in document order.
	Responses []*Response `json:"responses"`
	// Security is the operation's own requirement; it applies only if SecurityDeclared.
	Security []SecurityRequirement `json:"security,omitempty"`
	// SecurityDeclared reports whether the operation declares `security` itself
	// (an empty list then means "no security"); false means the document-level one applies.
	SecurityDeclared bool `json:"securityDeclared,omitempty"`
	// Source is where the operation is declared.
	Source Location `json:"source"`
}

// EffectiveSecurity returns the security requirement that applies to op within d.
func (d *Definition) EffectiveSecurity(op *Operation) []SecurityRequirement {
	if op.SecurityDeclared {
		return op.Security
	}
	return d.Security
}

// Parameter is one path, query, header or cookie parameter.
type Parameter struct {
	// Name is the parameter name (header names as declared).
	Name string `json:"name"`
	// In is "path", "query", "header" or "cookie".
	In string `json:"in"`
	// Required reports whether the parameter must be present (always true for path).
	Required bool `json:"required,omitempty"`
	// Description is the parameter's description (Markdown), empty if absent.
	Description string `json:"description,omitempty"`
	// Deprecated reports whether the parameter is marked deprecated.
	Deprecated bool `json:"deprecated,omitempty"`
	// Style is the serialisation style; "" means the default for In.
	Style string `json:"style,omitempty"`
	// Explode is the explode flag; nil means the default for Style.
	Explode *bool `json:"explode,omitempty"`
	// Schema is the parameter's schema; nil means any value.
	Schema *Schema `json:"schema,omitempty"`
	// Example is an example value, nil if none.
	Example json.RawMessage `json:"example,omitempty"`
}

// RequestBody describes an operation's request body.
type RequestBody struct {
	// Required reports whether a body must be sent.
	Required bool `json:"required,omitempty"`
	// Description is the body's description (Markdown), empty if absent.
	Description string `json:"description,omitempty"`
	// Content lists the accepted media types in document order.
	Content []*MediaType `json:"content"`
}

// Response is one declared response.
type Response struct {
	// Status is "200", a range such as "2XX", or "default".
	Status string `json:"status"`
	// Description is the response description.
	Description string `json:"description,omitempty"`
	// Headers are the declared response headers.
	Headers []*Header `json:"headers,omitempty"`
	// Content lists the response media types in document order; empty means no body.
	Content []*MediaType `json:"content,omitempty"`
}

// Header is a declared response header.
type Header struct {
	// Name is the header name.
	Name string `json:"name"`
	// Required reports whether the header is always sent.
	Required bool `json:"required,omitempty"`
	// Schema is the header value's schema; nil means any string.
	Schema *Schema `json:"schema,omitempty"`
	// Example is an example value, nil if none.
	Example json.RawMessage `json:"example,omitempty"`
}

// MediaType is one content type of a request or response body.
type MediaType struct {
	// Type is the media type as declared, e.g. "application/json" or "application/*".
	Type string `json:"type"`
	// Schema is the body's schema; nil means any body.
	Schema *Schema `json:"schema,omitempty"`
	// Example is the media type's single `example` (or the schema's own `example`), nil if none.
	Example *Example `json:"example,omitempty"`
	// Examples are the named `examples` in document order.
	Examples []*Example `json:"examples,omitempty"`
}

// Example is one example value.
type Example struct {
	// Name is the key under `examples`; empty for a single `example`.
	Name string `json:"name,omitempty"`
	// Summary is the example's summary.
	Summary string `json:"summary,omitempty"`
	// Value is the example value as JSON; for non-JSON media types a JSON string holding the text.
	Value json.RawMessage `json:"value"`
	// Invalid is empty when the value validates against its schema, else why it does not.
	Invalid string `json:"invalid,omitempty"`
	// Source is where the example is declared.
	Source Location `json:"source"`
}

// SecurityScheme is one entry of components.securitySchemes (Swagger: securityDefinitions).
type SecurityScheme struct {
	// Type is "apiKey", "http", "oauth2", "openIdConnect" or "mutualTLS".
	Type string `json:"type"`
	// Name is the header, query or cookie name for apiKey schemes.
	Name string `json:"name,omitempty"`
	// In is "header", "query" or "cookie" for apiKey schemes.
	In string `json:"in,omitempty"`
	// Scheme is the HTTP auth scheme for http schemes ("basic", "bearer", ...), lower case.
	Scheme string `json:"scheme,omitempty"`
}

// SecurityRequirement maps scheme names to scopes; all schemes of one requirement must be met,
// and any one requirement of a list suffices. An empty requirement means anonymous access.
type SecurityRequirement map[string][]string

// Location is a position in a source file. The zero value means unknown.
type Location struct {
	// File is the path of the file, relative to the root document's folder.
	File string `json:"file,omitempty"`
	// Line is 1-based; 0 means unknown.
	Line int `json:"line,omitempty"`
	// Column is 1-based; 0 means unknown.
	Column int `json:"column,omitempty"`
}

// String formats l as file:line:column, leaving out the unknown parts.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.File)
	if l.Line > 0 {
		b.WriteString(":")
		b.WriteString(itoa(l.Line))
		if l.Column > 0 {
			b.WriteString(":")
			b.WriteString(itoa(l.Column))
		}
	}
	return b.String()
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for n >= 10 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	buf[i] = byte('0' + n)
	return string(buf[i:])
}

// Discriminator is an OpenAPI discriminator object.
type Discriminator struct {
	// PropertyName names the property whose value selects the branch.
	PropertyName string `json:"propertyName"`
	// Mapping maps property values (which may contain slashes) to schema references.
	Mapping map[string]string `json:"mapping,omitempty"`
}

// Schema is a JSON Schema 2020-12 subset; its JSON form is valid JSON Schema in which
// "$ref" points into Definition.Schemas. A nil *Schema accepts anything.
type Schema struct {
	// Ref, if set, is "#/components/schemas/NAME"; sibling keywords also apply (3.1 semantics).
	Ref string `json:"$ref,omitempty"`
	// Bool, if set, makes this the boolean schema true or false; other fields are then unused.
	Bool *bool `json:"-"`
	// Type lists the allowed JSON types ("null" included for nullable schemas); empty means any.
	Type []string `json:"type,omitempty"`
	// Format is the format keyword ("date-time", "uuid", ...).
	Format string `json:"format,omitempty"`
	// Title is the schema's title.
	Title string `json:"title,omitempty"`
	// Description is the schema's description.
	Description string `json:"description,omitempty"`
	// Enum lists the allowed values; empty means no restriction.
	Enum []json.RawMessage `json:"enum,omitempty"`
	// Const is the only allowed value when non-nil (the JSON literal null is a valid const).
	Const json.RawMessage `json:"const,omitempty"`
	// Default is the default value, nil if none.
	Default json.RawMessage `json:"default,omitempty"`
	// Examples lists example values (3.0's `example` is folded in here).
	Examples []json.RawMessage `json:"examples,omitempty"`

	// MultipleOf, Minimum, Maximum, ExclusiveMinimum and ExclusiveMaximum bound numbers; nil means unbounded.
	MultipleOf       *float64 `json:"multipleOf,omitempty"`
	Minimum          *float64 `json:"minimum,omitempty"`
	Maximum          *float64 `json:"maximum,omitempty"`
	ExclusiveMinimum *float64 `json:"exclusiveMinimum,omitempty"`
	ExclusiveMaximum *float64 `json:"exclusiveMaximum,omitempty"`

	// MinLength, MaxLength and Pattern constrain strings; nil/empty means unconstrained.
	MinLength *int   `json:"minLength,omitempty"`
	MaxLength *int   `json:"maxLength,omitempty"`
	Pattern   string `json:"pattern,omitempty"`

	// Items is the schema of array items (after PrefixItems); nil means any.
	Items *Schema `json:"items,omitempty"`
	// PrefixItems are positional item schemas.
	PrefixItems []*Schema `json:"prefixItems,omitempty"`
	// MinItems, MaxItems and UniqueItems constrain arrays.
	MinItems    *int `json:"minItems,omitempty"`
	MaxItems    *int `json:"maxItems,omitempty"`
	UniqueItems bool `json:"uniqueItems,omitempty"`

	// Properties are the declared object properties.
	Properties map[string]*Schema `json:"properties,omitempty"`
	// PropertyOrder lists the keys of Properties in document order.
	PropertyOrder []string `json:"x-gantry-order,omitempty"`
	// Required lists required property names.
	Required []string `json:"required,omitempty"`
	// AdditionalProperties constrains undeclared properties; nil allows any, Bool=false forbids them.
	AdditionalProperties *Schema `json:"additionalProperties,omitempty"`
	// MinProperties and MaxProperties bound the number of properties.
	MinProperties *int `json:"minProperties,omitempty"`
	MaxProperties *int `json:"maxProperties,omitempty"`

	// AllOf, OneOf, AnyOf and Not are the composition keywords.
	AllOf []*Schema `json:"allOf,omitempty"`
	OneOf []*Schema `json:"oneOf,omitempty"`
	AnyOf []*Schema `json:"anyOf,omitempty"`
	Not   *Schema   `json:"not,omitempty"`

	// Discriminator is the OpenAPI discriminator, nil if none.
	Discriminator *Discriminator `json:"discriminator,omitempty"`
	// ReadOnly and WriteOnly are the OpenAPI access markers.
	ReadOnly  bool `json:"readOnly,omitempty"`
	WriteOnly bool `json:"writeOnly,omitempty"`
}

type schemaJSON Schema

// MarshalJSON writes s as JSON Schema: boolean schemas as true/false, a single type as a string.
func (s *Schema) MarshalJSON() ([]byte, error) {
	return appendSchema(nil, s)
}

// UnmarshalJSON reads a JSON Schema written by MarshalJSON (or by hand).
func (s *Schema) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "true", "false":
		v := string(b) == "true"
		*s = Schema{Bool: &v}
		return nil
	}
	type typed struct {
		*schemaJSON
		Type json.RawMessage `json:"type,omitempty"`
	}
	t := typed{schemaJSON: (*schemaJSON)(s)}
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	s.Type = nil
	if len(t.Type) > 0 {
		if t.Type[0] == '"' {
			var one string
			if err := json.Unmarshal(t.Type, &one); err != nil {
				return err
			}
			s.Type = []string{one}
		} else if err := json.Unmarshal(t.Type, &s.Type); err != nil {
			return err
		}
	}
	return nil
}

// RefName returns the component name s.Ref points to, or "" if s has no Ref.
func (s *Schema) RefName() string {
	if s == nil || s.Ref == "" {
		return ""
	}
	return strings.TrimPrefix(s.Ref, SchemaRefPrefix)
}

// Resolve follows s.Ref (repeatedly) within d and returns the target; it returns s itself when
// s has no Ref, and nil when a reference dangles.
func (d *Definition) Resolve(s *Schema) *Schema {
	for i := 0; s != nil && s.Ref != "" && i < 64; i++ {
		t, ok := d.Schemas[s.RefName()]
		if !ok {
			return nil
		}
		if !s.hasSiblings() {
			s = t
			continue
		}
		return s
	}
	return s
}

// hasSiblings reports whether s has keywords besides $ref.
func (s *Schema) hasSiblings() bool {
	c := *s
	c.Ref = ""
	c.Description, c.Title = "", ""
	b, _ := json.Marshal(&c)
	return string(b) != "{}"
}

// HasType reports whether t is among s's types (an empty type list allows every type).
func (s *Schema) HasType(t string) bool {
	if len(s.Type) == 0 {
		return true
	}
	for _, x := range s.Type {
		if x == t || (t == "integer" && x == "number") {
			return true
		}
	}
	return false
}

// SortedSchemaNames returns the names of d.Schemas in lexical order.
func (d *Definition) SortedSchemaNames() []string {
	names := make([]string, 0, len(d.Schemas))
	for n := range d.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultName derives an API name from a title, else from the base name of the file it was
// loaded from, else "api": a slug of at most 64 characters, cut at a dash where possible.
func DefaultName(title, path string) string {
	name := Slug(title)
	if name == "" {
		base := path
		if i := strings.LastIndexAny(base, `/\`); i >= 0 {
			base = base[i+1:]
		}
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		name = Slug(base)
	}
	if name == "" {
		return "api"
	}
	if len(name) > 64 {
		name = name[:64]
		if i := strings.LastIndexByte(name, '-'); i > 32 {
			name = name[:i]
		}
		name = strings.TrimRight(name, "-")
	}
	return name
}

// Slug turns a title into a name: lower-case ASCII letters and digits with single dashes
// between words ("Swagger Petstore" → "swagger-petstore").
func Slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}
