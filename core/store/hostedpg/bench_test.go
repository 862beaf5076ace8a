package hostedpg

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/hostedsqlite"
	"github.com/gantry-dev/gantry/core/testservice"
)

// benchOpener opens an empty store of one implementation.
type benchOpener struct {
	name string
	open func(b *testing.B) store.HostedStore
}

// benchOpeners returns an opener per implementation.
func benchOpeners() []benchOpener {
	return []benchOpener{
		{"postgres", func(b *testing.B) store.HostedStore { return openDSN(b, testservice.Postgres(b)) }},
		{"sqlite", func(b *testing.B) store.HostedStore {
			s, err := hostedsqlite.Open(filepath.Join(b.TempDir(), "server.db"), hostedsqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	}
}

func benchStore(b *testing.B, open func(b *testing.B) store.HostedStore) store.HostedStore {
	b.Helper()
	s := open(b)
	if _, err := s.CreateCatalog(context.Background(), store.CreateCatalogInput{Name: "dev", Actor: alice()}); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPublish publishes a new revision of one API per iteration (one file of about
// 70 bytes, settings with an upstream): the compare-and-set, the bundle, the revision,
// the feed event and the audit record in one transaction.
func BenchmarkPublish(b *testing.B) {
	for _, o := range benchOpeners() {
		b.Run(o.name, func(b *testing.B) {
			s := benchStore(b, o.open)
			ctx := context.Background()
			var base int64
			for i := 0; b.Loop(); i++ {
				r, created, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: base,
					Bundle: bundle(fmt.Sprint(i)), Actor: alice()})
				if err != nil || !created {
					b.Fatalf("publish %d: %v created=%v", i, err, created)
				}
				base = r.Number
			}
		})
	}
}

// BenchmarkListRevisions lists the 20 revisions of an API.
func BenchmarkListRevisions(b *testing.B) {
	for _, o := range benchOpeners() {
		b.Run(o.name, func(b *testing.B) {
			s := benchStore(b, o.open)
			ctx := context.Background()
			for i := range 20 {
				if _, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: int64(i),
					Bundle: bundle(fmt.Sprint(i)), Actor: alice()}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				revs, err := s.ListRevisions(ctx, "dev", "pets")
				if err != nil || len(revs) != 20 {
					b.Fatalf("ListRevisions: %d, %v", len(revs), err)
				}
			}
		})
	}
}

// BenchmarkPublishNotified is a publish through one Store until a subscriber of another
// Store on the same database (another server process) receives its sequence.
func BenchmarkPublishNotified(b *testing.B) {
	dsn := testservice.Postgres(b)
	pub, sub := openDSN(b, dsn), openDSN(b, dsn)
	ctx := context.Background()
	if _, err := pub.CreateCatalog(ctx, store.CreateCatalogInput{Name: "dev", Actor: alice()}); err != nil {
		b.Fatal(err)
	}
	ch, err := sub.Subscribe(b.Context(), "dev")
	if err != nil {
		b.Fatal(err)
	}
	var base int64
	for i := 0; b.Loop(); i++ {
		r, _, err := pub.Publish(ctx, store.PublishInput{Catalog: "dev", API: "pets", BaseRevision: base, Bundle: bundle(fmt.Sprint(i)), Actor: alice()})
		if err != nil {
			b.Fatal(err)
		}
		base = r.Number
		for seq := range ch {
			if seq >= r.Sequence {
				break
			}
		}
	}
}

// BenchmarkCatalogState reads the whole state of a catalog of 200 APIs, what a gateway
// node's first feed message carries.
func BenchmarkCatalogState(b *testing.B) {
	const apis = 200
	for _, o := range benchOpeners() {
		b.Run(o.name, func(b *testing.B) {
			s := benchStore(b, o.open)
			ctx := context.Background()
			for i := range apis {
				if _, _, err := s.Publish(ctx, store.PublishInput{Catalog: "dev", API: fmt.Sprint("api", i),
					Bundle: bundle(fmt.Sprint(i)), Actor: alice()}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				st, err := s.CatalogState(ctx, "dev")
				if err != nil || len(st.Revisions) != apis {
					b.Fatalf("CatalogState: %v", err)
				}
			}
		})
	}
}
