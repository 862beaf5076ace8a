package mock

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/internal/testcorpus"
)

// corpusDefs caches the corpus definitions loaded by this test binary.
type corpusCache struct {
	once sync.Once
	defs map[string]*apidef.Definition
	errs map[string]error
}

func loadCorpus(t testing.TB, c *corpusCache) map[string]*apidef.Definition {
	t.Helper()
	dir := testcorpus.Dir(t)
	c.once.Do(func() {
		c.defs = map[string]*apidef.Definition{}
		c.errs = map[string]error{}
		for _, rel := range testcorpus.Specs {
			s, _, err := spec.Load(filepath.Join(dir, filepath.FromSlash(rel)), spec.Options{})
			if err != nil {
				c.errs[rel] = err
				continue
			}
			c.defs[rel] = s.Definition
		}
	})
	return c.defs
}

// namedSchema is one schema under test with a label for failure messages.
type namedSchema struct {
	label  string
	schema *apidef.Schema
}

// corpusSchemas lists every component schema and every response media-type schema of def.
func corpusSchemas(def *apidef.Definition) []namedSchema {
	var out []namedSchema
	seen := map[*apidef.Schema]bool{}
	for _, name := range def.SortedSchemaNames() {
		s := def.Schemas[name]
		if !seen[s] {
			seen[s] = true
			out = append(out, namedSchema{"#/components/schemas/" + name, s})
		}
	}
	for _, op := range def.Operations {
		for _, r := range op.Responses {
			for _, mt := range r.Content {
				if mt.Schema != nil && !seen[mt.Schema] {
					seen[mt.Schema] = true
					out = append(out, namedSchema{fmt.Sprintf("%s %s %s %s", op.Method, op.Path, r.Status, mt.Type), mt.Schema})
				}
			}
		}
	}
	return out
}

var corpus corpusCache

// TestCorpusProperty generates values for every component and response schema of the corpus
// with several seeds, static and dynamic, and checks every value with the Checker.
func TestCorpusProperty(t *testing.T) {
	defs := loadCorpus(t, &corpus)
	seeds := 10
	if testing.Short() {
		seeds = 2
	}
	names := append([]string(nil), testcorpus.Specs...)
	sort.Strings(names)
	for _, name := range names {
		def := defs[name]
		t.Run(name, func(t *testing.T) {
			if def == nil {
				// A loader failure belongs to core/spec; it is reported, not hidden.
				t.Skipf("core/spec cannot load %s: %v", name, corpus.errs[name])
			}
			t.Parallel()
			checker := apidef.NewChecker(def)
			g := NewGenerator(def, checker)
			schemas := corpusSchemas(def)
			outputs, invalid, genErrs := 0, 0, 0
			for _, ns := range schemas {
				for _, dynamic := range []bool{false, true} {
					for seed := 0; seed < seeds; seed++ {
						v, err := g.Generate(ns.schema, GenOptions{Seed: uint64(seed), Dynamic: dynamic})
						if err != nil {
							genErrs++
							if genErrs <= 10 {
								t.Logf("%s (dynamic=%v seed=%d): %v", ns.label, dynamic, seed, err)
							}
							continue
						}
						outputs++
						raw, err := json.Marshal(v)
						if err == nil {
							err = checker.Validate(ns.schema, raw)
						}
						if err != nil {
							invalid++
							t.Errorf("%s (dynamic=%v seed=%d): invalid output %.300s: %v", ns.label, dynamic, seed, raw, err)
						}
					}
				}
			}
			t.Logf("%s: %d schemas, %d outputs, %d invalid, %d generation errors", name, len(schemas), outputs, invalid, genErrs)
		})
	}
}
