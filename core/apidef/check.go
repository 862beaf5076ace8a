package apidef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
)

// Checker validates JSON values against the schemas of one Definition with the same JSON
// Schema engine (and format assertions) that the request validator uses. Any schema of the
// Definition can be checked, nested ones included.
//
// Every named schema is its own JSON Schema resource, loaded on first use: the engine's cost
// grows with the size of a resource, so one resource per schema keeps large APIs (thousands
// of schemas) cheap. A Checker is safe for concurrent use; each schema is compiled once.
type Checker struct {
	def   *Definition
	once  sync.Once
	names map[*Schema]string // named schemas, by pointer

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	inline   map[string]*Schema // resource URL -> unnamed schema
	urls     map[*Schema]string // unnamed schema -> its resource URL, once assigned
	compiled map[*Schema]*jsonschema.Schema
	failed   map[*Schema]error
}

const (
	namedBase  = "gantry:///schemas/"
	inlineBase = "gantry:///inline/"
)

// NewChecker returns a Checker for d. d must not change afterwards.
func NewChecker(d *Definition) *Checker {
	return &Checker{def: d}
}

func (c *Checker) init() {
	c.names = make(map[*Schema]string, len(c.def.Schemas))
	for name, s := range c.def.Schemas {
		c.names[s] = name
	}
	c.inline = map[string]*Schema{}
	c.urls = map[*Schema]string{}
	c.compiled = map[*Schema]*jsonschema.Schema{}
	c.failed = map[*Schema]error{}
	c.compiler = helpers.NewCompilerWithOptions(config.NewValidationOptions(config.WithFormatAssertions()))
	c.compiler.DefaultDraft(jsonschema.Draft2020)
	c.compiler.UseLoader(loaderFunc(c.load))
}

type loaderFunc func(string) (any, error)

func (f loaderFunc) Load(u string) (any, error) { return f(u) }

// load serves the resources: named schemas by name, unnamed ones by their assigned URL.
// It runs under c.mu (the compiler calls it while compiling).
func (c *Checker) load(u string) (any, error) {
	var s *Schema
	if name, ok := strings.CutPrefix(u, namedBase); ok {
		if un, err := url.PathUnescape(name); err == nil {
			name = un
		}
		if s = c.def.Schemas[name]; s == nil {
			return nil, fmt.Errorf("no schema named %q", name)
		}
	} else if s = c.inline[u]; s == nil {
		return nil, fmt.Errorf("schema %q is outside the definition", u)
	}
	doc, ok := schemaDocument(s)
	if !ok {
		// A raw value is not valid JSON: the text route reports it.
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encoding schema: %w", err)
		}
		if doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(b)); err != nil {
			return nil, err
		}
	}
	return rewriteRefs(RewriteDiscriminators(doc)), nil
}

// rewriteRefs points every reference to a named schema at that schema's own resource.
func rewriteRefs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "$ref" {
				if name, ok := strings.CutPrefix(s, SchemaRefPrefix); ok {
					x[k] = namedBase + url.PathEscape(name)
				}
				continue
			}
			rewriteRefs(c)
		}
	case []any:
		for _, c := range x {
			rewriteRefs(c)
		}
	}
	return v
}

// Compile returns the compiled form of s, which must belong to the Checker's Definition (or
// only refer to its named schemas).
func (c *Checker) Compile(s *Schema) (*jsonschema.Schema, error) {
	c.once.Do(c.init)
	c.mu.Lock()
	defer c.mu.Unlock()
	if js, ok := c.compiled[s]; ok {
		return js, nil
	}
	if err, ok := c.failed[s]; ok {
		return nil, err
	}
	js, err := c.compiler.Compile(c.resourceURL(s))
	if err != nil {
		err = fmt.Errorf("compiling schema: %w", err)
		c.failed[s] = err
		return nil, err
	}
	c.compiled[s] = js
	return js, nil
}

// resourceURL returns the URL s is compiled under: its name's for a named schema, else the
// next free inline URL, assigned on first use. It runs under c.mu.
func (c *Checker) resourceURL(s *Schema) string {
	if name, ok := c.names[s]; ok {
		return namedBase + url.PathEscape(name)
	}
	if u, ok := c.urls[s]; ok {
		return u
	}
	u := inlineBase + strconv.Itoa(len(c.inline))
	c.inline[u] = s
	c.urls[s] = u
	return u
}

// Validate checks the JSON document raw against s; a nil s accepts anything.
func (c *Checker) Validate(s *Schema, raw []byte) error {
	if s == nil {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return c.ValidateValue(s, v)
}

// ValidateValue checks a decoded value (as produced by jsonschema.UnmarshalJSON, numbers as
// json.Number) against s.
func (c *Checker) ValidateValue(s *Schema, v any) error {
	if s == nil {
		return nil
	}
	js, err := c.Compile(s)
	if err != nil {
		return err
	}
	return js.Validate(v)
}
