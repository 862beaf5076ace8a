package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// chunkExchanges returns n exchanges with IDs prefix0000, prefix0001, ... whose API, method,
// status and URL repeat in runs of different lengths, so that rows share some values with
// the row before and not others.
func chunkExchanges(prefix string, n int) []*model.Exchange {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	xs := make([]*model.Exchange, n)
	for i := range xs {
		xs[i] = &model.Exchange{
			ID:              fmt.Sprintf("%s%04d", prefix, i),
			StartedAt:       base.Add(time.Duration(i) * time.Millisecond),
			API:             fmt.Sprintf("api%d", i/3%2),
			Consumer:        []string{"", "alice"}[i/5%2],
			Method:          []string{"GET", "POST"}[i/2%2],
			Status:          []int{200, 404, 503}[i/4%3],
			URL:             fmt.Sprintf("/v1/pets?page=%d", i/7),
			Operation:       "listPets",
			Mode:            model.ModeMock,
			RequestHeaders:  http.Header{"Accept": {"*/*"}},
			ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody:    []byte(fmt.Sprintf(`{"n":%d}`, i)),
			ResponseSize:    int64(len(fmt.Sprintf(`{"n":%d}`, i))),
		}
	}
	return xs
}

// TestAppendExchangesChunks stores batches of sizes around the chunk boundaries of the
// multi-row INSERTs and reads every exchange back.
func TestAppendExchangesChunks(t *testing.T) {
	s := openTemp(t)
	total := 0
	for _, n := range []int{1, 2, 3, 7, 63, 64, 65, 127, 128, 130, 300, 1024} {
		xs := chunkExchanges(fmt.Sprintf("b%04d-", n), n)
		if err := s.AppendExchanges(t.Context(), xs); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		total += n
		for _, want := range xs {
			got, err := s.GetExchange(t.Context(), want.ID)
			if err != nil {
				t.Fatalf("batch of %d: %v", n, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("batch of %d: exchange %s:\n got  %+v\n want %+v", n, want.ID, got, want)
			}
		}
	}
	n, err := s.CountExchanges(t.Context(), store.TrafficFilter{})
	if err != nil || n != total {
		t.Fatalf("CountExchanges = %d, %v; want %d", n, err, total)
	}
	// The repeated values went into the right columns.
	for _, f := range []store.TrafficFilter{{API: "api1"}, {Method: "POST"}, {Consumer: "alice"}, {StatusMin: 500}} {
		got, err := s.CountExchanges(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, n := range []int{1, 2, 3, 7, 63, 64, 65, 127, 128, 130, 300, 1024} {
			for _, x := range chunkExchanges("", n) {
				if (f.API == "" || x.API == f.API) && (f.Method == "" || x.Method == f.Method) &&
					(f.Consumer == "" || x.Consumer == f.Consumer) && x.Status >= f.StatusMin {
					want++
				}
			}
		}
		if got != want {
			t.Errorf("CountExchanges(%+v) = %d, want %d", f, got, want)
		}
	}
}

// TestAppendExchangesConflictInLaterChunk checks that a duplicate ID in the second INSERT of
// a batch undoes the first one too, and that the store (and its prepared statements) work
// afterwards.
func TestAppendExchangesConflictInLaterChunk(t *testing.T) {
	s := openTemp(t)
	xs := chunkExchanges("c", 100)
	batch := append(xs[:99:99], &model.Exchange{ID: xs[5].ID, Method: "GET", URL: "/dup"})
	if err := s.AppendExchanges(t.Context(), batch); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("AppendExchanges = %v, want ErrConflict", err)
	}
	if n, err := s.CountExchanges(t.Context(), store.TrafficFilter{}); err != nil || n != 0 {
		t.Fatalf("after the failed batch: %d exchanges, %v; want 0", n, err)
	}
	if err := s.AppendExchanges(t.Context(), xs); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountExchanges(t.Context(), store.TrafficFilter{}); err != nil || n != 100 {
		t.Fatalf("after the retry: %d exchanges, %v; want 100", n, err)
	}
}

// TestAppendExchangesCancelled checks that a batch given a cancelled context stores nothing.
func TestAppendExchangesCancelled(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.AppendExchanges(ctx, chunkExchanges("x", 200)); !errors.Is(err, context.Canceled) {
		t.Fatalf("AppendExchanges = %v, want context.Canceled", err)
	}
	if n, err := s.CountExchanges(t.Context(), store.TrafficFilter{}); err != nil || n != 0 {
		t.Fatalf("%d exchanges, %v; want 0", n, err)
	}
}

// TestCloseFinalizesInsertStatements checks that Close releases the prepared INSERTs: SQLite
// keeps a connection with unfinalized statements open, and then the last connection to
// close would not fold the WAL back into the database and remove it.
func TestCloseFinalizesInsertStatements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workspace.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendExchanges(t.Context(), chunkExchanges("w", 300)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the WAL is still there after Close (%v): a connection stayed open", err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.CountExchanges(t.Context(), store.TrafficFilter{}); err != nil || n != 300 {
		t.Fatalf("after reopening: %d exchanges, %v; want 300", n, err)
	}
}
