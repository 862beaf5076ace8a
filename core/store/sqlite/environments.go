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

// PutEnvironment creates or replaces the environment called env.Name. A replaced environment
// keeps its ID. It returns a copy of env with ID and UpdatedAt set; env is not modified.
func (s *Store) PutEnvironment(ctx context.Context, env *model.Environment) (*model.Environment, error) {
	if env == nil {
		return nil, errors.New("putting environment: nil environment")
	}
	if env.Name == "" {
		return nil, errors.New("putting environment: empty name")
	}
	vars := env.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	js, err := json.Marshal(vars)
	if err != nil {
		return nil, fmt.Errorf("putting environment %q: encoding variables: %w", env.Name, err)
	}
	out := *env
	out.UpdatedAt = now()
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO environments (name, variables, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET variables = excluded.variables, updated_at = excluded.updated_at
			RETURNING id`, env.Name, string(js), toMicros(out.UpdatedAt)).Scan(&out.ID)
	})
	if err != nil {
		return nil, wrapWrite(fmt.Sprintf("putting environment %q", env.Name), err)
	}
	return &out, nil
}

// GetEnvironment returns the environment called name, or an error wrapping store.ErrNotFound.
// Variables is never nil.
func (s *Store) GetEnvironment(ctx context.Context, name string) (*model.Environment, error) {
	env, err := scanEnvironment(s.r.QueryRowContext(ctx,
		`SELECT id, name, variables, updated_at FROM environments WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("getting environment %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting environment %q: %w", name, err)
	}
	return env, nil
}

// ListEnvironments returns every environment ordered by name.
func (s *Store) ListEnvironments(ctx context.Context) ([]model.Environment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, variables, updated_at FROM environments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing environments: %w", err)
	}
	defer rows.Close()
	var out []model.Environment
	for rows.Next() {
		env, err := scanEnvironment(rows)
		if err != nil {
			return nil, fmt.Errorf("listing environments: %w", err)
		}
		out = append(out, *env)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing environments: %w", err)
	}
	return out, nil
}

// DeleteEnvironment removes the environment called name, or returns an error wrapping
// store.ErrNotFound.
func (s *Store) DeleteEnvironment(ctx context.Context, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		return deleteOne(ctx, tx, `DELETE FROM environments WHERE name = ?`, name)
	})
	if err != nil {
		return fmt.Errorf("deleting environment %q: %w", name, err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEnvironment(row scanner) (*model.Environment, error) {
	var (
		env     model.Environment
		vars    string
		updated int64
	)
	if err := row.Scan(&env.ID, &env.Name, &vars, &updated); err != nil {
		return nil, err
	}
	env.UpdatedAt = fromMicros(updated)
	if err := json.Unmarshal([]byte(vars), &env.Variables); err != nil {
		return nil, fmt.Errorf("decoding variables of environment %q: %w", env.Name, err)
	}
	if env.Variables == nil {
		env.Variables = map[string]string{}
	}
	return &env, nil
}
