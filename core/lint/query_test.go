package lint

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/jsonpath/pkg/jsonpath"
	"github.com/pb33f/jsonpath/pkg/jsonpath/config"
)

// builtinGivens returns every JSONPath the built-in rulesets use, for every format.
func builtinGivens(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, name := range BuiltinNames() {
		rs, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs.Rules() {
			for _, g := range r.Given {
				exprs, err := r.aliases.expandAll(g, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range exprs {
					if !seen[e] {
						seen[e] = true
						out = append(out, e)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// nodeSet renders query results as sorted positions for comparison.
func nodeSet(ns []*yaml.Node) []string {
	var out []string
	seen := map[*yaml.Node]bool{}
	for _, n := range ns {
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n.Tag+"@"+itoa(n.Line)+":"+itoa(n.Column)+"="+n.Value)
	}
	sort.Strings(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestQueryParity checks that the native evaluator selects exactly what pb33f/jsonpath in
// Spectral mode selects, for every built-in given, on every corpus document, on both the
// raw and the resolved view.
func TestQueryParity(t *testing.T) {
	givens := builtinGivens(t)
	extra := []string{
		"$", "$.info", "$.paths[*]~", "$.paths.*", "$..responses[429].headers", "$.tags[0]", "$.tags[-1]",
		"$.paths[*][?(@property === 'get' || @property === 'post')].responses",
		"$..[?(@property.match(/^x-/))]", "$..parameters[?(@.in == 'query')].name",
		"$.components.schemas[?(@.properties && @.required)]", "$..[?(@ && @.type === 'object' && !@.properties)]",
		"$..[?(@.enum && @.enum.length > 1)]", "$..[?(@ && @.required && @.required.includes('id'))]",
		"$..properties[?(@property === 'id')]^", "$..[?(@property == 200)]", "$..[?(@ && @.maxLength < 10)]",
	}
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	files = append(files, "testdata/lint/multi/openapi.yaml")
	for _, f := range files {
		d, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, resolved := range []bool{false, true} {
			root := d.rootNode()
			if resolved {
				root = d.resolvedRoot()
			}
			view := d.viewOf(resolved)
			for _, g := range append(slices.Clone(givens), extra...) {
				q, err := compileQuery(g)
				if err != nil {
					t.Fatalf("%s: %v", g, err)
				}
				if q.lib != nil {
					t.Errorf("%s is not evaluated natively", g)
					continue
				}
				lib, err := jsonpath.NewPath(g, config.WithSpectralCompatibility())
				if err != nil {
					t.Fatalf("pb33f/jsonpath rejects %s: %v", g, err)
				}
				var native []*yaml.Node
				for _, m := range q.run(d, root, view) {
					native = append(native, m.n)
				}
				want, got := nodeSet(lib.Query(root)), nodeSet(native)
				if !slices.Equal(want, got) {
					t.Errorf("%s (resolved %v) %s:\n native %v\n pb33f  %v", filepath.Base(f), resolved, g, got, want)
				}
			}
		}
	}
}

// TestQueryFallback checks expressions outside the native subset still work through the library.
func TestQueryFallback(t *testing.T) {
	d, err := Parse("t.yaml", []byte("a: [1, 2, 3, 4]\nb: {c: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, expr string
		want       int
		lib        bool
	}{
		{"slice", "$.a[1:3]", 2, true},
		{"rfc length function", "$.a[?length(@) > 0]", 0, true},
		{"native index", "$.a[0]", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := compileQuery(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if (q.lib != nil) != tc.lib {
				t.Fatalf("library fallback = %v, want %v", q.lib != nil, tc.lib)
			}
			if got := len(q.run(d, d.rootNode(), nil)); got != tc.want {
				t.Errorf("%d results, want %d", got, tc.want)
			}
		})
	}
	if _, err := compileQuery("$.a[?(@.x ==="); err == nil {
		t.Error("a broken filter compiled")
	}
}

func TestQueryCycleDoesNotLoop(t *testing.T) {
	data, err := os.ReadFile("testdata/lint/circular.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse("circular.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := compileQuery("$..[?(@ && @.type)]")
	if got := q.run(d, d.resolvedRoot(), d.viewOf(true)); len(got) == 0 {
		t.Error("no schema found in the resolved view")
	}
}

// TestFilterSemantics pins the JavaScript semantics of filter expressions.
func TestFilterSemantics(t *testing.T) {
	doc := `items:
  - {name: a, n: 1, tags: [x, y], type: [string, "null"], empty: ""}
  - {name: b, n: "1", tags: [], type: integer, flag: false}
  - {name: c, n: 0, nested: {deep: {v: 3}}, "x-ext": yes}
  - plain
  - 7
`
	d, err := Parse("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want []string // names of the selected items
	}{
		{"$.items[?(@.n === 1)]", []string{"a"}},
		{"$.items[?(@.n == 1)]", []string{"a", "b"}},
		{"$.items[?(@.n !== 1)]", []string{"b", "c", "", ""}},
		{"$.items[?(@.n)]", []string{"a", "b"}},
		{"$.items[?(!@.n)]", []string{"c", "", ""}},
		{"$.items[?(@.flag === false)]", []string{"b"}},
		{"$.items[?(@.tags && @.tags.length === 0)]", []string{"b"}},
		{"$.items[?(@.tags && @.tags.indexOf('y') === 1)]", []string{"a"}},
		{"$.items[?(@.tags && @.tags.includes('x'))]", []string{"a"}},
		{"$.items[?(@.type && @.type.constructor.name === 'Array')]", []string{"a"}},
		{"$.items[?(@.name && @.name.match(/^[ab]$/))]", []string{"a", "b"}},
		{"$.items[?(@.name.startsWith('c'))]", []string{"c"}},
		{"$.items[?(@.nested.deep.v > 2)]", []string{"c"}},
		{"$.items[?(@['x-ext'] === 'yes')]", []string{"c"}},
		{"$.items[?(@.empty === '')]", []string{"a"}},
		{"$.items[?(@.missing === void 0 && @.name)]", []string{"a", "b", "c"}},
		{"$.items[?(@property === 2)]", []string{"c"}},
		{"$.items[?(@property === '2')]", nil},
		{"$.items[?(@ === 'plain')]", []string{""}},
		{"$.items[?(@ > 5)]", []string{""}},
		{"$.items[?(@.n >= '1')]", []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			q, err := compileQuery(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if q.lib != nil {
				t.Fatalf("not evaluated natively")
			}
			var got []string
			for _, m := range q.run(d, d.rootNode(), nil) {
				name := ""
				if isMap(m.n) {
					name = get(m.n, "name").Value
				}
				got = append(got, name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
