package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// petsV1 is the first version of the test API.
const petsV1 = `openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, required: false, schema: {type: integer}}
      responses:
        "200":
          description: pets
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
  /pets/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        "200":
          description: a pet
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
    delete:
      operationId: deletePet
      responses:
        "204": {description: deleted}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: string}
`

// petsNoDelete removes DELETE /pets/{id}: breaking.
var petsNoDelete = strings.Replace(petsV1, `    delete:
      operationId: deletePet
      responses:
        "204": {description: deleted}
`, "", 1)

// petsWithTag adds an optional response property: not breaking.
var petsWithTag = strings.Replace(petsV1, "        id: {type: string}\n", "        id: {type: string}\n        tag: {type: string}\n", 1)

// env is a server over a fresh store with an admin token.
type env struct {
	t     *testing.T
	st    *hostedsqlite.Store
	srv   *Server
	ts    *httptest.Server
	admin string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(Options{Store: st, BootstrapToken: "tok-admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, created, err := srv.Bootstrap(t.Context()); err != nil || !created {
		t.Fatalf("Bootstrap: %v created=%v", err, created)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, st: st, srv: srv, ts: ts, admin: "tok-admin"}
}

// user creates a user with a token "tok-NAME" and the given roles (catalog -> role).
func (e *env) user(name string, admin bool, roles map[string]string) string {
	e.t.Helper()
	ctx := e.t.Context()
	if _, err := e.st.CreateUser(ctx, store.CreateUserInput{Name: name, Admin: admin}); err != nil {
		e.t.Fatal(err)
	}
	for c, r := range roles {
		if err := e.st.SetRole(ctx, store.RoleInput{User: name, Catalog: c, Role: r}); err != nil {
			e.t.Fatal(err)
		}
	}
	tok := "tok-" + name
	if _, err := e.st.CreateToken(ctx, store.TokenInput{Kind: store.TokenUser, User: name, Hash: secret.Hash(tok)}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// nodeToken creates a node token "tok-node-CATALOG".
func (e *env) nodeToken(catalog string) string {
	e.t.Helper()
	tok := "tok-node-" + catalog
	if _, err := e.st.CreateToken(e.t.Context(), store.TokenInput{Kind: store.TokenNode, Catalog: catalog, Hash: secret.Hash(tok)}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// do sends a request with token (none if "") and a JSON body (none if nil; a string is sent as is).
func (e *env) do(method, path, token string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != problem.ContentType {
		e.t.Errorf("%s %s: %d answered with %q, not a problem document: %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return resp, b
}

// expect sends a request and checks its status, decoding the body into out if not nil.
func (e *env) expect(status int, method, path, token string, body, out any) []byte {
	e.t.Helper()
	resp, b := e.do(method, path, token, body)
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
	return b
}

// publishReq builds a publish request of a one-file spec.
func publishReq(base int64, doc string) protocol.PublishRequest {
	return protocol.PublishRequest{BaseRevision: base, Bundle: protocol.Bundle{Root: "openapi.yaml",
		Files: []protocol.File{{Path: "openapi.yaml", Content: doc}}}}
}

func openStore(t *testing.T) (*hostedsqlite.Store, error) {
	st, err := hostedsqlite.Open(filepath.Join(t.TempDir(), "server.db"), hostedsqlite.Options{})
	if err == nil {
		t.Cleanup(func() { st.Close() })
	}
	return st, err
}

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// streamStatus opens a GET with token (none if "") and returns its status without reading
// the body, which a feed never ends.
func (e *env) streamStatus(path, token string) int {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), "GET", e.ts.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
