package sqlite

import (
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

func TestCheckpointRunsInBackgroundAfterWrites(t *testing.T) {
	s := openTemp(t)
	var auto int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, want 0 (checkpoints run in the background)", auto)
	}
	before := s.ckpt.runs.Load()
	r := rand.New(rand.NewSource(1))
	xs := make([]*model.Exchange, 64)
	for i := range xs {
		xs[i] = realisticExchange(r, "01CKPT"+string(rune('A'+i/26))+string(rune('A'+i%26)), time.Now())
	}
	if err := s.AppendExchanges(t.Context(), xs); err != nil {
		t.Fatal(err)
	}
	if s.ckpt.pending.Load() == 0 {
		t.Fatal("a committed write was not noted for the checkpointer")
	}
	// Once writes pause, the checkpointer copies the WAL back; poll rather than sleep a
	// fixed time (a loaded CI machine may be slow to schedule it).
	deadline := time.Now().Add(10 * time.Second)
	for s.ckpt.runs.Load() == before || s.ckpt.pending.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no background checkpoint within 10s (runs %d, pending %d bytes)", s.ckpt.runs.Load(), s.ckpt.pending.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Everything is readable, and closing removes the WAL (the last connection checkpoints).
	if n, err := s.CountExchanges(t.Context(), store.TrafficFilter{}); err != nil || n != len(xs) {
		t.Fatalf("CountExchanges = %d, %v; want %d", n, err, len(xs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path() + "-wal"); !os.IsNotExist(err) {
		t.Errorf("WAL file still there after Close: %v", err)
	}
}
