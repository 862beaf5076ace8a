package suite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/atomicfile"
)

// Suite is an ordered list of requests run one after the other, sharing variables.
type Suite struct {
	// Name identifies the suite (the folder name for a Folder source).
	Name string `json:"name"`
	// Requests are run in this order.
	Requests []*Request `json:"requests"`
}

// Source is where saved requests live: a folder beside the spec (Folder), or the workspace
// store for APIs that are not linked to a folder. Implementations are safe for concurrent
// use.
type Source interface {
	// Suites returns the names of the suites, sorted.
	Suites(ctx context.Context) ([]string, error)
	// Suite loads one suite with its requests in run order. A suite that does not exist is
	// an error wrapping fs.ErrNotExist; requests that cannot be read are reported together
	// as Problems.
	Suite(ctx context.Context, name string) (*Suite, error)
}

// Saver is a Source that can also store requests (the request console saves through it).
type Saver interface {
	Source
	// SaveRequest stores r in the suite (created if needed), replacing the request of the
	// same name, and returns where it went.
	SaveRequest(ctx context.Context, suite string, r *Request) (Location, error)
	// DeleteRequest removes the request called name from the suite, or returns an error
	// wrapping fs.ErrNotExist.
	DeleteRequest(ctx context.Context, suite, name string) error
}

// Folder is the Source kept in a folder, usually "requests" beside the spec: each suite is
// a sub-folder, each request a .yaml (or .yml) file in it, run in file-name order. Folders
// and files whose names start with "." or "_" are ignored.
type Folder struct {
	// Dir is the folder holding the suites.
	Dir string
}

var _ Saver = Folder{}

// DefaultDir is the name of the requests folder beside a spec.
const DefaultDir = "requests"

// FolderBeside returns the Folder beside the spec file at specPath.
func FolderBeside(specPath string) Folder {
	return Folder{Dir: filepath.Join(filepath.Dir(specPath), DefaultDir)}
}

// Suites returns the names of the sub-folders that hold request files, sorted.
func (f Folder) Suites(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		return nil, fmt.Errorf("listing suites in %s: %w", f.Dir, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || ignored(e.Name()) {
			continue
		}
		files, err := requestFiles(filepath.Join(f.Dir, e.Name()))
		if err == nil && len(files) > 0 {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func ignored(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// requestFiles lists a suite folder's request files, sorted by name.
func requestFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || ignored(e.Name()) || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out, nil
}

// suiteDir returns the folder of the suite called name, refusing names that are paths.
func (f Folder) suiteDir(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("%q is not a suite name: use the name of a folder in %s", name, f.Dir)
	}
	return filepath.Join(f.Dir, name), nil
}

// Suite loads the suite called name: every request file of its folder, in file-name order.
// Every problem of every file is reported at once; two requests may not share a name.
func (f Folder) Suite(ctx context.Context, name string) (*Suite, error) {
	dir, err := f.suiteDir(name)
	if err != nil {
		return nil, err
	}
	files, err := requestFiles(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			have, _ := f.Suites(ctx)
			return nil, fmt.Errorf("no suite %q in %s (suites: %s): %w", name, f.Dir, orNone(have), fs.ErrNotExist)
		}
		return nil, fmt.Errorf("suite %q: %w", name, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("suite %q: no request files (.yaml) in %s: %w", name, dir, fs.ErrNotExist)
	}
	s := &Suite{Name: name}
	var problems Problems
	names := map[string]string{}
	for _, fn := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fn)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		r, err := ParseRequest(path, data)
		if err != nil {
			var ps Problems
			if errors.As(err, &ps) {
				problems = append(problems, ps...)
				continue
			}
			return nil, err
		}
		if other, dup := names[r.Name]; dup {
			problems = append(problems, r.Problem("name", "%q is also the name of %s: requests of a suite need different names", r.Name, other))
			continue
		}
		names[r.Name] = path
		s.Requests = append(s.Requests, r)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return s, nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// SaveRequest writes r into the suite's folder: over the file it was loaded from when that
// file is in the suite, else over the file of the request with the same name, else into a
// new file named after the request ("create-a-pet.yaml"). The write is atomic.
func (f Folder) SaveRequest(ctx context.Context, suite string, r *Request) (Location, error) {
	dir, err := f.suiteDir(suite)
	if err != nil {
		return Location{}, err
	}
	data, err := MarshalRequest(r)
	if err != nil {
		return Location{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Location{}, fmt.Errorf("creating suite %q: %w", suite, err)
	}
	path := ""
	if r.Source.File != "" && filepath.Dir(r.Source.File) == dir {
		path = r.Source.File
	} else if p, err := f.find(dir, r.Name); err == nil {
		path = p
	} else {
		slug := apidef.Slug(r.Name)
		if slug == "" {
			slug = "request"
		}
		path = filepath.Join(dir, slug+".yaml")
		for i := 2; exists(path); i++ {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.yaml", slug, i))
		}
	}
	if err := writeAtomic(path, data); err != nil {
		return Location{}, err
	}
	return Location{File: path, Line: 1, Column: 1}, nil
}

// DeleteRequest removes the file of the request called name from the suite.
func (f Folder) DeleteRequest(ctx context.Context, suite, name string) error {
	dir, err := f.suiteDir(suite)
	if err != nil {
		return err
	}
	path, err := f.find(dir, name)
	if err != nil {
		return err
	}
	return os.Remove(path)
}

// find returns the file in dir whose request is called name.
func (f Folder) find(dir, name string) (string, error) {
	files, err := requestFiles(dir)
	if err != nil {
		return "", err
	}
	for _, fn := range files {
		path := filepath.Join(dir, fn)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if r, err := ParseRequest(path, data); err == nil && r.Name == name {
			return path, nil
		}
	}
	return "", fmt.Errorf("no request called %q in %s: %w", name, dir, fs.ErrNotExist)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeAtomic writes data to path through a temporary file in the same folder.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.WriteBytes(path, 0o644, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
