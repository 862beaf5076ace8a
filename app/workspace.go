package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/docs"
	"github.com/gantry-dev/gantry/core/lint"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
)

// WorkspaceService manages the workspace's APIs and the text of their specs.
type WorkspaceService struct {
	st      *sqlite.Store
	dbPath  string
	log     *slog.Logger
	ev      Events
	dlg     Dialogs
	changed func() // after every change to the APIs
	links   *workspace.Follower
}

// WorkspaceInfo describes the open workspace.
type WorkspaceInfo struct {
	DBPath string `json:"dbPath"`
}

// APISummary is one row of the API list.
type APISummary struct {
	Name           string `json:"name"`
	Title          string `json:"title"`
	Version        string `json:"version"`
	Operations     int    `json:"operations"`
	Revisions      int    `json:"revisions"`
	LatestRevision int64  `json:"latestRevision"`
	LinkedPath     string `json:"linkedPath"`
	UpdatedAt      string `json:"updatedAt"`
}

// Diagnostic is one problem in a spec, with 1-based positions (0: unknown).
type Diagnostic struct {
	Severity  string `json:"severity"` // error, warning, info, hint
	Source    string `json:"source"`   // parser, lint
	Rule      string `json:"rule"`
	Message   string `json:"message"`
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"endLine"`
	EndColumn int    `json:"endColumn"`
	Pointer   string `json:"pointer"`
}

// ImportResult is what an import stored.
type ImportResult struct {
	API      APISummary   `json:"api"`
	Warnings []Diagnostic `json:"warnings"`
}

// Document is the editable text of an API's newest revision.
type Document struct {
	API        string   `json:"api"`
	Root       string   `json:"root"`
	Text       string   `json:"text"`
	LinkedPath string   `json:"linkedPath"`
	Revision   int64    `json:"revision"`
	Files      []string `json:"files"`
}

// OutlineItem is one operation in the outline.
type OutlineItem struct {
	Path        string `json:"path"`
	Method      string `json:"method"`
	OperationID string `json:"operationId"`
	Summary     string `json:"summary"`
	Line        int    `json:"line"`
}

// CheckResult is the diagnostics and outline of an edited text.
type CheckResult struct {
	Diagnostics []Diagnostic  `json:"diagnostics"`
	Outline     []OutlineItem `json:"outline"`
}

// SaveResult tells which revision a save produced.
type SaveResult struct {
	Revision    int64        `json:"revision"`
	Added       bool         `json:"added"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// ImportProgress is the payload of the import:progress event.
type ImportProgress struct {
	Stage string `json:"stage"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// Info describes the workspace.
func (s *WorkspaceService) Info() (WorkspaceInfo, error) {
	return WorkspaceInfo{DBPath: s.dbPath}, nil
}

// ListAPIs lists the workspace's APIs by name.
func (s *WorkspaceService) ListAPIs() ([]APISummary, error) {
	ctx := context.Background()
	list, err := s.st.ListAPIs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]APISummary, 0, len(list))
	for _, a := range list {
		out = append(out, APISummary{
			Name: a.Name, Title: a.Title, Version: a.Version, Operations: a.Operations, Revisions: a.Revisions,
			LatestRevision: a.LatestRevision, LinkedPath: a.LinkedPath, UpdatedAt: a.UpdatedAt.Format(time.RFC3339),
		})
	}
	return out, nil
}

// ChooseAndImport asks for a spec file and imports it; nil when the user cancelled.
func (s *WorkspaceService) ChooseAndImport() (*ImportResult, error) {
	if s.dlg == nil {
		return nil, errors.New("no file dialog is available")
	}
	path, err := s.dlg.OpenFile("Import an OpenAPI or Swagger file", "*.yaml", "*.yml", "*.json")
	if err != nil || path == "" {
		return nil, err
	}
	res, err := s.Import(path)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// Import imports the spec at path as a new API, or a new revision of the API of the same
// name, reporting progress as import:progress events.
func (s *WorkspaceService) Import(path string) (ImportResult, error) {
	// At most one event per stage change or 100 ms: a large spec reports hundreds of steps,
	// and each event costs the window a render.
	var last time.Time
	var lastStage string
	opts := spec.Options{Progress: func(stage string, done, total int) {
		now := time.Now()
		if stage == lastStage && done < total && now.Sub(last) < 100*time.Millisecond {
			return
		}
		last, lastStage = now, stage
		s.emit("import:progress", ImportProgress{Stage: stage, Done: done, Total: total})
	}}
	res, err := workspace.Import(context.Background(), s.st, path, "", opts)
	if err != nil {
		return ImportResult{}, err
	}
	s.afterChange()
	sum, err := s.summary(res.API.Name)
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{API: sum, Warnings: diagnostics(res.Warnings)}, nil
}

// Create adds an API called name from a template ("blank" or "petstore").
func (s *WorkspaceService) Create(name, template string) (APISummary, error) {
	res, err := workspace.Create(context.Background(), s.st, strings.TrimSpace(name), template)
	if err != nil {
		return APISummary{}, err
	}
	s.afterChange()
	return s.summary(res.API.Name)
}

// Remove deletes the API called name with all its revisions.
func (s *WorkspaceService) Remove(name string) error {
	if err := s.st.DeleteAPI(context.Background(), name); err != nil {
		return fmt.Errorf("removing API %q: %w", name, err)
	}
	s.afterChange()
	return nil
}

// Document returns the editable text of the API's newest revision.
func (s *WorkspaceService) Document(name string) (Document, error) {
	d, err := workspace.Open(context.Background(), s.st, name)
	if err != nil {
		return Document{}, err
	}
	api, err := s.st.GetAPI(context.Background(), name)
	if err != nil {
		return Document{}, err
	}
	return Document{
		API: name, Root: d.Root, Text: d.Text, LinkedPath: api.LinkedPath, Revision: d.Revision.ID, Files: d.Files,
	}, nil
}

// Check compiles text as the API's root document and returns its diagnostics and outline.
// An unusable text is not an error: its problems are the diagnostics.
func (s *WorkspaceService) Check(name, text string) (CheckResult, error) {
	ctx := context.Background()
	// Linting reads the text on its own, so it runs beside the compile.
	type linted struct {
		res *workspace.LintResult
		err error
	}
	lintDone := make(chan linted, 1)
	go func() {
		lr, err := workspace.Lint(ctx, s.st, name, text)
		lintDone <- linted{lr, err}
	}()
	sp, warns, err := workspace.Check(ctx, s.st, name, text)
	res := CheckResult{Diagnostics: diagnostics(warns), Outline: []OutlineItem{}}
	if err != nil {
		se, ok := spec.AsError(err)
		if !ok {
			return CheckResult{}, err
		}
		res.Diagnostics = append(diagnostics(se.Problems), res.Diagnostics...)
	} else {
		res.Outline = outline(sp.Definition, sp.Root)
	}
	l := <-lintDone
	lr, err := l.res, l.err
	var re *lint.RulesetError
	switch {
	case errors.As(err, &re):
		res.Diagnostics = append(res.Diagnostics, Diagnostic{
			Severity: "error", Source: "lint", Rule: "ruleset", File: re.File, Line: re.Line, Column: re.Column,
			Message: "the lint ruleset cannot be used, so the spec was not linted: " + re.Error(),
		})
	case err != nil:
		return CheckResult{}, err
	default:
		res.Diagnostics = append(res.Diagnostics, lintDiagnostics(lr.Findings)...)
	}
	return res, nil
}

// lintDiagnostics turns lint findings into diagnostics.
func lintDiagnostics(fs []lint.Finding) []Diagnostic {
	out := make([]Diagnostic, 0, len(fs))
	for _, f := range fs {
		sev := f.Severity.String()
		if sev == "warn" {
			sev = "warning"
		}
		out = append(out, Diagnostic{
			Severity: sev, Source: "lint", Rule: f.Rule, Message: f.Message, File: f.File,
			Line: f.Line, Column: f.Column, EndLine: f.EndLine, EndColumn: f.EndColumn, Pointer: f.Path,
		})
	}
	return out
}

// Save stores text as a new revision of the API, and writes it to the API's linked file;
// an unusable text is refused with its problems and nothing is stored.
func (s *WorkspaceService) Save(name, text string) (SaveResult, error) {
	var res *workspace.ImportResult
	var err error
	save := func() { res, err = workspace.SaveLinked(context.Background(), s.st, name, text) }
	if s.links != nil {
		s.links.Exclusive(save) // no import of the file as it was may interleave
	} else {
		save()
	}
	if err != nil {
		return SaveResult{}, err
	}
	s.afterChange()
	return SaveResult{Revision: res.Revision.ID, Added: res.Added, Diagnostics: diagnostics(res.Warnings)}, nil
}

// Link makes the API follow the spec file at path: the file becomes its newest revision,
// outside edits show up live, and saves are written back.
func (s *WorkspaceService) Link(name, path string) error {
	if _, err := workspace.Link(context.Background(), s.st, name, path); err != nil {
		return err
	}
	if s.links != nil {
		s.links.Refresh()
	}
	s.afterChange()
	return nil
}

// ChooseLink asks for the file to link the API to and links it; it returns the path, or
// "" when the user cancelled.
func (s *WorkspaceService) ChooseLink(name string) (string, error) {
	if s.dlg == nil {
		return "", errors.New("no file dialog is available")
	}
	path, err := s.dlg.OpenFile("Link "+name+" to a spec file", "*.yaml", "*.yml", "*.json")
	if err != nil || path == "" {
		return "", err
	}
	return path, s.Link(name, path)
}

// Unlink stops the API from following its file; the file is left as it is.
func (s *WorkspaceService) Unlink(name string) error {
	if err := s.st.SetLinkedPath(context.Background(), name, ""); err != nil {
		return err
	}
	s.afterChange()
	return nil
}

// DocumentChange is the payload of the document:changed event: a linked file was edited
// outside Gantry.
type DocumentChange struct {
	API  string `json:"api"`
	Text string `json:"text"`
	// Error says why the edit could not be used; the API keeps its last good revision.
	Error string `json:"error"`
}

// follow imports outside edits of linked files until ctx is done.
func (s *WorkspaceService) follow(ctx context.Context) {
	f := &workspace.Follower{Store: s.st, Logger: s.log, OnChange: func(c workspace.FileChange) {
		dc := DocumentChange{API: c.API, Text: c.Text}
		if c.Err != nil {
			dc.Error = c.Err.Error()
		} else {
			s.afterChange()
		}
		s.emit("document:changed", dc)
	}}
	s.links = f
	go func() {
		if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("following linked spec files stopped", "err", err)
		}
	}()
}

// LintRuleset returns the workspace's own lint ruleset (Spectral YAML); "" when it has none
// and the built-in recommended rules apply.
func (s *WorkspaceService) LintRuleset() (string, error) {
	return workspace.WorkspaceRuleset(context.Background(), s.st)
}

// SaveLintRuleset makes text the workspace's lint ruleset ("" removes it): it applies to
// every API without a .spectral.yaml beside its spec. A ruleset that cannot be loaded is
// refused with "workspace ruleset:LINE:COLUMN: field: what is wrong".
func (s *WorkspaceService) SaveLintRuleset(text string) error {
	return workspace.SetWorkspaceRuleset(context.Background(), s.st, text)
}

// RenderDocs renders the documentation of text, as the API's root document, as sanitized
// HTML; an unusable text is an error naming its first problem (keep the last preview).
func (s *WorkspaceService) RenderDocs(name, text string) (string, error) {
	sp, _, err := workspace.Check(context.Background(), s.st, name, text)
	if err != nil {
		return "", err
	}
	return docs.Render(sp.Definition, docs.Options{})
}

func (s *WorkspaceService) summary(name string) (APISummary, error) {
	list, err := s.ListAPIs()
	if err != nil {
		return APISummary{}, err
	}
	i := slices.IndexFunc(list, func(a APISummary) bool { return a.Name == name })
	if i < 0 {
		return APISummary{}, fmt.Errorf("API %q vanished from the workspace", name)
	}
	return list[i], nil
}

func (s *WorkspaceService) afterChange() {
	if s.changed != nil {
		s.changed()
	}
	s.emit("apis:changed", nil)
}

func (s *WorkspaceService) emit(name string, payload any) {
	if s.ev != nil {
		s.ev.Emit(name, payload)
	}
}

// diagnostics converts importer warnings.
func diagnostics(ws []spec.Warning) []Diagnostic {
	out := make([]Diagnostic, 0, len(ws))
	for _, w := range ws {
		sev := "error"
		switch w.Severity {
		case spec.SeverityWarning:
			sev = "warning"
		case spec.SeverityInfo:
			sev = "info"
		}
		out = append(out, Diagnostic{
			Severity: sev, Source: "parser", Message: w.Message, File: w.Location.File,
			Line: w.Location.Line, Column: w.Location.Column, Pointer: w.Pointer,
		})
	}
	return out
}

// outline lists the operations of def that are in the root document, in spec order.
func outline(def *apidef.Definition, root string) []OutlineItem {
	out := make([]OutlineItem, 0, len(def.Operations))
	for _, op := range def.Operations {
		line := 0
		if op.Source.File == "" || op.Source.File == root {
			line = op.Source.Line
		}
		out = append(out, OutlineItem{Path: op.Path, Method: op.Method, OperationID: op.ID, Summary: op.Summary, Line: line})
	}
	return out
}

// Operation returns the operation at path and method of text (an OpenAPI 3 document) as
// the designer's operation form edits it.
func (s *WorkspaceService) Operation(text, path, method string) (workspace.Operation, error) {
	op, err := workspace.ReadOperation(text, path, method)
	if err != nil {
		return workspace.Operation{}, err
	}
	return *op, nil
}

// WriteOperation returns text with op written into it, replacing the operation at from
// (nil adds op); nothing is saved. A bad field is reported as "field: message".
func (s *WorkspaceService) WriteOperation(text string, from *workspace.OperationKey, op workspace.Operation) (string, error) {
	return workspace.WriteOperation(text, from, &op)
}

// DeleteOperation returns text without the operation at path and method; nothing is saved.
func (s *WorkspaceService) DeleteOperation(text, path, method string) (string, error) {
	return workspace.DeleteOperation(text, path, method)
}
