package pull

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	"github.com/gantry-dev/gantry/sync/client"
	"github.com/gantry-dev/gantry/sync/server/servertest"
)

const specV1 = `openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {"200": {description: ok}}
`

// specV2 adds an operation: not a breaking change.
const specV2 = specV1 + `  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: ok}}
`

// ws is a workspace with its database path.
type ws struct {
	*sqlite.Store
	db string
}

func newWorkspace(t *testing.T) ws {
	t.Helper()
	db := filepath.Join(t.TempDir(), "ws.db")
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return ws{st, db}
}

// save stores text as the newest revision of pets.
func (w ws) save(t *testing.T, text string) {
	t.Helper()
	if _, err := workspace.Store(t.Context(), w, mustParse(t, text), nil, "pets"); err != nil {
		t.Fatal(err)
	}
}

// publish publishes pets from w to dev the way gantry publish does.
func (w ws) publish(t *testing.T, c *client.Client, server string) int64 {
	t.Helper()
	req, err := client.PublishRequestFrom(t.Context(), w, "pets")
	if err != nil {
		t.Fatal(err)
	}
	bases, err := client.ReadBases(w.db)
	if err != nil {
		t.Fatal(err)
	}
	req.BaseRevision = bases[client.BaseKey(server, "dev", "pets")].Revision
	resp, err := c.Publish(t.Context(), "dev", "pets", *req)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.RecordBase(w.db, server, "dev", "pets", resp.Revision); err != nil {
		t.Fatal(err)
	}
	return resp.Revision.Number
}

// hash is the bundle hash of w's copy of pets.
func (w ws) hash(t *testing.T) string {
	t.Helper()
	b, err := client.LocalBundle(t.Context(), w, "pets")
	if err != nil {
		t.Fatal(err)
	}
	h, err := b.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (w ws) head(t *testing.T) string {
	t.Helper()
	rev, err := w.LatestRevision(t.Context(), "pets", true)
	if err != nil {
		t.Fatal(err)
	}
	return string(rev.Files[0].Content)
}

func (w ws) pull(t *testing.T, c *client.Client, server string, apis ...string) Result {
	t.Helper()
	rs, err := Pull(t.Context(), c, w, "dev", Options{Server: server, DBPath: w.db, APIs: apis})
	if err != nil || len(rs) != 1 {
		t.Fatalf("Pull: %+v %v", rs, err)
	}
	return rs[0]
}

func mustParse(t *testing.T, text string) *spec.Spec {
	t.Helper()
	s, _, err := spec.Parse("openapi.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPullRoundTrip(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Catalogs: []string{"dev"}})
	c, err := client.New(srv.URL, srv.Token, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := newWorkspace(t), newWorkspace(t)

	// Alice designs pets with a policy and publishes revision 1.
	alice.save(t, specV1)
	if _, _, err := alice.PutGatewayConfig(t.Context(), &model.GatewayConfig{APIs: []model.GatewayAPI{{
		Name: "pets", API: "pets", BasePath: "/pets-api",
		Policies: []model.PolicyConfig{{Name: "rateLimit", Settings: json.RawMessage(`{"requests":5,"window":"1m"}`)}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if n := alice.publish(t, c, srv.URL); n != 1 {
		t.Fatalf("published revision %d", n)
	}

	// Bob pulls it into an empty workspace: the same bundle, settings included.
	r := bob.pull(t, c, srv.URL)
	if r.Outcome != Added || r.Revision != 1 || r.State != "published" || r.Operations != 1 {
		t.Fatalf("first pull: %+v", r)
	}
	if bob.hash(t) != alice.hash(t) {
		t.Fatal("the pulled copy differs from what was published")
	}
	if r := bob.pull(t, c, srv.URL); r.Outcome != UpToDate {
		t.Fatalf("second pull: %+v", r)
	}

	// Alice publishes revision 2; Bob's copy is his base, so it moves forward.
	alice.save(t, specV2)
	alice.publish(t, c, srv.URL)
	if r := bob.pull(t, c, srv.URL, "pets"); r.Outcome != Updated || r.Revision != 2 || r.Operations != 2 {
		t.Fatalf("pull of revision 2: %+v", r)
	}
	if bob.hash(t) != alice.hash(t) {
		t.Fatal("the updated copy differs from revision 2")
	}

	// Bob edits locally while Alice publishes revision 3: his edit is kept, revision 3 becomes
	// his base, and his next publish is checked against it (and accepted, as it is based on 3).
	bobEdit := strings.Replace(specV2, "version: \"1.0\"", "version: \"1.1-bob\"", 1)
	bob.save(t, bobEdit)
	alice.save(t, strings.Replace(specV2, "version: \"1.0\"", "version: \"1.1-alice\"", 1))
	alice.publish(t, c, srv.URL)
	r = bob.pull(t, c, srv.URL)
	if r.Outcome != KeptLocal || r.Revision != 3 || !strings.Contains(r.Reason, "changed since revision 2") {
		t.Fatalf("pull over a local edit: %+v", r)
	}
	if bob.head(t) != bobEdit {
		t.Fatal("pull discarded the local edit")
	}
	bases, _ := client.ReadBases(bob.db)
	if b := bases[client.BaseKey(srv.URL, "dev", "pets")]; b.Revision != 3 {
		t.Fatalf("base after keeping local work: %+v", b)
	}
	if n := bob.publish(t, c, srv.URL); n != 4 {
		t.Fatalf("Bob's publish after the pull: revision %d", n)
	}
}

func TestPullKeepsUnrelatedAndLinkedWork(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Catalogs: []string{"dev"}})
	c, err := client.New(srv.URL, srv.Token, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alice := newWorkspace(t)
	alice.save(t, specV1)
	alice.publish(t, c, srv.URL)

	// A workspace that has its own pets, never published: kept.
	carol := newWorkspace(t)
	carol.save(t, specV2)
	if r := carol.pull(t, c, srv.URL); r.Outcome != KeptLocal || !strings.Contains(r.Reason, "never published") {
		t.Fatalf("pull over unpublished work: %+v", r)
	}
	if carol.head(t) != specV2 {
		t.Fatal("pull replaced unpublished work")
	}

	// A linked API keeps its file as the source, even when it is the recorded base.
	dave := newWorkspace(t)
	dave.pull(t, c, srv.URL)
	file := filepath.Join(t.TempDir(), "pets.yaml")
	if err := os.WriteFile(file, []byte(specV1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := dave.SetLinkedPath(t.Context(), "pets", file); err != nil {
		t.Fatal(err)
	}
	alice.save(t, specV2)
	alice.publish(t, c, srv.URL)
	if r := dave.pull(t, c, srv.URL); r.Outcome != KeptLocal || !strings.Contains(r.Reason, "linked to") {
		t.Fatalf("pull into a linked API: %+v", r)
	}

	// An API the catalog does not have is an error naming it; nothing is recorded for it.
	rs, err := Pull(t.Context(), c, carol, "dev", Options{Server: srv.URL, DBPath: carol.db, APIs: []string{"nope", "pets"}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 404 || !strings.Contains(err.Error(), "pulling nope from dev") {
		t.Fatalf("pull of an unknown API: %v", err)
	}
	if len(rs) != 2 || rs[0].Outcome != Failed || !strings.Contains(rs[0].Error, "404") || rs[1].Outcome != UpToDate {
		t.Fatalf("results of a partly failed pull: %+v", rs)
	}
	// An unknown catalog too.
	if _, err := Pull(t.Context(), c, carol, "nope", Options{Server: srv.URL, DBPath: carol.db}); err == nil {
		t.Fatal("pull from an unknown catalog worked")
	}
}
