package hostedtest

import (
	"errors"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
)

func testAuditInTransaction(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustPublish(t, s, "dev", "pets", 0, bundle("1"))
	if _, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Actor: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Hash: key("a"), Actor: alice}); err != nil {
		t.Fatal(err)
	}
	failures := []struct {
		name string
		do   func() error
	}{
		{"duplicate catalog", func() error {
			_, err := s.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev", Actor: alice})
			return err
		}},
		{"stale publish", func() error {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("2"), Actor: alice})
			return err
		}},
		{"lifecycle of unknown API", func() error {
			_, err := s.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: "nope", State: store.LifecycleRetired, Actor: alice})
			return err
		}},
		{"duplicate consumer", func() error {
			_, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Actor: alice})
			return err
		}},
		{"duplicate key", func() error {
			_, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Hash: key("a"), Actor: alice})
			return err
		}},
		{"revoke unknown key", func() error { return s.RevokeCredential(ctx, "dev", "app", 999, alice) }},
		{"delete unknown consumer", func() error { return s.DeleteConsumer(ctx, "dev", "nope", alice) }},
		{"token for unknown user", func() error {
			_, err := s.CreateToken(ctx, store.TokenInput{Kind: store.TokenUser, User: "nope", Hash: key("t"), Actor: alice})
			return err
		}},
		{"revoke unknown token", func() error { return s.RevokeToken(ctx, 999, alice) }},
		{"role of unknown user", func() error {
			return s.SetRole(ctx, store.RoleInput{User: "nope", Catalog: "dev", Role: store.RoleViewer, Actor: alice})
		}},
		{"promote to unknown catalog", func() error {
			_, _, err := s.Promote(ctx, store.PromoteInput{API: "pets", From: "dev", To: "nope", BaseRevision: -1, Actor: alice})
			return err
		}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount(t, s)
			seq := func() int64 { c, _ := s.GetCatalog(ctx, "dev"); return c.Sequence }
			seqBefore := seq()
			if err := tt.do(); err == nil {
				t.Fatal("no error")
			}
			if n := auditCount(t, s); n != before {
				t.Errorf("a failed mutation wrote %d audit records", n-before)
			}
			if seq() != seqBefore {
				t.Errorf("a failed mutation moved the sequence")
			}
		})
	}
	recs, err := s.ListAudit(ctx, store.AuditFilter{Catalog: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{store.ActionCredentialCreate, store.ActionConsumerCreate, store.ActionAPIPublish, store.ActionCatalogCreate}
	if len(recs) != len(want) {
		t.Fatalf("audit = %+v", recs)
	}
	for i, r := range recs {
		if r.Action != want[i] || r.Actor != "alice" || r.SourceIP != alice.SourceIP || r.Time.IsZero() {
			t.Errorf("record %d = %+v, want action %s by alice", i, r, want[i])
		}
	}
	if p := recs[2]; p.Target != "apis/pets" || p.RevisionBefore != 0 || p.RevisionAfter != 1 {
		t.Errorf("publish record = %+v", p)
	}
	page, err := s.ListAudit(ctx, store.AuditFilter{Catalog: "dev", BeforeID: recs[1].ID, Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != recs[2].ID {
		t.Errorf("paging = %+v, %v", page, err)
	}
	if other, _ := s.ListAudit(ctx, store.AuditFilter{Actor: "bob"}); len(other) != 0 {
		t.Errorf("actor filter = %+v", other)
	}
}

func testConsumers(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	c, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Groups: []string{"gold"}, Actor: alice})
	if err != nil || c.ID == 0 {
		t.Fatalf("CreateConsumer: %+v %v", c, err)
	}
	if _, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "batch", Actor: alice}); err != nil {
		t.Fatal(err)
	}
	k1, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Name: "ci", Hash: key("1"), Actor: alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Hash: key("2"), Actor: alice}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListConsumers(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "app" || len(list[0].Credentials) != 2 || list[0].Credentials[0].Name != "ci" ||
		list[0].Credentials[0].Hash != key("1") || len(list[0].Groups) != 1 || list[1].Name != "batch" || len(list[1].Credentials) != 0 {
		t.Fatalf("ListConsumers = %+v", list)
	}
	errs := []struct {
		name string
		err  error
		do   func() error
	}{
		{"duplicate name", store.ErrConflict, func() error {
			_, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Actor: alice})
			return err
		}},
		{"unknown catalog", store.ErrNotFound, func() error {
			_, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "nope", Name: "x", Actor: alice})
			return err
		}},
		{"key reused", store.ErrConflict, func() error {
			_, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "batch", Hash: key("1"), Actor: alice})
			return err
		}},
		{"key not hashed", nil, func() error {
			_, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "batch", Hash: "plain", Actor: alice})
			return err
		}},
		{"key of unknown consumer", store.ErrNotFound, func() error {
			_, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "nope", Hash: key("9"), Actor: alice})
			return err
		}},
		{"revoke another consumer's key", store.ErrNotFound, func() error { return s.RevokeCredential(ctx, "dev", "batch", k1.ID, alice) }},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Errorf("error = %v, want %v", err, tt.err)
			}
		})
	}
	if err := s.RevokeCredential(ctx, "dev", "app", k1.ID, alice); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConsumer(ctx, "dev", "batch", alice); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListConsumers(ctx, "dev")
	if len(list) != 1 || len(list[0].Credentials) != 1 || list[0].Credentials[0].Hash != key("2") {
		t.Errorf("after revoke and delete: %+v", list)
	}
}

func testNodes(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "prod")
	n := &store.Node{ID: "node-b", Catalog: "prod", Version: "1.0", Sequence: 3, Revisions: map[string]int64{"pets": 2}, Addr: "10.0.0.2"}
	if err := s.RecordHeartbeat(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordHeartbeat(ctx, &store.Node{ID: "node-a", Catalog: "prod"}); err != nil {
		t.Fatal(err)
	}
	first, _ := s.ListNodes(ctx, "prod")
	time.Sleep(2 * time.Millisecond)
	n.Sequence, n.Error = 4, "snapshot 4 rejected"
	if err := s.RecordHeartbeat(ctx, n); err != nil {
		t.Fatal(err)
	}
	nodes, err := s.ListNodes(ctx, "prod")
	if err != nil || len(nodes) != 2 {
		t.Fatalf("ListNodes = %+v, %v", nodes, err)
	}
	b := nodes[1]
	if b.ID != "node-b" || b.Sequence != 4 || b.Error != "snapshot 4 rejected" || b.Revisions["pets"] != 2 || b.Version != "1.0" ||
		!b.FirstSeen.Equal(first[1].FirstSeen) || !b.LastSeen.After(first[1].LastSeen) {
		t.Errorf("node-b = %+v (first seen as %+v)", b, first[1])
	}
	if err := s.RecordHeartbeat(ctx, &store.Node{ID: "x", Catalog: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("heartbeat to unknown catalog: %v", err)
	}
}

func testBootstrap(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tok := secret.Hash("first")
	created, err := s.Bootstrap(ctx, store.BootstrapInput{User: "admin", TokenHash: tok})
	if err != nil || !created {
		t.Fatalf("Bootstrap: %v created=%v", err, created)
	}
	created, err = s.Bootstrap(ctx, store.BootstrapInput{User: "admin2", TokenHash: secret.Hash("second")})
	if err != nil || created {
		t.Fatalf("second Bootstrap: %v created=%v", err, created)
	}
	p, err := s.LookupToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.User == nil || p.User.Name != "admin" || !p.User.Admin || p.Token.Kind != store.TokenUser {
		t.Errorf("principal = %+v", p)
	}
	if _, err := s.LookupToken(ctx, secret.Hash("second")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second bootstrap token works: %v", err)
	}
	recs, _ := s.ListAudit(ctx, store.AuditFilter{})
	if len(recs) != 1 || recs[0].Action != store.ActionBootstrap {
		t.Errorf("audit = %+v", recs)
	}
}

func testTokens(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "prod")
	if _, err := s.CreateUser(ctx, store.CreateUserInput{Name: "ann", Actor: alice}); err != nil {
		t.Fatal(err)
	}
	userTok, err := s.CreateToken(ctx, store.TokenInput{Kind: store.TokenUser, User: "ann", Name: "laptop", Hash: key("ann"), Actor: alice})
	if err != nil {
		t.Fatal(err)
	}
	nodeTok, err := s.CreateToken(ctx, store.TokenInput{Kind: store.TokenNode, Catalog: "prod", Name: "cluster", Hash: key("node"), Actor: alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, store.TokenInput{Kind: store.TokenUser, User: "ann", Hash: key("old"),
		ExpiresAt: time.Now().Add(-time.Minute), Actor: alice}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		hash    string
		kind    string
		user    string
		catalog string
		err     error
	}{
		{"user token", key("ann"), store.TokenUser, "ann", "", nil},
		{"node token", key("node"), store.TokenNode, "", "prod", nil},
		{"expired", key("old"), "", "", "", store.ErrNotFound},
		{"unknown", key("nobody"), "", "", "", store.ErrNotFound},
		{"the key itself is not its hash", "key-ann", "", "", "", store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.LookupToken(ctx, tt.hash)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Token.Kind != tt.kind || p.Token.User != tt.user || p.Token.Catalog != tt.catalog || (tt.user != "") != (p.User != nil) {
				t.Errorf("principal = %+v", p)
			}
		})
	}
	list, err := s.ListTokens(ctx, "ann", "")
	if err != nil || len(list) != 2 || list[0].ID != userTok.ID || list[0].Hash != "" || list[0].Name != "laptop" {
		t.Errorf("ListTokens(ann) = %+v, %v", list, err)
	}
	nodes, err := s.ListTokens(ctx, "", "prod")
	if err != nil || len(nodes) != 1 || nodes[0].ID != nodeTok.ID || nodes[0].CreatedBy != "alice" {
		t.Errorf("ListTokens(prod) = %+v, %v", nodes, err)
	}
	if _, err := s.CreateToken(ctx, store.TokenInput{Kind: store.TokenUser, User: "ann", Hash: key("ann"), Actor: alice}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("reused token hash: %v", err)
	}
	if err := s.RevokeToken(ctx, nodeTok.ID, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupToken(ctx, key("node")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token still works: %v", err)
	}
	recs, _ := s.ListAudit(ctx, store.AuditFilter{Catalog: "prod", Limit: 1})
	if len(recs) != 1 || recs[0].Action != store.ActionTokenRevoke {
		t.Errorf("revoke audit = %+v", recs)
	}
}

func testRoles(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustCatalog(t, s, "prod")
	if _, err := s.CreateUser(ctx, store.CreateUserInput{Name: "ann", Actor: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.CreateUserInput{Name: "root", Admin: true, Actor: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.CreateUserInput{Name: "ann", Actor: alice}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate user: %v", err)
	}
	steps := []struct {
		name    string
		catalog string
		role    string
		want    map[string]string
	}{
		{"publisher in dev", "dev", store.RolePublisher, map[string]string{"dev": "publisher"}},
		{"viewer in prod", "prod", store.RoleViewer, map[string]string{"dev": "publisher", "prod": "viewer"}},
		{"admin in dev replaces", "dev", store.RoleAdmin, map[string]string{"dev": "admin", "prod": "viewer"}},
		{"unbind prod", "prod", "", map[string]string{"dev": "admin"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := s.SetRole(ctx, store.RoleInput{User: "ann", Catalog: st.catalog, Role: st.role, Actor: alice}); err != nil {
				t.Fatal(err)
			}
			u, err := s.GetUser(ctx, "ann")
			if err != nil {
				t.Fatal(err)
			}
			if len(u.Roles) != len(st.want) {
				t.Fatalf("roles = %v, want %v", u.Roles, st.want)
			}
			for k, v := range st.want {
				if u.Roles[k] != v {
					t.Errorf("roles = %v, want %v", u.Roles, st.want)
				}
			}
		})
	}
	if err := s.SetRole(ctx, store.RoleInput{User: "ann", Catalog: "dev", Role: "owner", Actor: alice}); err == nil {
		t.Error("unknown role accepted")
	}
	if err := s.SetRole(ctx, store.RoleInput{User: "ann", Catalog: "nope", Role: store.RoleViewer, Actor: alice}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("role in unknown catalog: %v", err)
	}
	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "ann" || users[0].Admin || !users[1].Admin || users[0].Roles["dev"] != "admin" {
		t.Errorf("ListUsers = %+v, %v", users, err)
	}
	if _, err := s.GetUser(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(unknown) = %v", err)
	}
}

func testCatalogState(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "prod")
	mustPublish(t, s, "prod", "pets", 0, bundle("1"))
	mustPublish(t, s, "prod", "pets", 1, bundle("2"))
	mustPublish(t, s, "prod", "orders", 0, bundle("o"))
	if _, err := s.SetLifecycle(ctx, store.LifecycleInput{Catalog: "prod", API: "orders", State: store.LifecycleDeprecated, Actor: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "prod", Name: "app", Actor: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "prod", Consumer: "app", Hash: key("x"), Actor: alice}); err != nil {
		t.Fatal(err)
	}
	st, err := s.CatalogState(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if st.Catalog.Sequence != 6 || len(st.APIs) != 2 || len(st.Revisions) != 2 || len(st.Consumers) != 1 {
		t.Fatalf("state: seq %d, %d APIs, %d revisions, %d consumers", st.Catalog.Sequence, len(st.APIs), len(st.Revisions), len(st.Consumers))
	}
	if st.APIs[0].Name != "orders" || st.APIs[0].State != store.LifecycleDeprecated || st.Revisions[0].API != "orders" {
		t.Errorf("first API = %+v / %+v", st.APIs[0], st.Revisions[0])
	}
	if st.Revisions[1].Number != 2 {
		t.Errorf("pets revision = %d", st.Revisions[1].Number)
	}
	checkBundle(t, "pets", st.Revisions[1].Bundle, bundle("2"))
	if len(st.Consumers[0].Credentials) != 1 {
		t.Errorf("consumer = %+v", st.Consumers[0])
	}
	if _, err := s.CatalogState(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CatalogState(unknown) = %v", err)
	}
}
