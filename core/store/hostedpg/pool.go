package hostedpg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what a connection and a transaction both offer (and pgxpool.Pool too).
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pingAfter is how long a connection may sit idle before it is checked on checkout: a
// server restart or pg_terminate_backend leaves dead connections in the pool.
const pingAfter = time.Second

// maxIdle is how long a connection may sit idle before it is closed instead of reused.
const maxIdle = 30 * time.Minute

// errPoolClosed is returned by acquire after close.
var errPoolClosed = errors.New("connection pool closed")

// pool is a bounded pool of connections, the little of pgxpool the store needs: checkout
// with a context, at most size connections open, idle connections checked after pingAfter
// and closed after maxIdle, connections left busy or inside a transaction discarded on
// return. It is safe for concurrent use.
type pool struct {
	cfg   *pgx.ConnConfig
	slots chan struct{} // one token per open or opening connection

	mu     sync.Mutex
	idle   []idleConn // most recently returned last
	closed bool
}

type idleConn struct {
	c     *pgx.Conn
	since time.Time
}

func newPool(cfg *pgx.ConnConfig, size int) *pool {
	return &pool{cfg: cfg, slots: make(chan struct{}, size)}
}

// acquire returns a connection, waiting for a free slot until ctx ends.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a database connection: %w", ctx.Err())
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return nil, errPoolClosed
		}
		var ic idleConn
		if n := len(p.idle); n > 0 {
			ic, p.idle = p.idle[n-1], p.idle[:n-1]
		}
		p.mu.Unlock()
		if ic.c == nil {
			break
		}
		idle := time.Since(ic.since)
		if idle < pingAfter || (idle < maxIdle && ic.c.Ping(ctx) == nil) {
			return ic.c, nil
		}
		closeConn(ic.c)
	}
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.slots
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return c, nil
}

// release returns c to the pool, or closes it if it is not reusable; connections idle
// for longer than maxIdle at the bottom of the stack are closed on the way.
func (p *pool) release(c *pgx.Conn) {
	defer func() { <-p.slots }()
	pc := c.PgConn()
	reusable := !c.IsClosed() && !pc.IsBusy() && pc.TxStatus() == 'I'
	var stale []*pgx.Conn
	p.mu.Lock()
	if reusable && !p.closed {
		p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
		for len(p.idle) > 1 && time.Since(p.idle[0].since) > maxIdle {
			stale = append(stale, p.idle[0].c)
			p.idle = p.idle[1:]
		}
	} else {
		stale = append(stale, c)
	}
	p.mu.Unlock()
	for _, c := range stale {
		closeConn(c)
	}
}

// with runs fn on a connection outside any explicit transaction.
func (p *pool) with(ctx context.Context, fn func(q querier) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	return fn(c)
}

// tx runs fn in one transaction with opts and commits if fn returns nil.
func (p *pool) tx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	tx, err := c.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() { // a no-op after Commit
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// close closes the idle connections and makes acquire fail; connections in use are
// closed when they are returned.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, ic := range idle {
		_ = ic.c.Close(ctx)
	}
}
