package spec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing/fstest"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/index"

	"github.com/gantry-dev/gantry/core/apidef"
)

// virtualRoot is the folder the spec's files appear under inside libopenapi when they are
// given in memory (LoadFiles); Load lets libopenapi read the spec's own folder.
const virtualRoot = "/gantry-spec"

// converter turns the parsed files of one spec into an apidef.Definition.
type converter struct {
	fsx   *fileSet
	base  string // the root's folder as libopenapi sees it
	opts  Options
	warns []Warning

	docs      map[string]*yaml.Node // file → root content node
	docErrs   map[string]error      // file → why it has no node
	version   string                // "2.0", "3.0.x", "3.1.x"
	swagger   bool
	oas31     bool
	def       *apidef.Definition
	names     map[string]string // ref target key (file#pointer) → schema name
	taken     map[string]bool   // schema names in use
	pending   []schemaJob
	libErrors []error
	refErrs   map[string]bool // positions of reported reference errors
	resolved  map[*yaml.Node]resolution
	examples  []exampleCheck
}

// resolution is what resolveOnce found for one $ref (keyed by its value node).
type resolution struct {
	file   string // the file the $ref is in
	target at
	key    string
	err    error
}

// schemaJob is a named schema still to be converted.
type schemaJob struct {
	name string
	a    at
}

func newConverter(fsx *fileSet, opts Options) *converter {
	base := virtualRoot
	if fsx.dir != "" {
		base = strings.TrimRight(filepath.Clean(fsx.dir), string(filepath.Separator))
	}
	return &converter{
		base:     base,
		fsx:      fsx,
		opts:     opts,
		docs:     map[string]*yaml.Node{},
		docErrs:  map[string]error{},
		names:    map[string]string{},
		taken:    map[string]bool{},
		refErrs:  map[string]bool{},
		resolved: map[*yaml.Node]resolution{},
	}
}

// warn records a diagnostic.
func (c *converter) warn(sev Severity, a at, ptr, format string, args ...any) {
	c.warns = append(c.warns, Warning{Severity: sev, Location: a.loc(), Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`(?:line |L)(\d+)(?:(?:, column |\.C)(\d+))?`)

// syntaxProblem turns a YAML/JSON parse error into a positioned diagnostic.
func syntaxProblem(file string, err error) Warning {
	msg := err.Error()
	w := Warning{Severity: SeverityError, Location: apidef.Location{File: file}, Message: "syntax error: " + msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		w.Location.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			w.Location.Column, _ = strconv.Atoi(m[2])
		}
	}
	return w
}

// parseOwn parses one file with the YAML parser libopenapi uses.
func parseOwn(data []byte) (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	root := deref(&n)
	if root == nil {
		return nil, errors.New("document is empty")
	}
	return root, nil
}

// run does the whole import.
func (c *converter) run() *apidef.Definition {
	root := c.fsx.root
	rootNode, ok := c.runLibopenapi()
	if !ok {
		return nil
	}
	c.def = &apidef.Definition{Schemas: map[string]*apidef.Schema{}}
	ra := at{root, rootNode}
	if c.swagger {
		c.convertSwagger(ra)
	} else {
		c.convertOpenAPI(ra)
	}
	c.drainSchemas()
	if len(c.def.Schemas) == 0 {
		c.def.Schemas = nil
	}
	if !c.hasErrors() {
		c.checkExamples()
	}
	// A reference problem libopenapi found that the converter did not see (it may sit in a
	// part of the document the conversion does not read) still makes the spec unusable.
	if !c.hasErrors() {
		for _, e := range c.libErrors {
			c.warns = append(c.warns, Warning{Severity: SeverityWarning, Location: apidef.Location{File: root}, Message: e.Error()})
		}
	}
	return c.def
}

func (c *converter) hasErrors() bool {
	for _, w := range c.warns {
		if w.Severity == SeverityError {
			return true
		}
	}
	return false
}

// runLibopenapi parses and indexes the spec with libopenapi and collects the YAML nodes of
// every file. It returns the root document's content node.
func (c *converter) runLibopenapi() (*yaml.Node, bool) {
	root := c.fsx.root
	data := c.fsx.data[root]
	ra := at{file: root}

	// Version check first, on our own parse of the root: positioned syntax errors, and a
	// clear message for a missing or unsupported version.
	own, err := parseOwn(data)
	if err != nil {
		c.warns = append(c.warns, syntaxProblem(root, err))
		return nil, false
	}
	ra.n = own
	c.checkDuplicateKeys(root, own)
	if own.Kind != yaml.MappingNode {
		c.warn(SeverityError, ra, "", "the document is not an object (a YAML mapping or JSON object)")
		return nil, false
	}
	switch {
	case has(own, "openapi"):
		c.version = str(get(own, "openapi"))
		if !strings.HasPrefix(c.version, "3.0") && !strings.HasPrefix(c.version, "3.1") && !strings.HasPrefix(c.version, "3.2") {
			c.warn(SeverityError, at{root, get(own, "openapi")}, "/openapi", "unsupported OpenAPI version %q (3.0, 3.1 and Swagger 2.0 are supported)", c.version)
			return nil, false
		}
		c.oas31 = !strings.HasPrefix(c.version, "3.0")
	case has(own, "swagger"):
		c.version = str(get(own, "swagger"))
		if c.version != "2.0" {
			c.warn(SeverityError, at{root, get(own, "swagger")}, "/swagger", "unsupported Swagger version %q (only 2.0 is supported)", c.version)
			return nil, false
		}
		c.swagger = true
	default:
		c.warn(SeverityError, at{root, own}, "", "no `openapi` or `swagger` version field: this is not an OpenAPI document")
		return nil, false
	}
	if c.opts.Progress != nil {
		total := len(c.fsx.order)
		if c.fsx.pending != nil {
			total = 0 // not known yet
		}
		c.opts.Progress("index", 0, total)
	}

	cfg := &datamodel.DocumentConfiguration{
		AllowFileReferences:   true,
		AllowRemoteReferences: c.opts.AllowRemoteRefs,
		Logger:                slog.New(slog.DiscardHandler),
	}
	var rolodex *index.Rolodex
	var libRoot *yaml.Node
	func() {
		defer func() {
			if r := recover(); r != nil {
				c.libErrors = append(c.libErrors, fmt.Errorf("libopenapi panicked: %v", r))
			}
		}()
		info, err := datamodel.ExtractSpecInfoWithConfig(data, cfg)
		if err != nil {
			c.libErrors = append(c.libErrors, fmt.Errorf("parsing with libopenapi: %w", err))
			return
		}
		libRoot = info.RootNode
		rolodex = c.indexFiles(info)
		for _, e := range rolodex.GetCaughtErrors() {
			for _, e := range unwrapAll(e) {
				var re *index.ResolvingError
				if errors.As(e, &re) && re.CircularReference != nil {
					continue // circular references are allowed
				}
				c.libErrors = append(c.libErrors, e)
			}
		}
	}()
	c.fsx.ready()
	if libRoot = deref(libRoot); libRoot != nil && libRoot.Kind == yaml.MappingNode {
		c.docs[root] = libRoot
	} else {
		c.docs[root] = own
	}
	if rolodex != nil {
		for _, idx := range rolodex.GetIndexes() {
			if idx == nil {
				continue
			}
			rel, ok := c.relOf(idx.GetSpecAbsolutePath())
			if !ok || rel == root {
				continue
			}
			if n := deref(idx.GetRootNode()); n != nil {
				c.docs[rel] = n
			}
		}
	}
	if c.opts.Progress != nil {
		c.opts.Progress("index", len(c.fsx.order), len(c.fsx.order))
	}
	return c.docs[root], true
}

// indexFiles builds libopenapi's rolodex over the spec's files (all served from memory) and
// indexes every file the root reaches: that parses each file once, with positions, and
// resolves every $ref, reporting the broken ones. It is what libopenapi's BuildV3Model does
// first; the typed model it then builds is skipped, because the converter reads the nodes
// (that build was about a third of the import's CPU on the DigitalOcean spec). The
// metadata the index collects for linters (descriptions, enums...) is skipped too.
func (c *converter) indexFiles(info *datamodel.SpecInfo) *index.Rolodex {
	cfg := index.CreateClosedAPIIndexConfig()
	cfg.SpecInfo = info
	cfg.SkipMetadataCollection = true
	cfg.AvoidCircularReferenceCheck = true
	cfg.BasePath = c.base
	cfg.SpecFilePath = c.base + "/" + c.fsx.root
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.AllowFileLookup = true
	rolodex := index.NewRolodex(cfg)
	rolodex.SetRootNode(info.RootNode)
	fsCfg := &index.LocalFSConfig{BaseDirectory: c.base, IndexConfig: cfg}
	if c.fsx.dir == "" {
		// Files given in memory (LoadFiles): serve them from there.
		mfs := make(fstest.MapFS, len(c.fsx.data))
		for p, b := range c.fsx.data {
			mfs[p] = &fstest.MapFile{Data: b}
		}
		fsCfg.DirFS = mfs
	}
	localFS, err := index.NewLocalFSWithConfig(fsCfg)
	if err != nil {
		c.libErrors = append(c.libErrors, fmt.Errorf("indexing the spec's files: %w", err))
		return rolodex
	}
	rolodex.AddLocalFS(c.base, localFS)
	if c.opts.AllowRemoteRefs {
		remoteFS, err := index.NewRemoteFSWithConfig(cfg)
		if err == nil {
			cfg.AllowRemoteLookup = true
			rolodex.AddRemoteFS("default", remoteFS)
		}
	}
	_ = rolodex.IndexTheRolodex(context.Background()) // errors are collected by the rolodex
	return rolodex
}

// relOf maps a libopenapi absolute location back to a spec file name.
func (c *converter) relOf(abs string) (string, bool) {
	if isRemote(abs) {
		return abs, true
	}
	abs = filepath.ToSlash(abs)
	rel, ok := strings.CutPrefix(abs, filepath.ToSlash(c.base)+"/")
	return rel, ok
}

func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

// doc returns the root node of a spec file, parsing it on first use if libopenapi did not.
func (c *converter) doc(file string) (*yaml.Node, error) {
	if n, ok := c.docs[file]; ok {
		return n, nil
	}
	if err, ok := c.docErrs[file]; ok {
		return nil, err
	}
	data, ok := c.fsx.data[file]
	if !ok && !isRemote(file) && c.fsx.read != nil {
		if b, err := c.fsx.read(file); err == nil {
			c.fsx.add(file, b)
			data, ok = b, true
		}
	}
	if !ok {
		err := fmt.Errorf("file %q not found", file)
		if isRemote(file) {
			if !c.opts.AllowRemoteRefs {
				err = fmt.Errorf("remote reference to %q is not allowed (remote references are off)", file)
			} else {
				err = fmt.Errorf("remote document %q could not be loaded", file)
			}
		}
		c.docErrs[file] = err
		return nil, err
	}
	n, err := parseOwn(data)
	if err != nil {
		w := syntaxProblem(file, err)
		c.warns = append(c.warns, w)
		err = fmt.Errorf("file %q cannot be parsed", file)
		c.docErrs[file] = err
		return nil, err
	}
	c.checkDuplicateKeys(file, n)
	c.docs[file] = n
	return n, nil
}

// checkDuplicateKeys reports every mapping key defined twice in the same mapping as an
// error at the second definition: YAML and JSON parsers disagree on which one wins, so the
// document means different things to different tools. Aliases are not followed.
func (c *converter) checkDuplicateKeys(file string, n *yaml.Node) {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || n.Kind == yaml.AliasNode {
			continue
		}
		if n.Kind == yaml.MappingNode && len(n.Content) > 2 {
			seen := make(map[string]*yaml.Node, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Value == "<<" {
					continue
				}
				if first, dup := seen[k.Value]; dup {
					c.warn(SeverityError, at{file, k}, "", "duplicate key %q (first defined at line %d): remove one of them", k.Value, first.Line)
					continue
				}
				seen[k.Value] = k
			}
		}
		stack = append(stack, n.Content...)
	}
}

// refTarget splits a $ref into the target file and pointer, relative to the file it is in.
func refTarget(from, ref string) (file, ptr string) {
	file, ptr, _ = strings.Cut(ref, "#")
	if file == "" {
		file = from
	} else {
		file = joinRef(from, file)
	}
	return file, ptr
}

// resolveOnce follows the $ref of mapping a (which must have one) once. The answer depends
// only on the reference and the file it is in, so it is remembered per $ref node: large specs
// convert the same shared objects (responses, headers, schemas) many times.
func (c *converter) resolveOnce(a at) (at, string, error) {
	refNode := get(a.n, "$ref")
	if r, ok := c.resolved[refNode]; ok && r.file == a.file {
		return r.target, r.key, r.err
	}
	target, key, err := c.resolveRef(a.file, str(refNode))
	if refNode != nil {
		c.resolved[refNode] = resolution{a.file, target, key, err}
	}
	return target, key, err
}

// resolveRef resolves ref, which appears in file, to its target node and key (file#pointer).
func (c *converter) resolveRef(from, ref string) (at, string, error) {
	file, ptr := refTarget(from, ref)
	if !strings.HasPrefix(ptr, "/") && ptr != "" {
		return at{}, "", fmt.Errorf("reference %q: only JSON pointer fragments are supported", ref)
	}
	d, err := c.doc(file)
	if err != nil {
		return at{}, "", fmt.Errorf("unresolvable reference %q: %w", ref, err)
	}
	n, err := walkPointer(d, ptr)
	if err != nil {
		return at{}, "", fmt.Errorf("unresolvable reference %q: %w", ref, err)
	}
	return at{file, n}, file + "#" + ptr, nil
}

// isRef reports whether n is a mapping with a $ref.
func isRef(n *yaml.Node) bool {
	return str(get(n, "$ref")) != ""
}

// follow resolves a chain of $refs (for non-schema objects: parameters, responses, ...).
// It reports a dangling reference at its position and returns ok=false.
func (c *converter) follow(a at) (at, bool) {
	for i := 0; isRef(a.n); i++ {
		if i > 32 {
			c.refError(a, "reference chain is too long or circular")
			return at{}, false
		}
		next, _, err := c.resolveOnce(a)
		if err != nil {
			c.refError(a, "%v", err)
			return at{}, false
		}
		a = next
	}
	return a, true
}

// refError reports a reference problem at the $ref's position (once per position).
func (c *converter) refError(a at, format string, args ...any) {
	refNode := get(a.n, "$ref")
	pos := at{a.file, refNode}
	if refNode == nil {
		pos = a
	}
	key := pos.loc().String()
	if c.refErrs[key] {
		return
	}
	c.refErrs[key] = true
	c.warn(SeverityError, pos, "", format, args...)
}

// schemaName returns the Definition.Schemas name for a reference target key, assigning
// and queueing it on first use.
func (c *converter) schemaName(key string, target at) string {
	if name, ok := c.names[key]; ok {
		return name
	}
	name := unsafeName.ReplaceAllString(c.suggestName(key), "_")
	if c.taken[name] {
		if q := unsafeName.ReplaceAllString(qualifiedName(key), "_"); q != "" {
			name = q
		}
	}
	name = c.uniqueName(name)
	c.names[key] = name
	c.pending = append(c.pending, schemaJob{name, target})
	return name
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.\-]+`)

// suggestName derives a readable schema name from a reference target key.
func (c *converter) suggestName(key string) string {
	file, ptr, _ := strings.Cut(key, "#")
	toks := pointerTokens(ptr)
	if len(toks) > 0 {
		return toks[len(toks)-1]
	}
	if isRemote(file) {
		if u, err := url.Parse(file); err == nil {
			file = u.Path
		}
	}
	base := path.Base(file)
	return strings.TrimSuffix(base, path.Ext(base))
}

// uniqueName makes name unique among the schema names, preferring readable variants.
func (c *converter) uniqueName(name string) string {
	name = unsafeName.ReplaceAllString(name, "_")
	if name == "" {
		name = "schema"
	}
	if !c.taken[name] {
		c.taken[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := name + "_" + strconv.Itoa(i)
		if !c.taken[n] {
			c.taken[n] = true
			return n
		}
	}
}

// qualifiedName is a longer name for a file schema: its folder and base name.
func qualifiedName(key string) string {
	file, ptr, _ := strings.Cut(key, "#")
	file = strings.TrimSuffix(file, path.Ext(file))
	parts := strings.Split(file, "/")
	var keep []string
	for _, p := range parts {
		if p != "" && p != ".." && p != "." {
			keep = append(keep, p)
		}
	}
	if len(keep) > 2 {
		keep = keep[len(keep)-2:]
	}
	name := strings.Join(keep, "_")
	if toks := pointerTokens(ptr); len(toks) > 0 {
		name += "_" + toks[len(toks)-1]
	}
	return name
}

// drainSchemas converts every queued named schema.
func (c *converter) drainSchemas() {
	for len(c.pending) > 0 {
		job := c.pending[0]
		c.pending = c.pending[1:]
		c.def.Schemas[job.name] = c.schema(job.a, 0)
	}
}
