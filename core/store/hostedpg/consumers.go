package hostedpg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	c := &store.HostedConsumer{Catalog: in.Catalog, Name: in.Name, Groups: in.Groups, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		cat, err := lockCatalog(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO consumers (catalog_id, name, groups, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			cat.ID, in.Name, groups, c.CreatedAt).Scan(&c.ID); err != nil {
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

// lockedConsumer locks the catalog and finds the consumer in it, or returns a wrapped
// store.ErrNotFound.
func lockedConsumer(ctx context.Context, tx pgx.Tx, catalog, name string) (catID, id int64, err error) {
	cat, err := lockCatalog(ctx, tx, catalog)
	if err != nil {
		return 0, 0, err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM consumers WHERE catalog_id = $1 AND name = $2`, cat.ID, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("consumer %q in catalog %q: %w", name, catalog, store.ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading consumer %q: %w", name, err)
	}
	return cat.ID, id, nil
}

// DeleteConsumer implements store.ConsumerStore.
func (s *Store) DeleteConsumer(ctx context.Context, catalog, name string, actor store.Actor) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		catID, id, err := lockedConsumer(ctx, tx, catalog, name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM consumers WHERE id = $1`, id); err != nil {
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
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = listConsumers(ctx, tx, catalog)
		return err
	})
	return out, err
}

// listConsumers reads a catalog's consumers and their credentials; q must give one
// snapshot (a REPEATABLE READ transaction).
func listConsumers(ctx context.Context, q querier, catalog string) ([]store.HostedConsumer, error) {
	cat, err := catalogByName(ctx, q, catalog)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, name, groups, created_at FROM consumers WHERE catalog_id = $1 ORDER BY name`, cat.ID)
	if err != nil {
		return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
	}
	var out []store.HostedConsumer
	byID := map[int64]int{}
	for rows.Next() {
		var c store.HostedConsumer
		if err := rows.Scan(&c.ID, &c.Name, &c.Groups, &c.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
		}
		if len(c.Groups) == 0 {
			c.Groups = nil
		}
		c.Catalog, c.CreatedAt = catalog, c.CreatedAt.UTC()
		byID[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing consumers of %q: %w", catalog, err)
	}
	crows, err := q.Query(ctx, `SELECT k.id, k.consumer_id, k.name, k.hash, k.created_at FROM credentials k
		JOIN consumers c ON c.id = k.consumer_id WHERE c.catalog_id = $1 ORDER BY k.id`, cat.ID)
	if err != nil {
		return nil, fmt.Errorf("listing credentials of %q: %w", catalog, err)
	}
	defer crows.Close()
	for crows.Next() {
		var k store.Credential
		var consumer int64
		if err := crows.Scan(&k.ID, &consumer, &k.Name, &k.Hash, &k.CreatedAt); err != nil {
			return nil, fmt.Errorf("listing credentials of %q: %w", catalog, err)
		}
		k.CreatedAt = k.CreatedAt.UTC()
		if i, ok := byID[consumer]; ok {
			out[i].Credentials = append(out[i].Credentials, k)
		}
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("listing credentials of %q: %w", catalog, err)
	}
	return out, nil
}

// AddCredential implements store.ConsumerStore.
func (s *Store) AddCredential(ctx context.Context, in store.CredentialInput) (*store.Credential, error) {
	if !secret.IsHash(in.Hash) {
		return nil, fmt.Errorf("adding credential to %q: the key must be given hashed (sha256:<hex>)", in.Consumer)
	}
	k := &store.Credential{Name: in.Name, Hash: in.Hash, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		catID, id, err := lockedConsumer(ctx, tx, in.Catalog, in.Consumer)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO credentials (consumer_id, name, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			id, in.Name, in.Hash, k.CreatedAt).Scan(&k.ID); err != nil {
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
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		catID, cid, err := lockedConsumer(ctx, tx, catalog, consumer)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM credentials WHERE id = $1 AND consumer_id = $2`, id, cid)
		if err != nil {
			return fmt.Errorf("revoking credential %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("credential %d of consumer %q: %w", id, consumer, store.ErrNotFound)
		}
		if _, err := bumpSeq(ctx, tx, catID, store.EventConsumers, "", 0); err != nil {
			return err
		}
		return insertAudit(ctx, tx, actor, store.AuditRecord{Action: store.ActionCredentialRevoke, Catalog: catalog,
			Target: fmt.Sprintf("consumers/%s/credentials/%d", consumer, id)})
	})
}
