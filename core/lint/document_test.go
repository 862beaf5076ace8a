package lint

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
)

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		line, col int
	}{
		{"unclosed flow", "openapi: 3.0.0\ninfo: {title: t\n", 2, 7},
		{"bad indentation", "openapi: 3.0.0\ninfo:\n  title: t\n   version: 1\n", 4, 11},
		{"empty", "", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.data))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if se.File != "bad.yaml" || se.Line != tc.line || tc.col != 0 && se.Column != tc.col {
				t.Errorf("%s (line %d col %d)", se, se.Line, se.Column)
			}
			if !strings.HasPrefix(se.Error(), "bad.yaml:") {
				t.Errorf("%q", se.Error())
			}
		})
	}
	if _, err := Load("testdata/none.yaml"); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParserFindings(t *testing.T) {
	doc := "openapi: 3.0.0\ninfo:\n  title: a\n  title: b\n  version: '1'\npaths:\n  /a:\n    $ref: broken.yaml\n"
	rs, err := ParseRuleset("r.yaml", []byte("rules:\n  r: {given: $.nothing, then: {function: truthy}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDocument("openapi.yaml", []model.SpecFile{
		{Path: "openapi.yaml", Content: []byte(doc)},
		{Path: "broken.yaml", Content: []byte("get: [\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		`openapi.yaml:4:3 error parser Duplicate key: title $.info.title`,
		`openapi.yaml:8:11 error invalid-ref "broken.yaml" cannot be resolved: file "broken.yaml" could not be parsed $.paths['/a']['$ref']`,
		`broken.yaml:2:1 error parser did not find expected node content $`,
	}
	if len(got) != len(want) {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i][:strings.Index(want[i], " error")]) || !strings.Contains(got[i], strings.Fields(want[i])[2]) {
			t.Errorf("finding %d: %s, want %s", i, got[i], want[i])
		}
	}
	// parserOptions can lower or silence duplicate keys.
	rs, _ = ParseRuleset("r.yaml", []byte("parserOptions: {duplicateKeys: off}\nrules:\n  r: {given: $.nothing, then: {function: truthy}}\n"))
	fs, _ = Lint(context.Background(), d, rs)
	for _, f := range fs {
		if strings.Contains(f.Message, "Duplicate key") {
			t.Errorf("duplicate keys not silenced: %v", f)
		}
	}
}

func TestDocumentSources(t *testing.T) {
	d1, err := Load("testdata/lint/multi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := d1.Files(); !slices.Equal(got, []string{"openapi.yaml", "paths/pets.yaml", "schemas/pet.yaml"}) {
		t.Errorf("files %v", got)
	}
	if got := d1.Formats(); !slices.Equal(got, []string{"oas3", "oas3_0"}) {
		t.Errorf("formats %v", got)
	}
	var files []model.SpecFile
	for _, f := range d1.Files() {
		data, err := readTestFile("testdata/lint/multi/" + f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, model.SpecFile{Path: f, Content: data})
	}
	files = append(files, model.SpecFile{Path: "unused.yaml", Content: []byte("x: 1\n")})
	d2, err := NewDocument("openapi.yaml", files)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d1.Files(), d2.Files()) {
		t.Errorf("NewDocument files %v", d2.Files())
	}
	rs := DefaultRuleset()
	f1, _ := Lint(context.Background(), d1, rs)
	f2, _ := Lint(context.Background(), d2, rs)
	if !slices.Equal(f1, f2) {
		t.Errorf("Load and NewDocument lint differently:\n%v\n%v", f1, f2)
	}
	// A single file parsed alone reports its file references as invalid.
	data, _ := readTestFile("testdata/lint/multi/openapi.yaml")
	d3, err := Parse("openapi.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	f3, _ := Lint(context.Background(), d3, rs)
	n := 0
	for _, f := range f3 {
		if f.Rule == "invalid-ref" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d invalid refs, want 3", n)
	}
}

func TestResolvedView(t *testing.T) {
	d, err := Load("testdata/lint/circular.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := d.resolvedRoot()
	node := get(get(get(r, "components"), "schemas"), "Node")
	children := get(get(get(node, "properties"), "children"), "items")
	if refOf(children) != "#/components/schemas/Node" {
		t.Errorf("the $ref back to Node should stay a $ref, got %v", children)
	}
	// The cycle Node → Other → Node keeps a $ref somewhere instead of looping.
	other := get(get(node, "properties"), "next")
	back := get(get(other, "properties"), "back")
	if back != node && refOf(back) == "" {
		t.Errorf("back is neither Node nor a $ref")
	}
	// Resolved copies map back to their source nodes and positions.
	if o := d.original(node); o.Line != node.Line || d.idx[o].file != 0 {
		t.Errorf("original of Node: %v", o)
	}
}

func TestDeterministicAndConcurrent(t *testing.T) {
	d, err := Load("testdata/lint/multi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRuleset("all.yaml", []byte(allRules))
	if err != nil {
		t.Fatal(err)
	}
	first, err := Lint(context.Background(), d, rs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(first, compareFindings(d.Root())) {
		t.Error("findings are not sorted")
	}
	var wg sync.WaitGroup
	results := make([][]Finding, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = Lint(context.Background(), d, rs)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if !slices.Equal(r, first) {
			t.Errorf("run %d differs", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lint(ctx, d, rs); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled lint: %v", err)
	}
}
