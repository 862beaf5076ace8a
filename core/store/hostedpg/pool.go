package hostedpg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// querier is what a connection, a transaction and the pool all offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxIdle is how long a connection may sit idle before the pool closes it.
const maxIdle = 30 * time.Minute

// pool is the store's pgxpool with the two ways the store uses it.
type pool struct{ p *pgxpool.Pool }

// newPool makes a pool of at most size connections to cfg's database; connections are
// made on demand and health-checked by pgxpool.
func newPool(ctx context.Context, cfg *pgx.ConnConfig, size int) (*pool, error) {
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("configuring the connection pool: %w", err)
	}
	pc.ConnConfig = cfg.Copy()
	pc.MaxConns = int32(size)
	pc.MinConns = 0
	pc.MaxConnIdleTime = maxIdle
	pc.HealthCheckPeriod = 5 * time.Second
	p, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("creating the connection pool: %w", err)
	}
	return &pool{p: p}, nil
}

// with runs fn on the pool (each statement takes a connection for itself).
func (p *pool) with(_ context.Context, fn func(q querier) error) error { return fn(p.p) }

// tx runs fn in a transaction with opts, committing when fn returns nil.
func (p *pool) tx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, p.p, opts, fn)
}

// close closes every connection of the pool.
func (p *pool) close() { p.p.Close() }
