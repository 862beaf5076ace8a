// Package spec imports OpenAPI 3.0/3.1 and Swagger 2.0 descriptions (YAML or JSON, one file
// or many joined by relative $refs) into the compiled form apidef.Definition.
//
// Parsing, indexing and reference checking are done by libopenapi; the conversion walks the
// parsed YAML nodes so that every diagnostic keeps its file, line and column. Import is an
// adapter in the Caddy sense: it returns the result, the warnings it met on the way, and an
// *Error (listing every error-level problem) when the spec cannot be used.
package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Options tunes an import. The zero value refuses remote references and reports no progress.
type Options struct {
	// AllowRemoteRefs allows http(s) $refs to be fetched; false makes them errors.
	AllowRemoteRefs bool
	// Progress, if non-nil, is called during long imports with the stage name ("read",
	// "index", "compile", "examples") and how far it got; it must return quickly.
	Progress func(stage string, done, total int)
}

// Severity ranks a Warning. The zero value is SeverityError.
type Severity int

const (
	// SeverityError marks a problem that makes the spec unusable.
	SeverityError Severity = iota
	// SeverityWarning marks a problem the import worked around.
	SeverityWarning
	// SeverityInfo marks a remark that needs no action.
	SeverityInfo
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Warning is one diagnostic with its position in the source files.
type Warning struct {
	// Severity ranks the problem; the zero value is SeverityError.
	Severity Severity
	// Location is where the problem is; the zero value means unknown.
	Location apidef.Location
	// Pointer is the JSON pointer of the offending node within its file; "" if unknown.
	Pointer string
	// Message describes the problem in one line.
	Message string
}

// String formats w as "file:line:col: severity: message".
func (w Warning) String() string {
	loc := w.Location.String()
	if loc == "" {
		return w.Severity.String() + ": " + w.Message
	}
	return loc + ": " + w.Severity.String() + ": " + w.Message
}

// Spec is one imported API description: its files and its compiled Definition.
type Spec struct {
	// Path is the absolute path of the root document; "" when the spec came from memory.
	Path string
	// Root is the root document's path within Files.
	Root string
	// Files holds every file the spec uses, root first, paths relative to the root's folder
	// with forward slashes.
	Files []model.SpecFile
	// Hash is the hex SHA-256 content address over Root and every file's path and content.
	Hash string
	// Definition is the compiled description.
	Definition *apidef.Definition
}

// Error is returned when a spec cannot be used; Problems holds every error-level
// diagnostic with its location.
type Error struct {
	// Path is the root document's path as given to the loader.
	Path string
	// Problems lists the error-level diagnostics in the order they were found.
	Problems []Warning
}

// Error lists the problems one per line as file:line:col: error: message.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "spec %q is unusable", e.Path)
	if len(e.Problems) == 1 {
		b.WriteString(": ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, " (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load imports the spec whose root document is at path, reading the files it references
// relative to the root's folder.
func Load(path string, opts Options) (*Spec, []Warning, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("loading spec %q: %w", path, err)
	}
	dir, name := filepath.Split(abs)
	read := diskReader(dir)
	rootData, err := read(name)
	if err != nil {
		return nil, nil, fmt.Errorf("loading spec %q: %w", path, err)
	}
	// libopenapi reads the spec's files from disk itself, so the file set (kept with the
	// revision and hashed) is collected in the background while it indexes them.
	opts.Progress = serialized(opts.Progress)
	fsx := &fileSet{root: name, order: []string{name}, data: map[string][]byte{name: rootData}, read: read, dir: dir}
	collected := make(chan *fileSet, 1)
	go func() { collected <- collectFrom(name, rootData, read, opts.Progress) }()
	fsx.pending = collected
	s, warns, err := build(path, fsx, opts)
	if s != nil {
		s.Path = abs
	}
	return s, warns, err
}

// LoadFiles imports a spec from stored files (paths relative to the root's folder); root is
// the root document's path among them. It gives the same Definition and Hash as Load.
func LoadFiles(root string, files []model.SpecFile, opts Options) (*Spec, []Warning, error) {
	root = cleanRel(root)
	fsx, err := collectFiles(root, memReader(files), opts.Progress)
	if err != nil {
		return nil, nil, fmt.Errorf("loading spec %q: %w", root, err)
	}
	return build(root, fsx, opts)
}

// Parse imports one self-contained document held in memory; name is used in diagnostics.
// References to other files are reported as unresolvable.
func Parse(name string, data []byte) (*Spec, []Warning, error) {
	name = cleanRel(filepath.Base(name))
	if name == "." || name == "/" || name == "" {
		name = "openapi.yaml"
	}
	fsx := &fileSet{root: name, order: []string{name}, data: map[string][]byte{name: data}}
	return build(name, fsx, Options{})
}

// build runs libopenapi over the file set and converts the result.
func build(display string, fsx *fileSet, opts Options) (spec *Spec, warns []Warning, err error) {
	defer func() {
		if r := recover(); r != nil {
			spec = nil
			err = &Error{Path: display, Problems: []Warning{{
				Severity: SeverityError,
				Location: apidef.Location{File: fsx.root},
				Message:  fmt.Sprintf("internal error while importing: %v", r),
			}}}
		}
	}()
	c := newConverter(fsx, opts)
	def := c.run()
	fsx.ready()
	var problems []Warning
	for _, w := range c.warns {
		if w.Severity == SeverityError {
			problems = append(problems, w)
		} else {
			warns = append(warns, w)
		}
	}
	if len(problems) > 0 {
		return nil, warns, &Error{Path: display, Problems: problems}
	}
	return &Spec{
		Root:       fsx.root,
		Files:      fsx.specFiles(),
		Hash:       fsx.hash(),
		Definition: def,
	}, warns, nil
}

// serialized returns progress guarded so that calls from several goroutines never overlap
// (nil stays nil).
func serialized(progress func(stage string, done, total int)) func(stage string, done, total int) {
	if progress == nil {
		return nil
	}
	var mu sync.Mutex
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		progress(stage, done, total)
	}
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
