package hostedsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
)

// Bootstrap implements store.AccessStore.
func (s *Store) Bootstrap(ctx context.Context, in store.BootstrapInput) (bool, error) {
	if in.User == "" || !secret.IsHash(in.TokenHash) {
		return false, errors.New("bootstrapping: a user name and a hashed token are required")
	}
	created := false
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
			return fmt.Errorf("bootstrapping: %w", err)
		}
		if n > 0 {
			return nil
		}
		actor := store.Actor{Name: store.ActionBootstrap, SourceIP: in.SourceIP}
		t := now()
		var uid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, admin, created_at) VALUES (?, 1, ?) RETURNING id`, in.User, toMicros(t)).Scan(&uid); err != nil {
			return wrapWrite("bootstrapping admin user", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (kind, name, hash, user_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			store.TokenUser, "bootstrap", in.TokenHash, uid, actor.Name, toMicros(t)); err != nil {
			return wrapWrite("bootstrapping admin token", err)
		}
		created = true
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionBootstrap, Target: "users/" + in.User, Detail: "first admin"})
	})
	return created, err
}

// CreateUser implements store.AccessStore.
func (s *Store) CreateUser(ctx context.Context, in store.CreateUserInput) (*store.User, error) {
	if in.Name == "" {
		return nil, errors.New("creating user: empty name")
	}
	u := &store.User{Name: in.Name, Admin: in.Admin, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, admin, created_at) VALUES (?, ?, ?) RETURNING id`,
			in.Name, in.Admin, toMicros(u.CreatedAt)).Scan(&u.ID); err != nil {
			return wrapWrite(fmt.Sprintf("creating user %q", in.Name), err)
		}
		detail := ""
		if in.Admin {
			detail = "admin"
		}
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionUserCreate, Target: "users/" + in.Name, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userByName reads a user with their roles, or returns a wrapped store.ErrNotFound.
func userByName(ctx context.Context, q queryer, name string) (*store.User, error) {
	var u store.User
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, name, admin, created_at FROM users WHERE name = ?`, name).Scan(&u.ID, &u.Name, &u.Admin, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading user %q: %w", name, err)
	}
	u.CreatedAt = fromMicros(created)
	if u.Roles, err = rolesOf(ctx, q, u.ID); err != nil {
		return nil, err
	}
	return &u, nil
}

func rolesOf(ctx context.Context, q queryer, userID int64) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.name, b.role FROM role_bindings b JOIN catalogs c ON c.id = b.catalog_id WHERE b.user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("reading roles: %w", err)
	}
	defer rows.Close()
	var out map[string]string
	for rows.Next() {
		var c, r string
		if err := rows.Scan(&c, &r); err != nil {
			return nil, fmt.Errorf("reading roles: %w", err)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[c] = r
	}
	return out, rows.Err()
}

// GetUser implements store.AccessStore.
func (s *Store) GetUser(ctx context.Context, name string) (*store.User, error) {
	var u *store.User
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = userByName(ctx, tx, name)
		return err
	})
	return u, err
}

// ListUsers implements store.AccessStore.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var out []store.User
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM users ORDER BY name`)
		if err != nil {
			return fmt.Errorf("listing users: %w", err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("listing users: %w", err)
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing users: %w", err)
		}
		for _, n := range names {
			u, err := userByName(ctx, tx, n)
			if err != nil {
				return err
			}
			out = append(out, *u)
		}
		return nil
	})
	return out, err
}

// SetRole implements store.AccessStore.
func (s *Store) SetRole(ctx context.Context, in store.RoleInput) error {
	switch in.Role {
	case "", store.RoleAdmin, store.RolePublisher, store.RoleViewer:
	default:
		return fmt.Errorf("setting role of %q: unknown role %q", in.User, in.Role)
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := userByName(ctx, tx, in.User)
		if err != nil {
			return err
		}
		cat, err := catalogByName(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		if in.Role == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM role_bindings WHERE user_id = ? AND catalog_id = ?`, u.ID, cat.ID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO role_bindings (user_id, catalog_id, role) VALUES (?, ?, ?)
				ON CONFLICT (user_id, catalog_id) DO UPDATE SET role = excluded.role`, u.ID, cat.ID, in.Role)
		}
		if err != nil {
			return fmt.Errorf("setting role of %q in %q: %w", in.User, in.Catalog, err)
		}
		before := u.Roles[in.Catalog]
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionRoleSet, Catalog: in.Catalog,
			Target: "users/" + in.User, Detail: fmt.Sprintf("%q -> %q", before, in.Role)})
	})
}

// CreateToken implements store.AccessStore.
func (s *Store) CreateToken(ctx context.Context, in store.TokenInput) (*store.Token, error) {
	if !secret.IsHash(in.Hash) {
		return nil, errors.New("creating token: the token must be given hashed (sha256:<hex>)")
	}
	tok := &store.Token{Kind: in.Kind, Name: in.Name, Hash: in.Hash, CreatedBy: actorName(in.Actor), CreatedAt: now()}
	if !in.ExpiresAt.IsZero() {
		tok.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var userID, catID sql.NullInt64
		var catalog, target string
		switch in.Kind {
		case store.TokenUser:
			u, err := userByName(ctx, tx, in.User)
			if err != nil {
				return err
			}
			userID = sql.NullInt64{Int64: u.ID, Valid: true}
			tok.User, target = u.Name, "users/"+u.Name+"/tokens"
		case store.TokenNode:
			c, err := catalogByName(ctx, tx, in.Catalog)
			if err != nil {
				return err
			}
			catID = sql.NullInt64{Int64: c.ID, Valid: true}
			tok.Catalog, catalog, target = c.Name, c.Name, "nodes/tokens"
		default:
			return fmt.Errorf("creating token: unknown kind %q", in.Kind)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO tokens (kind, name, hash, user_id, catalog_id, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Kind, in.Name, in.Hash, userID, catID, tok.CreatedBy,
			toMicros(tok.CreatedAt), nullMicros(tok.ExpiresAt)).Scan(&tok.ID); err != nil {
			return wrapWrite("creating token", err)
		}
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionTokenCreate, Catalog: catalog,
			Target: fmt.Sprintf("%s/%d", target, tok.ID), Detail: in.Name})
	})
	if err != nil {
		return nil, err
	}
	return tok, nil
}

const tokenColumns = `t.id, t.kind, t.name, t.hash, coalesce(u.name, ''), coalesce(c.name, ''), t.created_by, t.created_at, t.expires_at`

const tokenFrom = ` FROM tokens t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN catalogs c ON c.id = t.catalog_id`

func scanToken(row interface{ Scan(...any) error }) (*store.Token, error) {
	var t store.Token
	var created int64
	var expires sql.NullInt64
	if err := row.Scan(&t.ID, &t.Kind, &t.Name, &t.Hash, &t.User, &t.Catalog, &t.CreatedBy, &created, &expires); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromNullMicros(expires)
	return &t, nil
}

// LookupToken implements store.AccessStore.
func (s *Store) LookupToken(ctx context.Context, hash string) (*store.Principal, error) {
	var p *store.Principal
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+tokenFrom+` WHERE t.hash = ?`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("looking up token: %w", err)
		}
		if !t.ExpiresAt.IsZero() && !now().Before(t.ExpiresAt) {
			return fmt.Errorf("token %d expired: %w", t.ID, store.ErrNotFound)
		}
		p = &store.Principal{Token: *t}
		if t.Kind == store.TokenUser {
			if p.User, err = userByName(ctx, tx, t.User); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

// ListTokens implements store.AccessStore.
func (s *Store) ListTokens(ctx context.Context, user, catalog string) ([]store.Token, error) {
	query := `SELECT ` + tokenColumns + tokenFrom
	var arg string
	switch {
	case user != "":
		query += ` WHERE t.kind = 'user' AND u.name = ?`
		arg = user
	case catalog != "":
		query += ` WHERE t.kind = 'node' AND c.name = ?`
		arg = catalog
	default:
		return nil, errors.New("listing tokens: name a user or a catalog")
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY t.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		t.Hash = ""
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeToken implements store.AccessStore.
func (s *Store) RevokeToken(ctx context.Context, id int64, actor store.Actor) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+tokenFrom+` WHERE t.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading token %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id); err != nil {
			return fmt.Errorf("revoking token %d: %w", id, err)
		}
		target := fmt.Sprintf("users/%s/tokens/%d", t.User, id)
		if t.Kind == store.TokenNode {
			target = fmt.Sprintf("nodes/tokens/%d", id)
		}
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionTokenRevoke, Catalog: t.Catalog, Target: target, Detail: t.Name})
	})
}
