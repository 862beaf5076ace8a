package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/sync/protocol"
)

func TestPublishFlow(t *testing.T) {
	e := newEnv(t)
	e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: "dev"}, nil)
	pub := "/api/v1/catalogs/dev/apis/pets/revisions"

	var r1 protocol.PublishResponse
	e.expect(201, "POST", pub, e.admin, publishReq(0, petsV1), &r1)
	if !r1.Created || r1.Revision.Number != 1 || r1.Revision.PublishedBy != "admin" {
		t.Fatalf("first publish = %+v", r1)
	}

	steps := []struct {
		name   string
		req    protocol.PublishRequest
		status int
		check  func(t *testing.T, body []byte)
	}{
		{"identical content returns the existing revision", publishReq(0, petsV1), 200, func(t *testing.T, b []byte) {
			var r protocol.PublishResponse
			_ = json.Unmarshal(b, &r)
			if r.Created || r.Revision.Number != 1 {
				t.Errorf("answer %+v", r)
			}
		}},
		{"breaking change refused", publishReq(1, petsNoDelete), 422, func(t *testing.T, b []byte) {
			var p struct {
				Detail   string            `json:"detail"`
				Breaking int               `json:"breaking"`
				Changes  []protocol.Change `json:"changes"`
			}
			_ = json.Unmarshal(b, &p)
			if p.Breaking != 1 || len(p.Changes) != 1 || p.Changes[0].Operation != "DELETE" || p.Changes[0].Path != "/pets/{id}" {
				t.Errorf("problem %s", b)
			}
			if !strings.Contains(p.Detail, "1 breaking change") || !strings.Contains(p.Detail, "allowBreaking") {
				t.Errorf("detail %q", p.Detail)
			}
		}},
		{"allowBreaking without a reason", func() protocol.PublishRequest {
			r := publishReq(1, petsNoDelete)
			r.AllowBreaking = true
			return r
		}(), 400, nil},
		{"allowBreaking with a reason", func() protocol.PublishRequest {
			r := publishReq(1, petsNoDelete)
			r.AllowBreaking, r.Reason = true, "v2 cleanup"
			return r
		}(), 201, func(t *testing.T, b []byte) {
			var r protocol.PublishResponse
			_ = json.Unmarshal(b, &r)
			if r.Revision.Number != 2 || r.Breaking != 1 || r.Revision.Reason != "v2 cleanup" {
				t.Errorf("answer %s", b)
			}
		}},
		{"stale base", publishReq(1, petsWithTag), 409, func(t *testing.T, b []byte) {
			var p struct {
				Detail          string `json:"detail"`
				CurrentRevision int64  `json:"currentRevision"`
				PublishedBy     string `json:"publishedBy"`
			}
			_ = json.Unmarshal(b, &p)
			if p.CurrentRevision != 2 || p.PublishedBy != "admin" || !strings.Contains(p.Detail, "revision 2, published by admin") {
				t.Errorf("problem %s", b)
			}
		}},
		{"non-breaking change", publishReq(2, strings.Replace(petsNoDelete, "        id: {type: string}\n", "        id: {type: string}\n        tag: {type: string}\n", 1)), 201, func(t *testing.T, b []byte) {
			var r protocol.PublishResponse
			_ = json.Unmarshal(b, &r)
			if r.Revision.Number != 3 || r.Breaking != 0 || len(r.Changes) == 0 {
				t.Errorf("answer %s", b)
			}
		}},
		{"unusable spec", publishReq(3, "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/nope'}}\n"), 422, func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), "invalid-spec") {
				t.Errorf("problem %s", b)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			b := e.expect(st.status, "POST", pub, e.admin, st.req, nil)
			if st.check != nil {
				st.check(t, b)
			}
		})
	}
	var audit []protocol.AuditRecord
	e.expect(200, "GET", "/api/v1/audit?catalog=dev", e.admin, nil, &audit)
	if len(audit) != 4 || audit[1].Reason != "v2 cleanup" || audit[1].RevisionBefore != 1 || audit[1].RevisionAfter != 2 ||
		!strings.Contains(audit[1].Detail, "1 breaking") || audit[1].SourceIP != "127.0.0.1" {
		t.Errorf("audit = %+v", audit)
	}
	var detail protocol.APIDetail
	e.expect(200, "GET", "/api/v1/catalogs/dev/apis/pets", e.admin, nil, &detail)
	if detail.API.Revision != 3 || detail.Revision.Bundle == nil || detail.Revision.Bundle.Files[0].Content == "" {
		t.Errorf("getAPI = %+v", detail)
	}
	var revs []protocol.Revision
	e.expect(200, "GET", "/api/v1/catalogs/dev/apis/pets/revisions", e.admin, nil, &revs)
	if len(revs) != 3 || revs[0].Number != 3 || revs[0].Bundle != nil {
		t.Errorf("revisions = %+v", revs)
	}
	var rev1 protocol.Revision
	e.expect(200, "GET", "/api/v1/catalogs/dev/apis/pets/revisions/1", e.admin, nil, &rev1)
	if rev1.Bundle == nil || rev1.Bundle.Files[0].Content != petsV1 {
		t.Errorf("revision 1 = %+v", rev1)
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t)
	e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: "dev"}, nil)
	var r protocol.PublishResponse
	e.expect(200, "POST", "/api/v1/catalogs/dev/apis/pets/check", e.admin, publishReq(0, petsV1), &r)
	if r.Breaking != 0 || len(r.Changes) != 0 || r.Revision.Number != 0 {
		t.Errorf("check of a new API = %+v", r)
	}
	e.expect(201, "POST", "/api/v1/catalogs/dev/apis/pets/revisions", e.admin, publishReq(0, petsV1), nil)
	e.expect(200, "POST", "/api/v1/catalogs/dev/apis/pets/check", e.admin, publishReq(0, petsNoDelete), &r)
	if r.Breaking != 1 || r.Revision.Number != 1 || !r.Changes[0].Breaking {
		t.Errorf("check = %+v", r)
	}
	if apis, _ := e.st.ListRevisions(t.Context(), "dev", "pets"); len(apis) != 1 {
		t.Errorf("check published something: %+v", apis)
	}
}

func TestPromoteAndLifecycle(t *testing.T) {
	e := newEnv(t)
	for _, c := range []string{"dev", "prod"} {
		e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: c}, nil)
	}
	pub := "/api/v1/catalogs/dev/apis/pets/revisions"
	e.expect(201, "POST", pub, e.admin, publishReq(0, petsV1), nil)
	e.expect(201, "POST", pub, e.admin, publishReq(1, petsWithTag), nil)
	releaser := e.user("rel", false, map[string]string{"dev": store.RoleViewer, "prod": store.RolePublisher})
	promote := "/api/v1/catalogs/prod/apis/pets/promote"

	var r protocol.PublishResponse
	e.expect(201, "POST", promote, releaser, protocol.PromoteRequest{From: "dev", Revision: 1}, &r)
	if r.Revision.Number != 1 || r.Revision.PromotedFrom != "dev" || r.Revision.PromotedRevision != 1 || r.Revision.PublishedBy != "rel" {
		t.Errorf("promote = %+v", r)
	}
	e.expect(200, "POST", promote, releaser, protocol.PromoteRequest{From: "dev", Revision: 1}, &r)
	if r.Created {
		t.Error("promoting the same revision again created one")
	}
	zero := int64(0)
	e.expect(409, "POST", promote, releaser, protocol.PromoteRequest{From: "dev", BaseRevision: &zero}, nil)
	e.expect(201, "POST", promote, releaser, protocol.PromoteRequest{From: "dev"}, &r)
	if r.Revision.Number != 2 || r.Revision.PromotedRevision != 2 {
		t.Errorf("promote of current = %+v", r)
	}
	e.expect(201, "POST", pub, e.admin, func() protocol.PublishRequest {
		p := publishReq(2, petsNoDelete)
		p.AllowBreaking, p.Reason = true, "drop delete"
		return p
	}(), nil)
	e.expect(422, "POST", promote, releaser, protocol.PromoteRequest{From: "dev"}, nil)
	e.expect(403, "POST", "/api/v1/catalogs/dev/apis/pets/promote", releaser, protocol.PromoteRequest{From: "prod"}, nil)
	e.expect(422, "POST", promote, releaser, protocol.PromoteRequest{From: "prod"}, nil)

	lc := "/api/v1/catalogs/prod/apis/pets/lifecycle"
	var api protocol.CatalogAPI
	e.expect(200, "POST", lc, releaser, map[string]any{"state": "deprecated", "sunset": "2031-01-01T00:00:00Z", "reason": "v2"}, &api)
	if api.State != "deprecated" || api.Sunset.Year() != 2031 || api.DeprecatedAt.IsZero() {
		t.Errorf("deprecated = %+v", api)
	}
	e.expect(422, "POST", lc, releaser, map[string]any{"state": "retired", "sunset": "2031-01-01T00:00:00Z"}, nil)
	e.expect(400, "POST", lc, releaser, map[string]any{"state": "gone"}, nil)
	e.expect(200, "POST", lc, releaser, map[string]any{"state": "retired"}, &api)
	if api.State != "retired" {
		t.Errorf("retired = %+v", api)
	}
	e.expect(404, "POST", "/api/v1/catalogs/prod/apis/orders/lifecycle", releaser, map[string]any{"state": "retired"}, nil)
}

func TestConsumersNodesTokens(t *testing.T) {
	e := newEnv(t)
	e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: "prod"}, nil)
	e.expect(201, "POST", "/api/v1/catalogs/prod/consumers", e.admin, protocol.CreateConsumerRequest{Name: "app", Groups: []string{"gold"}}, nil)
	e.expect(409, "POST", "/api/v1/catalogs/prod/consumers", e.admin, protocol.CreateConsumerRequest{Name: "app"}, nil)
	var key protocol.IssuedKey
	e.expect(201, "POST", "/api/v1/catalogs/prod/consumers/app/keys", e.admin, protocol.CreateSecretRequest{Name: "ci"}, &key)
	if !strings.HasPrefix(key.Key, apiKeyPrefix) || key.Credential.Hash == "" || strings.Contains(key.Credential.Hash, key.Key) {
		t.Errorf("issued key = %+v", key)
	}
	var cs []protocol.Consumer
	e.expect(200, "GET", "/api/v1/catalogs/prod/consumers", e.admin, nil, &cs)
	if len(cs) != 1 || len(cs[0].Credentials) != 1 || strings.Contains(mustJSON(t, cs), key.Key) {
		t.Errorf("consumers = %+v", cs)
	}
	e.expect(204, "DELETE", "/api/v1/catalogs/prod/consumers/app/keys/"+itoa(key.Credential.ID), e.admin, nil, nil)
	e.expect(404, "DELETE", "/api/v1/catalogs/prod/consumers/app/keys/"+itoa(key.Credential.ID), e.admin, nil, nil)

	var nt protocol.IssuedToken
	e.expect(201, "POST", "/api/v1/catalogs/prod/node-tokens", e.admin, protocol.CreateSecretRequest{Name: "cluster"}, &nt)
	e.expect(204, "POST", "/api/v1/nodes/heartbeat", nt.Secret, protocol.Heartbeat{NodeID: "n1", Version: "1.2", Sequence: 4, Revisions: map[string]int64{"pets": 2}}, nil)
	var nodes []protocol.Node
	e.expect(200, "GET", "/api/v1/catalogs/prod/nodes", e.admin, nil, &nodes)
	if len(nodes) != 1 || nodes[0].ID != "n1" || nodes[0].Sequence != 4 || nodes[0].Revisions["pets"] != 2 || nodes[0].Addr != "127.0.0.1" {
		t.Errorf("nodes = %+v", nodes)
	}
	var me protocol.Me
	e.expect(200, "GET", "/api/v1/me", nt.Secret, nil, &me)
	if me.Kind != "node" || me.Catalog != "prod" || me.User != nil {
		t.Errorf("node me = %+v", me)
	}
	e.expect(204, "DELETE", "/api/v1/catalogs/prod/node-tokens/"+itoa(nt.Token.ID), e.admin, nil, nil)
	e.expect(401, "POST", "/api/v1/nodes/heartbeat", nt.Secret, protocol.Heartbeat{NodeID: "n1"}, nil)

	e.expect(201, "POST", "/api/v1/users", e.admin, protocol.CreateUserRequest{Name: "ann"}, nil)
	e.expect(409, "POST", "/api/v1/users", e.admin, protocol.CreateUserRequest{Name: "ann"}, nil)
	var u protocol.User
	e.expect(200, "PUT", "/api/v1/users/ann/roles/prod", e.admin, protocol.RoleRequest{Role: "viewer"}, &u)
	if u.Roles["prod"] != "viewer" {
		t.Errorf("user = %+v", u)
	}
	var ut protocol.IssuedToken
	e.expect(201, "POST", "/api/v1/users/ann/tokens", e.admin, protocol.CreateSecretRequest{Name: "laptop"}, &ut)
	e.expect(200, "GET", "/api/v1/me", ut.Secret, nil, &me)
	if me.User == nil || me.User.Name != "ann" || me.User.Roles["prod"] != "viewer" {
		t.Errorf("ann me = %+v", me)
	}
	var cats []protocol.Catalog
	e.expect(200, "GET", "/api/v1/catalogs", ut.Secret, nil, &cats)
	if len(cats) != 1 || cats[0].Name != "prod" {
		t.Errorf("ann's catalogs = %+v", cats)
	}
	e.expect(422, "POST", "/api/v1/users/ann/tokens", ut.Secret, map[string]any{"expiresAt": "2001-01-01T00:00:00Z"}, nil)
	e.expect(204, "DELETE", "/api/v1/users/ann/tokens/"+itoa(ut.Token.ID), ut.Secret, nil, nil)
	e.expect(401, "GET", "/api/v1/me", ut.Secret, nil, nil)
	e.expect(404, "DELETE", "/api/v1/users/admin/tokens/999", e.admin, nil, nil)
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: "dev"}, nil)
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		want   string
	}{
		{"no token", "GET", "/api/v1/catalogs", "", nil, 401, "Authorization: Bearer"},
		{"unknown token", "GET", "/api/v1/catalogs", "nope", nil, 401, "unknown"},
		{"basic auth", "GET", "/api/v1/catalogs", "", nil, 401, "Bearer"},
		{"not under the base path", "GET", "/api/v2/catalogs", e.admin, nil, 404, "/api/v1"},
		{"unknown path", "GET", "/api/v1/nope", e.admin, nil, 404, "no operation"},
		{"wrong method", "DELETE", "/api/v1/catalogs", e.admin, nil, 405, "allowed: GET, HEAD, POST"},
		{"invalid name", "POST", "/api/v1/catalogs", e.admin, map[string]any{"name": "Not A Slug"}, 400, "does not match"},
		{"unknown field", "POST", "/api/v1/catalogs", e.admin, map[string]any{"name": "x", "color": "red"}, 400, "color"},
		{"not JSON", "POST", "/api/v1/catalogs", e.admin, "{", 400, "invalid-request"},
		{"duplicate catalog", "POST", "/api/v1/catalogs", e.admin, map[string]any{"name": "dev"}, 409, "exists already"},
		{"unknown catalog", "GET", "/api/v1/catalogs/nope", e.admin, nil, 404, "nope"},
		{"bad revision number", "GET", "/api/v1/catalogs/dev/apis/pets/revisions/zero", e.admin, nil, 400, "revision"},
		{"bad audit limit", "GET", "/api/v1/audit?limit=5000", e.admin, nil, 400, "limit"},
		{"publish without bundle", "POST", "/api/v1/catalogs/dev/apis/pets/revisions", e.admin, map[string]any{"baseRevision": 0}, 400, "bundle"},
		{"publish with bad base64", "POST", "/api/v1/catalogs/dev/apis/pets/revisions", e.admin,
			map[string]any{"bundle": map[string]any{"root": "a", "files": []any{map[string]any{"path": "a", "content": "!", "encoding": "base64"}}}}, 400, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "basic auth" {
				req, _ := http.NewRequestWithContext(t.Context(), tt.method, e.ts.URL+tt.path, nil)
				req.SetBasicAuth("a", "b")
				resp, err := e.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
				}
				return
			}
			b := e.expect(tt.status, tt.method, tt.path, tt.token, tt.body, nil)
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("problem %s does not say %q", b, tt.want)
			}
		})
	}
	resp, b := e.do("GET", "/api/v1/openapi.yaml", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "openapi: 3.1.0") {
		t.Errorf("openapi.yaml: %d %.40s", resp.StatusCode, b)
	}
}

func TestBootstrap(t *testing.T) {
	e := newEnv(t)
	tok, created, err := e.srv.Bootstrap(t.Context())
	if err != nil || created || tok != "" {
		t.Errorf("second bootstrap = %q %v %v", tok, created, err)
	}
	srv, err := New(Options{Store: newEnv(t).st})
	if err != nil {
		t.Fatal(err)
	}
	if _, created, _ := srv.Bootstrap(t.Context()); created {
		t.Error("bootstrap of a store with users created an admin")
	}
	fresh := newEnvNoBootstrap(t)
	tok, created, err = fresh.srv.Bootstrap(t.Context())
	if err != nil || !created || !strings.HasPrefix(tok, userTokenPrefix) || len(tok) < 40 {
		t.Fatalf("generated bootstrap = %q %v %v", tok, created, err)
	}
	var me protocol.Me
	fresh.expect(200, "GET", "/api/v1/me", tok, nil, &me)
	if me.User == nil || !me.User.Admin || me.User.Name != "admin" {
		t.Errorf("bootstrap admin = %+v", me)
	}
}

// newEnvNoBootstrap is a server over an empty store, without a bootstrap token.
func newEnvNoBootstrap(t *testing.T) *env {
	st, err := openStore(t)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, srv: srv, ts: newTestServer(t, srv)}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPublishSwagger2Breaking: a Swagger 2.0 API is checked for breaking changes too.
func TestPublishSwagger2Breaking(t *testing.T) {
	const v1 = `swagger: "2.0"
info: {title: Pets, version: "1"}
paths:
  /pets:
    get:
      produces: [application/json]
      parameters:
        - {name: limit, in: query, required: false, type: integer}
      responses:
        "200": {description: pets, schema: {type: array, items: {type: string}}}
`
	e := newEnv(t)
	e.expect(201, "POST", "/api/v1/catalogs", e.admin, protocol.CreateCatalogRequest{Name: "dev"}, nil)
	pub := "/api/v1/catalogs/dev/apis/pets/revisions"
	e.expect(201, "POST", pub, e.admin, publishReq(0, v1), nil)
	var p struct {
		Breaking int               `json:"breaking"`
		Changes  []protocol.Change `json:"changes"`
	}
	e.expect(422, "POST", pub, e.admin, publishReq(1, strings.Replace(v1, "required: false", "required: true", 1)), &p)
	if p.Breaking != 1 || len(p.Changes) == 0 || !strings.Contains(p.Changes[0].Text, "limit") {
		t.Errorf("breaking changes %+v", p)
	}
}
