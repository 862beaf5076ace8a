package apidef

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
)

// Checker validates JSON values against the schemas of one Definition with the same JSON
// Schema engine (and format assertions) that the request validator uses. Only schemas that
// appear at the top of a parameter, header, media type or component can be checked.
// A Checker is safe for concurrent use; each schema is compiled once, on first use.
type Checker struct {
	def      *Definition
	once     sync.Once
	initErr  error
	compiler *jsonschema.Compiler
	pointers map[*Schema]string
	mu       sync.Mutex
	compiled map[*Schema]*jsonschema.Schema
}

const checkerURL = "gantry:///definition.json"

// NewChecker returns a Checker for d. d must not change afterwards.
func NewChecker(d *Definition) *Checker {
	return &Checker{def: d, compiled: map[*Schema]*jsonschema.Schema{}}
}

func (c *Checker) init() {
	c.pointers = map[*Schema]string{}
	for i, op := range c.def.Operations {
		base := "/operations/" + strconv.Itoa(i)
		for j, p := range op.Parameters {
			c.add(p.Schema, fmt.Sprintf("%s/parameters/%d/schema", base, j))
		}
		if op.RequestBody != nil {
			for k, mt := range op.RequestBody.Content {
				c.add(mt.Schema, fmt.Sprintf("%s/requestBody/content/%d/schema", base, k))
			}
		}
		for r, resp := range op.Responses {
			for h, hd := range resp.Headers {
				c.add(hd.Schema, fmt.Sprintf("%s/responses/%d/headers/%d/schema", base, r, h))
			}
			for k, mt := range resp.Content {
				c.add(mt.Schema, fmt.Sprintf("%s/responses/%d/content/%d/schema", base, r, k))
			}
		}
	}
	for name, s := range c.def.Schemas {
		c.add(s, "/components/schemas/"+escapePointer(name))
	}
	doc, err := json.Marshal(struct {
		*Definition
		Components struct {
			Schemas map[string]*Schema `json:"schemas"`
		} `json:"components"`
	}{Definition: c.def, Components: struct {
		Schemas map[string]*Schema `json:"schemas"`
	}{c.def.Schemas}})
	if err != nil {
		c.initErr = fmt.Errorf("encoding definition: %w", err)
		return
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
	if err != nil {
		c.initErr = fmt.Errorf("decoding definition: %w", err)
		return
	}
	c.compiler = helpers.NewCompilerWithOptions(config.NewValidationOptions(config.WithFormatAssertions()))
	c.compiler.DefaultDraft(jsonschema.Draft2020)
	if err := c.compiler.AddResource(checkerURL, v); err != nil {
		c.initErr = fmt.Errorf("loading definition: %w", err)
	}
}

func (c *Checker) add(s *Schema, ptr string) {
	if s != nil {
		if _, dup := c.pointers[s]; !dup {
			c.pointers[s] = ptr
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Compile returns the compiled form of s, which must belong to the Checker's Definition.
func (c *Checker) Compile(s *Schema) (*jsonschema.Schema, error) {
	c.once.Do(c.init)
	if c.initErr != nil {
		return nil, c.initErr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if js, ok := c.compiled[s]; ok {
		return js, nil
	}
	ptr, ok := c.pointers[s]
	if !ok {
		return nil, fmt.Errorf("schema is not a top-level schema of the definition")
	}
	js, err := c.compiler.Compile(checkerURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compiling schema at %s: %w", ptr, err)
	}
	c.compiled[s] = js
	return js, nil
}

// Validate checks the JSON document raw against s; a nil s accepts anything.
func (c *Checker) Validate(s *Schema, raw []byte) error {
	if s == nil {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
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
