package hostedsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
)

// CreateConsumer implements store.ConsumerStore.
func (s *Store) CreateConsumer(ctx context.Context, in store.ConsumerInput) (*store.HostedConsumer, error) {
	if in.Name == "" {
		return nil, errors.New("creating consumer: empty name")
	}
	groups := in.Groups
	if groups == nil {
		groups = []string{}
	}
	gj, err := marshalJSON(groups)
	if err != nil {
		return nil, fmt.Errorf("creating consumer %q: %w", in.Name, err)
	}
	c := &store.HostedConsumer{Catalog: in.Catalog, Name: in.Name, Groups: in.Groups, CreatedAt: now()}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		cat, err := lockCatalog(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO consumers (catalog_id, name, groups_json, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			cat.ID, in.Name, gj, toMicros(c.CreatedAt)).Scan(&c.ID); err != nil {
			return wrapWrite(fmt.Sprintf("creating consumer %q in catalog %q", in.Name, in.Catalog), err)
		}
		if _, err := bumpSeq(ctx, tx, cat.ID, store.EventConsumers, "", 0); err != nil {
			return err
		}
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionConsumerCreate, Catalog: in.Catalog, Target: "consumers/" + in.Name})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// consumerID locks the consumer's catalog and finds the consumer's ID, or returns a wrapped
// store.ErrNotFound.
func consumerID(ctx context.Context, tx *sql.Tx, catalog, name string) (catID, id int64, err error) {
	cat, err := lockCatalog(ctx, tx, catalog)
	if err != nil {
		return 0, 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM consumers WHERE catalog_id = ? AND name = ?`, cat.ID, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("consumer %q in catalog %q: %w", name, catalog, store.ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading consumer %q: %w", name, err)
	}
	return cat.ID, id, nil
}

// DeleteConsumer implements store.ConsumerStore.
func (s *Store) DeleteConsumer(ctx context.Context, catalog, name string, actor store.Actor) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		catID, id, err := consumerID(ctx, tx, catalog, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM consumers WHERE id = ?`, id); err != nil {
			return fmt.Errorf("deleting consumer %q: %w", name, err)
		}
		if _, err := bumpSeq(ctx, tx, catID, store.EventConsumers, "", 0); err != nil {
			return err
		}
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionConsumerDelete, Catalog: catalog, Target: "consumers/" + name})
	})
}

// ListConsumers implements store.ConsumerStore.
func (s *Store) ListConsumers(ctx context.Context, catalog string) ([]store.HostedConsumer, error) {
	var out []store.HostedConsumer
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = listConsumers(ctx, tx, catalog)
		return err
	})
	return out, err
}

func listConsumers(ctx context.Context, q queryer, catalog string) ([]store.HostedConsumer, error) {
	cat, err := catalogByName(ctx, q, catalog)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, groups_json, created_at FROM consumers WHERE catalog_id = ? ORDER BY name`, cat.ID)
	if err != nil {
		return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
	}
	var out []store.HostedConsumer
	byID := map[int64]int{}
	for rows.Next() {
		var c store.HostedConsumer
		var gj string
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &gj, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
		}
		if err := unmarshalJSON(gj, &c.Groups); err != nil {
			rows.Close()
			return nil, fmt.Errorf("consumer %q groups: %w", c.Name, err)
		}
		if len(c.Groups) == 0 {
			c.Groups = nil
		}
		c.Catalog, c.CreatedAt = catalog, fromMicros(created)
		byID[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
	}
	crows, err := q.QueryContext(ctx, `SELECT k.id, k.consumer_id, k.name, k.hash, k.created_at FROM credentials k
		JOIN consumers c ON c.id = k.consumer_id WHERE c.catalog_id = ? ORDER BY k.id`, cat.ID)
	if err != nil {
		return nil, fmt.Errorf("listing credentials of %q: %w", catalog, err)
	}
	defer crows.Close()
	for crows.Next() {
		var k store.Credential
		var consumer, created int64
		if err := crows.Scan(&k.ID, &consumer, &k.Name, &k.Hash, &created); err != nil {
			return nil, fmt.Errorf("listing credentials of %q: %w", catalog, err)
		}
		k.CreatedAt = fromMicros(created)
		if i, ok := byID[consumer]; ok {
			out[i].Credentials = append(out[i].Credentials, k)
		}
	}
	return out, crows.Err()
}

// AddCredential implements store.ConsumerStore.
func (s *Store) AddCredential(ctx context.Context, in store.CredentialInput) (*store.Credential, error) {
	if !secret.IsHash(in.Hash) {
		return nil, fmt.Errorf("adding credential to %q: the key must be given hashed (sha256:<hex>)", in.Consumer)
	}
	k := &store.Credential{Name: in.Name, Hash: in.Hash, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		catID, id, err := consumerID(ctx, tx, in.Catalog, in.Consumer)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO credentials (consumer_id, name, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			id, in.Name, in.Hash, toMicros(k.CreatedAt)).Scan(&k.ID); err != nil {
			return wrapWrite(fmt.Sprintf("adding credential to %q", in.Consumer), err)
		}
		if _, err := bumpSeq(ctx, tx, catID, store.EventConsumers, "", 0); err != nil {
			return err
		}
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionCredentialCreate, Catalog: in.Catalog,
			Target: fmt.Sprintf("consumers/%s/credentials/%d", in.Consumer, k.ID), Detail: in.Name})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// RevokeCredential implements store.ConsumerStore.
func (s *Store) RevokeCredential(ctx context.Context, catalog, consumer string, id int64, actor store.Actor) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		catID, cid, err := consumerID(ctx, tx, catalog, consumer)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE id = ? AND consumer_id = ?`, id, cid)
		if err != nil {
			return fmt.Errorf("revoking credential %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("revoking credential %d: %w", id, err)
		} else if n == 0 {
			return fmt.Errorf("credential %d of consumer %q: %w", id, consumer, store.ErrNotFound)
		}
		if _, err := bumpSeq(ctx, tx, catID, store.EventConsumers, "", 0); err != nil {
			return err
		}
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionCredentialRevoke, Catalog: catalog,
			Target: fmt.Sprintf("consumers/%s/credentials/%d", consumer, id)})
	})
}
