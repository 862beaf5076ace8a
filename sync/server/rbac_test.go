package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/sync/protocol"
)

// roles of the RBAC matrix, least privileged first so that a mutation by an allowed role
// never runs before a denied role's attempt.
var matrixRoles = []string{"anonymous", "node", "none", "other-catalog publisher", "viewer", "publisher", "catalog admin", "global admin"}

// rbacFixture is a server with catalogs dev and prod, the API pets in both, a consumer with
// a key in dev, a node token for dev, and one user per matrix role.
func rbacFixture(t *testing.T) (*env, map[string]string) {
	e := newEnv(t)
	ctx := t.Context()
	for _, c := range []string{"dev", "prod"} {
		if _, err := e.st.CreateCatalog(ctx, store.CreateCatalogInput{Name: c}); err != nil {
			t.Fatal(err)
		}
		b := &store.Bundle{Root: "openapi.yaml", Files: []model.SpecFile{{Path: "openapi.yaml", Content: []byte(petsV1)}}}
		if _, _, err := e.st.Publish(ctx, store.PublishInput{Catalog: c, API: "pets", Bundle: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Hash: secret.Hash("k")}); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"anonymous":               "",
		"node":                    e.nodeToken("dev"),
		"none":                    e.user("none", false, nil),
		"other-catalog publisher": e.user("other", false, map[string]string{"prod": store.RolePublisher}),
		"viewer":                  e.user("viewer", false, map[string]string{"dev": store.RoleViewer}),
		"publisher":               e.user("publisher", false, map[string]string{"dev": store.RolePublisher}),
		"catalog admin":           e.user("devadmin", false, map[string]string{"dev": store.RoleAdmin}),
		"global admin":            e.admin,
	}
	return e, tokens
}

func TestRBACMatrix(t *testing.T) {
	const (
		anon  = "anonymous"
		node  = "node"
		none  = "none"
		other = "other-catalog publisher"
		view  = "viewer"
		pub   = "publisher"
		cadm  = "catalog admin"
		gadm  = "global admin"
	)
	users := []string{none, other, view, pub, cadm, gadm}
	readers := []string{view, pub, cadm, gadm}
	publishers := []string{pub, cadm, gadm}
	admins := []string{cadm, gadm}
	publish := publishReq(1, petsWithTag)
	tests := []struct {
		name    string
		method  string
		path    string
		body    any
		allowed []string
	}{
		{"getOpenAPI", "GET", "/api/v1/openapi.yaml", nil, matrixRoles},
		{"getMe", "GET", "/api/v1/me", nil, append([]string{node}, users...)},
		{"listCatalogs", "GET", "/api/v1/catalogs", nil, users},
		{"createCatalog", "POST", "/api/v1/catalogs", protocol.CreateCatalogRequest{Name: "test"}, []string{gadm}},
		{"getCatalog", "GET", "/api/v1/catalogs/dev", nil, readers},
		{"listAPIs", "GET", "/api/v1/catalogs/dev/apis", nil, readers},
		{"getAPI", "GET", "/api/v1/catalogs/dev/apis/pets", nil, readers},
		{"listRevisions", "GET", "/api/v1/catalogs/dev/apis/pets/revisions", nil, readers},
		{"getRevision", "GET", "/api/v1/catalogs/dev/apis/pets/revisions/1", nil, readers},
		{"check", "POST", "/api/v1/catalogs/dev/apis/pets/check", publish, readers},
		{"publish", "POST", "/api/v1/catalogs/dev/apis/pets/revisions", publish, publishers},
		// Promoting into dev also needs the viewer role in prod, which only the global admin has.
		{"promote", "POST", "/api/v1/catalogs/dev/apis/pets/promote", protocol.PromoteRequest{From: "prod"}, []string{gadm}},
		{"setLifecycle", "POST", "/api/v1/catalogs/dev/apis/pets/lifecycle", protocol.LifecycleRequest{State: "deprecated"}, publishers},
		{"listConsumers", "GET", "/api/v1/catalogs/dev/consumers", nil, readers},
		{"createConsumer", "POST", "/api/v1/catalogs/dev/consumers", protocol.CreateConsumerRequest{Name: "new"}, admins},
		{"deleteConsumer", "DELETE", "/api/v1/catalogs/dev/consumers/app", nil, admins},
		{"createKey", "POST", "/api/v1/catalogs/dev/consumers/app/keys", protocol.CreateSecretRequest{}, admins},
		{"revokeKey", "DELETE", "/api/v1/catalogs/dev/consumers/app/keys/1", nil, admins},
		{"listNodes", "GET", "/api/v1/catalogs/dev/nodes", nil, readers},
		{"listNodeTokens", "GET", "/api/v1/catalogs/dev/node-tokens", nil, admins},
		{"createNodeToken", "POST", "/api/v1/catalogs/dev/node-tokens", protocol.CreateSecretRequest{}, admins},
		{"revokeNodeToken", "DELETE", "/api/v1/catalogs/dev/node-tokens/2", nil, admins},
		{"heartbeat", "POST", "/api/v1/nodes/heartbeat", protocol.Heartbeat{NodeID: "n1"}, []string{node}},
		{"feed", "GET", "/api/v1/catalogs/dev/feed", nil, []string{node}},
		{"feed of another catalog", "GET", "/api/v1/catalogs/prod/feed", nil, nil},
		{"listUsers", "GET", "/api/v1/users", nil, []string{gadm}},
		{"createUser", "POST", "/api/v1/users", protocol.CreateUserRequest{Name: "zed"}, []string{gadm}},
		{"setRole", "PUT", "/api/v1/users/none/roles/dev", protocol.RoleRequest{Role: "viewer"}, admins},
		{"listUserTokens", "GET", "/api/v1/users/viewer/tokens", nil, []string{view, gadm}},
		{"createUserToken", "POST", "/api/v1/users/viewer/tokens", protocol.CreateSecretRequest{}, []string{view, gadm}},
		{"revokeUserToken", "DELETE", "/api/v1/users/viewer/tokens/999", nil, []string{view, gadm}},
		{"listAudit of a catalog", "GET", "/api/v1/audit?catalog=dev", nil, readers},
		{"listAudit of everything", "GET", "/api/v1/audit", nil, []string{gadm}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, tokens := rbacFixture(t)
			allowed := map[string]bool{}
			for _, r := range tt.allowed {
				allowed[r] = true
			}
			for _, role := range matrixRoles {
				var got int
				var body []byte
				if strings.HasSuffix(tt.path, "/feed") {
					got = e.streamStatus(tt.path, tokens[role]) // the stream never ends
				} else {
					var resp *http.Response
					resp, body = e.do(tt.method, tt.path, tokens[role], tt.body)
					got = resp.StatusCode
				}
				switch {
				case allowed[role] && (got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500):
					t.Errorf("%s: %d, want access: %s", role, got, body)
				case !allowed[role] && role == anon && got != http.StatusUnauthorized:
					t.Errorf("%s: %d, want 401: %s", role, got, body)
				case !allowed[role] && role != anon && got != http.StatusForbidden:
					t.Errorf("%s: %d, want 403: %s", role, got, body)
				}
			}
		})
		covered[tt.name] = true
	}
	// Every operation of the document is in the matrix.
	srv, err := New(Options{Store: newEnv(t).st})
	if err != nil {
		t.Fatal(err)
	}
	for id := range srv.operations() {
		found := false
		for name := range covered {
			if name == id || len(name) > len(id) && name[:len(id)+1] == id+" " {
				found = true
			}
		}
		if !found {
			t.Errorf("operation %s is missing from the RBAC matrix", id)
		}
	}
}
