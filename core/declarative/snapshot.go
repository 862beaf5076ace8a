package declarative

import (
	"fmt"
	"path/filepath"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
)

// Loaders find the definitions of a document's APIs.
type Loaders struct {
	// Environment names the environment whose variables fill {{name}} placeholders; ""
	// means none (see Document.Expand).
	Environment string
	// Spec loads a spec file and returns its definition and every file it read.
	Spec func(path string) (*apidef.Definition, []string, error)
	// Workspace returns the newest definition of a workspace API and its content hash;
	// nil means `api:` entries cannot be resolved.
	Workspace func(name string) (*apidef.Definition, string, error)
}

// Snapshot builds the gateway snapshot the document describes, at revision rev. It also
// returns the files it read (the document's specs; the document itself is not included),
// for watching. A spec that cannot be loaded is a Problem at its `spec` field.
func (d *Document) Snapshot(rev uint64, l Loaders) (*config.Snapshot, []string, error) {
	cfg, err := d.Expand(l.Environment)
	if err != nil {
		return nil, nil, err
	}
	snap := &config.Snapshot{Revision: rev, Consumers: cfg.Consumers}
	var files []string
	var problems Problems
	for i, a := range cfg.APIs {
		var (
			def    *apidef.Definition
			hash   string
			source string
			err    error
		)
		field := fmt.Sprintf("apis[%d]", i)
		switch {
		case a.Spec != "":
			path := d.SpecPath(a)
			source = path
			var read []string
			def, read, err = l.Spec(path)
			files = append(files, read...)
			field += ".spec"
		case l.Workspace == nil:
			err = fmt.Errorf("API %q is taken from the workspace, and no workspace is open", a.API)
			field += ".api"
		default:
			source = "workspace:" + a.API
			def, hash, err = l.Workspace(a.API)
			field += ".api"
		}
		if err != nil {
			problems = append(problems, d.Problem(field, "%v", err))
			continue
		}
		api, err := config.NewAPI(a.Name, source, a.BasePath, def, hash)
		if err != nil {
			problems = append(problems, d.Problem(fmt.Sprintf("apis[%d]", i), "%v", err))
			continue
		}
		api.Hosts = a.Hosts
		api.Mode = a.Mode
		if api.Mode == "" && len(a.Upstream) > 0 {
			api.Mode = "proxy"
		}
		api.NoValidation = a.Validate != nil && !*a.Validate
		api.Upstream = a.Upstream
		api.Upstreams = a.Upstreams
		api.Policies = a.Policies
		api.Operations = a.Operations
		snap.APIs = append(snap.APIs, api)
	}
	if len(problems) > 0 {
		return nil, files, problems
	}
	return snap, files, nil
}

// AbsFile returns the document's file as an absolute path ("" if it has none).
func (d *Document) AbsFile() string {
	if d.File == "" {
		return ""
	}
	abs, err := filepath.Abs(d.File)
	if err != nil {
		return d.File
	}
	return abs
}
