package docs

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/apidef"
	"golang.org/x/net/html"
)

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string
		notWant []string
	}{
		{name: "blank", src: " \n\t", want: nil},
		{name: "emphasis", src: "*a* **b** `c`", want: []string{"<p><em>a</em> <strong>b</strong> <code>c</code></p>"}},
		{
			name: "table",
			src:  "| a | b |\n|:--|--:|\n| 1 | 2 |\n",
			want: []string{"<table>", `<th align="left">a</th>`, `<td align="right">2</td>`},
		},
		{name: "strikethrough", src: "~~old~~ new", want: []string{"<del>old</del> new"}},
		{
			name: "autolink",
			src:  "see https://example.com/x and www.example.org",
			want: []string{`<a href="https://example.com/x" rel="nofollow noopener">https://example.com/x</a>`, `<a href="http://www.example.org" rel="nofollow noopener">`},
		},
		{
			name: "task list",
			src:  "- [x] done\n- [ ] todo\n",
			want: []string{`<li><input checked="" disabled="" type="checkbox"> done</li>`, `<li><input disabled="" type="checkbox"> todo</li>`},
		},
		{
			name:    "code block keeps its language and escapes its text",
			src:     "```js\nif (a < b && c) { alert(\"x\") }\n```\n",
			want:    []string{`<pre><code class="language-js">if (a &lt; b &amp;&amp; c) { alert(&#34;x&#34;) }`},
			notWant: []string{"<b"},
		},
		{
			name: "relative and mail links",
			src:  "[doc](/docs/a) [mail](mailto:a@example.com) [frag](#op-x)",
			want: []string{`<a href="/docs/a" rel="nofollow noopener">doc</a>`, `<a href="mailto:a@example.com" rel="nofollow noopener">mail</a>`, `<a href="#op-x" rel="nofollow noopener">`},
		},
		{
			name:    "raw link keeps only safe attributes",
			src:     `<a href="https://e.example" rel="opener" target="_top" id="op-x" onclick="x()">e</a>`,
			want:    []string{`<a href="https://e.example" rel="nofollow noopener">e</a>`},
			notWant: []string{`rel="opener"`, "_top", "id=", "onclick"},
		},
		{
			name:    "raw input becomes a read-only check box",
			src:     `<input type="text" value="secret" checked>`,
			want:    []string{`<input checked="" disabled="" type="checkbox">`},
			notWant: []string{"text", "secret"},
		},
		{
			name: "headings keep their levels",
			src:  "# one\n\n### three\n",
			want: []string{"<h1>one</h1>", "<h3>three</h3>"},
		},
		{name: "raw HTML in inline code stays text", src: "`<b>x</b>`", want: []string{"<code>&lt;b&gt;x&lt;/b&gt;</code>"}},
		{name: "images over https", src: "![alt](https://example.com/i.png)", want: []string{`<img src="https://example.com/i.png" alt="alt">`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Markdown(tt.src)
			if tt.want == nil && out != "" {
				t.Errorf("Markdown(%q) = %q, want empty", tt.src, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("Markdown(%q) = %q, lacks %s", tt.src, out, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("Markdown(%q) = %q, contains %s", tt.src, out, w)
				}
			}
		})
	}
}

func TestRenumberHeadings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		base int
		want string
	}{
		{name: "shifted", src: "# a\n## b\n", base: 3, want: "<h3>a</h3>\n<h4>b</h4>\n"},
		{name: "gaps closed", src: "## a\n#### b\n", base: 2, want: "<h2>a</h2>\n<h3>b</h3>\n"},
		{name: "capped at h6", src: "# a\n## b\n### c\n", base: 5, want: "<h5>a</h5>\n<h6>b</h6>\n<h6>c</h6>\n"},
		{name: "zero keeps levels", src: "## a\n", base: 0, want: "<h2>a</h2>\n"},
		{name: "raw HTML headings too", src: "<h1>a</h1>\n\n### b\n", base: 4, want: "<h4>a</h4>\n<h5>b</h5>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderMarkdown(tt.src, tt.base); got != tt.want {
				t.Errorf("renderMarkdown(%q, %d) = %q, want %q", tt.src, tt.base, got, tt.want)
			}
		})
	}
}

// payloads are attempts to get active content into the page.
var payloads = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](&#106;avascript:alert(1))`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href=" java	script:alert(1)">x</a>`,
	`"><svg onload=alert(1)>`,
	`'><img src=x onerror=alert(1)>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<style>body{display:none}</style><div style="position:fixed">x</div>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<form action="https://evil.example"><input name=p><button formaction="javascript:alert(1)">go</button></form>`,
	`![x](javascript:alert(1)) <img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">`,
	"```\n</code></pre><script>alert(1)</script>\n```",
	`<details open ontoggle=alert(1)>x</details>`,
	`<a href="https://example.com" target="_blank" id="op-x">x</a>`,
	`{"a": "</script><script>alert(1)</script>"}`,
}

// fields set a payload into one field of a definition; md marks the fields that are Markdown.
var fields = []struct {
	name string
	md   bool
	set  func(d *apidef.Definition, v string)
}{
	{"title", false, func(d *apidef.Definition, v string) { d.Title = v }},
	{"version", false, func(d *apidef.Definition, v string) { d.Version = v }},
	{"spec version", false, func(d *apidef.Definition, v string) { d.SpecVersion = v }},
	{"description", true, func(d *apidef.Definition, v string) { d.Description = v }},
	{"server", false, func(d *apidef.Definition, v string) { d.Servers = []string{v} }},
	{"base path", false, func(d *apidef.Definition, v string) { d.BasePath = v }},
	{"operationId", false, func(d *apidef.Definition, v string) { d.Operations[0].ID = v }},
	{"method", false, func(d *apidef.Definition, v string) { d.Operations[0].Method = v }},
	{"path", false, func(d *apidef.Definition, v string) { d.Operations[0].Path = "/pets/{" + v + "}/" + v }},
	{"summary", true, func(d *apidef.Definition, v string) { d.Operations[0].Summary = v }},
	{"tag", false, func(d *apidef.Definition, v string) { d.Operations[0].Tags = []string{v, v + "2"} }},
	{"parameter name", false, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].Name = v }},
	{"parameter in", false, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].In = v }},
	{"parameter description", true, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].Schema.Description = v }},
	{"schema type", false, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].Schema.Type = []string{v, "null"} }},
	{"schema format", false, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].Schema.Format = v }},
	{"schema pattern", false, func(d *apidef.Definition, v string) { d.Operations[0].Parameters[0].Schema.Pattern = v }},
	{"schema enum", false, func(d *apidef.Definition, v string) {
		d.Operations[0].Parameters[0].Schema.Enum = []json.RawMessage{jsonString(v)}
	}},
	{"schema default and const", false, func(d *apidef.Definition, v string) {
		d.Operations[0].Parameters[0].Schema.Default = jsonString(v)
		d.Operations[0].Parameters[0].Schema.Const = jsonString(v)
	}},
	{"schema name", false, func(d *apidef.Definition, v string) {
		d.Schemas[v] = d.Schemas["Pet"]
		d.Operations[0].RequestBody.Content[0].Schema = &apidef.Schema{Ref: apidef.SchemaRefPrefix + v}
	}},
	{"dangling reference", false, func(d *apidef.Definition, v string) {
		d.Operations[0].RequestBody.Content[0].Schema = &apidef.Schema{Ref: v}
	}},
	{"property name", false, func(d *apidef.Definition, v string) {
		p := d.Schemas["Pet"]
		p.Properties[v] = &apidef.Schema{Type: []string{"string"}}
		p.PropertyOrder = append(p.PropertyOrder, v)
		p.Required = append(p.Required, v)
	}},
	{"property description", true, func(d *apidef.Definition, v string) { d.Schemas["Pet"].Properties["name"].Description = v }},
	{"schema description", true, func(d *apidef.Definition, v string) { d.Schemas["Pet"].Description = v }},
	{"discriminator", false, func(d *apidef.Definition, v string) {
		d.Schemas["Pet"].Discriminator = &apidef.Discriminator{PropertyName: v}
	}},
	{"request media type", false, func(d *apidef.Definition, v string) { d.Operations[0].RequestBody.Content[0].Type = v }},
	{"response status", false, func(d *apidef.Definition, v string) { d.Operations[0].Responses[0].Status = v }},
	{"response description", true, func(d *apidef.Definition, v string) { d.Operations[0].Responses[0].Description = v }},
	{"response header", false, func(d *apidef.Definition, v string) { d.Operations[0].Responses[0].Headers[0].Name = v }},
	{"response media type", false, func(d *apidef.Definition, v string) { d.Operations[0].Responses[0].Content[0].Type = v }},
	{"security scheme name", false, func(d *apidef.Definition, v string) {
		d.SecuritySchemes[v] = d.SecuritySchemes["key"]
		d.Security = []apidef.SecurityRequirement{{v: {v}}}
	}},
	{"security scheme fields", false, func(d *apidef.Definition, v string) {
		d.SecuritySchemes["key"] = &apidef.SecurityScheme{Type: "apiKey", In: v, Name: v}
		d.SecuritySchemes["http"] = &apidef.SecurityScheme{Type: "http", Scheme: v}
		d.SecuritySchemes["other"] = &apidef.SecurityScheme{Type: v}
	}},
	{"operation scopes", false, func(d *apidef.Definition, v string) {
		d.Operations[0].SecurityDeclared = true
		d.Operations[0].Security = []apidef.SecurityRequirement{{"key": {v}}}
	}},
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// baseDefinition returns a small definition in which every field that fields sets exists.
func baseDefinition() *apidef.Definition {
	return &apidef.Definition{
		Title: "Pets", Version: "1", SpecVersion: "3.1.0",
		Servers: []string{"https://example.com/v1"}, BasePath: "/v1",
		Schemas: map[string]*apidef.Schema{"Pet": {
			Type:          []string{"object"},
			Properties:    map[string]*apidef.Schema{"name": {Type: []string{"string"}}},
			PropertyOrder: []string{"name"},
		}},
		SecuritySchemes: map[string]*apidef.SecurityScheme{"key": {Type: "apiKey", In: "header", Name: "X-Key"}},
		Operations: []*apidef.Operation{{
			ID: "getPet", Method: "GET", Path: "/pets/{id}",
			Parameters: []*apidef.Parameter{{Name: "id", In: "path", Required: true, Schema: &apidef.Schema{Type: []string{"string"}}}},
			RequestBody: &apidef.RequestBody{Content: []*apidef.MediaType{{
				Type: "application/json", Schema: &apidef.Schema{Ref: apidef.SchemaRefPrefix + "Pet"},
			}}},
			Responses: []*apidef.Response{{
				Status: "200", Description: "ok",
				Headers: []*apidef.Header{{Name: "X-Rate"}},
				Content: []*apidef.MediaType{{Type: "application/json"}},
			}},
		}},
	}
}

func TestXSSIsInert(t *testing.T) {
	for _, f := range fields {
		for i, p := range payloads {
			t.Run(f.name+"/payload-"+strconv.Itoa(i), func(t *testing.T) {
				def := baseDefinition()
				f.set(def, p)
				out := render(t, def, Options{})
				if !f.md && strings.ContainsAny(p, `<"'`) && strings.Contains(out, p) {
					t.Errorf("plain field %s not escaped", f.name)
				}
				if strings.Contains(strings.ToLower(out), "<script") {
					t.Error("output contains <script")
				}
			})
		}
	}
}

// eventAttr matches an event-handler attribute inside a tag.
var eventAttr = regexp.MustCompile(`(?i)<[^>]*[\s/"']on[a-z]+\s*=`)

func FuzzMarkdown(f *testing.F) {
	for _, p := range payloads {
		f.Add(p)
	}
	f.Add(baseDescription)
	f.Fuzz(func(t *testing.T, src string) {
		out := Markdown(src)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("Markdown(%q) = %q contains <script", src, out)
		}
		if eventAttr.MatchString(out) {
			t.Fatalf("Markdown(%q) = %q contains an event attribute", src, out)
		}
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
				if problem := inert(z.Token()); problem != "" {
					t.Fatalf("Markdown(%q) = %q is not inert: %s", src, out, problem)
				}
			}
		}
		for _, base := range []int{2, 6} {
			if shifted := renderMarkdown(src, base); strings.Contains(strings.ToLower(shifted), "<script") || strings.Contains(shifted, "<h1") {
				t.Fatalf("renderMarkdown(%q, %d) = %q", src, base, shifted)
			}
		}
	})
}

// baseDescription is a seed that uses every Markdown feature the renderer enables.
const baseDescription = "# T\n\n| a | b |\n|---|:-:|\n| `x` | ~~y~~ |\n\n- [x] done\n- [ ] todo\n\n" +
	"```go\nfunc main() {}\n```\n\nhttps://example.com <b>bold</b> <a href=\"/x\">x</a>\n"
