package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns the workspace setting called name and whether it is set.
func (s *Store) Setting(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading setting %q: %w", name, err)
	}
	return v, true, nil
}

// PutSetting sets the workspace setting called name to value; "" removes it.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	if name == "" {
		return errors.New("putting setting: empty name")
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if value == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, name)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			name, value, toMicros(now()))
		return err
	})
	if err != nil {
		return wrapWrite(fmt.Sprintf("putting setting %q", name), err)
	}
	return nil
}
