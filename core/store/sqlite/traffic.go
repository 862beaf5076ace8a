package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

const exchangeColumns = `id, started_at, duration, api, operation, mode, client_addr, method, url, host, proto,
	request_headers, request_body, request_size, status, response_headers, response_body, response_size,
	violations, warnings`

// insertChunk is how many rows one INSERT statement carries (20 columns each, far below
// SQLite's limit of 32766 parameters).
const insertChunk = 32

// exchangeColumnCount is the number of columns in exchangeColumns.
const exchangeColumnCount = 20

// insertSQL returns an INSERT of n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO exchanges (` + exchangeColumns + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// exchangeRow returns the column values of x in exchangeColumns order.
func exchangeRow(x *model.Exchange) ([]any, error) {
	viol, err := jsonOrNull(len(x.Violations) > 0, x.Violations)
	if err != nil {
		return nil, fmt.Errorf("exchange %s: violations: %w", x.ID, err)
	}
	warn, err := jsonOrNull(len(x.Warnings) > 0, x.Warnings)
	if err != nil {
		return nil, fmt.Errorf("exchange %s: warnings: %w", x.ID, err)
	}
	return []any{x.ID, toMicros(x.StartedAt), int64(x.Duration), x.API, x.Operation,
		x.Mode, x.ClientAddr, x.Method, x.URL, x.Host, x.Proto,
		headerJSONOrNull(x.RequestHeaders), x.RequestBody, x.RequestSize, x.Status,
		headerJSONOrNull(x.ResponseHeaders), x.ResponseBody, x.ResponseSize,
		viol, warn}, nil
}

// headerJSONOrNull returns h as JSON text, or nil (SQL NULL) if h is empty.
func headerJSONOrNull(h http.Header) any {
	if len(h) == 0 {
		return nil
	}
	return string(appendHeaderJSON(make([]byte, 0, 512), h))
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
		for start := 0; start < len(xs); start += insertChunk {
			chunk := xs[start:min(start+insertChunk, len(xs))]
			args = args[:0]
			for _, x := range chunk {
				row, err := exchangeRow(x)
				if err != nil {
					return err
				}
				args = append(args, row...)
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
			n += int64(len(x.RequestBody) + len(x.ResponseBody) + len(x.URL) + 512)
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

// jsonOrNull returns v as JSON text if present, else nil (SQL NULL).
func jsonOrNull(present bool, v any) (any, error) {
	if !present {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// unmarshalNull decodes s into v unless s is NULL.
func unmarshalNull(s sql.NullString, v any) error {
	if !s.Valid {
		return nil
	}
	return json.Unmarshal([]byte(s.String), v)
}

func scanExchange(row scanner) (*model.Exchange, error) {
	var (
		x                       model.Exchange
		started, dur            int64
		reqH, respH, viol, warn sql.NullString
	)
	if err := row.Scan(&x.ID, &started, &dur, &x.API, &x.Operation, &x.Mode, &x.ClientAddr, &x.Method, &x.URL,
		&x.Host, &x.Proto, &reqH, &x.RequestBody, &x.RequestSize, &x.Status, &respH, &x.ResponseBody,
		&x.ResponseSize, &viol, &warn); err != nil {
		return nil, err
	}
	x.StartedAt, x.Duration = fromMicros(started), time.Duration(dur)
	for _, c := range []struct {
		name string
		col  sql.NullString
		dst  any
	}{
		{"request headers", reqH, &x.RequestHeaders},
		{"response headers", respH, &x.ResponseHeaders},
		{"violations", viol, &x.Violations},
		{"warnings", warn, &x.Warnings},
	} {
		if err := unmarshalNull(c.col, c.dst); err != nil {
			return nil, fmt.Errorf("decoding %s of exchange %s: %w", c.name, x.ID, err)
		}
	}
	return &x, nil
}
