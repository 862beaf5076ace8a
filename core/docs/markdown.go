package docs

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
	nethtml "golang.org/x/net/html"
)

// markdown converts CommonMark with GitHub's extensions (tables, strikethrough, autolinks, task
// lists; the set extension.GFM enables) to HTML. Raw HTML is let through on purpose: every
// result goes through policy before anyone sees it. Safe for concurrent use.
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.Linkify,
		extension.TaskList,
	),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

// policy is bluemonday's user-generated-content policy plus what Markdown itself produces:
// language classes on code blocks (for highlighters) and the read-only check boxes of task
// lists. It keeps http, https and mailto URLs and relative ones; it drops scripts, styles,
// frames, forms, event handlers and style attributes. Safe for concurrent use once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,40}$`)).OnElements("code")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")
	return p
}()

// Markdown renders one Markdown fragment (CommonMark with tables, strikethrough, autolinks
// and task lists) to sanitized HTML; headings keep the levels the source gives them.
func Markdown(src string) string {
	return renderMarkdown(src, 0)
}

// renderMarkdown renders src like Markdown. A base level above 0 renumbers the fragment's
// headings (raw HTML ones included) so that its highest one becomes <h{base}> and the levels
// follow on without gaps, capped at h6: a description never breaks the outline of the page it
// is placed in.
func renderMarkdown(src string, base int) string {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// Converting into a bytes.Buffer fails only on a renderer bug; show the text instead.
		return "<p>" + nethtml.EscapeString(src) + "</p>\n"
	}
	return finish(policy.SanitizeBytes(buf.Bytes()), base)
}

// headingTag matches the start or end tag of a heading.
var headingTag = regexp.MustCompile(`</?h[1-6]\b`)

// finish applies to sanitized HTML the rules bluemonday cannot express: every link gets
// rel="nofollow noopener", id attributes are dropped (so a description cannot take over the
// page's own anchors), inputs stay read-only check boxes, and headings are renumbered from
// base (when base is above 0). Its input is bluemonday's output, which the tokenizer reads
// back exactly.
func finish(b []byte, base int) string {
	renumber := base > 0 && headingTag.Match(b)
	if !renumber && !bytes.Contains(b, []byte("<a ")) && !bytes.Contains(b, []byte("<area ")) &&
		!bytes.Contains(b, []byte(" id=")) && !bytes.Contains(b, []byte("<input")) {
		return string(b)
	}
	var toks []nethtml.Token
	var levels []int
	z := nethtml.NewTokenizer(bytes.NewReader(b))
	for z.Next() != nethtml.ErrorToken {
		tok := z.Token()
		switch tok.Type {
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			tok.Attr = fixAttrs(tok.Data, tok.Attr)
			if l := headingLevel(tok.Data); l > 0 && !slices.Contains(levels, l) {
				levels = append(levels, l)
			}
		}
		toks = append(toks, tok)
	}
	rank := map[int]int{}
	if renumber {
		sort.Ints(levels)
		for i, l := range levels {
			rank[l] = min(base+i, 6)
		}
	}
	var out strings.Builder
	out.Grow(len(b) + 64)
	for _, tok := range toks {
		if l := headingLevel(tok.Data); l > 0 && renumber && tok.Type != nethtml.TextToken {
			tok.Data = "h" + strconv.Itoa(rank[l])
		}
		out.WriteString(tok.String())
	}
	return out.String()
}

// headingLevel returns n for the tag name "hn" (1 to 6), else 0.
func headingLevel(tag string) int {
	if len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6' {
		return int(tag[1] - '0')
	}
	return 0
}

// fixAttrs returns the attributes of one sanitized start tag with finish's rules applied.
func fixAttrs(tag string, attrs []nethtml.Attribute) []nethtml.Attribute {
	out := attrs[:0]
	href := false
	for _, a := range attrs {
		switch {
		case a.Key == "id" || a.Key == "rel":
			continue
		case tag == "input" && (a.Key == "type" || a.Key == "disabled"):
			continue
		case a.Key == "href":
			href = true
		}
		out = append(out, a)
	}
	if href && (tag == "a" || tag == "area") {
		out = append(out, nethtml.Attribute{Key: "rel", Val: "nofollow noopener"})
	}
	if tag == "input" {
		out = append(out, nethtml.Attribute{Key: "disabled"}, nethtml.Attribute{Key: "type", Val: "checkbox"})
	}
	return out
}
