package hostedpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is the channel the feed_events trigger notifies; the payload is
// "<schema> <catalog id> <seq>" (IDs, not names, keep it far below NOTIFY's 8000-byte
// limit; channels are per database, so the schema tells deployments apart).
const notifyChannel = "gantry_catalog_changed"

// Listener timing.
const (
	// healthEvery is how long the listener waits for a notification before it pings its
	// connection: a connection that died without a word is found within this time.
	healthEvery = 15 * time.Second
	// pingTimeout bounds that ping.
	pingTimeout = 5 * time.Second
	// reconnectMin and reconnectMax bound the backoff between reconnection attempts
	// (doubling, with jitter).
	reconnectMin = 50 * time.Millisecond
	reconnectMax = 5 * time.Second
)

// Subscribe returns a channel that receives the catalog's sequence whenever a change is
// committed to it, by this process or by any other on the same database. The values
// strictly increase and coalesce: a reader that falls behind receives the newest
// sequence, never a backlog, so it should read what it missed with EventsSince. Every
// change committed after Subscribe returns is covered, also across a reconnection of the
// listener (which then re-reads the catalog's sequence, since notifications sent while it
// was away are lost), though the first value may also be of a change committed just
// before. The channel is closed when ctx ends or the Store is closed. An unknown catalog
// wraps store.ErrNotFound.
func (s *Store) Subscribe(ctx context.Context, catalog string) (<-chan int64, error) {
	c, err := s.GetCatalog(ctx, catalog)
	if err != nil {
		return nil, fmt.Errorf("subscribing to catalog %q: %w", catalog, err)
	}
	return s.feed.subscribe(ctx, c.ID)
}

// listener owns a Store's dedicated LISTEN connection and its subscribers. The
// connection is used by the run goroutine only.
type listener struct {
	cfg    *pgx.ConnConfig
	db     *pool // reads current sequences after a reconnect
	log    *slog.Logger
	health time.Duration // how long to wait for a notification before pinging
	schema string        // the schema of the store's tables, set by the first connect

	mu     sync.Mutex
	subs   map[int64]map[*subscription]struct{} // by catalog ID
	closed bool

	cancel context.CancelFunc
	done   chan struct{}

	pid      atomic.Uint32 // the listening backend's process ID; 0 while disconnected
	connects atomic.Int64  // successful connections so far
}

// subscription is one Subscribe call's channel.
type subscription struct {
	ch   chan int64 // capacity 1: holds the newest undelivered sequence
	last int64      // the largest sequence handed to ch (guarded by listener.mu)
}

// startListener connects and LISTENs (failing if it cannot), then keeps listening in a
// goroutine until stop.
func startListener(ctx context.Context, cfg *pgx.ConnConfig, db *pool, log *slog.Logger, health time.Duration) (*listener, error) {
	l := &listener{cfg: cfg, db: db, log: log, health: health, subs: map[int64]map[*subscription]struct{}{}, done: make(chan struct{})}
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	go l.run(runCtx, conn)
	return l, nil
}

// connect opens the listening connection and subscribes it to the channel.
func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting the change listener: %w", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("reading the current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{notifyChannel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("listening for catalog changes: %w", err)
	}
	l.schema = schema // written before run starts, then by run only
	l.pid.Store(conn.PgConn().PID())
	l.connects.Add(1)
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// run receives notifications on conn, and when the connection fails reconnects with
// backoff and resends the current sequences, until ctx ends.
func (l *listener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.done)
	for {
		err := l.receive(ctx, conn)
		l.pid.Store(0)
		closeConn(conn)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("lost the catalog change listener's connection; reconnecting", "err", err)
		if conn = l.reconnect(ctx); conn == nil {
			return
		}
		l.log.Info("catalog change listener reconnected")
	}
}

// receive dispatches notifications until the connection fails or ctx ends; an idle
// connection is pinged every l.health.
func (l *listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, l.health)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			l.dispatch(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("pinging: %w", err)
			}
		default:
			return err
		}
	}
}

// reconnect retries connect, then resync, with jittered exponential backoff until both
// succeed or ctx ends (nil). The sequences are read after LISTEN, so that a change is
// either in them or notified on the new connection.
func (l *listener) reconnect(ctx context.Context) *pgx.Conn {
	wait := reconnectMin
	for attempt := 1; ; attempt++ {
		jittered := wait/2 + rand.N(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(jittered):
		}
		conn, err := l.connect(ctx)
		if err == nil {
			if err = l.resync(ctx); err == nil {
				return conn
			}
			l.pid.Store(0)
			closeConn(conn)
			err = fmt.Errorf("re-reading catalog sequences: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if attempt == 1 || attempt%20 == 0 {
			l.log.Warn("reconnecting the catalog change listener", "attempt", attempt, "err", err)
		}
		wait = min(2*wait, reconnectMax)
	}
}

// resync sends every subscribed catalog's current sequence to its subscribers.
func (l *listener) resync(ctx context.Context) error {
	l.mu.Lock()
	ids := make([]int64, 0, len(l.subs))
	for id := range l.subs {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	seqs := map[int64]int64{}
	err := l.db.with(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT id, seq FROM catalogs WHERE id = ANY($1)`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				return err
			}
			seqs[id] = seq
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for id, seq := range seqs {
		l.deliver(id, seq)
	}
	return nil
}

// dispatch delivers one notification's payload if it is of the store's schema.
func (l *listener) dispatch(payload string) {
	rest, num, ok1 := cutLast(payload)
	schema, idText, ok2 := cutLast(rest)
	seq, err1 := strconv.ParseInt(num, 10, 64)
	id, err2 := strconv.ParseInt(idText, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		l.log.Warn("ignoring a malformed catalog change notification", "payload", payload)
		return
	}
	if schema == l.schema {
		l.deliver(id, seq)
	}
}

// cutLast splits s around its last space (a schema name may contain spaces).
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// deliver hands seq to every subscriber of the catalog that has not had it (or a later
// one) yet, without blocking: an undelivered older value in the channel is replaced.
func (l *listener) deliver(catalog, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for sub := range l.subs[catalog] {
		if seq <= sub.last {
			continue
		}
		sub.last = seq
		select {
		case <-sub.ch:
		default:
		}
		select {
		case sub.ch <- seq:
		default: // cannot happen: deliver is the only sender and holds mu
		}
	}
}

// subscribe registers a subscription until ctx ends or the listener stops.
func (l *listener) subscribe(ctx context.Context, catalog int64) (<-chan int64, error) {
	sub := &subscription{ch: make(chan int64, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, errors.New("subscribing: the store is closed")
	}
	if l.subs[catalog] == nil {
		l.subs[catalog] = map[*subscription]struct{}{}
	}
	l.subs[catalog][sub] = struct{}{}
	l.mu.Unlock()
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.subs[catalog][sub]; !ok {
			return // already closed by stop
		}
		delete(l.subs[catalog], sub)
		if len(l.subs[catalog]) == 0 {
			delete(l.subs, catalog)
		}
		close(sub.ch)
	})
	return sub.ch, nil
}

// stop ends the listener and closes every subscription's channel.
func (l *listener) stop() {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, subs := range l.subs {
		for sub := range subs {
			close(sub.ch)
		}
	}
	l.subs = map[int64]map[*subscription]struct{}{}
}
