// Package docs renders an API's reference documentation as one HTML fragment from its
// compiled definition: the documentation preview of the desktop workbench and, later, the
// pages of the hosted developer portal.
//
// The fragment is an <article class="api-doc"> holding a header (title, version, spec
// version), the API description, a table of contents, the servers, the authentication
// schemes, and the operations grouped by their first tag (untagged ones last) in document
// order. Every operation is a <section> with a stable id ("op-" and its operationId, or its
// method and path) that the table of contents links to.
//
// Text that the document defines as Markdown (the API description, summaries, response and
// schema descriptions) is rendered with goldmark and sanitized with bluemonday's UGC policy;
// every other string is escaped. The output carries class names for styling and no inline
// styles or scripts, and it is deterministic: the same definition and options give the same
// bytes. Render and Markdown are safe for concurrent use; Render does not modify the
// definition.
package docs

import (
	"errors"
	"html"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Options tunes Render. The zero value renders the API title as <h1>, includes a table of
// contents, expands schemas three levels deep and uses ids without a prefix.
type Options struct {
	// HeadingOffset moves every heading down by this many levels: 0 makes the API title an
	// <h1>, 1 an <h2> (for a page that has its own <h1>). Levels stop at <h6>; negative values
	// count as 0.
	HeadingOffset int
	// OmitTOC leaves out the table of contents; false renders it after the description.
	OmitTOC bool
	// SchemaDepth is how many levels of nested properties, array items and variants a schema
	// summary expands before it stops; 0 (or less) means 3.
	SchemaDepth int
	// AnchorPrefix is put before every id the fragment defines and every link to one, so that
	// several fragments can share a page; "" means no prefix. Only letters, digits, '-' and '_'
	// are kept.
	AnchorPrefix string
}

// defaultSchemaDepth is the schema expansion depth used when Options.SchemaDepth is 0.
const defaultSchemaDepth = 3

// Render returns the reference documentation of def as one HTML fragment. It fails only when
// def is nil.
func Render(def *apidef.Definition, opts Options) (string, error) {
	if def == nil {
		return "", errors.New("rendering documentation: no API definition")
	}
	r := newRenderer(def, opts)
	r.document()
	return r.b.String(), nil
}

// renderer holds the state of one Render call.
type renderer struct {
	def    *apidef.Definition
	opts   Options
	title  int // heading level of the API title
	depth  int // schema expansion depth
	prefix string
	b      strings.Builder

	md     map[mdKey]string // rendered Markdown, by source and heading base
	ids    map[string]bool  // every id handed out
	groups []*group         // operation groups in output order
	opID   map[*apidef.Operation]string
}

// mdKey identifies one rendered Markdown fragment.
type mdKey struct {
	src  string
	base int
}

// group is the operations sharing a first tag (or having none).
type group struct {
	name     string
	untagged bool
	id       string
	ops      []*apidef.Operation
}

func newRenderer(def *apidef.Definition, opts Options) *renderer {
	r := &renderer{
		def:    def,
		opts:   opts,
		title:  1 + max(opts.HeadingOffset, 0),
		depth:  opts.SchemaDepth,
		prefix: cleanPrefix(opts.AnchorPrefix),
		md:     map[mdKey]string{},
		ids:    map[string]bool{},
		opID:   map[*apidef.Operation]string{},
	}
	if r.title > 6 {
		r.title = 6
	}
	if r.depth <= 0 {
		r.depth = defaultSchemaDepth
	}
	r.plan()
	return r
}

// cleanPrefix keeps the characters of p that isIDChar allows.
func cleanPrefix(p string) string {
	var b strings.Builder
	for _, c := range p {
		if isIDChar(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// isIDChar reports whether c may appear in an id the fragment defines: letters, digits, '-'
// and '_' (Unicode letters and digits included: valid in HTML ids, URL fragments and CSS).
func isIDChar(c rune) bool {
	return c == '-' || c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c)
}

// Fixed section ids; reserved before any tag or operation gets one.
const (
	idContents       = "api-contents"
	idServers        = "api-servers"
	idAuthentication = "api-authentication"
)

// plan groups the operations and hands out every id, in document order.
func (r *renderer) plan() {
	for _, id := range []string{idContents, idServers, idAuthentication} {
		r.ids[id] = true
	}
	byTag := map[string]*group{}
	var untagged *group
	for _, op := range r.def.Operations {
		if op == nil {
			continue
		}
		if len(op.Tags) == 0 || op.Tags[0] == "" {
			if untagged == nil {
				untagged = &group{untagged: true}
			}
			untagged.ops = append(untagged.ops, op)
			continue
		}
		g := byTag[op.Tags[0]]
		if g == nil {
			g = &group{name: op.Tags[0]}
			byTag[g.name] = g
			r.groups = append(r.groups, g)
		}
		g.ops = append(g.ops, op)
	}
	if untagged != nil {
		r.groups = append(r.groups, untagged)
	}
	for i, g := range r.groups {
		if g.untagged {
			g.id = r.newID("tag-untagged", "")
		} else {
			g.id = r.newID("tag-"+slug(g.name, true), "tag-"+strconv.Itoa(i+1))
		}
	}
	n := 0
	for _, g := range r.groups {
		for _, op := range g.ops {
			n++
			r.opID[op] = r.newID(operationAnchor(op), "op-"+strconv.Itoa(n))
		}
	}
}

// operationAnchor derives an operation's id: "op-" and its operationId with every run of
// characters other than letters, digits and '_' replaced by a dash ("op-getPets", "op-find-pet-by-id"), or,
// when the document gives no operationId, "op-" and the method and path in lower case
// ("op-get-pets-id").
func operationAnchor(op *apidef.Operation) string {
	derived := op.ID == "" || op.ID == op.Method+" "+op.Path
	if !derived {
		if s := slug(op.ID, false); s != "" {
			return "op-" + s
		}
	}
	if s := slug(op.Method+" "+op.Path, true); s != "" {
		return "op-" + s
	}
	return ""
}

// newID returns want (or fallback when want is empty or only a prefix) made unique with a
// numeric suffix, and records it.
func (r *renderer) newID(want, fallback string) string {
	if want == "" || strings.HasSuffix(want, "-") {
		want = fallback
	}
	id := want
	for i := 2; r.ids[id]; i++ {
		id = want + "-" + strconv.Itoa(i)
	}
	r.ids[id] = true
	return id
}

// slug replaces every run of characters other than letters, digits and '_' with one dash and
// trims dashes; lower folds letters to lower case.
func slug(s string, lower bool) string {
	var b strings.Builder
	dash := false
	for _, c := range s {
		if isIDChar(c) && c != '-' {
			if lower {
				c = unicode.ToLower(c)
			}
			b.WriteRune(c)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// id returns the attribute value of a planned id.
func (r *renderer) id(id string) string { return r.prefix + id }

// level returns the heading level n steps below the API title, capped at 6.
func (r *renderer) level(n int) int { return min(r.title+n, 6) }

// esc escapes plain text for element content and quoted attribute values.
func esc(s string) string { return html.EscapeString(s) }

// w writes raw HTML.
func (r *renderer) w(parts ...string) {
	for _, p := range parts {
		r.b.WriteString(p)
	}
}

// heading writes <hN class="class">inner</hN>; inner is HTML.
func (r *renderer) heading(n int, class, inner string) {
	l := strconv.Itoa(r.level(n))
	r.w("<h", l, ` class="`, class, `">`, inner, "</h", l, ">\n")
}

// markdown returns src rendered and sanitized, with its headings starting at level base.
func (r *renderer) markdown(src string, base int) string {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	k := mdKey{src, min(base, 6)}
	out, ok := r.md[k]
	if !ok {
		out = renderMarkdown(src, k.base)
		r.md[k] = out
	}
	return out
}

// markdownBlock writes src as a <div class="markdown class"> if it is not blank.
func (r *renderer) markdownBlock(class, src string, base int) {
	if out := r.markdown(src, base); out != "" {
		r.w(`<div class="markdown `, class, `">`, "\n", out, "</div>\n")
	}
}

// document writes the whole fragment.
func (r *renderer) document() {
	d := r.def
	r.w(`<article class="api-doc">`, "\n")
	r.w(`<header class="api-header">`, "\n")
	title := d.Title
	if strings.TrimSpace(title) == "" {
		title = "Untitled API"
	}
	r.heading(0, "api-title", esc(title))
	var meta []string
	if d.Version != "" {
		meta = append(meta, `<span class="api-version">Version `+esc(d.Version)+`</span>`)
	}
	if d.SpecVersion != "" {
		meta = append(meta, `<span class="api-spec-version">`+esc(specDialect(d.SpecVersion))+`</span>`)
	}
	if len(meta) > 0 {
		r.w(`<p class="api-meta">`, strings.Join(meta, " "), "</p>\n")
	}
	r.w("</header>\n")
	r.markdownBlock("api-description", d.Description, r.level(1))
	hasServers := len(d.Servers) > 0 || d.BasePath != ""
	hasAuth := len(d.SecuritySchemes) > 0 || len(d.Security) > 0
	if !r.opts.OmitTOC {
		r.toc(hasServers, hasAuth)
	}
	if hasServers {
		r.servers()
	}
	if hasAuth {
		r.authentication()
	}
	for _, g := range r.groups {
		r.group(g)
	}
	r.w("</article>\n")
}

// specDialect names the source dialect: "OpenAPI 3.1.0" or "Swagger 2.0".
func specDialect(v string) string {
	if strings.HasPrefix(v, "2.") {
		return "Swagger " + v
	}
	return "OpenAPI " + v
}

// groupTitle is the heading of a group: its tag, or a name for the untagged operations.
func (r *renderer) groupTitle(g *group) string {
	if !g.untagged {
		return g.name
	}
	if len(r.groups) == 1 {
		return "Operations"
	}
	return "Other operations"
}

// toc writes the table of contents.
func (r *renderer) toc(hasServers, hasAuth bool) {
	r.w(`<nav class="api-toc" aria-labelledby="`, r.id(idContents), `">`, "\n")
	l := strconv.Itoa(r.level(1))
	r.w("<h", l, ` class="api-toc-title" id="`, r.id(idContents), `">Contents</h`, l, ">\n")
	r.w("<ol>\n")
	if hasServers {
		r.w(`<li><a href="#`, r.id(idServers), `">Servers</a></li>`, "\n")
	}
	if hasAuth {
		r.w(`<li><a href="#`, r.id(idAuthentication), `">Authentication</a></li>`, "\n")
	}
	for _, g := range r.groups {
		r.w(`<li><a href="#`, r.id(g.id), `">`, esc(r.groupTitle(g)), "</a>\n<ol>\n")
		for _, op := range g.ops {
			r.w(`<li><a href="#`, r.id(r.opID[op]), `">`, r.methodBadge(op.Method), " ", r.pathCode(op.Path, false), "</a></li>\n")
		}
		r.w("</ol>\n</li>\n")
	}
	r.w("</ol>\n</nav>\n")
}

// servers writes the server list and the base path.
func (r *renderer) servers() {
	d := r.def
	r.w(`<section class="api-servers" id="`, r.id(idServers), `">`, "\n")
	r.heading(1, "section-title", "Servers")
	if len(d.Servers) > 0 {
		r.w(`<ul class="server-list">`, "\n")
		for _, s := range d.Servers {
			r.w(`<li><code class="server-url">`, esc(s), "</code></li>\n")
		}
		r.w("</ul>\n")
	}
	if d.BasePath != "" {
		r.w(`<p class="base-path">Base path: <code>`, esc(d.BasePath), "</code></p>\n")
	}
	r.w("</section>\n")
}

// authentication writes the security schemes and the document-level requirement.
func (r *renderer) authentication() {
	d := r.def
	r.w(`<section class="api-authentication" id="`, r.id(idAuthentication), `">`, "\n")
	r.heading(1, "section-title", "Authentication")
	if len(d.SecuritySchemes) > 0 {
		names := make([]string, 0, len(d.SecuritySchemes))
		for n := range d.SecuritySchemes {
			names = append(names, n)
		}
		sort.Strings(names)
		r.w(`<dl class="security-schemes">`, "\n")
		for _, n := range names {
			r.w(`<dt><code class="security-scheme-name">`, esc(n), "</code></dt>\n")
			r.w(`<dd class="security-scheme">`, schemeText(d.SecuritySchemes[n]), "</dd>\n")
		}
		r.w("</dl>\n")
	}
	if len(d.Security) > 0 {
		r.w(`<p class="security-default">Every operation requires `, requirementsText(d.Security), " unless it says otherwise.</p>\n")
	}
	r.w("</section>\n")
}

// schemeText describes one security scheme as HTML.
func schemeText(s *apidef.SecurityScheme) string {
	if s == nil {
		return "Unspecified scheme"
	}
	switch s.Type {
	case "apiKey":
		in := s.In
		if in == "" {
			in = "request"
		}
		return "API key in " + esc(in) + ` <code class="security-key-name">` + esc(s.Name) + "</code>"
	case "http":
		if s.Scheme == "" {
			return "HTTP authentication"
		}
		return `HTTP <code class="security-http-scheme">` + esc(s.Scheme) + "</code> authentication"
	case "oauth2":
		return "OAuth 2.0"
	case "openIdConnect":
		return "OpenID Connect"
	case "mutualTLS":
		return "Mutual TLS"
	case "":
		return "Unspecified scheme"
	}
	return `<code class="security-type">` + esc(s.Type) + "</code>"
}

// requirementsText describes a security requirement list as HTML: any one requirement
// suffices, and all schemes of a requirement must be met.
func requirementsText(reqs []apidef.SecurityRequirement) string {
	if len(reqs) == 0 {
		return "no authentication"
	}
	parts := make([]string, 0, len(reqs))
	for _, req := range reqs {
		if len(req) == 0 {
			parts = append(parts, "no authentication")
			continue
		}
		names := make([]string, 0, len(req))
		for n := range req {
			names = append(names, n)
		}
		sort.Strings(names)
		all := make([]string, 0, len(names))
		for _, n := range names {
			t := `<code class="security-scheme-name">` + esc(n) + "</code>"
			if scopes := req[n]; len(scopes) > 0 {
				qs := make([]string, len(scopes))
				for i, s := range scopes {
					qs[i] = `<code class="security-scope">` + esc(s) + "</code>"
				}
				t += " (scopes " + strings.Join(qs, ", ") + ")"
			}
			all = append(all, t)
		}
		parts = append(parts, strings.Join(all, " and "))
	}
	return strings.Join(parts, " or ")
}

// methodBadge returns the badge of an HTTP method.
func (r *renderer) methodBadge(m string) string {
	class := slug(m, true)
	if class == "" {
		class = "unknown"
	}
	return `<span class="method method-` + class + `">` + esc(strings.ToUpper(m)) + "</span>"
}

// pathCode returns a path template as code, with its parameters marked and, when withBase is
// set, the definition's base path in front.
func (r *renderer) pathCode(p string, withBase bool) string {
	var b strings.Builder
	b.WriteString(`<code class="path">`)
	if withBase && r.def.BasePath != "" {
		b.WriteString(`<span class="base-path">`)
		b.WriteString(esc(r.def.BasePath))
		b.WriteString("</span>")
	}
	for p != "" {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(esc(p[:i]))
		b.WriteString(`<span class="path-param">`)
		b.WriteString(esc(p[i : i+j+1]))
		b.WriteString("</span>")
		p = p[i+j+1:]
	}
	b.WriteString(esc(p))
	b.WriteString("</code>")
	return b.String()
}

// group writes one group of operations.
func (r *renderer) group(g *group) {
	class := "operation-group"
	if g.untagged {
		class += " operation-group-untagged"
	}
	r.w(`<section class="`, class, `" id="`, r.id(g.id), `">`, "\n")
	r.heading(1, "section-title", esc(r.groupTitle(g)))
	for _, op := range g.ops {
		r.operation(op)
	}
	r.w("</section>\n")
}

// operation writes one operation section.
func (r *renderer) operation(op *apidef.Operation) {
	r.w(`<section class="operation" id="`, r.id(r.opID[op]), `">`, "\n")
	r.heading(2, "operation-title", r.methodBadge(op.Method)+" "+r.pathCode(op.Path, true))
	r.markdownBlock("operation-summary", op.Summary, r.level(3))
	if op.Deprecated {
		r.w(`<p class="operation-deprecated"><strong>Deprecated.</strong></p>`, "\n")
	}
	r.markdownBlock("operation-description", op.Description, r.level(3))
	r.w(`<p class="operation-id">Operation ID: <code>`, esc(op.ID), "</code></p>\n")
	if len(op.Tags) > 1 {
		tags := make([]string, len(op.Tags))
		for i, t := range op.Tags {
			tags[i] = `<span class="tag">` + esc(t) + "</span>"
		}
		r.w(`<p class="operation-tags">Tags: `, strings.Join(tags, ", "), "</p>\n")
	}
	if op.SecurityDeclared || len(r.def.Security) > 0 {
		r.w(`<p class="operation-security">Authentication: `, requirementsText(r.def.EffectiveSecurity(op)), "</p>\n")
	}
	if len(op.Parameters) > 0 {
		r.parameters(op.Parameters)
	}
	if op.RequestBody != nil {
		r.requestBody(op.RequestBody)
	}
	r.responses(op.Responses)
	r.w("</section>\n")
}

// parameters writes an operation's parameter table.
func (r *renderer) parameters(ps []*apidef.Parameter) {
	r.heading(3, "operation-part-title", "Parameters")
	r.w(`<table class="parameters">`, "\n<thead>\n<tr>")
	r.w(`<th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Type</th><th scope="col">Description</th>`)
	r.w("</tr>\n</thead>\n<tbody>\n")
	for _, p := range ps {
		if p == nil {
			continue
		}
		req := "no"
		if p.Required {
			req = "yes"
		}
		r.w(`<tr class="parameter">`)
		r.w(`<td class="parameter-name"><code>`, esc(p.Name), "</code></td>")
		r.w(`<td class="parameter-in">`, esc(p.In), "</td>")
		r.w(`<td class="parameter-required">`, req, "</td>")
		r.w(`<td class="parameter-type">`, r.inlineType(p.Schema), "</td>")
		desc := p.Description
		if desc == "" {
			desc = r.description(p.Schema)
		}
		if p.Deprecated {
			desc = "**Deprecated.** " + desc
		}
		r.w(`<td class="parameter-description">`, r.markdown(desc, r.level(4)), "</td>")
		r.w("</tr>\n")
	}
	r.w("</tbody>\n</table>\n")
}

// requestBody writes an operation's request body.
func (r *renderer) requestBody(rb *apidef.RequestBody) {
	r.heading(3, "operation-part-title", "Request body")
	if rb.Required {
		r.w(`<p class="request-body-required">Required.</p>`, "\n")
	} else {
		r.w(`<p class="request-body-required">Optional.</p>`, "\n")
	}
	r.markdownBlock("request-body-description", rb.Description, r.level(4))
	if len(rb.Content) == 0 {
		r.w(`<p class="media-types-none">No media types declared.</p>`, "\n")
		return
	}
	r.w(`<dl class="media-types">`, "\n")
	for _, mt := range rb.Content {
		if mt == nil {
			continue
		}
		r.w(`<dt><code class="media-type">`, esc(mt.Type), "</code></dt>\n<dd>\n")
		r.schemaBlock(mt.Schema, 0, nil, r.level(4))
		r.w("</dd>\n")
	}
	r.w("</dl>\n")
}

// responses writes an operation's responses.
func (r *renderer) responses(rs []*apidef.Response) {
	r.heading(3, "operation-part-title", "Responses")
	if len(rs) == 0 {
		r.w(`<p class="responses-none">No responses declared.</p>`, "\n")
		return
	}
	r.w(`<dl class="responses">`, "\n")
	for _, resp := range rs {
		if resp == nil {
			continue
		}
		r.w(`<dt class="response-status `, statusClass(resp.Status), `"><code>`, esc(resp.Status), "</code></dt>\n<dd>\n")
		r.markdownBlock("response-description", resp.Description, r.level(4))
		if len(resp.Headers) > 0 {
			r.w(`<ul class="response-headers">`, "\n")
			for _, h := range resp.Headers {
				if h == nil {
					continue
				}
				r.w(`<li><code class="header-name">`, esc(h.Name), "</code> ", r.inlineType(h.Schema))
				if h.Required {
					r.w(` <span class="schema-required">required</span>`)
				}
				r.w("</li>\n")
			}
			r.w("</ul>\n")
		}
		if len(resp.Content) > 0 {
			r.w(`<ul class="response-media-types">`, "\n")
			for _, mt := range resp.Content {
				if mt == nil {
					continue
				}
				r.w(`<li><code class="media-type">`, esc(mt.Type), "</code> ", r.inlineType(mt.Schema), "</li>\n")
			}
			r.w("</ul>\n")
		}
		r.w("</dd>\n")
	}
	r.w("</dl>\n")
}

// statusClass returns the class of a response status: "status-2xx", "status-default" or
// "status-other".
func statusClass(s string) string {
	if s == "default" {
		return "status-default"
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' {
		return "status-" + s[:1] + "xx"
	}
	return "status-other"
}
