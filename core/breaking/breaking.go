// Package breaking compares two versions of an API description and lists what changed,
// breaking changes first. It wraps oasdiff's backward-compatibility checker, which catches
// changes a structural diff misses (a query parameter becoming required, an enum value
// removed from a response, a request property becoming required).
//
// Specs are loaded from memory, several files joined by relative $refs included; nothing is
// read from disk or the network (references that leave the file set are errors).
package breaking

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"

	"github.com/gantry-dev/gantry/core/model"
	specs "github.com/gantry-dev/gantry/core/spec"
)

// ErrUnsupported is returned (wrapped) for specs the checker cannot compare: a Swagger 2.0
// spec that cannot be converted to OpenAPI 3.
var ErrUnsupported = errors.New("breaking-change check not supported for this spec")

// Levels of a Change.
const (
	LevelError   = "error"   // LevelError: breaking.
	LevelWarning = "warning" // LevelWarning: possibly breaking, worth a look.
	LevelInfo    = "info"    // LevelInfo: not breaking.
)

// Spec is one version of an API description held in memory.
type Spec struct {
	// Root is the root document's path within Files.
	Root string
	// Files are the spec's files, paths relative to the root's folder with forward slashes.
	Files []model.SpecFile
}

// Change is one difference between two versions of a spec.
type Change struct {
	// ID names the kind of change (oasdiff's check ID, e.g. "api-path-removed-without-deprecation").
	ID string `json:"id"`
	// Level is LevelError (breaking), LevelWarning or LevelInfo.
	Level string `json:"level"`
	// Breaking reports whether clients built against the old spec can break (Level error).
	Breaking bool `json:"breaking"`
	// Operation is the HTTP method of the operation concerned; "" for document-level changes.
	Operation string `json:"operation,omitempty"`
	// Path is the path template of the operation concerned; "" for document-level changes.
	Path string `json:"path,omitempty"`
	// OperationID is the operation's operationId; "" if none.
	OperationID string `json:"operationId,omitempty"`
	// Section is where in the document: "paths", "components", "security"...
	Section string `json:"section,omitempty"`
	// Text says what changed, in one sentence.
	Text string `json:"text"`
	// Location is "file:line:column" of the change in the new spec (the old one for
	// removals); "" if unknown.
	Location string `json:"location,omitempty"`
}

// Compare returns the changes from base to revision: breaking ones first, then warnings,
// then the rest, each group ordered by path, method and kind. An error means a spec could
// not be loaded.
func Compare(base, revision Spec) ([]Change, error) {
	b, err := loadSpec(base)
	if err != nil {
		return nil, fmt.Errorf("loading the base spec: %w", err)
	}
	r, err := loadSpec(revision)
	if err != nil {
		return nil, fmt.Errorf("loading the new spec: %w", err)
	}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), b, r)
	if err != nil {
		return nil, fmt.Errorf("comparing specs: %w", err)
	}
	cfg := checker.NewConfig(checker.GetAllChecks())
	found := checker.CheckBackwardCompatibilityUntilLevel(cfg, d, sources, checker.INFO)
	loc := checker.NewDefaultLocalizer()
	out := make([]Change, 0, len(found))
	for _, c := range found {
		ch := Change{
			ID:          c.GetId(),
			Level:       levelName(c.GetLevel()),
			Breaking:    c.GetLevel() == checker.ERR,
			Operation:   c.GetOperation(),
			Path:        c.GetPath(),
			OperationID: c.GetOperationId(),
			Section:     c.GetSection(),
			Text:        c.GetUncolorizedText(loc),
			Location:    location(c),
		}
		out = append(out, ch)
	}
	// oasdiff sorts by level, most severe first; keep that order stable.
	return out, nil
}

// Count returns how many of changes are breaking.
func Count(changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Breaking {
			n++
		}
	}
	return n
}

func levelName(l checker.Level) string {
	switch l {
	case checker.ERR:
		return LevelError
	case checker.WARN:
		return LevelWarning
	}
	return LevelInfo
}

// location formats the change's position: the revision side, or the base side for removals.
func location(c checker.Change) string {
	src := c.GetRevisionSource()
	if src == nil || src.File == "" {
		src = c.GetBaseSource()
	}
	if src == nil || src.File == "" {
		return ""
	}
	f := strings.TrimPrefix(src.File, memRoot)
	if src.Line == 0 {
		return f
	}
	return fmt.Sprintf("%s:%d:%d", f, src.Line, src.Column)
}

// memRoot is the made-up folder in-memory files are loaded from.
const memRoot = "/spec/"

// loadSpec loads s with a fresh loader whose file reads are served from s.Files.
func loadSpec(s Spec) (*load.SpecInfo, error) {
	files := make(map[string][]byte, len(s.Files))
	for _, f := range s.Files {
		files[path.Clean(memRoot+strings.TrimPrefix(f.Path, "./"))] = f.Content
	}
	rootPath := path.Clean(memRoot + s.Root)
	data, ok := files[rootPath]
	if !ok {
		return nil, fmt.Errorf("root %q is not among the files", s.Root)
	}
	if isSwagger2(data) {
		return loadSwagger2(s, rootPath)
	}
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("remote reference %s is not allowed", u)
		}
		b, ok := files[path.Clean(u.Path)]
		if !ok {
			return nil, fmt.Errorf("reference to %s: no such file in the spec", strings.TrimPrefix(u.Path, memRoot))
		}
		return b, nil
	}
	info, err := load.NewSpecInfoFromData(loader, data, rootPath)
	if err == nil {
		return info, nil
	}
	// The checker's loader is stricter than Gantry's importer (it refuses a $ref in place of
	// a description, which real specs use). Gantry's bundler resolves every external
	// reference into one document; compare that instead, losing only file locations.
	bundled, berr := specs.Bundle(s.Root, s.Files)
	if berr != nil {
		return nil, err
	}
	loader = openapi3.NewLoader()
	loader.IncludeOrigin = true
	info, berr = load.NewSpecInfoFromData(loader, bundled, rootPath)
	if berr != nil {
		return nil, err
	}
	return info, nil
}

// loadSwagger2 loads a Swagger 2.0 spec converted to OpenAPI 3 (kin-openapi's
// openapi2conv, the converter oasdiff's own loader is built on), so that the checker
// compares it as it does any other; changes then carry no file locations.
func loadSwagger2(s Spec, rootPath string) (*load.SpecInfo, error) {
	bundled, err := specs.BundleJSON(s.Root, s.Files)
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(bundled, &doc2); err != nil {
		return nil, fmt.Errorf("%w: reading %s as Swagger 2.0: %v", ErrUnsupported, s.Root, err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("%w: converting %s from Swagger 2.0 to OpenAPI 3: %v", ErrUnsupported, s.Root, err)
	}
	data, err := json.Marshal(doc3)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding %s converted to OpenAPI 3: %v", ErrUnsupported, s.Root, err)
	}
	return load.NewSpecInfoFromData(openapi3.NewLoader(), data, rootPath)
}

// isSwagger2 reports whether a root document declares swagger: "2.0" at its top level.
func isSwagger2(data []byte) bool {
	for _, line := range strings.SplitN(string(data), "\n", 200) {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(line, "swagger:") || strings.HasPrefix(t, `"swagger"`) {
			return true
		}
		if strings.HasPrefix(line, "openapi:") || strings.HasPrefix(t, `"openapi"`) {
			return false
		}
	}
	return false
}
