package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantry-dev/gantry/sync/protocol"
	"github.com/gantry-dev/gantry/sync/server/servertest"
)

const spec1 = `openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      responses: {"200": {description: ok}}
    delete:
      operationId: deletePets
      responses: {"204": {description: deleted}}
`

var spec2 = strings.Replace(spec1, "    delete:\n      operationId: deletePets\n      responses: {\"204\": {description: deleted}}\n", "", 1)

func newClient(t *testing.T) *Client {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{Token: "secret"})
	c, err := New(srv.URL, srv.Token, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pub(base int64, doc string) protocol.PublishRequest {
	return protocol.PublishRequest{BaseRevision: base, Bundle: protocol.Bundle{Root: "openapi.yaml", Files: []protocol.File{{Path: "openapi.yaml", Content: doc}}}}
}

func TestClientRoundTrip(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	me, err := c.Me(ctx)
	if err != nil || me.User == nil || me.User.Name != "admin" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if _, err := c.CreateCatalog(ctx, protocol.CreateCatalogRequest{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Publish(ctx, "dev", "pets", pub(0, spec1))
	if err != nil || !r.Created || r.Revision.Number != 1 {
		t.Fatalf("Publish = %+v, %v", r, err)
	}
	r, err = c.Publish(ctx, "dev", "pets", pub(0, spec1))
	if err != nil || r.Created {
		t.Fatalf("identical Publish = %+v, %v", r, err)
	}
	d, err := c.GetAPI(ctx, "dev", "pets")
	if err != nil || d.Revision.Bundle.Files[0].Content != spec1 {
		t.Fatalf("GetAPI = %+v, %v", d, err)
	}
	recs, err := c.ListAudit(ctx, AuditQuery{Catalog: "dev", Limit: 1})
	if err != nil || len(recs) != 1 || recs[0].Action != "api.publish" {
		t.Fatalf("ListAudit = %+v, %v", recs, err)
	}
	doc, err := c.OpenAPI(ctx)
	if err != nil || !strings.HasPrefix(string(doc), "openapi: 3.1.0") {
		t.Fatalf("OpenAPI: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	if _, err := c.CreateCatalog(ctx, protocol.CreateCatalogRequest{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, "dev", "pets", pub(0, spec1)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		status int
		check  func(t *testing.T, e *Error)
	}{
		{"stale base", func() error { _, err := c.Publish(ctx, "dev", "pets", pub(0, spec2)); return err }, 409, func(t *testing.T, e *Error) {
			if e.CurrentRevision != 1 || e.PublishedBy != "admin" || e.PublishedAt.IsZero() || e.Slug() != "stale-revision" {
				t.Errorf("error = %+v", e)
			}
		}},
		{"breaking", func() error { _, err := c.Publish(ctx, "dev", "pets", pub(1, spec2)); return err }, 422, func(t *testing.T, e *Error) {
			if e.Breaking != 1 || len(e.Changes) != 1 || e.Changes[0].Operation != "DELETE" || string(e.Extra["breaking"]) != "1" {
				t.Errorf("error = %+v", e)
			}
		}},
		{"validation", func() error {
			_, err := c.CreateCatalog(ctx, protocol.CreateCatalogRequest{Name: "Bad Name"})
			return err
		}, 400, func(t *testing.T, e *Error) {
			if len(e.Errors) == 0 || !strings.Contains(e.Error(), "body") {
				t.Errorf("error = %+v", e)
			}
		}},
		{"not found", func() error { _, err := c.GetCatalog(ctx, "nope"); return err }, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Status != tt.status || StatusOf(err) != tt.status || e.Detail == "" {
				t.Fatalf("error = %+v, want status %d", e, tt.status)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestClientNonProblemError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	}))
	defer ts.Close()
	c, err := New(ts.URL+"/", "t", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListCatalogs(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.Status != 502 || !strings.Contains(e.Detail, "bad gateway") {
		t.Fatalf("error = %#v", err)
	}
	for _, bad := range []string{"ftp://x", "127.0.0.1:9090", "http://"} {
		if _, err := New(bad, "", Options{}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
