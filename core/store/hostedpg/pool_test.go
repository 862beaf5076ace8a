package hostedpg

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantry-dev/gantry/core/testservice"
)

func TestPool(t *testing.T) {
	cfg, err := pgx.ParseConfig(testservice.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, p *pool)
	}{
		{"reuses a returned connection", func(t *testing.T, p *pool) {
			c1 := mustAcquire(t, p)
			p.release(c1)
			c2 := mustAcquire(t, p)
			defer p.release(c2)
			if c1 != c2 {
				t.Error("a new connection instead of the idle one")
			}
		}},
		{"waits for a free slot", func(t *testing.T, p *pool) {
			a, b := mustAcquire(t, p), mustAcquire(t, p)
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			if c, err := p.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
				if c != nil {
					p.release(c)
				}
				t.Errorf("third acquire of two: %v, want a deadline error", err)
			}
			p.release(a)
			c := mustAcquire(t, p)
			if c != a {
				t.Error("the returned connection was not handed on")
			}
			p.release(c)
			p.release(b)
		}},
		{"discards a connection left in a transaction", func(t *testing.T, p *pool) {
			c := mustAcquire(t, p)
			if _, err := c.Exec(t.Context(), "BEGIN"); err != nil {
				t.Fatal(err)
			}
			p.release(c)
			if !c.IsClosed() {
				t.Error("connection inside a transaction kept")
			}
			c2 := mustAcquire(t, p)
			defer p.release(c2)
			if c2.PgConn().TxStatus() != 'I' {
				t.Errorf("next connection in transaction state %q", c2.PgConn().TxStatus())
			}
		}},
		{"rolls back a failed transaction", func(t *testing.T, p *pool) {
			want := errors.New("fn failed")
			err := p.tx(t.Context(), pgx.TxOptions{}, func(tx pgx.Tx) error {
				if _, err := tx.Exec(t.Context(), "CREATE TABLE pool_rollback (id int)"); err != nil {
					return err
				}
				return want
			})
			if !errors.Is(err, want) {
				t.Fatalf("tx = %v, want %v", err, want)
			}
			var exists bool
			err = p.with(t.Context(), func(q querier) error {
				return q.QueryRow(t.Context(), "SELECT to_regclass('pool_rollback') IS NOT NULL").Scan(&exists)
			})
			if err != nil || exists {
				t.Errorf("table of a failed transaction exists=%v, %v", exists, err)
			}
		}},
		{"refuses after close", func(t *testing.T, p *pool) {
			c := mustAcquire(t, p)
			p.close()
			p.release(c)
			if !c.IsClosed() {
				t.Error("connection returned after close kept open")
			}
			if _, err := p.acquire(t.Context()); !errors.Is(err, errPoolClosed) {
				t.Errorf("acquire after close: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(cfg, 2)
			defer p.close()
			tt.run(t, p)
		})
	}
}

func mustAcquire(t *testing.T, p *pool) *pgx.Conn {
	t.Helper()
	c, err := p.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
