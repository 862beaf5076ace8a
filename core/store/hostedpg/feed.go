package hostedpg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// RecordHeartbeat implements store.NodeStore. It is one statement and takes no lock on
// the catalog, so heartbeats never wait for publishes.
func (s *Store) RecordHeartbeat(ctx context.Context, n *store.Node) error {
	if n.ID == "" {
		return errors.New("recording heartbeat: empty node ID")
	}
	revs := n.Revisions
	if revs == nil {
		revs = map[string]int64{}
	}
	rj, err := json.Marshal(revs)
	if err != nil {
		return fmt.Errorf("recording heartbeat of %q: %w", n.ID, err)
	}
	return s.db.with(ctx, func(q querier) error {
		t := now()
		tag, err := q.Exec(ctx, `INSERT INTO nodes (catalog_id, node_id, version, seq, revisions, addr, error, first_seen, last_seen)
			SELECT c.id, $2::text, $3::text, $4::bigint, $5::jsonb, $6::text, $7::text, $8::timestamptz, $8::timestamptz
			FROM catalogs c WHERE c.name = $1
			ON CONFLICT (catalog_id, node_id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
				revisions = excluded.revisions, addr = excluded.addr, error = excluded.error, last_seen = excluded.last_seen`,
			n.Catalog, n.ID, n.Version, n.Sequence, string(rj), n.Addr, n.Error, t)
		if err != nil {
			return fmt.Errorf("recording heartbeat of %q: %w", n.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("recording heartbeat of %q: catalog %q: %w", n.ID, n.Catalog, store.ErrNotFound)
		}
		return nil
	})
}

// ListNodes implements store.NodeStore.
func (s *Store) ListNodes(ctx context.Context, catalog string) ([]store.Node, error) {
	var out []store.Node
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT node_id, version, seq, revisions, addr, error, first_seen, last_seen
			FROM nodes WHERE catalog_id = $1 ORDER BY node_id`, cat.ID)
		if err != nil {
			return fmt.Errorf("listing nodes of %q: %w", catalog, err)
		}
		defer rows.Close()
		for rows.Next() {
			n := store.Node{Catalog: catalog}
			if err := rows.Scan(&n.ID, &n.Version, &n.Sequence, &n.Revisions, &n.Addr, &n.Error, &n.FirstSeen, &n.LastSeen); err != nil {
				return fmt.Errorf("listing nodes of %q: %w", catalog, err)
			}
			if len(n.Revisions) == 0 {
				n.Revisions = nil
			}
			n.FirstSeen, n.LastSeen = n.FirstSeen.UTC(), n.LastSeen.UTC()
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing nodes of %q: %w", catalog, err)
		}
		return nil
	})
	return out, err
}

// ListAudit implements store.AuditStore.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Catalog != "" {
		where = append(where, "catalog = "+arg(f.Catalog))
	}
	if f.Actor != "" {
		where = append(where, "actor = "+arg(f.Actor))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT id, at, actor, source_ip, action, catalog, target, revision_before, revision_after, reason, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	var out []store.AuditRecord
	err := s.db.with(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("listing audit records: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r store.AuditRecord
			if err := rows.Scan(&r.ID, &r.Time, &r.Actor, &r.SourceIP, &r.Action, &r.Catalog, &r.Target, &r.RevisionBefore, &r.RevisionAfter, &r.Reason, &r.Detail); err != nil {
				return fmt.Errorf("listing audit records: %w", err)
			}
			r.Time = r.Time.UTC()
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing audit records: %w", err)
		}
		return nil
	})
	return out, err
}

// CatalogState implements store.FeedStore. It reads in one REPEATABLE READ transaction,
// so the state is exactly the one at Catalog.Sequence even while others write.
func (s *Store) CatalogState(ctx context.Context, catalog string) (*store.CatalogState, error) {
	var st store.CatalogState
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		st = store.CatalogState{}
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		st.Catalog = *cat
		if st.APIs, err = listAPIs(ctx, tx, catalog); err != nil {
			return err
		}
		if st.Revisions, err = currentRevisions(ctx, tx, cat); err != nil {
			return err
		}
		if len(st.Revisions) != len(st.APIs) {
			return fmt.Errorf("reading state of %q: %d APIs but %d current revisions", catalog, len(st.APIs), len(st.Revisions))
		}
		st.Consumers, err = listConsumers(ctx, tx, catalog)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// currentRevisionsOf selects the current revisions of catalog $1, ordered by API name.
const currentRevisionsOf = revisionFrom + ` WHERE c.id = $1 AND r.number = a.revision`

// currentRevisions reads the current revision of every API of the catalog with its
// bundle, ordered by API name, in three statements whatever the number of APIs (a
// revision and its bundle per API would cost two round trips each). Revisions with the
// same content share one *store.Bundle.
func currentRevisions(ctx context.Context, q querier, cat *store.Catalog) ([]store.Revision, error) {
	fail := func(err error) ([]store.Revision, error) {
		return nil, fmt.Errorf("reading current revisions of %q: %w", cat.Name, err)
	}
	rows, err := q.Query(ctx, `SELECT `+revisionColumns+currentRevisionsOf+` ORDER BY a.name`, cat.ID)
	if err != nil {
		return fail(err)
	}
	var out []store.Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			rows.Close()
			return fail(err)
		}
		out = append(out, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	bundles := map[string]*store.Bundle{}
	rows, err = q.Query(ctx, `SELECT hash, root, settings FROM bundles WHERE hash IN (SELECT r.bundle_hash`+currentRevisionsOf+`)`, cat.ID)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var hash, settings string
		b := &store.Bundle{}
		if err := rows.Scan(&hash, &b.Root, &settings); err != nil {
			rows.Close()
			return fail(err)
		}
		if err := unmarshalJSON(settings, &b.Settings); err != nil {
			rows.Close()
			return fail(fmt.Errorf("bundle %s settings: %w", hash, err))
		}
		bundles[hash] = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	rows, err = q.Query(ctx, `SELECT bundle_hash, path, content FROM bundle_files
		WHERE bundle_hash IN (SELECT r.bundle_hash`+currentRevisionsOf+`) ORDER BY bundle_hash, seq`, cat.ID)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var hash string
		var f model.SpecFile
		if err := rows.Scan(&hash, &f.Path, &f.Content); err != nil {
			return fail(err)
		}
		if f.Content == nil {
			f.Content = []byte{}
		}
		if b := bundles[hash]; b != nil {
			b.Files = append(b.Files, f)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for i := range out {
		if out[i].Bundle = bundles[out[i].Hash]; out[i].Bundle == nil {
			return fail(fmt.Errorf("bundle %s of %s is missing", out[i].Hash, out[i].API))
		}
	}
	return out, nil
}

// EventsSince implements store.FeedStore.
func (s *Store) EventsSince(ctx context.Context, catalog string, after int64, limit int) ([]store.FeedEvent, error) {
	var out []store.FeedEvent
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		out = nil
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		q := `SELECT seq, kind, api, revision, created_at FROM feed_events WHERE catalog_id = $1 AND seq > $2 ORDER BY seq`
		args := []any{cat.ID, after}
		if limit > 0 {
			q += ` LIMIT $3`
			args = append(args, limit)
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("reading events of %q: %w", catalog, err)
		}
		defer rows.Close()
		for rows.Next() {
			var e store.FeedEvent
			if err := rows.Scan(&e.Sequence, &e.Kind, &e.API, &e.Revision, &e.Time); err != nil {
				return fmt.Errorf("reading events of %q: %w", catalog, err)
			}
			e.Time = e.Time.UTC()
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading events of %q: %w", catalog, err)
		}
		return nil
	})
	return out, err
}
