package docs

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/internal/testcorpus"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// load imports a spec file and returns its definition.
func load(t testing.TB, path string) *apidef.Definition {
	t.Helper()
	s, _, err := spec.Load(path, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Definition
}

// render renders def twice, checks that both runs agree and that the HTML is well formed.
func render(t *testing.T, def *apidef.Definition, opts Options) string {
	t.Helper()
	out, err := Render(def, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Render(def, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out != again {
		t.Fatal("two renderings of the same definition differ")
	}
	checkHTML(t, out)
	return out
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		spec   string
		opts   Options
		golden string
	}{
		{name: "petstore", spec: "petstore-expanded.good.yaml", golden: "petstore-expanded.golden.html"},
		{name: "edge cases", spec: "edge.good.yaml", golden: "edge.golden.html"},
		{
			name:   "edge cases with options",
			spec:   "edge.good.yaml",
			opts:   Options{HeadingOffset: 2, OmitTOC: true, SchemaDepth: 1, AnchorPrefix: "edge-"},
			golden: "edge-options.golden.html",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, load(t, filepath.Join("testdata", tt.spec)), tt.opts)
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, firstDiff(string(want), out))
			}
		})
	}
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + w + "\ngot:  " + g
		}
	}
	return ""
}

func TestEdgeContent(t *testing.T) {
	out := render(t, load(t, "testdata/edge.good.yaml"), Options{})
	for _, want := range []string{
		`<h1 class="api-title">Edge Cases &amp; &lt;Friends&gt;</h1>`,
		`<th align="right">Requests/min</th>`,
		`<del>100</del>`,
		`<pre><code class="language-go">`,
		`<input checked="" disabled="" type="checkbox">`,
		`<a href="https://example.com/docs" rel="nofollow noopener">`,
		`<p class="schema-note">Circular reference to <span class="schema-ref">Node</span>.</p>`,
		`<p class="schema-note">Circular reference to <span class="schema-ref">Tree</span>.</p>`,
		`<p class="schema-note schema-truncated">Not expanded further.</p>`,
		`id="op-listNodes"`,
		`id="op-listNodes-2"`,
		`id="op-get-nodes-nodeid"`,
		`id="op-replace-pet-v2-ünïcode"`,
		`<p class="operation-security">Authentication: no authentication</p>`,
		`<code class="security-scheme-name">apiKey</code> and <code class="security-scheme-name">bearer</code>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	// Groups follow the first appearance of each first tag; untagged operations come last.
	order := []string{`id="tag-nodes"`, `id="tag-admin"`, `id="tag-graphs"`, `id="tag-untagged"`}
	last := -1
	for _, id := range order {
		i := strings.Index(out, id)
		if i <= last {
			t.Errorf("%s is out of order", id)
		}
		last = i
	}
	if strings.Contains(out, "alert(1)") || strings.Contains(out, "onclick") {
		t.Error("raw HTML from the description survived sanitizing")
	}
}

func TestOptions(t *testing.T) {
	def := load(t, "testdata/edge.good.yaml")
	tests := []struct {
		name    string
		opts    Options
		want    []string
		notWant []string
	}{
		{
			name:    "zero value",
			want:    []string{`<h1 class="api-title">`, `<nav class="api-toc"`, `<h3 class="operation-title">`, `id="op-getTree"`, `href="#op-getTree"`},
			notWant: []string{"<h7"},
		},
		{
			name: "heading offset",
			opts: Options{HeadingOffset: 1},
			want: []string{`<h2 class="api-title">`, `<h4 class="operation-title">`, `<h5 class="operation-part-title">`},
		},
		{
			name:    "offset capped at h6",
			opts:    Options{HeadingOffset: 9},
			want:    []string{`<h6 class="api-title">`, `<h6 class="operation-title">`},
			notWant: []string{"<h7", "<h1", "<h5"},
		},
		{
			name: "negative offset counts as zero",
			opts: Options{HeadingOffset: -3},
			want: []string{`<h1 class="api-title">`},
		},
		{
			name:    "no table of contents",
			opts:    Options{OmitTOC: true},
			notWant: []string{`<nav`, `href="#`},
		},
		{
			name:    "anchor prefix",
			opts:    Options{AnchorPrefix: `p1-"><x `},
			want:    []string{`id="p1-xop-getTree"`, `href="#p1-xop-getTree"`, `id="p1-xapi-servers"`, `id="p1-xtag-untagged"`},
			notWant: []string{`id="op-`, `href="#op-`},
		},
		{
			name:    "shallow schemas",
			opts:    Options{SchemaDepth: 1},
			want:    []string{`<code class="schema-property-name">root</code> <span class="schema-ref">Branch</span>` + "\n" + `<p class="schema-note schema-truncated">`},
			notWant: []string{`schema-property-name">deep<`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, def, tt.opts)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output contains %s", w)
				}
			}
		})
	}
}

func TestRenderSmallDefinitions(t *testing.T) {
	if _, err := Render(nil, Options{}); err == nil {
		t.Error("Render(nil) returned no error")
	}
	yes := true
	tests := []struct {
		name string
		def  *apidef.Definition
		want []string
	}{
		{
			name: "zero definition",
			def:  &apidef.Definition{},
			want: []string{`<h1 class="api-title">Untitled API</h1>`, `<article class="api-doc">`},
		},
		{
			name: "nil entries and odd values",
			def: &apidef.Definition{
				Title:       "T",
				SpecVersion: "2.0",
				Operations: []*apidef.Operation{nil, {
					Method:      "get",
					Path:        "/a/{b",
					Parameters:  []*apidef.Parameter{nil, {Name: "p", In: "query", Schema: &apidef.Schema{Bool: &yes}}},
					RequestBody: &apidef.RequestBody{Content: []*apidef.MediaType{nil, {Type: "text/plain"}}},
					Responses:   []*apidef.Response{nil, {Status: "600"}},
					Tags:        []string{""},
				}},
				SecuritySchemes: map[string]*apidef.SecurityScheme{"a": nil, "b": {Type: "custom"}, "c": {Type: "apiKey"}},
				Security:        []apidef.SecurityRequirement{{}},
			},
			want: []string{
				`Swagger 2.0`, `id="op-get-a-b"`, `<code class="path">/a/{b</code>`, `id="tag-untagged"`, `status-other`, `Unspecified scheme`, `<code class="security-type">custom</code>`,
				`API key in request`, `Every operation requires no authentication`,
			},
		},
		{
			name: "same operationId twice and a non-letter one",
			def: &apidef.Definition{Operations: []*apidef.Operation{
				{ID: "x", Method: "GET", Path: "/1"},
				{ID: "x", Method: "GET", Path: "/2"},
				{ID: "x-2", Method: "GET", Path: "/3"},
				{ID: "!!!", Method: "GET", Path: "/4"},
				{ID: "???", Method: "", Path: "???"},
			}},
			want: []string{`id="op-x"`, `id="op-x-2"`, `id="op-x-2-2"`, `id="op-get-4"`, `id="op-5"`, `<p class="responses-none">`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.def, Options{})
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s\n%s", w, out)
				}
			}
		})
	}
}

func TestPointerCycles(t *testing.T) {
	// A hand-built definition can tie schemas in knots through Go pointers, not only through
	// references; rendering must still end.
	loop := &apidef.Schema{Type: []string{"array"}}
	loop.Items = loop
	obj := &apidef.Schema{Type: []string{"object"}, Properties: map[string]*apidef.Schema{}}
	obj.Properties["self"] = obj
	all := &apidef.Schema{}
	all.AllOf = []*apidef.Schema{all}
	ref := &apidef.Schema{Ref: apidef.SchemaRefPrefix + "R"}
	def := &apidef.Definition{
		Schemas: map[string]*apidef.Schema{"R": ref, "D": {Ref: apidef.SchemaRefPrefix + "missing"}},
		Operations: []*apidef.Operation{{
			ID: "op", Method: "POST", Path: "/",
			RequestBody: &apidef.RequestBody{Content: []*apidef.MediaType{
				{Type: "a/a", Schema: loop},
				{Type: "b/b", Schema: obj},
				{Type: "c/c", Schema: all},
				{Type: "d/d", Schema: ref},
				{Type: "e/e", Schema: &apidef.Schema{Ref: apidef.SchemaRefPrefix + "D"}},
			}},
		}},
	}
	out := render(t, def, Options{SchemaDepth: 50})
	if !strings.Contains(out, "Unresolved reference") {
		t.Error("dangling reference not reported")
	}
}

// checkHTML fails t unless out is a fragment whose ids are unique, whose own in-page links
// all have a target, whose headings never skip a level on the way down, and which is inert.
func checkHTML(t *testing.T, out string) {
	t.Helper()
	ids := map[string]bool{}
	var hrefs []string
	prev := 0
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		if problem := inert(tok); problem != "" {
			t.Errorf("not inert: %s in %s", problem, tok.String())
		}
		if len(tok.Data) == 2 && tok.Data[0] == 'h' && tok.Data[1] >= '1' && tok.Data[1] <= '6' {
			l := int(tok.Data[1] - '0')
			if prev > 0 && l > prev+1 {
				t.Errorf("heading h%d follows h%d", l, prev)
			}
			prev = l
		}
		external := false // links from Markdown carry rel and may point anywhere
		for _, a := range tok.Attr {
			external = external || a.Key == "rel"
		}
		for _, a := range tok.Attr {
			switch a.Key {
			case "id":
				if ids[a.Val] {
					t.Errorf("id %q is used twice", a.Val)
				}
				ids[a.Val] = true
			case "href":
				if strings.HasPrefix(a.Val, "#") && !external {
					hrefs = append(hrefs, a.Val[1:])
				}
			}
		}
	}
	for _, h := range hrefs {
		if !ids[h] {
			t.Errorf("link to #%s has no target", h)
		}
	}
}

// inert returns what makes a start tag active, or "" if nothing does.
func inert(tok html.Token) string {
	switch tok.Data {
	case "script", "style", "iframe", "frame", "object", "embed", "svg", "math", "form",
		"textarea", "button", "select", "link", "meta", "base", "template", "noscript":
		return "element " + tok.Data
	}
	for _, a := range tok.Attr {
		k := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(k, "on"):
			return "event handler " + k
		case k == "style" || k == "srcdoc" || k == "formaction":
			return "attribute " + k
		case k == "href" || k == "src" || k == "cite" || k == "action":
			v := strings.ToLower(strings.Join(strings.FieldsFunc(a.Val, func(r rune) bool { return r <= ' ' }), ""))
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(v, scheme) {
					return "URL " + a.Val
				}
			}
		}
	}
	if tok.Data == "input" {
		disabled, checkbox := false, false
		for _, a := range tok.Attr {
			disabled = disabled || a.Key == "disabled"
			checkbox = checkbox || (a.Key == "type" && a.Val == "checkbox")
		}
		if !disabled || !checkbox {
			return "editable input"
		}
	}
	return ""
}

func TestCorpus(t *testing.T) {
	for _, rel := range testcorpus.Specs {
		t.Run(rel, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(rel, "digitalocean/") {
				t.Skip("large spec in -short mode")
			}
			def := load(t, testcorpus.File(t, rel))
			out := render(t, def, Options{})
			if n := strings.Count(out, `<section class="operation" id=`); n != len(def.Operations) {
				t.Errorf("%d operation sections for %d operations", n, len(def.Operations))
			}
		})
	}
}

func BenchmarkRenderDigitalOcean(b *testing.B) {
	def := load(b, testcorpus.File(b, "digitalocean/DigitalOcean-public.v2.yaml"))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := Render(def, Options{})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "html-bytes")
}

func TestInertDetectsActiveContent(t *testing.T) {
	tests := []struct {
		name string
		tag  string
	}{
		{name: "script", tag: `<script>`},
		{name: "event handler", tag: `<img src="x" onerror="alert(1)">`},
		{name: "javascript URL", tag: `<a href=" JavaScript:alert(1)">`},
		{name: "style attribute", tag: `<div style="position:fixed">`},
		{name: "editable input", tag: `<input type="checkbox">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := html.NewTokenizer(strings.NewReader(tt.tag))
			z.Next()
			if inert(z.Token()) == "" {
				t.Errorf("inert(%s) found nothing", tt.tag)
			}
		})
	}
}

func TestConcurrentRender(t *testing.T) {
	def := load(t, "testdata/edge.good.yaml")
	want := render(t, def, Options{})
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			out, err := Render(def, Options{})
			switch {
			case err != nil:
				errs <- err.Error()
			case out != want:
				errs <- "concurrent rendering differs"
			default:
				errs <- ""
			}
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
