package apidef

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pb33f/jsonschema/v6"
)

// ValidateAll checks every raws[i] against schemas[i] (a nil schema accepts anything) and
// returns one error per pair, nil where the value validates. The errors are the ones Validate
// returns when it is called for each pair in order; ValidateAll is faster because schemas
// without a name whose JSON forms are identical are compiled once (a value that fails is
// checked again against its own schema, so that its error names that schema), and because
// values are decoded and checked on up to workers goroutines (GOMAXPROCS when workers < 1)
// while the schemas compile. No other call may use c meanwhile if the errors are to match.
func (c *Checker) ValidateAll(schemas []*Schema, raws [][]byte, workers int) []error {
	if len(raws) != len(schemas) {
		panic("apidef: ValidateAll needs one value per schema")
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := len(schemas)
	errs := make([]error, n)
	values := make([]any, n)
	decoded := make([]bool, n)
	forEach(n, workers, func(i int) {
		if schemas[i] == nil {
			return
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raws[i]))
		if err != nil {
			errs[i] = fmt.Errorf("not JSON: %w", err)
			return
		}
		values[i], decoded[i] = v, true
	})

	// Assign resource URLs in call order, as Validate would, and group the pairs by schema.
	type group struct {
		rep     *Schema
		members []int
		js      *jsonschema.Schema
	}
	var groups []*group
	byKey := map[string]*group{}
	byPtr := map[*Schema]*group{}
	c.once.Do(c.init)
	c.mu.Lock()
	for i, s := range schemas {
		if !decoded[i] {
			continue
		}
		c.resourceURL(s)
		g := byPtr[s]
		if g == nil {
			var key string
			if _, named := c.names[s]; !named {
				if b, err := appendSchema(nil, s); err == nil {
					key = string(b)
				}
			}
			if key != "" {
				g = byKey[key]
			}
			if g == nil {
				g = &group{rep: s}
				groups = append(groups, g)
				if key != "" {
					byKey[key] = g
				}
			}
			byPtr[s] = g
		}
		g.members = append(g.members, i)
	}
	c.mu.Unlock()

	// Compile one schema per group here while the workers check the values of the groups
	// compiled so far. A value that fails, or whose group did not compile, is redone below.
	redo := make([]bool, n)
	check := func(g *group) {
		for _, i := range g.members {
			if g.js == nil || g.js.Validate(values[i]) != nil {
				redo[i] = true
			}
		}
	}
	if workers == 1 || len(groups) < 2 {
		for _, g := range groups {
			g.js, _ = c.Compile(g.rep)
			check(g)
		}
	} else {
		compiled := make(chan *group, len(groups))
		var wg sync.WaitGroup
		for range workers - 1 {
			wg.Go(func() {
				for g := range compiled {
					check(g)
				}
			})
		}
		for _, g := range groups {
			g.js, _ = c.Compile(g.rep)
			compiled <- g
		}
		close(compiled)
		wg.Wait()
	}
	for i := range n {
		if redo[i] {
			errs[i] = c.ValidateValue(schemas[i], values[i])
		}
	}
	return errs
}

// forEach calls fn(i) for every i below n on up to workers goroutines.
func forEach(n, workers int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
