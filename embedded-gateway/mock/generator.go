// Package mock serves mock responses for the operations of an API definition: it picks the
// response the way Stoplight Prism does (Prefer header, lowest 2xx, content negotiation) and
// produces bodies from examples or from schemas with a Generator whose output is checked
// against the schema before it is served.
package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Direction says which side of an exchange a generated value is for.
type Direction int

const (
	// Response generates a response body: writeOnly properties are left out. It is the zero value.
	Response Direction = iota
	// Request generates a request body: readOnly properties are left out.
	Request
)

// DefaultMaxDepth is the nesting depth used when GenOptions.MaxDepth is zero.
const DefaultMaxDepth = 6

// maxAttempts bounds how many candidates Generate tries before it gives up.
const maxAttempts = 12

// GenOptions tunes one Generate call. The zero value asks for a static response value with seed 0.
type GenOptions struct {
	// Seed seeds the random choices; equal seeds (and options) give equal values.
	Seed uint64
	// Dynamic asks for random values; false prefers schema examples, defaults and enum[0]
	// and generates readable placeholder values (Prism's static mode).
	Dynamic bool
	// Direction says whether readOnly (Request) or writeOnly (Response) properties are left out.
	Direction Direction
	// MaxDepth bounds object/array nesting; past it only required properties and minimal
	// arrays are generated, and null is used where allowed. 0 means DefaultMaxDepth.
	MaxDepth int
}

// Generator produces JSON values that satisfy the schemas of one Definition. It is safe for
// concurrent use; flattened schemas and compiled patterns are cached.
type Generator struct {
	def      *apidef.Definition
	checker  *apidef.Checker
	topLevel map[*apidef.Schema]bool
	flats    sync.Map // *apidef.Schema -> *flat
	patterns sync.Map // string -> *pattern or error
}

// NewGenerator returns a Generator for def; checker (which may be nil) validates every value
// generated for a top-level schema of def.
func NewGenerator(def *apidef.Definition, checker *apidef.Checker) *Generator {
	g := &Generator{def: def, checker: checker, topLevel: map[*apidef.Schema]bool{}}
	add := func(s *apidef.Schema) {
		if s != nil {
			g.topLevel[s] = true
		}
	}
	for _, op := range def.Operations {
		for _, p := range op.Parameters {
			add(p.Schema)
		}
		if op.RequestBody != nil {
			for _, mt := range op.RequestBody.Content {
				add(mt.Schema)
			}
		}
		for _, r := range op.Responses {
			for _, h := range r.Headers {
				add(h.Schema)
			}
			for _, mt := range r.Content {
				add(mt.Schema)
			}
		}
	}
	for _, s := range def.Schemas {
		add(s)
	}
	return g
}

// Generate returns a value for s that marshals (encoding/json) to JSON valid against s.
// When s is a top-level schema of the Definition the value is validated with the Checker, and
// on failure other candidates are tried (without schema examples, with other branches and
// seeds); if none validates, Generate returns an error saying why.
func (g *Generator) Generate(s *apidef.Schema, opts GenOptions) (any, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	check := g.checker != nil && g.topLevel[s]
	if check {
		if _, err := g.checker.Compile(s); err != nil {
			check = false // the schema cannot be compiled: nothing to validate against
		}
	}
	var errs []string
	for attempt := 0; attempt < maxAttempts; attempt++ {
		c := g.newCtx(opts, attempt)
		v, err := c.gen(s, 0)
		if err == nil && check {
			var raw []byte
			if raw, err = json.Marshal(v); err == nil {
				err = g.checker.Validate(s, raw)
			}
		}
		if err == nil {
			return v, nil
		}
		msg := err.Error()
		if len(errs) == 0 || errs[len(errs)-1] != msg {
			errs = append(errs, msg)
		}
		if !check && attempt >= 3 {
			break
		}
	}
	if len(errs) > 3 {
		errs = errs[:3]
	}
	return nil, fmt.Errorf("no valid value for the schema after %d attempts: %s", maxAttempts, strings.Join(errs, "; "))
}

// optionals says how optional properties are chosen.
type optionals int

const (
	optDefault optionals = iota
	optNone
	optAll
)

// genCtx is the state of one generation attempt.
type genCtx struct {
	g           *Generator
	rng         *rand.Rand
	opts        GenOptions
	static      bool // readable placeholders and first choices
	useExamples bool
	optional    optionals
	nodes       int
}

// maxNodes bounds the number of values one attempt produces; past it, generation is minimal.
const maxNodes = 20000

func (g *Generator) newCtx(opts GenOptions, attempt int) *genCtx {
	c := &genCtx{g: g, opts: opts}
	seed := opts.Seed + uint64(attempt)*0x9E3779B97F4A7C15
	c.rng = rand.New(rand.NewPCG(seed, seed^0xD1B54A32D192ED03))
	switch {
	case attempt == 0:
		c.static = !opts.Dynamic
		c.useExamples = !opts.Dynamic
	case attempt == 1:
		c.static = !opts.Dynamic
	default:
		c.optional = optionals(attempt % 3)
	}
	return c
}

// errNever is returned for schemas no value satisfies.
var errNever = errors.New("schema accepts no value")

func (c *genCtx) gen(s *apidef.Schema, depth int) (any, error) {
	if depth > c.opts.MaxDepth+32 {
		return nil, errors.New("schema nests too deeply (a required circular reference?)")
	}
	c.nodes++
	f := c.g.flatten(s)
	if f.err != nil {
		return nil, f.err
	}
	if len(f.groups) > 0 {
		return c.genGroups(f, depth)
	}
	return c.genFlat(f, depth)
}

// genGroups chooses a branch for each oneOf/anyOf group, merges it and generates the result.
func (c *genCtx) genGroups(f *flat, depth int) (any, error) {
	var last error
	for try := 0; try < 3; try++ {
		m := f.clone()
		m.groups = nil
		pending := append([]group(nil), f.groups...)
		var chosen []choice
		for i := 0; i < len(pending) && i < 16; i++ {
			gr := pending[i]
			k := 0
			if !c.static || try > 0 {
				k = c.rng.IntN(len(gr.branches))
			}
			b := gr.branches[k]
			bf := c.g.flatten(b)
			if bf.err != nil {
				return nil, bf.err
			}
			chosen = append(chosen, choice{gr: gr, idx: k})
			name := m.name
			disc := m.s.Discriminator
			m.merge(bf, true)
			pending = append(pending, bf.groups...)
			m.groups = nil
			if bf.name != "" {
				m.name = bf.name
			} else {
				m.name = name
			}
			if gr.disc != nil {
				m.s.Discriminator = gr.disc
			} else if disc != nil {
				m.s.Discriminator = disc
			}
		}
		v, err := c.genFlat(m, depth)
		if err != nil {
			last = err
			continue
		}
		if c.matchesOther(v, chosen) {
			last = errors.New("the value matches more than one oneOf branch")
			continue
		}
		return v, nil
	}
	return nil, last
}

type choice struct {
	gr  group
	idx int
}

// discriminated reports whether a group's branch is selected by its discriminator (every
// branch a reference), in which case overlapping branches are not ambiguous: see
// apidef.RewriteDiscriminators, which the Checker and the request validator apply.
func discriminated(gr group) bool {
	if gr.disc == nil || gr.disc.PropertyName == "" {
		return false
	}
	for _, b := range gr.branches {
		if b.Ref == "" {
			return false
		}
	}
	return true
}

// matchesOther reports whether v is known to also match a oneOf branch other than the chosen
// one (only branches that are component references can be checked).
func (c *genCtx) matchesOther(v any, chosen []choice) bool {
	if c.g.checker == nil {
		return false
	}
	var raw []byte
	for _, ch := range chosen {
		if !ch.gr.one || len(ch.gr.branches) < 2 || discriminated(ch.gr) {
			continue
		}
		for j, b := range ch.gr.branches {
			if j == ch.idx || b.Ref == "" || len(b.Type) > 0 {
				continue
			}
			target := c.g.def.Schemas[b.RefName()]
			if target == nil {
				continue
			}
			if raw == nil {
				var err error
				if raw, err = json.Marshal(v); err != nil {
					return false
				}
			}
			if c.g.checker.Validate(target, raw) == nil {
				return true
			}
		}
	}
	return false
}

func (c *genCtx) genFlat(f *flat, depth int) (any, error) {
	if f.never {
		return nil, errNever
	}
	s := &f.s
	if c.useExamples {
		if len(s.Examples) > 0 {
			return json.RawMessage(s.Examples[0]), nil
		}
		if s.Default != nil {
			return json.RawMessage(s.Default), nil
		}
	}
	if s.Const != nil {
		return json.RawMessage(s.Const), nil
	}
	if len(s.Enum) > 0 {
		return c.pickEnum(f)
	}
	var last error
	for try := 0; try < 4; try++ {
		v, err := c.genTyped(f, depth, try)
		if err != nil {
			return nil, err
		}
		if c.violatesNot(f, v) {
			last = errors.New("the value matches a `not` schema")
			continue
		}
		return v, nil
	}
	return nil, last
}

func (c *genCtx) pickEnum(f *flat) (any, error) {
	var ok []json.RawMessage
	for _, e := range f.s.Enum {
		if !c.violatesNot(f, json.RawMessage(e)) && typeAllows(f.s.Type, e) {
			ok = append(ok, e)
		}
	}
	if len(ok) == 0 {
		return nil, errors.New("no enum value fits the schema")
	}
	if c.static {
		return json.RawMessage(ok[0]), nil
	}
	return json.RawMessage(ok[c.rng.IntN(len(ok))]), nil
}

// typeAllows reports whether the JSON literal v has one of the types (empty: any).
func typeAllows(types []string, v json.RawMessage) bool {
	if len(types) == 0 {
		return true
	}
	t := jsonType(v)
	for _, x := range types {
		if x == t || (x == "number" && t == "integer") {
			return true
		}
	}
	return false
}

func jsonType(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return ""
	}
	switch s[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) && !strings.ContainsAny(s, ".eE") {
		return "integer"
	}
	return "number"
}

// chooseType picks the JSON type to generate.
func (c *genCtx) chooseType(f *flat, depth int, try int) string {
	s := &f.s
	types := s.Type
	if len(types) == 0 {
		types = []string{inferType(s)}
	}
	var cands []string
	nullable := false
	for _, t := range types {
		if c.notForbidsType(f, t) {
			continue
		}
		if t == "null" {
			nullable = true
			continue
		}
		cands = append(cands, t)
	}
	if nullable && (depth > c.opts.MaxDepth || c.nodes > maxNodes || len(cands) == 0) {
		return "null"
	}
	if len(cands) == 0 {
		return ""
	}
	if nullable && !c.static && c.rng.IntN(10) == 0 {
		return "null"
	}
	if c.static && try == 0 {
		return cands[0]
	}
	return cands[c.rng.IntN(len(cands))]
}

// inferType guesses the type of an untyped schema from its keywords.
func inferType(s *apidef.Schema) string {
	switch {
	case len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties != nil || s.MinProperties != nil || s.MaxProperties != nil:
		return "object"
	case s.Items != nil || len(s.PrefixItems) > 0 || s.MinItems != nil || s.MaxItems != nil:
		return "array"
	case s.Minimum != nil || s.Maximum != nil || s.ExclusiveMinimum != nil || s.ExclusiveMaximum != nil || s.MultipleOf != nil:
		return "number"
	}
	return "string"
}

func (c *genCtx) genTyped(f *flat, depth int, try int) (any, error) {
	switch t := c.chooseType(f, depth, try); t {
	case "null":
		return nil, nil
	case "boolean":
		if c.static && try == 0 {
			return true, nil
		}
		return c.rng.IntN(2) == 0, nil
	case "integer", "number":
		return c.genNumber(&f.s, t == "integer")
	case "string":
		return c.genString(f)
	case "array":
		return c.genArray(f, depth)
	case "object":
		return c.genObject(f, depth)
	case "":
		return nil, errNever
	default:
		return nil, fmt.Errorf("unknown type %q", t)
	}
}

// notForbidsType reports whether a `not` schema made only of a type list excludes t.
func (c *genCtx) notForbidsType(f *flat, t string) bool {
	for _, n := range f.nots {
		nf := c.g.flatten(n)
		if len(nf.s.Type) == 0 || len(nf.groups) > 0 {
			continue
		}
		only := nf.s
		only.Type = nil
		if !isEmptySchema(&only) {
			continue
		}
		for _, x := range nf.s.Type {
			if x == t || (x == "number" && t == "integer") {
				return true
			}
		}
	}
	return false
}

// violatesNot reports whether v is known to match one of f's `not` schemas (judged on type,
// const, enum and required only; anything else is left to the Checker).
func (c *genCtx) violatesNot(f *flat, v any) bool {
	if len(f.nots) == 0 {
		return false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return false
	}
	for _, n := range f.nots {
		nf := c.g.flatten(n)
		if nf.never || len(nf.groups) > 0 || nf.err != nil {
			continue
		}
		if localMatch(&nf.s, raw) {
			return true
		}
	}
	return false
}

// localMatch reports whether raw certainly matches s, judging only keywords it understands;
// a schema with other keywords is assumed not to match.
func localMatch(s *apidef.Schema, raw json.RawMessage) bool {
	rest := *s
	rest.Type, rest.Const, rest.Enum, rest.Required = nil, nil, nil, nil
	rest.Properties, rest.PropertyOrder, rest.Title, rest.Description = nil, nil, "", ""
	if !isEmptySchema(&rest) {
		return false
	}
	if len(s.Properties) > 0 && len(s.Required) == 0 {
		return false
	}
	if !typeAllows(s.Type, raw) {
		return false
	}
	if s.Const != nil && !jsonEqual(s.Const, raw) {
		return false
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if jsonEqual(e, raw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(s.Required) > 0 {
		if len(s.Properties) > 0 {
			return false // property schemas would need checking
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return false
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				return false
			}
		}
	}
	return true
}
