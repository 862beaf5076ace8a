package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/core/store/sqlitedb"
)

// Checkpoint policy. SQLite's automatic checkpoint runs inside the COMMIT that crosses
// 1,000 WAL pages, so a burst of recorded traffic paid for copying pages back into the
// database in its write path: that was about a quarter of the cost of storing exchanges
// (BenchmarkAppendExchanges). Every connection therefore runs with wal_autocheckpoint(0)
// and a Store checkpoints from its own goroutine on its own connection, which in WAL mode
// runs beside the writer without blocking it:
//   - once writes have paused for checkpointIdle, and
//   - during a long burst, whenever about checkpointEvery bytes were written since the
//     last one, so the WAL stays bounded (journal_size_limit trims the file afterwards).
//
// Copying a larger WAL at once also writes a page that many commits touched (the last leaf
// of each index) once instead of once per 1,000 pages.
const (
	checkpointIdle  = 250 * time.Millisecond
	checkpointEvery = 32 << 20
	checkpointTick  = checkpointIdle / 2
	// walSizeLimit is the size the WAL file is truncated to after a checkpoint resets it.
	walSizeLimit = 64 << 20
)

// checkpointer runs PASSIVE checkpoints in the background for one Store.
type checkpointer struct {
	db      *sql.DB // one connection, used only for checkpoints
	pending atomic.Int64
	last    atomic.Int64 // UnixNano of the last noted write
	stop    chan struct{}
	done    chan struct{}
	runs    atomic.Int64 // checkpoints run, for tests
}

// startCheckpointer opens the checkpoint connection on path and starts its goroutine.
func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sqlitedb.OpenWriter(path, pragmas...)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// note records that a committed write added about n bytes to the WAL.
func (c *checkpointer) note(n int64) {
	c.pending.Add(n)
	c.last.Store(time.Now().UnixNano())
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointTick)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		pending := c.pending.Load()
		if pending == 0 {
			continue
		}
		idle := time.Since(time.Unix(0, c.last.Load())) >= checkpointIdle
		if !idle && pending < checkpointEvery {
			continue
		}
		// Count from now: writes that land while the checkpoint runs stay pending.
		c.pending.Add(-pending)
		if err := c.checkpoint(context.Background(), "PASSIVE"); err != nil {
			// Nothing is lost: the frames stay in the WAL, readers still see them, and
			// the next checkpoint (or the next open) copies them.
			c.pending.Add(pending)
		}
	}
}

// checkpoint runs one checkpoint in the given mode (PASSIVE, TRUNCATE...).
func (c *checkpointer) checkpoint(ctx context.Context, mode string) error {
	var busy, logFrames, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &logFrames, &copied); err != nil {
		return fmt.Errorf("checkpointing the WAL: %w", err)
	}
	c.runs.Add(1)
	return nil
}

// close stops the goroutine and closes the connection. Nothing more is needed: the last
// connection to a database that closes (the writer's, in Store.Close) copies the WAL back
// and removes it, and while another process still has the file open, its own checkpointer
// keeps the WAL bounded.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
