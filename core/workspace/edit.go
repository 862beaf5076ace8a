package workspace

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
)

//go:embed templates/*.yaml
var templates embed.FS

// Templates lists the names of the templates Create accepts.
func Templates() []string { return []string{"blank", "petstore"} }

// Create adds an API called name whose first revision is the named template ("blank" or
// "petstore"), with its title set to name. An existing API of that name is a conflict.
func Create(ctx context.Context, st store.APIStore, name, template string) (*ImportResult, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if !slices.Contains(Templates(), template) {
		return nil, fmt.Errorf("unknown template %q: use one of %v", template, Templates())
	}
	if _, err := st.GetAPI(ctx, name); err == nil {
		return nil, fmt.Errorf("an API called %q already exists: %w", name, store.ErrConflict)
	}
	data, err := templates.ReadFile("templates/" + template + ".yaml")
	if err != nil {
		return nil, err
	}
	s, warns, err := spec.Parse("openapi.yaml", data)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", template, err)
	}
	return Store(ctx, st, s, warns, name)
}

// Document is the editable text of an API's newest revision: its root document, with the
// other files of a multi-file spec listed.
type Document struct {
	// Revision is the revision the text comes from.
	Revision *model.SpecRevision
	// Root is the root document's path among the files.
	Root string
	// Text is the root document's content.
	Text string
	// Files lists every file of the spec, root first.
	Files []string
}

// Open returns the editable document of the API called name.
func Open(ctx context.Context, st store.APIStore, name string) (*Document, error) {
	rev, err := st.LatestRevision(ctx, name, true)
	if err != nil {
		return nil, fmt.Errorf("opening API %q: %w", name, err)
	}
	d := &Document{Revision: rev, Root: rev.Root}
	for _, f := range rev.Files {
		d.Files = append(d.Files, f.Path)
		if f.Path == rev.Root {
			d.Text = string(f.Content)
		}
	}
	return d, nil
}

// Check compiles text as a new root document of the API called name, with the API's other
// files as stored, and returns the spec and its diagnostics; nothing is written. An
// unusable text gives a *spec.Error listing every problem with its position.
func Check(ctx context.Context, st store.APIStore, name, text string) (*spec.Spec, []spec.Warning, error) {
	rev, err := st.LatestRevision(ctx, name, true)
	if err != nil {
		return nil, nil, fmt.Errorf("opening API %q: %w", name, err)
	}
	files := make([]model.SpecFile, 0, len(rev.Files))
	for _, f := range rev.Files {
		if f.Path == rev.Root {
			f.Content = []byte(text)
		}
		files = append(files, f)
	}
	s, warns, err := spec.LoadFiles(rev.Root, files, spec.Options{})
	if s != nil {
		s.Path = rev.SourcePath
	}
	return s, warns, err
}

// Save stores text as the new root document of the API called name, keeping the path the
// API came from. An unusable text is refused with the problems and nothing is written.
func Save(ctx context.Context, st store.APIStore, name, text string) (*ImportResult, error) {
	s, warns, err := Check(ctx, st, name, text)
	if err != nil {
		return nil, err
	}
	return Store(ctx, st, s, warns, name)
}
