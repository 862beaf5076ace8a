package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	yaml "github.com/pb33f/go-yaml"

	"github.com/gantry-dev/gantry/core/model"
)

// Document is an API description ready to lint: the root document and every file its
// relative $refs reach, each parsed once into a YAML node tree that keeps lines and columns.
//
// A Document is immutable after construction and safe for concurrent use by several Lint
// calls; the resolved view ($refs followed) is built on first use and shared.
type Document struct {
	root     string
	files    []*docFile
	byPath   map[string]int32
	formats  formatSet
	version  string
	problems []Finding // parser findings of files other than the root
	idx      map[*yaml.Node]nodeInfo
	refs     []refSite

	resOnce  sync.Once
	resolved *yaml.Node
	copies   map[*yaml.Node]*yaml.Node // resolved copy → original node

	refOnce     sync.Once
	targets     map[*yaml.Node]bool       // nodes some $ref points at
	referrers   map[*yaml.Node]*yaml.Node // target → the first mapping whose $ref points at it
	refFindings []Finding                 // dangling $refs

	flatRawOnce, flatResOnce sync.Once
	flatRaw, flatRes         *qview
}

// docFile is one parsed file of a Document.
type docFile struct {
	path string
	node *yaml.Node // the content root; nil when the file could not be read or parsed
}

// nodeInfo records where a node sits in its file.
type nodeInfo struct {
	parent *yaml.Node
	key    *yaml.Node // the key of a mapping value; the node itself for a key
	file   int32
	index  int32 // position in a sequence parent, -1 otherwise
	isKey  bool
}

// refSite is one $ref found in a file.
type refSite struct {
	file  int32
	owner *yaml.Node // the mapping holding $ref
	value *yaml.Node // the $ref value scalar
}

// SyntaxError reports a document that cannot be parsed, with the position the parser gave.
type SyntaxError struct {
	// File is the file's path as the document names it.
	File string
	// Line and Column are 1-based; 0 when the parser gave no position.
	Line, Column int
	// Msg is the parser's message.
	Msg string
}

// Error formats the error as "file:line:col: message".
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// maxFiles bounds how many files one document may pull in through $refs.
const maxFiles = 20000

// maxFileSize bounds the size of one file of a document read from disk.
const maxFileSize = 64 << 20

// Load reads the document at path and every local file its relative $refs reach. Files are
// named relative to the root document's folder. Missing referenced files are not an error
// here: the lint reports each dangling $ref as an invalid-ref finding.
func Load(path string) (*Document, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("loading %q: %w", path, err)
	}
	dir, name := filepath.Split(abs)
	read := func(rel string) ([]byte, error) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", rel)
		}
		if fi.Size() > maxFileSize {
			return nil, fmt.Errorf("%s is larger than %d bytes", rel, maxFileSize)
		}
		return os.ReadFile(p)
	}
	d, err := build(name, read)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.File = path
			return nil, se
		}
		return nil, fmt.Errorf("loading %q: %w", path, err)
	}
	return d, nil
}

// NewDocument builds a document from stored files (paths relative to the root document's
// folder, as core/model keeps them); root names the root document among them.
func NewDocument(root string, files []model.SpecFile) (*Document, error) {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[cleanRel(f.Path)] = f.Content
	}
	root = cleanRel(root)
	d, err := build(root, func(rel string) ([]byte, error) {
		b, ok := m[rel]
		if !ok {
			return nil, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
		return b, nil
	})
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, fmt.Errorf("loading %q: %w", root, err)
	}
	return d, nil
}

// Parse builds a document from one file held in memory; name is used in findings. $refs to
// other files are reported as invalid-ref findings.
func Parse(name string, data []byte) (*Document, error) {
	name = cleanRel(name)
	if name == "." || name == "/" || name == "" {
		name = "openapi.yaml"
	}
	return build(name, func(rel string) ([]byte, error) {
		if rel == name {
			return data, nil
		}
		return nil, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
	})
}

// Root returns the root document's name.
func (d *Document) Root() string { return d.root }

// Files returns the names of the document's files: the root first, then the others sorted.
func (d *Document) Files() []string {
	out := make([]string, 0, len(d.files))
	for _, f := range d.files[1:] {
		out = append(out, f.path)
	}
	sort.Strings(out)
	return append([]string{d.root}, out...)
}

// Formats returns the formats the document matches: "oas2", or "oas3" with "oas3_0",
// "oas3_1" or "oas3_2"; none when it is not an OpenAPI description.
func (d *Document) Formats() []string { return d.formats.names() }

// cleanRel normalises a stored relative path to a clean slash path.
func cleanRel(p string) string {
	return path.Clean(strings.ReplaceAll(p, "\\", "/"))
}

// build reads root and follows every relative file $ref breadth first.
func build(root string, read func(string) ([]byte, error)) (*Document, error) {
	data, err := read(root)
	if err != nil {
		return nil, err
	}
	// About one node per 12 bytes of YAML; sizing the index up front avoids rehashing it.
	d := &Document{root: root, byPath: map[string]int32{}, idx: make(map[*yaml.Node]nodeInfo, len(data)/12)}
	node, perr := parseYAML(root, data)
	if perr != nil {
		return nil, perr
	}
	d.addFile(root, node)
	for i := 0; i < len(d.files); i++ {
		f := d.files[i]
		if f.node == nil {
			continue
		}
		start := len(d.refs)
		d.walk(int32(i), f.node)
		dir := path.Dir(f.path)
		for _, r := range d.refs[start:] {
			target := refFile(dir, r.value.Value)
			if target == "" {
				continue
			}
			if _, seen := d.byPath[target]; seen || len(d.files) >= maxFiles {
				continue
			}
			b, err := read(target)
			if err != nil {
				// A missing file is reported where it is referenced.
				continue
			}
			n, perr := parseYAML(target, b)
			if perr != nil {
				d.problems = append(d.problems, Finding{
					Rule: "parser", Severity: SeverityError, Message: perr.Msg,
					File: target, Line: max(perr.Line, 1), Column: max(perr.Column, 1),
					EndLine: max(perr.Line, 1), EndColumn: max(perr.Column, 1), Path: "$",
				})
			}
			d.addFile(target, n)
		}
	}
	d.detectFormats()
	return d, nil
}

// addFile registers a parsed file.
func (d *Document) addFile(p string, n *yaml.Node) {
	d.byPath[p] = int32(len(d.files))
	d.files = append(d.files, &docFile{path: p, node: n})
	if n != nil {
		d.idx[n] = nodeInfo{file: int32(len(d.files) - 1), index: -1}
	}
}

var yamlRange = regexp.MustCompile(` at L\d+\.C\d+(?:-L\d+\.C\d+)?`)

var yamlWhile = regexp.MustCompile(`^\((while [^)]*)\): (.*)$`)

var yamlPos = regexp.MustCompile(`(?:line |L)(\d+)(?:(?:, column |\.C|:)(\d+))?`)

// parseYAML parses one YAML or JSON file into its content node.
func parseYAML(name string, data []byte) (n *yaml.Node, err *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, &SyntaxError{File: name, Msg: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	var doc yaml.Node
	if e := yaml.Unmarshal(data, &doc); e != nil {
		msg := strings.TrimPrefix(e.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "go-yaml load error in parser ")
		msg = yamlRange.ReplaceAllString(msg, "")
		msg = yamlWhile.ReplaceAllString(msg, "$2 ($1)")
		se := &SyntaxError{File: name, Msg: msg}
		if m := yamlPos.FindStringSubmatch(e.Error()); m != nil {
			se.Line, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				se.Column, _ = strconv.Atoi(m[2])
			}
		}
		return nil, se
	}
	root := deref(&doc)
	if root == nil || root.Kind == 0 {
		return nil, &SyntaxError{File: name, Line: 1, Column: 1, Msg: "the document is empty"}
	}
	return root, nil
}

// walk indexes every node of file f below n (keys included), records its $refs and reports
// duplicate keys. Aliases are not followed: their anchors are indexed where they stand.
func (d *Document) walk(f int32, n *yaml.Node) {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch cur.Kind {
		case yaml.MappingNode:
			c := cur.Content
			for i := 0; i+1 < len(c); i += 2 {
				k, v := c[i], c[i+1]
				d.idx[k] = nodeInfo{parent: cur, key: k, file: f, index: -1, isKey: true}
				if _, seen := d.idx[v]; !seen {
					d.idx[v] = nodeInfo{parent: cur, key: k, file: f, index: -1}
					if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
						stack = append(stack, v)
					}
				}
				if k.Value == "$ref" && k.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode {
					d.refs = append(d.refs, refSite{file: f, owner: cur, value: v})
				}
			}
			d.checkDuplicateKeys(f, cur)
		case yaml.SequenceNode:
			for i, v := range cur.Content {
				if _, seen := d.idx[v]; !seen {
					d.idx[v] = nodeInfo{parent: cur, file: f, index: int32(i)}
					if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
						stack = append(stack, v)
					}
				}
			}
		}
	}
}

// checkDuplicateKeys reports keys that appear twice in one mapping.
func (d *Document) checkDuplicateKeys(f int32, m *yaml.Node) {
	c := m.Content
	n := len(c) / 2
	if n < 2 {
		return
	}
	report := func(k *yaml.Node) {
		_, segs, _ := d.pathOf(k)
		l, c, el, ec := d.rangeOf(k)
		d.problems = append(d.problems, Finding{
			Rule: "parser", Severity: SeverityError, Message: "Duplicate key: " + k.Value,
			File: d.files[f].path, Line: l, Column: c, EndLine: el, EndColumn: ec, Path: formatPath(segs),
		})
	}
	if n <= 16 {
		for i := 2; i+1 < len(c); i += 2 {
			for j := 0; j < i; j += 2 {
				if c[i].Value == c[j].Value && c[i].Kind == yaml.ScalarNode && c[j].Kind == yaml.ScalarNode && !isMergeKey(c[i]) {
					report(c[i])
					break
				}
			}
		}
		return
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Kind != yaml.ScalarNode || isMergeKey(c[i]) {
			continue
		}
		if _, dup := seen[c[i].Value]; dup {
			report(c[i])
			continue
		}
		seen[c[i].Value] = struct{}{}
	}
}

// isMergeKey reports whether k is the YAML merge key "<<".
func isMergeKey(k *yaml.Node) bool { return k.Value == "<<" && k.Tag == "!!merge" }

// refFile returns the file part of ref resolved against dir (a slash path relative to the
// root's folder), or "" when ref is local to its file or remote.
func refFile(dir, ref string) string {
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if ref == "" || isRemoteRef(ref) {
		return ""
	}
	ref = strings.ReplaceAll(ref, "\\", "/")
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	if strings.HasPrefix(ref, "/") {
		return ""
	}
	return path.Clean(path.Join(dir, ref))
}

// isRemoteRef reports whether ref names a resource by URL.
func isRemoteRef(ref string) bool {
	return strings.Contains(ref, "://") || strings.HasPrefix(ref, "//")
}

// errRemoteRef marks a $ref that is not followed because it names a remote resource.
var errRemoteRef = errors.New("remote reference")

// lookupRef finds the node ref points at, seen from file from.
func (d *Document) lookupRef(from int32, ref string) (*yaml.Node, int32, error) {
	filePart, frag := ref, ""
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		filePart, frag = ref[:i], ref[i+1:]
	}
	target := from
	if filePart != "" {
		if isRemoteRef(filePart) {
			return nil, 0, errRemoteRef
		}
		p := refFile(path.Dir(d.files[from].path), filePart)
		if p == "" {
			return nil, 0, fmt.Errorf("cannot resolve %q", filePart)
		}
		t, ok := d.byPath[p]
		if !ok {
			return nil, 0, fmt.Errorf("file %q does not exist", p)
		}
		target = t
	}
	f := d.files[target]
	if f.node == nil {
		return nil, 0, fmt.Errorf("file %q could not be parsed", f.path)
	}
	n, err := walkPointer(f.node, frag)
	if err != nil {
		return nil, 0, err
	}
	return n, target, nil
}

// walkPointer follows a JSON pointer fragment ("/a/b~1c", URL-encoded or not) from n.
func walkPointer(n *yaml.Node, frag string) (*yaml.Node, error) {
	if frag == "" {
		return n, nil
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", "#"+frag)
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		if u, err := url.PathUnescape(tok); err == nil {
			tok = u
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		n = deref(n)
		switch {
		case isMap(n):
			k, v := lookup(n, tok)
			if k == nil {
				return nil, fmt.Errorf("%q does not exist", "#"+frag)
			}
			n = v
		case isSeq(n):
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("%q does not exist", "#"+frag)
			}
			n = deref(n.Content[i])
		default:
			return nil, fmt.Errorf("%q does not exist", "#"+frag)
		}
	}
	if n == nil {
		return nil, fmt.Errorf("%q does not exist", "#"+frag)
	}
	return n, nil
}

// formatSet is a set of document formats.
type formatSet uint8

const (
	fmtOAS2 formatSet = 1 << iota
	fmtOAS3
	fmtOAS30
	fmtOAS31
	fmtOAS32
)

// formatNames lists the format names in a stable order.
var formatNames = []struct {
	name string
	f    formatSet
}{
	{"oas2", fmtOAS2}, {"oas3", fmtOAS3}, {"oas3_0", fmtOAS30}, {"oas3_1", fmtOAS31}, {"oas3_2", fmtOAS32},
}

// parseFormat reads a format name as Spectral rulesets spell it.
func parseFormat(s string) (formatSet, bool) {
	switch s {
	case "oas2":
		return fmtOAS2, true
	case "oas3":
		return fmtOAS3, true
	case "oas3_0", "oas3.0":
		return fmtOAS30, true
	case "oas3_1", "oas3.1":
		return fmtOAS31, true
	case "oas3_2", "oas3.2":
		return fmtOAS32, true
	}
	return 0, false
}

func (s formatSet) names() []string {
	var out []string
	for _, f := range formatNames {
		if s&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// detectFormats reads the version fields of the root document.
func (d *Document) detectFormats() {
	root := d.files[0].node
	if v := get(root, "swagger"); isScalar(v) {
		d.version = v.Value
		if strings.HasPrefix(v.Value, "2.") || v.Value == "2" {
			d.formats = fmtOAS2
		}
		return
	}
	if v := get(root, "openapi"); isScalar(v) {
		d.version = v.Value
		switch {
		case strings.HasPrefix(v.Value, "3.0"):
			d.formats = fmtOAS3 | fmtOAS30
		case strings.HasPrefix(v.Value, "3.1"):
			d.formats = fmtOAS3 | fmtOAS31
		case strings.HasPrefix(v.Value, "3.2"):
			d.formats = fmtOAS3 | fmtOAS32
		case strings.HasPrefix(v.Value, "3"):
			d.formats = fmtOAS3
		}
	}
}

// rootNode returns the root document's content node.
func (d *Document) rootNode() *yaml.Node { return d.files[0].node }

// original returns the source node a resolved copy was made from (n itself if none).
func (d *Document) original(n *yaml.Node) *yaml.Node {
	if o, ok := d.copies[n]; ok {
		return o
	}
	return n
}

// pathSeg is one step of a path: a property name or an array index.
type pathSeg struct {
	key   string
	index int // -1 for a property
}

// pathOf returns the file a node is in and its path from that file's root. ok is false
// for nodes that are not part of the document's files.
func (d *Document) pathOf(n *yaml.Node) (file int32, segs []pathSeg, ok bool) {
	n = d.original(n)
	info, found := d.idx[n]
	if !found {
		return 0, nil, false
	}
	file = info.file
	for steps := 0; found && info.parent != nil && steps < 10000; steps++ {
		switch {
		case info.isKey:
			segs = append(segs, pathSeg{key: n.Value, index: -1})
		case info.index >= 0:
			segs = append(segs, pathSeg{index: int(info.index)})
		case info.key != nil:
			segs = append(segs, pathSeg{key: info.key.Value, index: -1})
		}
		n = info.parent
		info, found = d.idx[n]
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return file, segs, true
}

// keyOf returns the key node under which n is a property value, or nil.
func (d *Document) keyOf(n *yaml.Node) *yaml.Node {
	info, ok := d.idx[d.original(n)]
	if !ok || info.isKey || info.index >= 0 {
		return nil
	}
	return info.key
}

// formatPath renders segments as a JSONPath: $.paths['/pets'].get.responses['200'].
func formatPath(segs []pathSeg) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range segs {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if isIdent(s.key) {
			b.WriteByte('.')
			b.WriteString(s.key)
			continue
		}
		b.WriteString("['")
		for _, r := range s.key {
			switch r {
			case '\'', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\n':
				b.WriteString(`\n`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteString("']")
	}
	return b.String()
}

// formatPointer renders segments as a URI fragment JSON pointer, as Spectral's {{path}} does.
func formatPointer(segs []pathSeg) string {
	var b strings.Builder
	b.WriteByte('#')
	for _, s := range segs {
		b.WriteByte('/')
		if s.index >= 0 {
			b.WriteString(strconv.Itoa(s.index))
			continue
		}
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s.key, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// isIdent reports whether s can follow a dot in a JSONPath.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// sortedKeys returns the keys of m sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
