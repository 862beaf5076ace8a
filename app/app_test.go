package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/har"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
)

// recorder collects emitted events.
type events struct {
	mu  sync.Mutex
	got map[string][]any
}

func (e *events) Emit(name string, payload any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.got == nil {
		e.got = map[string][]any{}
	}
	e.got[name] = append(e.got[name], payload)
}

func (e *events) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got[name])
}

// dialogs answers every dialog with a fixed path.
type dialogs struct{ open, save string }

func (d dialogs) OpenFile(string, ...string) (string, error) { return d.open, nil }
func (d dialogs) SaveFile(string, string) (string, error)    { return d.save, nil }

func newApp(t *testing.T, dlg Dialogs) (*App, *events) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "ws.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Store: st, DBPath: filepath.Join(dir, "ws.db"), Version: "test"})
	ev := &events{}
	a.Start(t.Context(), ev, dlg)
	t.Cleanup(func() {
		if err := a.Shutdown(); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		st.Close()
	})
	return a, ev
}

func TestWorkspaceService(t *testing.T) {
	spec := filepath.Join("..", "docs", "examples", "petstore-expanded.yaml")
	a, ev := newApp(t, dialogs{open: spec})
	ws := a.Workspace
	if list, err := ws.ListAPIs(); err != nil || len(list) != 0 {
		t.Fatalf("empty workspace: %v %v", list, err)
	}
	res, err := ws.ChooseAndImport()
	if err != nil || res == nil {
		t.Fatalf("import: %v", err)
	}
	if res.API.Operations != 4 {
		t.Errorf("imported %+v", res.API)
	}
	if ev.count("import:progress") == 0 || ev.count("apis:changed") != 1 {
		t.Errorf("events: %v", ev.got)
	}
	name := res.API.Name
	doc, err := ws.Document(name)
	if err != nil || !strings.Contains(doc.Text, "/pets") {
		t.Fatalf("document: %v", err)
	}

	// A broken edit gives diagnostics with lines, not an error.
	broken := strings.Replace(doc.Text, "paths:", "paths: [", 1)
	chk, err := ws.Check(name, broken)
	if err != nil {
		t.Fatal(err)
	}
	if len(chk.Diagnostics) == 0 || chk.Diagnostics[0].Severity != "error" || chk.Diagnostics[0].Line == 0 {
		t.Fatalf("diagnostics of a broken edit: %+v", chk.Diagnostics)
	}
	if _, err := ws.Save(name, broken); err == nil {
		t.Fatal("a broken edit was saved")
	}
	chk, err = ws.Check(name, doc.Text)
	if err != nil || len(chk.Outline) != 4 || chk.Outline[0].Line == 0 {
		t.Fatalf("outline: %+v %v", chk.Outline, err)
	}
	// Lint findings of the recommended ruleset come with the parser's diagnostics.
	lintFound := false
	for _, d := range chk.Diagnostics {
		if d.Source == "lint" && d.Rule == "operation-tags" && d.Severity == "warning" && d.Line > 0 {
			lintFound = true
		}
	}
	if !lintFound {
		t.Errorf("no operation-tags lint finding in %+v", chk.Diagnostics)
	}
	html, err := ws.RenderDocs(name, doc.Text)
	if err != nil || !strings.Contains(html, "Swagger Petstore") || strings.Contains(html, "<script") {
		t.Fatalf("docs: %v", err)
	}
	if _, err := ws.RenderDocs(name, broken); err == nil {
		t.Error("docs of a broken edit rendered")
	}
	saved, err := ws.Save(name, strings.Replace(doc.Text, "/pets/{id}:", "/animals/{id}:", 1))
	if err != nil || !saved.Added {
		t.Fatalf("save: %+v %v", saved, err)
	}

	if _, err := ws.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Create("orders", "blank"); err == nil {
		t.Error("a second API of the same name was created")
	}
	if err := ws.Remove("orders"); err != nil {
		t.Fatal(err)
	}
	list, _ := ws.ListAPIs()
	if len(list) != 1 || list[0].Revisions != 2 {
		t.Errorf("list: %+v", list)
	}
}

func TestGatewayAndTraffic(t *testing.T) {
	harPath := filepath.Join(t.TempDir(), "out.har")
	a, ev := newApp(t, dialogs{save: harPath})
	if _, err := a.Workspace.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	st, err := a.Gateway.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || len(st.APIs) != 1 || st.APIs[0].BaseURL == "" {
		t.Fatalf("status %+v", st)
	}
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(st.APIs[0].BaseURL + "/health"); code != 200 {
		t.Fatalf("GET /health: %d", code)
	}

	// A save reaches the running gateway at once.
	doc, _ := a.Workspace.Document("orders")
	if _, err := a.Workspace.Save("orders", strings.Replace(doc.Text, "/health:", "/status:", 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return get(st.APIs[0].BaseURL+"/status") == 200 })

	// The exchanges are streamed, listed, shown and exported.
	waitFor(t, func() bool { return ev.count("traffic:exchanges") > 0 })
	var rows []ExchangeRow
	waitFor(t, func() bool {
		rows, _ = a.Traffic.List(TrafficFilter{API: "orders"})
		return len(rows) >= 2
	})
	d, err := a.Traffic.Get(rows[0].ID)
	if err != nil || d.Response.ContentType != "application/json" || d.Operation == nil {
		t.Fatalf("detail %+v %v", d, err)
	}
	// The newest exchange is GET /status, matched against the saved revision.
	if d.Operation.Method != "GET" || !strings.HasSuffix(d.Operation.Path, "/status") {
		t.Fatalf("matched operation %+v, want GET .../status", *d.Operation)
	}
	if ok, _ := a.Traffic.List(TrafficFilter{StatusClass: "2xx", Text: "/status"}); len(ok) != 1 {
		t.Errorf("filtered list: %+v", ok)
	}
	if _, err := a.Traffic.List(TrafficFilter{StatusClass: "6xx"}); err == nil {
		t.Error("a bad status class was accepted")
	}
	curl, err := a.Traffic.Curl(rows[0].ID)
	if err != nil || !strings.Contains(curl, "curl ") || !strings.Contains(curl, "/status") {
		t.Fatalf("curl: %q %v", curl, err)
	}
	rp, err := a.Traffic.Replay(rows[0].ID)
	if err != nil || rp.Status != 200 || !strings.Contains(rp.Response.Body, "ok") {
		t.Fatalf("replay: %+v %v", rp, err)
	}
	if _, err := a.Traffic.Replay("nope"); err == nil {
		t.Error("replaying an unknown exchange worked")
	}
	path, err := a.Traffic.ExportHAR(TrafficFilter{})
	if err != nil || path != harPath {
		t.Fatalf("export: %q %v", path, err)
	}
	f, err := os.Open(harPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := har.Parse(f)
	if err != nil || len(h.Log.Entries) < 2 {
		t.Fatalf("exported HAR: %v", err)
	}

	st, err = a.Gateway.Stop()
	if err != nil || st.Running {
		t.Fatalf("stop: %+v %v", st, err)
	}
	if err := a.Traffic.Clear(); err != nil {
		t.Fatal(err)
	}
	if rows, _ := a.Traffic.List(TrafficFilter{}); len(rows) != 0 {
		t.Errorf("%d exchanges after Clear", len(rows))
	}
	// Events carry JSON the UI can read.
	if _, err := json.Marshal(ev.got); err != nil {
		t.Error(err)
	}
}

func TestGatewayPortTaken(t *testing.T) {
	a, _ := newApp(t, nil)
	st, err := a.Gateway.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newApp(t, nil)
	st2, err := b.Gateway.Start(st.Listen, nil)
	if err == nil || st2.Running || !strings.Contains(st2.Error, "choose another port") {
		t.Fatalf("second gateway on a taken port: %+v %v", st2, err)
	}
	// A deliberate stop clears the failure.
	if st3, err := b.Gateway.Stop(); err != nil || st3.Error != "" || st3.Running {
		t.Fatalf("Stop after a failed start: %+v %v", st3, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkspaceLink(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "examples", "petstore-expanded.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pets.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, ev := newApp(t, dialogs{open: path})
	ws := a.Workspace
	if _, err := ws.Create("pets", "blank"); err != nil {
		t.Fatal(err)
	}
	if got, err := ws.ChooseLink("pets"); err != nil || got != path {
		t.Fatalf("link: %q %v", got, err)
	}
	doc, err := ws.Document("pets")
	if err != nil || doc.LinkedPath != path || !strings.Contains(doc.Text, "Swagger Petstore") {
		t.Fatalf("linked document: %+v %v", doc.LinkedPath, err)
	}
	// Saves go to the file.
	edited := strings.Replace(doc.Text, "/pets/{id}:", "/animals/{id}:", 1)
	if _, err := ws.Save("pets", edited); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != edited {
		t.Error("save did not reach the linked file")
	}
	// Outside edits come back as document:changed.
	outside := strings.Replace(edited, "/animals/{id}:", "/beasts/{id}:", 1)
	if err := os.WriteFile(path, []byte(outside), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return ev.count("document:changed") > 0 })
	ev.mu.Lock()
	dc := ev.got["document:changed"][0].(DocumentChange)
	ev.mu.Unlock()
	if dc.API != "pets" || dc.Text != outside || dc.Error != "" {
		t.Fatalf("document:changed %+v", dc)
	}
	if err := ws.Unlink("pets"); err != nil {
		t.Fatal(err)
	}
	if list, _ := ws.ListAPIs(); list[0].LinkedPath != "" {
		t.Errorf("still linked: %+v", list[0])
	}
}

func TestWorkspaceOperationForm(t *testing.T) {
	a, _ := newApp(t, nil)
	ws := a.Workspace
	b, err := os.ReadFile("../docs/examples/petstore-expanded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	op, err := ws.Operation(string(b), "/pets/{id}", "get")
	if err != nil || op.OperationID != "find pet by id" {
		t.Fatalf("operation: %+v %v", op, err)
	}
	op.Method = "head"
	out, err := ws.WriteOperation(string(b), &workspace.OperationKey{Path: "/pets/{id}", Method: "get"}, op)
	if err != nil || !strings.Contains(out, "head:") {
		t.Fatalf("write: %v", err)
	}
	if _, err := ws.WriteOperation(out, nil, workspace.Operation{Path: "pets", Method: "get"}); err == nil || !strings.Contains(err.Error(), "path: must start with /") {
		t.Errorf("a bad path gave %v", err)
	}
	out, err = ws.DeleteOperation(out, "/pets/{id}", "head")
	if err != nil || strings.Contains(out, "head:") {
		t.Fatalf("delete: %v", err)
	}
}

func TestWorkspaceLintRuleset(t *testing.T) {
	a, _ := newApp(t, nil)
	w := a.Workspace
	if _, err := w.Create("orders", "blank"); err != nil {
		t.Fatal(err)
	}
	doc, err := w.Document("orders")
	if err != nil {
		t.Fatal(err)
	}
	hasRule := func(rule string) bool {
		t.Helper()
		res, err := w.Check("orders", doc.Text)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range res.Diagnostics {
			if d.Rule == rule {
				return true
			}
		}
		return false
	}
	if text, err := w.LintRuleset(); err != nil || text != "" {
		t.Fatalf("LintRuleset = %q, %v; want none", text, err)
	}
	own := "extends: [[spectral:oas, off]]\nrules:\n  must-have-terms:\n    given: $.info\n    then: {field: termsOfService, function: truthy}\n"
	if err := w.SaveLintRuleset(own); err != nil {
		t.Fatal(err)
	}
	if text, _ := w.LintRuleset(); text != own || !hasRule("must-have-terms") {
		t.Fatalf("the saved ruleset does not apply: %q", text)
	}
	err = w.SaveLintRuleset("rules:\n  x: {given: $, then: {function: nope}}\n")
	if err == nil || !strings.Contains(err.Error(), "workspace ruleset:2:") {
		t.Fatalf("a broken ruleset: %v", err)
	}
	if err := w.SaveLintRuleset(""); err != nil || hasRule("must-have-terms") {
		t.Fatalf("removing the ruleset: %v", err)
	}
}

// TestGatewayScopeAndRejectedReload: a gateway started for one API serves that one alone; a
// reload the gateway rejects keeps the last good routes and says why while running, and the
// next good one clears the error.
func TestGatewayScopeAndRejectedReload(t *testing.T) {
	a, _ := newApp(t, nil)
	for _, name := range []string{"orders", "billing"} {
		if _, err := a.Workspace.Create(name, "blank"); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.Gateway.Start("127.0.0.1:0", []string{"orders"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Gateway.Stop()
	if len(st.APIs) != 1 || st.APIs[0].Name != "orders" {
		t.Fatalf("served APIs %+v, want orders alone", st.APIs)
	}
	status := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	health := st.APIs[0].BaseURL + "/health"
	if code := status(health); code != 200 {
		t.Fatalf("GET %s: %d", health, code)
	}

	ctx := context.Background()
	bad := &model.GatewayConfig{APIs: []model.GatewayAPI{{Name: "orders", API: "orders", Policies: []model.PolicyConfig{{Name: "no-such-policy"}}}}}
	if _, _, err := a.Workspace.st.PutGatewayConfig(ctx, bad); err != nil {
		t.Fatal(err)
	}
	a.Gateway.poke()
	waitFor(t, func() bool { s, _ := a.Gateway.Status(); return s.Error != "" })
	if s, _ := a.Gateway.Status(); !s.Running || !strings.Contains(s.Error, "no-such-policy") {
		t.Fatalf("after a rejected reload: %+v", s)
	}
	if code := status(health); code != 200 {
		t.Fatalf("the last good routes stopped serving: %d", code)
	}
	if _, _, err := a.Workspace.st.PutGatewayConfig(ctx, &model.GatewayConfig{}); err != nil {
		t.Fatal(err)
	}
	a.Gateway.poke()
	waitFor(t, func() bool { s, _ := a.Gateway.Status(); return s.Error == "" })
}
