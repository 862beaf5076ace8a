package hostedpg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedtest"
	"github.com/gantry-dev/gantry/core/testservice"
)

// openDSN opens a Store on dsn, closed when t ends.
func openDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTwo opens two Stores on one new database, as two server processes would.
func openTwo(t *testing.T) (*Store, *Store) {
	t.Helper()
	dsn := testservice.Postgres(t)
	return openDSN(t, dsn), openDSN(t, dsn)
}

func TestConformance(t *testing.T) {
	hostedtest.Run(t, func(t *testing.T) store.HostedStore { return openDSN(t, testservice.Postgres(t)) })
}

// bundle builds a one-file bundle whose content depends on version.
func bundle(version string) *store.Bundle {
	return &store.Bundle{
		Root:     "openapi.yaml",
		Files:    []model.SpecFile{{Path: "openapi.yaml", Content: []byte("openapi: 3.1.0\ninfo: {title: Pets, version: '" + version + "'}\npaths: {}\n")}},
		Settings: store.APISettings{Upstream: json.RawMessage(`{"targets":["http://127.0.0.1:1"]}`)},
	}
}

// alice is the actor of most changes.
func alice() store.Actor { return store.Actor{Name: "alice", SourceIP: "192.0.2.10"} }

func mustCatalog(t testing.TB, s *Store, name string) {
	t.Helper()
	if _, err := s.CreateCatalog(context.Background(), store.CreateCatalogInput{Name: name, Actor: alice()}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentPublishAcrossStores(t *testing.T) {
	a, b := openTwo(t)
	ctx := t.Context()
	mustCatalog(t, a, "dev")
	stores := []*Store{a, b}

	t.Run("one compare-and-set wins", func(t *testing.T) {
		const n = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []*store.Revision
		var conflicts []*store.ConflictError
		for i := range n {
			wg.Go(func() {
				r, created, err := stores[i%2].Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 0,
					Bundle: bundle(fmt.Sprint("cas-", i)), Actor: store.Actor{Name: fmt.Sprint("user", i)}})
				mu.Lock()
				defer mu.Unlock()
				var ce *store.ConflictError
				switch {
				case err == nil && created:
					won = append(won, r)
				case errors.As(err, &ce) && errors.Is(err, store.ErrConflict):
					conflicts = append(conflicts, ce)
				default:
					t.Errorf("publish %d: created=%v err=%v", i, created, err)
				}
			})
		}
		wg.Wait()
		if len(won) != 1 || len(conflicts) != n-1 {
			t.Fatalf("%d created, %d conflicts; want 1 and %d", len(won), len(conflicts), n-1)
		}
		for _, ce := range conflicts {
			if ce.Current == nil || ce.Current.Number != 1 || ce.Current.PublishedBy != won[0].PublishedBy || ce.Base != 0 {
				t.Errorf("conflict names %+v (base %d), want revision 1 by %s", ce.Current, ce.Base, won[0].PublishedBy)
			}
		}
		recs, err := b.ListAudit(ctx, store.AuditFilter{Catalog: "dev", Actor: won[0].PublishedBy})
		if err != nil || len(recs) != 1 || recs[0].Action != store.ActionAPIPublish {
			t.Errorf("audit of the winner = %+v, %v", recs, err)
		}
	})

	t.Run("sequences unique and increasing", func(t *testing.T) {
		const writers, each = 6, 8
		before, err := a.GetCatalog(ctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var seqs []int64
		// A reader following the feed meanwhile never sees a gap: sequence n+1 is not
		// visible before n.
		readerDone := make(chan struct{})
		stop := make(chan struct{})
		go func() {
			defer close(readerDone)
			last := before.Sequence
			for {
				evs, err := b.EventsSince(ctx, "dev", last, 0)
				if err != nil {
					t.Errorf("EventsSince: %v", err)
					return
				}
				for _, e := range evs {
					if e.Sequence != last+1 {
						t.Errorf("reader saw sequence %d after %d", e.Sequence, last)
						return
					}
					last = e.Sequence
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		for w := range writers {
			wg.Go(func() {
				s := stores[w%2]
				api := fmt.Sprint("api-", w)
				var last, published int64
				for i := range each {
					var seq int64
					var err error
					if i%3 == 2 { // a lifecycle change between publishes
						var a *store.CatalogAPI
						state := store.LifecycleDeprecated
						if i%2 == 1 {
							state = store.LifecyclePublished
						}
						if a, err = s.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: api, State: state, Actor: alice()}); err == nil {
							seq = a.Sequence
						}
					} else {
						var r *store.Revision
						r, _, err = s.Publish(ctx, store.PublishInput{Catalog: "dev", API: api, BaseRevision: published,
							Bundle: bundle(fmt.Sprint(api, "-", i)), Actor: alice()})
						if err == nil {
							seq, published = r.Sequence, r.Number
						}
					}
					if err != nil {
						t.Errorf("writer %d step %d: %v", w, i, err)
						return
					}
					if seq <= last {
						t.Errorf("writer %d: sequence %d after %d", w, seq, last)
					}
					last = seq
					mu.Lock()
					seqs = append(seqs, seq)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(stop)
		<-readerDone
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		for i := 1; i < len(seqs); i++ {
			if seqs[i] == seqs[i-1] {
				t.Errorf("sequence %d handed out twice", seqs[i])
			}
		}
		evs, err := b.EventsSince(ctx, "dev", before.Sequence, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != writers*each {
			t.Fatalf("%d events after %d, want %d", len(evs), before.Sequence, writers*each)
		}
		for i, e := range evs {
			if want := before.Sequence + int64(i) + 1; e.Sequence != want {
				t.Fatalf("event %d has sequence %d, want %d (no gaps, in order)", i, e.Sequence, want)
			}
		}
	})
}

func TestConcurrentBootstrap(t *testing.T) {
	a, b := openTwo(t)
	stores := []*Store{a, b, a, b}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i, s := range stores {
		wg.Go(func() {
			ok, err := s.Bootstrap(t.Context(), store.BootstrapInput{User: fmt.Sprint("admin", i), TokenHash: secret.Hash(fmt.Sprint("tok", i))})
			if err != nil {
				t.Errorf("Bootstrap %d: %v", i, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				created++
			}
		})
	}
	wg.Wait()
	users, err := a.ListUsers(t.Context())
	if created != 1 || err != nil || len(users) != 1 {
		t.Errorf("%d bootstraps created, users %+v, %v; want exactly one", created, users, err)
	}
}

func TestConcurrentMigrations(t *testing.T) {
	dsn := testservice.Postgres(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stores[i], errs[i] = Open(ctx, dsn, Options{})
		})
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		defer s.Close()
	}
	if t.Failed() {
		return
	}
	var rows, max int
	err := stores[0].db.with(t.Context(), func(q querier) error {
		return q.QueryRow(t.Context(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &max)
	})
	if err != nil || rows != SchemaVersion() || max != SchemaVersion() {
		t.Errorf("schema_migrations: %d rows up to %d, %v; want %d", rows, max, err, SchemaVersion())
	}
	// Every instance works on the one schema.
	for i, s := range stores {
		if _, err := s.CreateCatalog(t.Context(), store.CreateCatalogInput{Name: fmt.Sprint("c", i), Actor: alice()}); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	dsn := testservice.Postgres(t)
	s := openDSN(t, dsn)
	err := s.db.with(t.Context(), func(q querier) error {
		_, err := q.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', now())`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(t.Context(), dsn, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// receive waits for a sequence of at least want on ch; the values it reads on the way
// must increase.
func receive(t *testing.T, ch <-chan int64, want int64) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	var last int64
	for {
		select {
		case got, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed waiting for sequence %d", want)
			}
			if got <= last {
				t.Errorf("sequence %d after %d", got, last)
			}
			last = got
			if got >= want {
				return
			}
		case <-timeout:
			t.Fatalf("no sequence %d within 10s", want)
		}
	}
}

// quiet checks that nothing arrives on ch for a moment.
func quiet(t *testing.T, ch <-chan int64) {
	t.Helper()
	select {
	case got := <-ch:
		t.Fatalf("unexpected notification of sequence %d", got)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestNotifyAcrossStores(t *testing.T) {
	a, b := openTwo(t)
	ctx := t.Context()
	mustCatalog(t, a, "dev")
	mustCatalog(t, a, "prod")
	devB, err := b.Subscribe(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	devA, err := a.Subscribe(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	prodB, err := b.Subscribe(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		do     func() error
		notify bool // dev's sequence moves to want
		want   int64
	}{
		{"publish through the other store", func() error {
			_, _, err := a.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("1"), Actor: alice()})
			return err
		}, true, 1},
		{"identical publish is silent", func() error {
			_, _, err := a.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("1"), Actor: alice()})
			return err
		}, false, 0},
		{"conflict rolls back silently", func() error {
			_, _, err := a.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 0, Bundle: bundle("2"), Actor: alice()})
			if !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("want a conflict, got %v", err)
			}
			return nil
		}, false, 0},
		{"consumer through the same store", func() error {
			_, err := b.CreateConsumer(ctx, store.ConsumerInput{Catalog: "dev", Name: "app", Actor: alice()})
			return err
		}, true, 2},
		{"lifecycle", func() error {
			_, err := a.SetLifecycle(ctx, store.LifecycleInput{Catalog: "dev", API: "pets", State: store.LifecycleDeprecated, Actor: alice()})
			return err
		}, true, 3},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			if st.notify {
				receive(t, devB, st.want)
				receive(t, devA, st.want)
			} else {
				quiet(t, devB)
			}
		})
	}
	quiet(t, prodB)
	if _, err := b.Subscribe(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Subscribe(unknown) = %v", err)
	}

	t.Run("closed with its context", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		ch, err := b.Subscribe(sctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatal("received instead of closed")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("not closed")
		}
	})
}

func TestCloseEndsSubscriptions(t *testing.T) {
	dsn := testservice.Postgres(t)
	s, err := Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCatalog(t, s, "dev")
	ch, err := s.Subscribe(t.Context(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("received instead of closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription not closed by Close")
	}
	if _, err := s.GetCatalog(t.Context(), "dev"); err == nil {
		t.Error("a closed store still answers")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestListenerReconnects(t *testing.T) {
	a, b := openTwo(t)
	ctx := t.Context()
	mustCatalog(t, a, "dev")
	ch, err := b.Subscribe(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	pid := b.feed.pid.Load()
	if pid == 0 {
		t.Fatal("listener not connected")
	}
	var killed bool
	err = a.db.with(ctx, func(q querier) error {
		return q.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&killed)
	})
	if err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	// Published while the listener is (most likely) away: the resync after the reconnect
	// delivers it if the notification was lost.
	if _, _, err := a.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("1"), Actor: alice()}); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, 1)
	deadline := time.Now().Add(10 * time.Second)
	for b.feed.connects.Load() < 2 || b.feed.pid.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("listener did not reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.feed.pid.Load(); got == pid {
		t.Fatalf("still on backend %d", pid)
	}
	// And notifications flow on the new connection.
	if _, _, err := a.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: 1, Bundle: bundle("2"), Actor: alice()}); err != nil {
		t.Fatal(err)
	}
	receive(t, ch, 2)
}

func TestListenerHealthChecks(t *testing.T) {
	dsn := testservice.Postgres(t)
	a := openDSN(t, dsn)
	b, err := Open(t.Context(), dsn, Options{healthEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mustCatalog(t, a, "dev")
	ch, err := b.Subscribe(t.Context(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		time.Sleep(100 * time.Millisecond) // several idle timeouts and pings
		if _, _, err := a.Publish(t.Context(), store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: int64(i),
			Bundle: bundle(fmt.Sprint(i)), Actor: alice()}); err != nil {
			t.Fatal(err)
		}
		receive(t, ch, int64(i+1))
	}
	if n := b.feed.connects.Load(); n != 1 {
		t.Errorf("the listener connected %d times; idle timeouts must not drop its connection", n)
	}
}

func TestPoolSurvivesTerminatedConnections(t *testing.T) {
	a, b := openTwo(t)
	ctx := t.Context()
	mustCatalog(t, a, "dev")
	// Kill every backend of a's pool (not the listener) from b.
	err := b.db.with(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1 AND pid <> $2`,
			int32(a.feed.pid.Load()), int32(b.feed.pid.Load()))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // pgxpool pings a connection idle for over a second before use
	if _, err := a.GetCatalog(ctx, "dev"); err != nil {
		t.Errorf("after its connections were terminated: %v", err)
	}
}

func TestCatalogStateManyAPIs(t *testing.T) {
	s := openDSN(t, testservice.Postgres(t))
	ctx := t.Context()
	mustCatalog(t, s, "dev")
	mustCatalog(t, s, "prod")
	const n = 30
	for i := range n {
		// Every third API has the same content as another: bundles are shared.
		b := bundle(fmt.Sprint(i - i%3))
		if _, _, err := s.Publish(ctx, store.PublishInput{Catalog: "prod", API: fmt.Sprintf("api%02d", i), Bundle: b, Actor: alice()}); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 { // a second revision: only the current one is in the state
			if _, _, err := s.Publish(ctx, store.PublishInput{Catalog: "prod", API: fmt.Sprintf("api%02d", i), BaseRevision: 1,
				Bundle: bundle(fmt.Sprint("second-", i)), Actor: alice()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another catalog's revisions stay out.
	if _, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "api00", Bundle: bundle("dev"), Actor: alice()}); err != nil {
		t.Fatal(err)
	}
	st, err := s.CatalogState(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.APIs) != n || len(st.Revisions) != n {
		t.Fatalf("%d APIs, %d revisions; want %d", len(st.APIs), len(st.Revisions), n)
	}
	for i, r := range st.Revisions {
		want, err := s.GetRevision(ctx, "prod", st.APIs[i].Name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r.API != st.APIs[i].Name || r.ID != want.ID || r.Number != want.Number || r.Hash != want.Hash {
			t.Errorf("revision %d = %+v, want %+v", i, r, want)
			continue
		}
		if len(r.Bundle.Files) != len(want.Bundle.Files) || string(r.Bundle.Files[0].Content) != string(want.Bundle.Files[0].Content) {
			t.Errorf("bundle of %s = %+v, want %+v", r.API, r.Bundle, want.Bundle)
		}
		if h, err := r.Bundle.Hash(); err != nil || h != r.Hash {
			t.Errorf("bundle of %s hashes to %s, %v; want %s", r.API, h, err, r.Hash)
		}
	}
}

func TestDeploymentsInSchemasApart(t *testing.T) {
	dsn := testservice.Postgres(t)
	ctx := t.Context()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `CREATE SCHEMA one; CREATE SCHEMA two`); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	withPath := func(schema string) string {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	one, two := openDSN(t, withPath("one")), openDSN(t, withPath("two"))
	// The same catalog ID in both, so only the schema tells their notifications apart.
	mustCatalog(t, one, "dev")
	mustCatalog(t, two, "dev")
	chOne, err := one.Subscribe(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	chTwo, err := two.Subscribe(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := one.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", Bundle: bundle("1"), Actor: alice()}); err != nil {
		t.Fatal(err)
	}
	receive(t, chOne, 1)
	quiet(t, chTwo)
	if cats, err := two.ListCatalogs(ctx); err != nil || len(cats) != 1 || cats[0].Sequence != 0 {
		t.Errorf("the other deployment's catalogs = %+v, %v", cats, err)
	}
}
