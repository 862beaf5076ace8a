package hostedtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/store"
)

func testCatalogs(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	dev := mustCatalog(t, s, "dev")
	mustCatalog(t, s, "prod")
	if dev.ID == 0 || dev.Sequence != 0 || dev.CreatedAt.IsZero() {
		t.Errorf("created catalog = %+v", dev)
	}
	got, err := s.GetCatalog(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "dev" || got.BaseURL != dev.BaseURL || !got.CreatedAt.Equal(dev.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("GetCatalog = %+v, want %+v", got, dev)
	}
	list, err := s.ListCatalogs(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "dev" || list[1].Name != "prod" {
		t.Errorf("ListCatalogs = %+v, %v", list, err)
	}
	tests := []struct {
		name string
		err  error
		call func() error
	}{
		{"duplicate", store.ErrConflict, func() error {
			_, err := s.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev", Actor: alice})
			return err
		}},
		{"missing", store.ErrNotFound, func() error { _, err := s.GetCatalog(ctx, "nope"); return err }},
		{"missing APIs", store.ErrNotFound, func() error { _, err := s.ListCatalogAPIs(ctx, "nope"); return err }},
		{"empty name", nil, func() error {
			_, err := s.CreateCatalog(ctx, store.CreateCatalogInput{Actor: alice})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Errorf("error = %v, want %v", err, tt.err)
			}
		})
	}
}

func testPublish(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	b1 := bundle("1")
	r1 := mustPublish(t, s, "dev", "pets", 0, b1)
	if r1.Number != 1 || r1.Sequence != 1 || r1.PublishedBy != "alice" || r1.Catalog != "dev" || r1.API != "pets" {
		t.Errorf("first revision = %+v", r1)
	}
	if h, _ := b1.Hash(); r1.Hash != h {
		t.Errorf("hash %q, want %q", r1.Hash, h)
	}
	b2 := bundle("2")
	r2, created, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 1, Bundle: b2,
		Breaking: 2, Reason: "v2 cleanup", Actor: store.Actor{Name: "bob"}})
	if err != nil || !created {
		t.Fatalf("second publish: %v created=%v", err, created)
	}
	if r2.Number != 2 || r2.Breaking != 2 || r2.Reason != "v2 cleanup" || r2.Sequence <= r1.Sequence {
		t.Errorf("second revision = %+v", r2)
	}
	got, err := s.GetRevision(ctx, "dev", "pets", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 2 || got.PublishedBy != "bob" || got.Reason != "v2 cleanup" || !got.PublishedAt.Equal(r2.PublishedAt) {
		t.Errorf("current revision = %+v, want %+v", got, r2)
	}
	checkBundle(t, "current", got.Bundle, b2)
	old, err := s.GetRevision(ctx, "dev", "pets", 1)
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, "revision 1", old.Bundle, b1)
	revs, err := s.ListRevisions(ctx, "dev", "pets")
	if err != nil || len(revs) != 2 || revs[0].Number != 2 || revs[1].Number != 1 || revs[0].Bundle != nil {
		t.Errorf("ListRevisions = %+v, %v", revs, err)
	}
	api, err := s.GetCatalogAPI(ctx, "dev", "pets")
	if err != nil {
		t.Fatal(err)
	}
	if api.Revision != 2 || api.Hash != r2.Hash || api.State != store.LifecyclePublished || api.PublishedBy != "bob" || api.Sequence != r2.Sequence {
		t.Errorf("GetCatalogAPI = %+v", api)
	}
	apis, err := s.ListCatalogAPIs(ctx, "dev")
	if err != nil || len(apis) != 1 || apis[0].Name != "pets" {
		t.Errorf("ListCatalogAPIs = %+v, %v", apis, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"unknown revision", func() error { _, err := s.GetRevision(ctx, "dev", "pets", 9); return err }},
		{"unknown API", func() error { _, err := s.GetRevision(ctx, "dev", "nope", 0); return err }},
		{"unknown API revisions", func() error { _, err := s.ListRevisions(ctx, "dev", "nope"); return err }},
		{"unknown catalog API", func() error { _, err := s.GetCatalogAPI(ctx, "nope", "pets"); return err }},
		{"publish to unknown catalog", func() error {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "nope", API: "pets", Bundle: b1, Actor: alice})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("error = %v, want ErrNotFound", err)
			}
		})
	}
}

func testPublishConflict(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustPublish(t, s, "dev", "pets", 0, bundle("1"))
	r2, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 1, Bundle: bundle("2"), Actor: store.Actor{Name: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		api  string
		base int64
		want int64 // current revision named by the conflict
	}{
		{"stale base", "pets", 1, 2},
		{"base from the future", "pets", 7, 2},
		{"new API claimed as existing", "orders", 3, 0},
		{"existing API claimed as new", "pets", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: tt.api, BaseRevision: tt.base, Bundle: bundle("3"), Actor: alice})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("error = %v, want ErrConflict", err)
			}
			var ce *store.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConflictError", err)
			}
			if ce.Current == nil || ce.Current.Number != tt.want || ce.Base != tt.base {
				t.Fatalf("conflict = %+v (current %+v)", ce, ce.Current)
			}
			if tt.want > 0 && (ce.Current.PublishedBy != "bob" || ce.Current.Hash != r2.Hash) {
				t.Errorf("conflict names %+v, want revision 2 by bob", ce.Current)
			}
		})
	}
	if cur, _ := s.GetCatalogAPI(ctx, "dev", "pets"); cur.Revision != 2 {
		t.Errorf("after conflicts current revision = %d", cur.Revision)
	}
}

func testPublishIdempotent(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	r1 := mustPublish(t, s, "dev", "pets", 0, bundle("1"))
	audits := auditCount(t, s)
	tests := []struct {
		name string
		base int64
		b    *store.Bundle
	}{
		{"same base", 0, bundle("1")},
		{"current base", 1, bundle("1")},
		{"JSON formatting differs", 1, func() *store.Bundle {
			b := bundle("1")
			b.Settings.Upstream = []byte(`{"targets":["http://127.0.0.1:1"]}`)
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, created, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: tt.base, Bundle: tt.b, Actor: store.Actor{Name: "bob"}})
			if err != nil {
				t.Fatal(err)
			}
			if created || r.Number != 1 || r.ID != r1.ID || r.PublishedBy != "alice" {
				t.Errorf("publish of identical content: created=%v %+v", created, r)
			}
		})
	}
	if n := auditCount(t, s); n != audits {
		t.Errorf("identical publishes wrote %d audit records", n-audits)
	}
	if c, _ := s.GetCatalog(ctx, "dev"); c.Sequence != 1 {
		t.Errorf("identical publishes moved the sequence to %d", c.Sequence)
	}
}

func testPublishInvalid(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	dup := bundle("1")
	dup.Files = append(dup.Files, dup.Files[0])
	noRoot := bundle("1")
	noRoot.Root = "missing.yaml"
	badJSON := bundle("1")
	badJSON.Settings.Upstream = []byte(`{`)
	tests := []struct {
		name string
		in   store.PublishInput
	}{
		{"no bundle", store.PublishInput{Catalog: "dev", API: "pets"}},
		{"no API", store.PublishInput{Catalog: "dev", Bundle: bundle("1")}},
		{"repeated file", store.PublishInput{Catalog: "dev", API: "pets", Bundle: dup}},
		{"root not a file", store.PublishInput{Catalog: "dev", API: "pets", Bundle: noRoot}},
		{"invalid JSON settings", store.PublishInput{Catalog: "dev", API: "pets", Bundle: badJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.Publish(ctx, tt.in); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if apis, _ := s.ListCatalogAPIs(ctx, "dev"); len(apis) != 0 {
		t.Errorf("invalid publishes stored %+v", apis)
	}
}

func testPromote(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustCatalog(t, s, "prod")
	mustPublish(t, s, "dev", "pets", 0, bundle("1"))
	d2 := mustPublish(t, s, "dev", "pets", 1, bundle("2"))
	mustPublish(t, s, "dev", "pets", 2, bundle("3"))

	p1, created, err := s.Promote(ctx, store.PromoteInput{API: "pets", From: "dev", Revision: 2, To: "prod", BaseRevision: 0, Actor: alice})
	if err != nil || !created {
		t.Fatalf("Promote: %v created=%v", err, created)
	}
	if p1.Number != 1 || p1.Hash != d2.Hash || p1.PromotedFrom != "dev" || p1.PromotedRevision != 2 || p1.Catalog != "prod" {
		t.Errorf("promoted revision = %+v", p1)
	}
	checkBundle(t, "promoted", p1.Bundle, bundle("2"))
	got, err := s.GetRevision(ctx, "prod", "pets", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, "promoted, read back", got.Bundle, bundle("2"))
	if got.PromotedFrom != "dev" || got.PromotedRevision != 2 {
		t.Errorf("read back %+v", got)
	}
	tests := []struct {
		name    string
		in      store.PromoteInput
		created bool
		number  int64
		err     error
	}{
		{"same revision again is a no-op", store.PromoteInput{API: "pets", From: "dev", Revision: 2, To: "prod", BaseRevision: -1}, false, 1, nil},
		{"stale base", store.PromoteInput{API: "pets", From: "dev", To: "prod", BaseRevision: 0}, false, 0, store.ErrConflict},
		{"current revision by default", store.PromoteInput{API: "pets", From: "dev", To: "prod", BaseRevision: 1}, true, 2, nil},
		{"unknown source revision", store.PromoteInput{API: "pets", From: "dev", Revision: 9, To: "prod", BaseRevision: -1}, false, 0, store.ErrNotFound},
		{"unknown target", store.PromoteInput{API: "pets", From: "dev", To: "test", BaseRevision: -1}, false, 0, store.ErrNotFound},
		{"unknown API", store.PromoteInput{API: "orders", From: "dev", To: "prod", BaseRevision: -1}, false, 0, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Actor = alice
			r, created, err := s.Promote(ctx, tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.created || r.Number != tt.number {
				t.Errorf("created=%v number=%d, want %v %d", created, r.Number, tt.created, tt.number)
			}
		})
	}
	recs, err := s.ListAudit(ctx, store.AuditFilter{Catalog: "prod", Limit: 1})
	if err != nil || len(recs) != 1 {
		t.Fatalf("ListAudit: %v %v", recs, err)
	}
	if r := recs[0]; r.Action != store.ActionAPIPromote || r.RevisionBefore != 1 || r.RevisionAfter != 2 || r.Target != "apis/pets" {
		t.Errorf("promote audit = %+v", r)
	}
}

func testLifecycle(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustPublish(t, s, "dev", "pets", 0, bundle("1"))
	sunset := time.Date(2031, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	tests := []struct {
		name       string
		state      string
		sunset     time.Time
		wantSunset time.Time
		deprecated bool
	}{
		{"deprecate", store.LifecycleDeprecated, sunset, sunset.UTC(), true},
		{"retire keeps sunset", store.LifecycleRetired, time.Time{}, sunset.UTC(), true},
		{"republish clears", store.LifecyclePublished, sunset, time.Time{}, false},
	}
	var lastSeq int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: "pets", State: tt.state, Sunset: tt.sunset, Reason: "because", Actor: alice})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetCatalogAPI(ctx, "dev", "pets")
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []*store.CatalogAPI{a, got} {
				if x.State != tt.state || !x.Sunset.Equal(tt.wantSunset) || x.DeprecatedAt.IsZero() == tt.deprecated || x.Revision != 1 {
					t.Errorf("API = %+v", x)
				}
				if x.Sequence <= lastSeq {
					t.Errorf("sequence %d did not advance past %d", x.Sequence, lastSeq)
				}
			}
			lastSeq = got.Sequence
		})
	}
	for _, tc := range []struct {
		name string
		in   store.LifecycleInput
		err  error
	}{
		{"unknown API", store.LifecycleInput{Catalog: "dev", API: "nope", State: store.LifecycleRetired}, store.ErrNotFound},
		{"unknown catalog", store.LifecycleInput{Catalog: "nope", API: "pets", State: store.LifecycleRetired}, store.ErrNotFound},
		{"unknown state", store.LifecycleInput{Catalog: "dev", API: "pets", State: "gone"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.SetLifecycle(ctx, tc.in)
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Errorf("error = %v, want %v", err, tc.err)
			}
		})
	}
	recs, _ := s.ListAudit(ctx, store.AuditFilter{Catalog: "dev", Limit: 1})
	if len(recs) != 1 || recs[0].Action != store.ActionAPILifecycle || recs[0].Reason != "because" {
		t.Errorf("lifecycle audit = %+v", recs)
	}
}

func testSequences(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustCatalog(t, s, "prod")
	steps := []struct {
		name string
		kind string
		do   func() error
	}{
		{"publish", store.EventRevision, func() error {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("1"), Actor: alice})
			return err
		}},
		{"publish other API", store.EventRevision, func() error {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "orders", Bundle: bundle("1"), Actor: alice})
			return err
		}},
		{"consumer", store.EventConsumers, func() error {
			_, err := s.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Actor: alice})
			return err
		}},
		{"credential", store.EventConsumers, func() error {
			_, err := s.AddCredential(ctx, store.CredentialInput{Catalog: "dev", Consumer: "app", Hash: key("seq"), Actor: alice})
			return err
		}},
		{"deprecate", store.EventLifecycle, func() error {
			_, err := s.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: "pets", State: store.LifecycleDeprecated, Actor: alice})
			return err
		}},
		{"publish again", store.EventRevision, func() error {
			_, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 1, Bundle: bundle("2"), Actor: alice})
			return err
		}},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		c, err := s.GetCatalog(ctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		if c.Sequence != int64(i+1) {
			t.Fatalf("after %s the sequence is %d, want %d", st.name, c.Sequence, i+1)
		}
	}
	if c, _ := s.GetCatalog(ctx, "prod"); c.Sequence != 0 {
		t.Errorf("changes to dev moved prod's sequence to %d", c.Sequence)
	}
	tests := []struct {
		name  string
		after int64
		limit int
		want  []int64
	}{
		{"all", 0, 0, []int64{1, 2, 3, 4, 5, 6}},
		{"resume", 4, 0, []int64{5, 6}},
		{"limited", 1, 2, []int64{2, 3}},
		{"up to date", 6, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := s.EventsSince(ctx, "dev", tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range evs {
				got = append(got, e.Sequence)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("sequences %v, want %v", got, tt.want)
			}
			for _, e := range evs {
				if want := steps[e.Sequence-1].kind; e.Kind != want {
					t.Errorf("event %d kind %q, want %q", e.Sequence, e.Kind, want)
				}
			}
		})
	}
	evs, _ := s.EventsSince(ctx, "dev", 5, 0)
	if len(evs) != 1 || evs[0].API != "pets" || evs[0].Revision != 2 {
		t.Errorf("last event = %+v", evs)
	}
	if _, err := s.EventsSince(ctx, "nope", 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EventsSince(unknown) = %v", err)
	}
}

func testConcurrentPublish(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, conflicts := 0, 0
	for i := range n {
		wg.Go(func() {
			_, ok, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle(fmt.Sprint(i)), Actor: alice})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && ok:
				created++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("publish %d: created=%v err=%v", i, ok, err)
			}
		})
	}
	wg.Wait()
	if created != 1 || conflicts != n-1 {
		t.Errorf("%d publishes based on revision 0: %d created, %d conflicts; want 1 and %d", n, created, conflicts, n-1)
	}
	recs, _ := s.ListAudit(ctx, store.AuditFilter{Catalog: "dev"})
	publishes := 0
	for _, r := range recs {
		if r.Action == store.ActionAPIPublish {
			publishes++
		}
	}
	if publishes != 1 {
		t.Errorf("%d publish audit records, want 1", publishes)
	}
}
