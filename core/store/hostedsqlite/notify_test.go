package hostedsqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// publishN publishes n new revisions of the API pets (BaseRevision -1 skips the check).
func publishN(t *testing.T, s *Store, catalog string, n int) {
	t.Helper()
	for i := range n {
		b := &store.Bundle{Root: "a.yaml", Files: []model.SpecFile{{Path: "a.yaml", Content: []byte{byte('a' + i)}}}}
		if _, _, err := s.Publish(t.Context(), store.PublishInput{Catalog: catalog, API: "pets", BaseRevision: -1, Bundle: b}); err != nil {
			t.Fatal(err)
		}
	}
}

func recv(t *testing.T, ch <-chan int64) (int64, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
		return 0, false
	}
}

func TestSubscribe(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Store)
	}{
		{"a commit is notified with its sequence", func(t *testing.T, s *Store) {
			ch, err := s.Subscribe(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			publishN(t, s, "dev", 1)
			if v, ok := recv(t, ch); !ok || v != 1 {
				t.Errorf("got %d, %v; want 1", v, ok)
			}
		}},
		{"values coalesce to the newest", func(t *testing.T, s *Store) {
			ch, err := s.Subscribe(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			publishN(t, s, "dev", 3)
			if v, _ := recv(t, ch); v != 3 {
				t.Errorf("got %d, want 3", v)
			}
			select {
			case v := <-ch:
				t.Errorf("unexpected second value %d", v)
			default:
			}
		}},
		{"other catalogs and writes without a change are not notified", func(t *testing.T, s *Store) {
			ch, err := s.Subscribe(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			publishN(t, s, "prod", 1)
			if err := s.RecordHeartbeat(t.Context(), &store.Node{Catalog: "dev", ID: "n1"}); err != nil {
				t.Fatal(err)
			}
			select {
			case v := <-ch:
				t.Errorf("unexpected value %d", v)
			case <-time.After(50 * time.Millisecond):
			}
		}},
		{"several subscribers each get the value", func(t *testing.T, s *Store) {
			a, _ := s.Subscribe(t.Context(), "dev")
			b, _ := s.Subscribe(t.Context(), "dev")
			publishN(t, s, "dev", 1)
			if v, _ := recv(t, a); v != 1 {
				t.Errorf("a got %d", v)
			}
			if v, _ := recv(t, b); v != 1 {
				t.Errorf("b got %d", v)
			}
		}},
		{"the channel closes when ctx ends", func(t *testing.T, s *Store) {
			ctx, cancel := context.WithCancel(t.Context())
			ch, err := s.Subscribe(ctx, "dev")
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			if _, ok := recv(t, ch); ok {
				t.Error("channel still open")
			}
		}},
		{"the channel closes when the store closes", func(t *testing.T, s *Store) {
			ch, err := s.Subscribe(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, ok := recv(t, ch); ok {
				t.Error("channel still open")
			}
			if _, err := s.Subscribe(t.Context(), "dev"); err == nil {
				t.Error("Subscribe after Close succeeded")
			}
		}},
		{"an unknown catalog is not found", func(t *testing.T, s *Store) {
			if _, err := s.Subscribe(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			for _, c := range []string{"dev", "prod"} {
				if _, err := s.CreateCatalog(t.Context(), store.CreateCatalogInput{Name: c}); err != nil {
					t.Fatal(err)
				}
			}
			tt.run(t, s)
		})
	}
}
