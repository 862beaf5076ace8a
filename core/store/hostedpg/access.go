package hostedpg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
)

// Bootstrap implements store.AccessStore.
func (s *Store) Bootstrap(ctx context.Context, in store.BootstrapInput) (bool, error) {
	if in.User == "" || !secret.IsHash(in.TokenHash) {
		return false, errors.New("bootstrapping: a user name and a hashed token are required")
	}
	var exists bool
	err := s.db.with(ctx, func(q querier) error {
		return q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists)
	})
	if err != nil {
		return false, fmt.Errorf("bootstrapping: %w", err)
	}
	if exists { // the usual case on every start but the first: no lock needed
		return false, nil
	}
	created := false
	err = s.writeTx(ctx, func(tx pgx.Tx) error {
		// EXCLUSIVE lets others read users but not insert any until this transaction ends,
		// so that two processes bootstrapping at once cannot both see an empty table.
		if _, err := tx.Exec(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("bootstrapping: locking users: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists); err != nil {
			return fmt.Errorf("bootstrapping: %w", err)
		}
		if exists {
			return nil
		}
		actor := store.Actor{Name: store.ActionBootstrap, SourceIP: in.SourceIP}
		t := now()
		var uid int64
		if err := tx.QueryRow(ctx, `INSERT INTO users (name, admin, created_at) VALUES ($1, true, $2) RETURNING id`, in.User, t).Scan(&uid); err != nil {
			return wrapWrite("bootstrapping admin user", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tokens (kind, name, hash, user_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			store.TokenUser, "bootstrap", in.TokenHash, uid, actor.Name, t); err != nil {
			return wrapWrite("bootstrapping admin token", err)
		}
		if err := insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionBootstrap, Target: "users/" + in.User, Detail: "first admin"}); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// CreateUser implements store.AccessStore.
func (s *Store) CreateUser(ctx context.Context, in store.CreateUserInput) (*store.User, error) {
	if in.Name == "" {
		return nil, errors.New("creating user: empty name")
	}
	u := &store.User{Name: in.Name, Admin: in.Admin, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO users (name, admin, created_at) VALUES ($1, $2, $3) RETURNING id`,
			in.Name, in.Admin, u.CreatedAt).Scan(&u.ID); err != nil {
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

// userColumns reads a user (table alias u) with their roles as one JSON object, in one
// statement and so from one snapshot.
const userColumns = `u.id, u.name, u.admin, u.created_at,
	(SELECT json_object_agg(c.name, b.role) FROM role_bindings b JOIN catalogs c ON c.id = b.catalog_id WHERE b.user_id = u.id)`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.ID, &u.Name, &u.Admin, &u.CreatedAt, &u.Roles); err != nil {
		return nil, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	if len(u.Roles) == 0 {
		u.Roles = nil
	}
	return &u, nil
}

// userByName reads a user with their roles, or returns a wrapped store.ErrNotFound; lock
// is appended to the query (" FOR UPDATE" or "").
func userByName(ctx context.Context, q querier, name, lock string) (*store.User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.name = $1`+lock, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading user %q: %w", name, err)
	}
	return u, nil
}

// GetUser implements store.AccessStore.
func (s *Store) GetUser(ctx context.Context, name string) (*store.User, error) {
	var u *store.User
	err := s.db.with(ctx, func(q querier) error {
		var err error
		u, err = userByName(ctx, q, name, "")
		return err
	})
	return u, err
}

// ListUsers implements store.AccessStore.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var out []store.User
	err := s.db.with(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.name`)
		if err != nil {
			return fmt.Errorf("listing users: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return fmt.Errorf("listing users: %w", err)
			}
			out = append(out, *u)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing users: %w", err)
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
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		// The user's row lock orders concurrent changes of their roles, so that the audit
		// record's "before" is the role the change replaced.
		u, err := userByName(ctx, tx, in.User, ` FOR NO KEY UPDATE OF u`)
		if err != nil {
			return err
		}
		cat, err := catalogByName(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		if in.Role == "" {
			_, err = tx.Exec(ctx, `DELETE FROM role_bindings WHERE user_id = $1 AND catalog_id = $2`, u.ID, cat.ID)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO role_bindings (user_id, catalog_id, role) VALUES ($1, $2, $3)
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
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		var userID, catID *int64
		var catalog, target string
		switch in.Kind {
		case store.TokenUser:
			u, err := userByName(ctx, tx, in.User, "")
			if err != nil {
				return err
			}
			userID = &u.ID
			tok.User, target = u.Name, "users/"+u.Name+"/tokens"
		case store.TokenNode:
			c, err := catalogByName(ctx, tx, in.Catalog)
			if err != nil {
				return err
			}
			catID = &c.ID
			tok.Catalog, catalog, target = c.Name, c.Name, "nodes/tokens"
		default:
			return fmt.Errorf("creating token: unknown kind %q", in.Kind)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO tokens (kind, name, hash, user_id, catalog_id, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, in.Kind, in.Name, in.Hash, userID, catID, tok.CreatedBy,
			tok.CreatedAt, nullTime(tok.ExpiresAt)).Scan(&tok.ID); err != nil {
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

func scanToken(row pgx.Row, extra ...any) (*store.Token, error) {
	var t store.Token
	var expires *time.Time
	dest := append([]any{&t.ID, &t.Kind, &t.Name, &t.Hash, &t.User, &t.Catalog, &t.CreatedBy, &t.CreatedAt, &expires}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), fromNullTime(expires)
	return &t, nil
}

// LookupToken implements store.AccessStore. It is one statement: the token, its user and
// the user's roles come from one snapshot in one round trip.
func (s *Store) LookupToken(ctx context.Context, hash string) (*store.Principal, error) {
	var p *store.Principal
	err := s.db.with(ctx, func(q querier) error {
		var uid *int64
		var admin *bool
		var created *time.Time
		var roles map[string]string
		t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenColumns+`, u.id, u.admin, u.created_at,
			(SELECT json_object_agg(rc.name, b.role) FROM role_bindings b JOIN catalogs rc ON rc.id = b.catalog_id WHERE b.user_id = u.id)`+
			tokenFrom+` WHERE t.hash = $1`, hash), &uid, &admin, &created, &roles)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("looking up token: %w", err)
		}
		if !t.ExpiresAt.IsZero() && !now().Before(t.ExpiresAt) {
			return fmt.Errorf("token %d expired: %w", t.ID, store.ErrNotFound)
		}
		p = &store.Principal{Token: *t}
		if t.Kind == store.TokenUser && uid != nil {
			if len(roles) == 0 {
				roles = nil
			}
			p.User = &store.User{ID: *uid, Name: t.User, Admin: admin != nil && *admin, Roles: roles, CreatedAt: fromNullTime(created)}
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
		query += ` WHERE t.kind = 'user' AND u.name = $1`
		arg = user
	case catalog != "":
		query += ` WHERE t.kind = 'node' AND c.name = $1`
		arg = catalog
	default:
		return nil, errors.New("listing tokens: name a user or a catalog")
	}
	var out []store.Token
	err := s.db.with(ctx, func(q querier) error {
		rows, err := q.Query(ctx, query+` ORDER BY t.id`, arg)
		if err != nil {
			return fmt.Errorf("listing tokens: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return fmt.Errorf("listing tokens: %w", err)
			}
			t.Hash = ""
			out = append(out, *t)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing tokens: %w", err)
		}
		return nil
	})
	return out, err
}

// RevokeToken implements store.AccessStore.
func (s *Store) RevokeToken(ctx context.Context, id int64, actor store.Actor) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		// DELETE ... RETURNING decides who revoked it: of two concurrent revocations, the
		// second deletes nothing and reports ErrNotFound instead of a second audit record.
		var kind, name, user, catalog string
		err := tx.QueryRow(ctx, `DELETE FROM tokens t WHERE t.id = $1 RETURNING t.kind, t.name,
			coalesce((SELECT name FROM users WHERE id = t.user_id), ''),
			coalesce((SELECT name FROM catalogs WHERE id = t.catalog_id), '')`, id).Scan(&kind, &name, &user, &catalog)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("revoking token %d: %w", id, err)
		}
		target := fmt.Sprintf("users/%s/tokens/%d", user, id)
		if kind == store.TokenNode {
			target = fmt.Sprintf("nodes/tokens/%d", id)
		}
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionTokenRevoke, Catalog: catalog, Target: target, Detail: name})
	})
}
