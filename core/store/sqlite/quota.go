package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// SaveQuotaCounts stores counters, each replacing the stored counter of its key unless that
// one belongs to a later period; in one transaction.
func (s *Store) SaveQuotaCounts(ctx context.Context, counts []model.QuotaCount) error {
	if len(counts) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO quota_counts (key, start, used) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET start = excluded.start, used = excluded.used
			WHERE excluded.start > quota_counts.start
			   OR (excluded.start = quota_counts.start AND excluded.used > quota_counts.used)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range counts {
			if _, err := st.ExecContext(ctx, c.Key, toMicros(c.Start), c.Used); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving %d quota counters: %w", len(counts), err)
	}
	return nil
}

// LoadQuotaCounts returns the counters of periods that began at or after since.
func (s *Store) LoadQuotaCounts(ctx context.Context, since time.Time) ([]model.QuotaCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, start, used FROM quota_counts WHERE start >= ? ORDER BY key`, toMicros(since))
	if err != nil {
		return nil, fmt.Errorf("loading quota counters: %w", err)
	}
	defer rows.Close()
	var out []model.QuotaCount
	for rows.Next() {
		var c model.QuotaCount
		var start int64
		if err := rows.Scan(&c.Key, &start, &c.Used); err != nil {
			return nil, fmt.Errorf("loading quota counters: %w", err)
		}
		c.Start = fromMicros(start)
		out = append(out, c)
	}
	return out, rows.Err()
}
