// Package workspace holds the use cases shared by the desktop app and the CLI on top of the
// store: importing a spec as a new API revision and loading an API's compiled definition.
package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
)

// ImportResult describes what an import stored.
type ImportResult struct {
	// API is the API the revision belongs to.
	API *model.API
	// Revision is the stored revision (without files).
	Revision *model.SpecRevision
	// Added is false when the newest revision already had the same content.
	Added bool
	// Warnings are the importer's non-fatal findings.
	Warnings []spec.Warning
}

// Import loads the spec at path and stores it as the newest revision of the API called name
// (default: apidef.DefaultName of info.title and the file name), creating the API if needed.
func Import(ctx context.Context, st store.APIStore, path, name string, opts spec.Options) (*ImportResult, error) {
	s, warns, err := spec.Load(path, opts)
	if err != nil {
		return nil, err
	}
	return Store(ctx, st, s, warns, name)
}

// Store saves an already loaded spec as the newest revision of the API called name
// (default: apidef.DefaultName of info.title and the file name).
func Store(ctx context.Context, st store.APIStore, s *spec.Spec, warns []spec.Warning, name string) (*ImportResult, error) {
	def := s.Definition
	if name == "" {
		name = apidef.DefaultName(def.Title, s.Path)
	}
	if err := ValidName(name); err != nil {
		return nil, err
	}
	rev, err := Revision(s)
	if err != nil {
		return nil, err
	}
	api, stored, added, err := st.AddRevision(ctx, name, rev)
	if err != nil {
		return nil, fmt.Errorf("storing API %q: %w", name, err)
	}
	return &ImportResult{API: api, Revision: stored, Added: added, Warnings: warns}, nil
}

// Revision returns the revision that stores s: its files, what it describes and its
// compiled form.
func Revision(s *spec.Spec) (*model.SpecRevision, error) {
	def := s.Definition
	compiled, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("encoding compiled form: %w", err)
	}
	rev := &model.SpecRevision{
		Hash:        s.Hash,
		SourcePath:  s.Path,
		Root:        s.Root,
		Files:       s.Files,
		Title:       def.Title,
		Version:     def.Version,
		SpecVersion: def.SpecVersion,
		Operations:  len(def.Operations),
		Compiled:    compiled,
	}
	return rev, nil
}

// Definition loads the compiled definition of the newest revision of the API called name,
// without parsing the spec again.
func Definition(ctx context.Context, st store.APIStore, name string) (*apidef.Definition, *model.SpecRevision, error) {
	rev, err := st.LatestRevision(ctx, name, false)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("no API called %q in the workspace (see `gantry apis list`): %w", name, store.ErrNotFound)
		}
		return nil, nil, err
	}
	if len(rev.Compiled) == 0 {
		return nil, nil, fmt.Errorf("revision %d of %q has no compiled form; import the spec again with `gantry import`", rev.ID, name)
	}
	var def apidef.Definition
	if err := json.Unmarshal(rev.Compiled, &def); err != nil {
		return nil, nil, fmt.Errorf("decoding the compiled form of %q (revision %d): %w", name, rev.ID, err)
	}
	return &def, rev, nil
}

// ValidName reports whether name can name an API: 1 to 64 of a-z, 0-9, '-', '_' and '.',
// starting with a letter or digit.
func ValidName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("API name %q must be 1 to 64 characters (choose one with --name)", name)
	}
	for i, r := range name {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (i > 0 && (r == '-' || r == '_' || r == '.'))
		if !ok {
			return fmt.Errorf("API name %q: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit (choose one with --name)", name)
		}
	}
	return nil
}

// Resolve finds the API a user means by arg: the API of that exact name, else the only API
// whose name starts with arg followed by "-" (so "digitalocean" finds "digitalocean-api").
// It returns an error wrapping store.ErrNotFound when none matches or several do.
func Resolve(ctx context.Context, st store.APIStore, arg string) (string, error) {
	if _, err := st.GetAPI(ctx, arg); err == nil {
		return arg, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	apis, err := st.ListAPIs(ctx)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, a := range apis {
		if strings.HasPrefix(a.Name, arg+"-") {
			matches = append(matches, a.Name)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("no API called %q in the workspace (see `gantry apis list`): %w", arg, store.ErrNotFound)
	}
	return "", fmt.Errorf("%q could mean %s; give the full name: %w", arg, strings.Join(matches, ", "), store.ErrNotFound)
}
