package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

const exchangeColumns = `id, started_at, api, consumer, method, status, url, detail`

// exchangeColumnCount is the number of columns in exchangeColumns.
const exchangeColumnCount = 8

// insertChunk is how many rows one INSERT statement carries.
const insertChunk = 64

// insertSQL returns an INSERT of n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO exchanges (` + exchangeColumns + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// appendRow appends the column values of x, in exchangeColumns order, to args. The detail
// is encoded onto buf, whose grown form is returned; args keep sub-slices of it, so its
// bytes must not be overwritten until the statement has run.
func appendRow(args []any, buf []byte, x *model.Exchange) ([]any, []byte, error) {
	start := len(buf)
	buf, err := appendDetail(buf, x)
	if err != nil {
		return nil, nil, fmt.Errorf("exchange %s: %w", x.ID, err)
	}
	return append(args, x.ID, toMicros(x.StartedAt), x.API, x.Consumer, x.Method, x.Status, x.URL,
		buf[start:len(buf):len(buf)]), buf, nil
}

// AppendExchanges stores a batch of exchanges in one transaction with one prepared statement:
// either all are stored or, on any error, none. An ID that is already stored or repeated in
// the batch is an error wrapping store.ErrConflict. An empty batch does nothing.
func (s *Store) AppendExchanges(ctx context.Context, xs []*model.Exchange) error {
	if len(xs) == 0 {
		return nil
	}
	for i, x := range xs {
		if x == nil {
			return fmt.Errorf("appending exchanges: exchange %d is nil", i)
		}
		if x.ID == "" {
			return fmt.Errorf("appending exchanges: exchange %d has no ID", i)
		}
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// Rows go in by multi-row INSERTs of up to insertChunk rows: each statement execution
		// has a fixed cost in database/sql and the driver that one row per statement pays
		// again and again.
		var full *sql.Stmt
		defer func() {
			if full != nil {
				full.Close()
			}
		}()
		args := make([]any, 0, insertChunk*exchangeColumnCount)
		var buf []byte
		for start := 0; start < len(xs); start += insertChunk {
			chunk := xs[start:min(start+insertChunk, len(xs))]
			args = args[:0]
			// A fresh buffer per statement, as the arguments alias it until executed.
			buf = make([]byte, 0, 768*len(chunk))
			for _, x := range chunk {
				var err error
				if args, buf, err = appendRow(args, buf, x); err != nil {
					return err
				}
			}
			var err error
			if len(chunk) == insertChunk {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, insertSQL(insertChunk)); err != nil {
						return fmt.Errorf("preparing insert: %w", err)
					}
				}
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertSQL(len(chunk)), args...)
			}
			if err != nil {
				return wrapWrite(fmt.Sprintf("storing exchanges %s to %s", chunk[0].ID, chunk[len(chunk)-1].ID), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("appending %d exchanges: %w", len(xs), err)
	}
	if s.ckpt != nil {
		var n int64
		for _, x := range xs {
			n += int64(len(x.RequestBody) + len(x.ResponseBody) + len(x.URL) + 256)
		}
		s.ckpt.note(n)
	}
	return nil
}

// ListExchanges returns the exchanges matching f, newest (highest ID) first.
func (s *Store) ListExchanges(ctx context.Context, f store.TrafficFilter) ([]*model.Exchange, error) {
	where, args := trafficWhere(f)
	q := `SELECT ` + exchangeColumns + ` FROM exchanges` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing exchanges: %w", err)
	}
	defer rows.Close()
	var out []*model.Exchange
	for rows.Next() {
		x, err := scanExchange(rows)
		if err != nil {
			return nil, fmt.Errorf("listing exchanges: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing exchanges: %w", err)
	}
	return out, nil
}

// GetExchange returns the exchange with id, or an error wrapping store.ErrNotFound.
func (s *Store) GetExchange(ctx context.Context, id string) (*model.Exchange, error) {
	x, err := scanExchange(s.r.QueryRowContext(ctx, `SELECT `+exchangeColumns+` FROM exchanges WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("getting exchange %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting exchange %q: %w", id, err)
	}
	return x, nil
}

// CountExchanges returns how many exchanges match f; f.Limit is ignored.
func (s *Store) CountExchanges(ctx context.Context, f store.TrafficFilter) (int, error) {
	where, args := trafficWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting exchanges: %w", err)
	}
	return n, nil
}

// DeleteExchanges removes the exchanges that ListExchanges(f) would return (so a Limit
// removes only the newest Limit matches) and returns how many were removed.
func (s *Store) DeleteExchanges(ctx context.Context, f store.TrafficFilter) (int, error) {
	where, args := trafficWhere(f)
	q := `DELETE FROM exchanges` + where
	if f.Limit > 0 {
		q = `DELETE FROM exchanges WHERE id IN (SELECT id FROM exchanges` + where + ` ORDER BY id DESC LIMIT ?)`
		args = append(args, f.Limit)
	}
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting exchanges: %w", err)
	}
	return int(n), nil
}

// trafficWhere turns f (without Limit) into a WHERE clause ("" for the zero filter) and its arguments.
func trafficWhere(f store.TrafficFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.API != "" {
		add(`api = ?`, f.API)
	}
	if f.Method != "" {
		add(`upper(method) = ?`, strings.ToUpper(f.Method))
	}
	if f.Consumer != "" {
		add(`consumer = ?`, f.Consumer)
	}
	if f.StatusMin != 0 {
		add(`status >= ?`, f.StatusMin)
	}
	if f.StatusMax != 0 {
		add(`status <= ?`, f.StatusMax)
	}
	if f.PathContains != "" {
		add(`instr(url, ?) > 0`, f.PathContains)
	}
	if !f.Since.IsZero() {
		// Stored times are whole microseconds: round Since up so that a stored time is kept
		// exactly when it is not before Since.
		us := toMicros(f.Since)
		if f.Since.Nanosecond()%1000 != 0 {
			us++
		}
		add(`started_at >= ?`, us)
	}
	if f.BeforeID != "" {
		add(`id < ?`, f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

func scanExchange(row scanner) (*model.Exchange, error) {
	var (
		x       model.Exchange
		started int64
		detail  []byte
	)
	if err := row.Scan(&x.ID, &started, &x.API, &x.Consumer, &x.Method, &x.Status, &x.URL, &detail); err != nil {
		return nil, err
	}
	x.StartedAt = fromMicros(started)
	if err := decodeDetail(detail, &x); err != nil {
		return nil, fmt.Errorf("decoding exchange %s: %w", x.ID, err)
	}
	return &x, nil
}
