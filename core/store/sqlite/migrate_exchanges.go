package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// migrationCode is Go code that runs after a migration's SQL, in the same transaction, for
// the changes SQL cannot express. Keyed by migration name.
var migrationCode = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"0002_compact_exchanges": convertExchangesV1,
}

// convertExchangesV1 moves every row of the 20-column exchanges table of schema 1 (renamed
// exchanges_v1 by the migration's SQL) into the compact table, then drops the old one.
func convertExchangesV1(ctx context.Context, tx *sql.Tx) error {
	// Page through the old table by ID so that memory stays bounded however much traffic
	// was captured.
	const page = 1024
	after := ""
	for {
		batch, err := readExchangesV1(ctx, tx, after, page)
		if err != nil {
			return fmt.Errorf("reading schema 1 exchanges: %w", err)
		}
		for start := 0; start < len(batch); start += insertChunk {
			chunk := batch[start:min(start+insertChunk, len(batch))]
			args := make([]any, 0, len(chunk)*exchangeColumnCount)
			var buf []byte
			var prev *model.Exchange
			for _, x := range chunk {
				if args, buf, err = appendRow(args, buf, x, prev); err != nil {
					return err
				}
				prev = x
			}
			if _, err := tx.ExecContext(ctx, insertSQL(len(chunk)), args...); err != nil {
				return fmt.Errorf("storing converted exchanges: %w", err)
			}
		}
		if len(batch) < page {
			break
		}
		after = batch[len(batch)-1].ID
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE exchanges_v1`); err != nil {
		return fmt.Errorf("dropping schema 1 exchanges: %w", err)
	}
	return nil
}

// readExchangesV1 reads up to limit schema 1 exchanges with IDs after after, in ID order.
func readExchangesV1(ctx context.Context, tx *sql.Tx, after string, limit int) ([]*model.Exchange, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, started_at, duration, api, operation, mode, client_addr, method,
		url, host, proto, request_headers, request_body, request_size, status, response_headers, response_body,
		response_size, violations, warnings FROM exchanges_v1 WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Exchange
	for rows.Next() {
		x, err := scanExchangeV1(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// scanExchangeV1 reads one row of the schema 1 exchanges table.
func scanExchangeV1(row scanner) (*model.Exchange, error) {
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
		if !c.col.Valid {
			continue
		}
		if err := json.Unmarshal([]byte(c.col.String), c.dst); err != nil {
			return nil, fmt.Errorf("decoding %s of exchange %s: %w", c.name, x.ID, err)
		}
	}
	return &x, nil
}
