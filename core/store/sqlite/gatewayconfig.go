package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// PutGatewayConfig stores c as the newest gateway configuration revision, unless it is the
// same as the newest one stored.
func (s *Store) PutGatewayConfig(ctx context.Context, c *model.GatewayConfig) (int64, bool, error) {
	var rev int64
	var added bool
	err := s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		rev, added, err = putGatewayConfig(ctx, tx, c)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return rev, added, nil
}

// putGatewayConfig is PutGatewayConfig inside the transaction tx.
func putGatewayConfig(ctx context.Context, tx *sql.Tx, c *model.GatewayConfig) (int64, bool, error) {
	if c == nil {
		return 0, false, errors.New("storing gateway configuration: nil configuration")
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return 0, false, fmt.Errorf("storing gateway configuration: encoding: %w", err)
	}
	hash := blobHash(doc)
	var rev int64
	var latest string
	err = tx.QueryRowContext(ctx, `SELECT id, hash FROM gateway_configs ORDER BY id DESC LIMIT 1`).Scan(&rev, &latest)
	if err == nil && latest == hash {
		return rev, false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("storing gateway configuration: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO gateway_configs (hash, document, created_at) VALUES (?, ?, ?) RETURNING id`,
		hash, string(doc), toMicros(now())).Scan(&rev); err != nil {
		return 0, false, fmt.Errorf("storing gateway configuration: %w", err)
	}
	return rev, true, nil
}

// LatestGatewayConfig returns the newest gateway configuration and its revision, or an
// error wrapping store.ErrNotFound if none was stored.
func (s *Store) LatestGatewayConfig(ctx context.Context) (*model.GatewayConfig, int64, error) {
	return latestGatewayConfig(ctx, s.r)
}

// rowQuerier is what latestGatewayConfig reads through: the read pool or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// latestGatewayConfig is LatestGatewayConfig through q.
func latestGatewayConfig(ctx context.Context, q rowQuerier) (*model.GatewayConfig, int64, error) {
	var rev int64
	var doc string
	err := q.QueryRowContext(ctx, `SELECT id, document FROM gateway_configs ORDER BY id DESC LIMIT 1`).Scan(&rev, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("reading gateway configuration: none stored yet: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading gateway configuration: %w", err)
	}
	var c model.GatewayConfig
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, 0, fmt.Errorf("reading gateway configuration revision %d: %w", rev, err)
	}
	return &c, rev, nil
}
