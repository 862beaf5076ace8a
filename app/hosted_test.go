package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/login"
	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/server/servertest"
)

// hostedServer starts a management server with admin token "root-token" and catalogs dev
// and prod.
func hostedServer(t *testing.T) string {
	t.Helper()
	return servertest.Start(t, servertest.Options{Catalogs: []string{"dev", "prod"}}).URL
}

func newHostedApp(t *testing.T, logins *login.Store) (*App, string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "ws.db")
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Store: st, DBPath: db, Version: "test", Logins: logins})
	a.Start(t.Context(), &events{}, dialogs{})
	t.Cleanup(func() {
		if err := a.Shutdown(); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		st.Close()
	})
	return a, db
}

func TestHostedLoginStorage(t *testing.T) {
	url := hostedServer(t)
	dir := t.TempDir()
	// No keyring (no Secret Service): the token goes to the 0600 file, silently.
	file := filepath.Join(dir, "login.json")
	a, db := newHostedApp(t, &login.Store{Path: file, Keyring: &login.MemoryKeyring{Err: errors.New("no Secret Service")}})
	h := a.Hosted
	if st, err := h.Status(); err != nil || st.LoggedIn {
		t.Fatalf("status before login: %+v %v", st, err)
	}
	if _, err := h.Catalogs(); err == nil || !strings.Contains(err.Error(), "not logged in") {
		t.Fatalf("catalogs before login: %v", err)
	}
	if _, err := h.Login(url, "nope"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	st, err := h.Login(url, "root-token")
	if err != nil || !st.LoggedIn || st.User != "admin" || st.Storage != login.InFile {
		t.Fatalf("login: %+v %v", st, err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("login file: %v %v", fi, err)
	}
	// The CLI's loader reads the same login.
	if l, err := (&login.Store{Path: file}).Load(); err != nil || l.Server != url || l.Token != "root-token" {
		t.Fatalf("shared login: %+v %v", l, err)
	}
	// Never in the workspace.
	if b, err := os.ReadFile(db); err != nil || strings.Contains(string(b), "root-token") {
		t.Fatalf("token in the workspace database: %v", err)
	}
	if st, err := h.Logout(); err != nil || st.LoggedIn {
		t.Fatalf("logout: %+v %v", st, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("login file after logout: %v", err)
	}

	// With a keyring the file keeps only the server.
	kr := &login.MemoryKeyring{}
	file2 := filepath.Join(dir, "login2.json")
	b, _ := newHostedApp(t, &login.Store{Path: file2, Keyring: kr})
	st, err = b.Hosted.Login(url, "root-token")
	if err != nil || st.Storage != login.InKeyring {
		t.Fatalf("keyring login: %+v %v", st, err)
	}
	if data, _ := os.ReadFile(file2); strings.Contains(string(data), "root-token") || !strings.Contains(string(data), url) {
		t.Fatalf("login file with a keyring: %s", data)
	}
	if st, err := b.Hosted.Status(); err != nil || !st.LoggedIn || st.Storage != login.InKeyring {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := b.Hosted.Logout(); err != nil || kr.Len() != 0 {
		t.Fatalf("logout left %d secrets: %v", kr.Len(), err)
	}
}

func TestHostedPublish(t *testing.T) {
	url := hostedServer(t)
	a, db := newHostedApp(t, &login.Store{Path: filepath.Join(t.TempDir(), "login.json")})
	h := a.Hosted
	if _, err := h.Login(url, "root-token"); err != nil {
		t.Fatal(err)
	}
	cats, err := h.Catalogs()
	if err != nil || len(cats) != 2 || cats[0].Name != "dev" {
		t.Fatalf("catalogs: %+v %v", cats, err)
	}
	spec, err := os.ReadFile(filepath.Join("..", "docs", "examples", "petstore-expanded.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Workspace.Create("pets", "blank"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Workspace.Save("pets", string(spec)); err != nil {
		t.Fatal(err)
	}
	if s, err := h.APIStatus("pets"); err != nil || len(s) != 0 {
		t.Fatalf("status before publishing: %+v %v", s, err)
	}

	chk, err := h.CheckPublish("pets", "dev")
	if err != nil || chk.CurrentRevision != 0 || chk.Stale || chk.Breaking != 0 {
		t.Fatalf("check of a new API: %+v %v", chk, err)
	}
	res, err := h.Publish("pets", "dev", false, "")
	if err != nil || res.Revision != 1 || !res.Created {
		t.Fatalf("publish: %+v %v", res, err)
	}
	bases, err := client.ReadBases(db)
	if err != nil || bases[client.BaseKey(url, "dev", "pets")].Revision != 1 {
		t.Fatalf("recorded base: %+v %v", bases, err)
	}
	chk, err = h.CheckPublish("pets", "dev")
	if err != nil || !chk.Unchanged || chk.Stale || chk.CurrentRevision != 1 {
		t.Fatalf("check after publish: %+v %v", chk, err)
	}
	s, err := h.APIStatus("pets")
	if err != nil || len(s) != 1 || s[0].Catalog != "dev" || s[0].Revision != 1 || s[0].Stale || s[0].Changed {
		t.Fatalf("status after publish: %+v %v", s, err)
	}

	// Remove an operation: a breaking change, refused with a typed error, listed first.
	i := strings.Index(string(spec), "  /pets/{id}:")
	j := strings.Index(string(spec), "components:")
	if i < 0 || j < i {
		t.Fatal("spec layout changed")
	}
	v2 := string(spec[:i]) + string(spec[j:])
	if _, err := a.Workspace.Save("pets", v2); err != nil {
		t.Fatal(err)
	}
	chk, err = h.CheckPublish("pets", "dev")
	if err != nil || chk.Breaking == 0 || len(chk.Changes) == 0 || !chk.Changes[0].Breaking ||
		chk.Changes[0].Path != "/pets/{id}" || !strings.HasPrefix(chk.Changes[0].Pointer, "#/paths/~1pets~1{id}") {
		t.Fatalf("breaking check: %+v %v", chk, err)
	}
	if s, _ := h.APIStatus("pets"); len(s) != 1 || !s[0].Changed || s[0].Stale {
		t.Fatalf("status with local changes: %+v", s)
	}
	_, err = h.Publish("pets", "dev", false, "")
	var pe *PublishError
	if !errors.As(err, &pe) || pe.Kind != "breaking-changes" || len(pe.Changes) == 0 || !strings.Contains(err.Error(), "/pets/{id}") {
		t.Fatalf("breaking publish: %v", err)
	}
	if _, err := h.Publish("pets", "dev", true, " "); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("allow without reason: %v", err)
	}
	res, err = h.Publish("pets", "dev", true, "v2 cleanup")
	if err != nil || res.Revision != 2 || res.Breaking == 0 {
		t.Fatalf("allowed breaking publish: %+v %v", res, err)
	}

	// Someone else publishes revision 3: the local copy is stale and a publish gets 409.
	c, err := client.New(url, "root-token", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := client.PublishRequestFrom(t.Context(), a.Workspace.st, "pets")
	if err != nil {
		t.Fatal(err)
	}
	req.BaseRevision = 2
	req.Bundle.Settings.BasePath = "/other"
	if _, err := c.Publish(t.Context(), "dev", "pets", *req); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Workspace.Save("pets", string(spec)); err != nil {
		t.Fatal(err)
	}
	chk, err = h.CheckPublish("pets", "dev")
	if err != nil || !chk.Stale || chk.CurrentRevision != 3 || chk.BaseRevision != 2 {
		t.Fatalf("stale check: %+v %v", chk, err)
	}
	if s, _ := h.APIStatus("pets"); len(s) != 1 || !s[0].Stale || s[0].Revision != 3 {
		t.Fatalf("stale status: %+v", s)
	}
	_, err = h.Publish("pets", "dev", true, "again")
	if !errors.As(err, &pe) || pe.Kind != "stale-revision" || pe.CurrentRevision != 3 || !strings.Contains(err.Error(), "pull") {
		t.Fatalf("stale publish: %v", err)
	}

	// The catalog view: APIs with revisions, nodes with what they apply.
	nt, err := c.CreateNodeToken(t.Context(), "dev", protocol.CreateSecretRequest{Name: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := client.New(url, nt.Secret, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Heartbeat(t.Context(), protocol.Heartbeat{NodeID: "node-1", Version: "test", Sequence: 1, Revisions: map[string]int64{"pets": 1}}); err != nil {
		t.Fatal(err)
	}
	v, err := h.CatalogView("dev")
	if err != nil || len(v.APIs) != 1 || v.APIs[0].Revision != 3 || len(v.APIs[0].Revisions) != 3 ||
		v.APIs[0].Revisions[1].Reason != "v2 cleanup" || len(v.Nodes) != 1 || !v.Nodes[0].Behind ||
		v.Nodes[0].Revisions[0] != (NodeRevision{API: "pets", Revision: 1}) {
		t.Fatalf("catalog view: %+v %v", v, err)
	}
	if _, err := h.CatalogView("nope"); err == nil {
		t.Fatal("unknown catalog viewed")
	}

	// Pull: the local edit is kept and revision 3 becomes its base; then the publish goes
	// through. A second desktop gets the API, settings included, and the UI hears of it.
	pr, err := h.Pull("dev", nil)
	if err != nil || len(pr) != 1 || pr[0].Outcome != "kept-local" || pr[0].Revision != 3 {
		t.Fatalf("pull over a local edit: %+v %v", pr, err)
	}
	if res, err := h.Publish("pets", "dev", true, "restore /pets/{id}"); err != nil || res.Revision != 4 {
		t.Fatalf("publish after the pull: %+v %v", res, err)
	}
	b, _ := newHostedApp(t, h.logins)
	ev := &events{}
	b.Hosted.ev, b.Workspace.ev = ev, ev
	pr, err = b.Hosted.Pull("dev", []string{"pets", "nope"})
	if err != nil || len(pr) != 2 || pr[0].Outcome != "added" || pr[0].Revision != 4 || pr[1].Outcome != "failed" || !strings.Contains(pr[1].Error, "404") {
		t.Fatalf("pull into a new desktop: %+v %v", pr, err)
	}
	if list, err := b.Workspace.ListAPIs(); err != nil || len(list) != 1 || list[0].Name != "pets" {
		t.Fatalf("APIs after the pull: %+v %v", list, err)
	}
	if ev.count("apis:changed") == 0 || ev.count("policies:changed") == 0 {
		t.Errorf("events after the pull: %v", ev.got)
	}
	if s, err := b.Hosted.APIStatus("pets"); err != nil || len(s) != 1 || s[0].Revision != 4 || s[0].Stale || s[0].Changed {
		t.Fatalf("status of the pulled copy: %+v %v", s, err)
	}
}
