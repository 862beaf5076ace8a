package hostedsqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gantry-dev/gantry/core/store"
)

// RecordHeartbeat implements store.NodeStore.
func (s *Store) RecordHeartbeat(ctx context.Context, n *store.Node) error {
	if n.ID == "" {
		return fmt.Errorf("recording heartbeat: empty node ID")
	}
	revs := n.Revisions
	if revs == nil {
		revs = map[string]int64{}
	}
	rj, err := marshalJSON(revs)
	if err != nil {
		return fmt.Errorf("recording heartbeat of %q: %w", n.ID, err)
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		cat, err := catalogByName(ctx, tx, n.Catalog)
		if err != nil {
			return err
		}
		t := toMicros(now())
		_, err = tx.ExecContext(ctx, `INSERT INTO nodes (catalog_id, node_id, version, seq, revisions, addr, error, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (catalog_id, node_id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
				revisions = excluded.revisions, addr = excluded.addr, error = excluded.error, last_seen = excluded.last_seen`,
			cat.ID, n.ID, n.Version, n.Sequence, rj, n.Addr, n.Error, t, t)
		if err != nil {
			return fmt.Errorf("recording heartbeat of %q: %w", n.ID, err)
		}
		return nil
	})
}

// ListNodes implements store.NodeStore.
func (s *Store) ListNodes(ctx context.Context, catalog string) ([]store.Node, error) {
	var out []store.Node
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT node_id, version, seq, revisions, addr, error, first_seen, last_seen
			FROM nodes WHERE catalog_id = ? ORDER BY node_id`, cat.ID)
		if err != nil {
			return fmt.Errorf("listing nodes of %q: %w", catalog, err)
		}
		defer rows.Close()
		for rows.Next() {
			n := store.Node{Catalog: catalog}
			var rj string
			var first, last int64
			if err := rows.Scan(&n.ID, &n.Version, &n.Sequence, &rj, &n.Addr, &n.Error, &first, &last); err != nil {
				return fmt.Errorf("listing nodes of %q: %w", catalog, err)
			}
			if err := unmarshalJSON(rj, &n.Revisions); err != nil {
				return fmt.Errorf("node %q revisions: %w", n.ID, err)
			}
			if len(n.Revisions) == 0 {
				n.Revisions = nil
			}
			n.FirstSeen, n.LastSeen = fromMicros(first), fromMicros(last)
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// ListAudit implements store.AuditStore.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	var where []string
	var args []any
	if f.Catalog != "" {
		where, args = append(where, "catalog = ?"), append(args, f.Catalog)
	}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT id, at, actor, source_ip, action, catalog, target, revision_before, revision_after, reason, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit records: %w", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		var r store.AuditRecord
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.SourceIP, &r.Action, &r.Catalog, &r.Target, &r.RevisionBefore, &r.RevisionAfter, &r.Reason, &r.Detail); err != nil {
			return nil, fmt.Errorf("listing audit records: %w", err)
		}
		r.Time = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CatalogState implements store.FeedStore.
func (s *Store) CatalogState(ctx context.Context, catalog string) (*store.CatalogState, error) {
	var st store.CatalogState
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		st.Catalog = *cat
		if st.APIs, err = listAPIs(ctx, tx, catalog); err != nil {
			return err
		}
		for _, a := range st.APIs {
			r, err := revisionIn(ctx, tx, catalog, a.Name, a.Revision)
			if err != nil {
				return err
			}
			if r.Bundle, err = readBundle(ctx, tx, r.Hash); err != nil {
				return err
			}
			st.Revisions = append(st.Revisions, *r)
		}
		st.Consumers, err = listConsumers(ctx, tx, catalog)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// EventsSince implements store.FeedStore.
func (s *Store) EventsSince(ctx context.Context, catalog string, after int64, limit int) ([]store.FeedEvent, error) {
	var out []store.FeedEvent
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		cat, err := catalogByName(ctx, tx, catalog)
		if err != nil {
			return err
		}
		q := `SELECT seq, kind, api, revision, created_at FROM feed_events WHERE catalog_id = ? AND seq > ? ORDER BY seq`
		args := []any{cat.ID, after}
		if limit > 0 {
			q += ` LIMIT ?`
			args = append(args, limit)
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("reading events of %q: %w", catalog, err)
		}
		defer rows.Close()
		for rows.Next() {
			var e store.FeedEvent
			var at int64
			if err := rows.Scan(&e.Sequence, &e.Kind, &e.API, &e.Revision, &at); err != nil {
				return fmt.Errorf("reading events of %q: %w", catalog, err)
			}
			e.Time = fromMicros(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
