package hostedsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/store"
)

// queryer is what both *sql.Tx and *sql.DB offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CreateCatalog implements store.CatalogStore.
func (s *Store) CreateCatalog(ctx context.Context, in store.CreateCatalogInput) (*store.Catalog, error) {
	if in.Name == "" {
		return nil, errors.New("creating catalog: empty name")
	}
	c := &store.Catalog{Name: in.Name, BaseURL: in.BaseURL, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO catalogs (name, base_url, seq, created_at) VALUES (?, ?, 0, ?) RETURNING id`,
			c.Name, c.BaseURL, toMicros(c.CreatedAt)).Scan(&c.ID)
		if err != nil {
			return wrapWrite(fmt.Sprintf("creating catalog %q", in.Name), err)
		}
		return insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionCatalogCreate, Catalog: c.Name,
			Target: "catalogs/" + c.Name, Detail: c.BaseURL})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

const catalogColumns = `id, name, base_url, seq, created_at`

func scanCatalog(row interface{ Scan(...any) error }) (*store.Catalog, error) {
	var c store.Catalog
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.BaseURL, &c.Sequence, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// catalogByName reads a catalog or returns a wrapped store.ErrNotFound.
func catalogByName(ctx context.Context, q queryer, name string) (*store.Catalog, error) {
	c, err := scanCatalog(q.QueryRowContext(ctx, `SELECT `+catalogColumns+` FROM catalogs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading catalog %q: %w", name, err)
	}
	return c, nil
}

// lockCatalog reads a catalog inside a write transaction and takes its row's write lock
// before anything else is read, or returns a wrapped store.ErrNotFound. Under SQLite the
// IMMEDIATE transaction serialises writers anyway; under a database with row locks and READ
// COMMITTED (PostgreSQL) this first statement is what makes the reads that follow (the
// current revision for the compare-and-set) current, and the sequence bump gap-free.
func lockCatalog(ctx context.Context, tx *sql.Tx, name string) (*store.Catalog, error) {
	c, err := scanCatalog(tx.QueryRowContext(ctx, `UPDATE catalogs SET seq = seq WHERE name = ? RETURNING `+catalogColumns, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("locking catalog %q: %w", name, err)
	}
	return c, nil
}

// GetCatalog implements store.CatalogStore.
func (s *Store) GetCatalog(ctx context.Context, name string) (*store.Catalog, error) {
	return catalogByName(ctx, s.r, name)
}

// ListCatalogs implements store.CatalogStore.
func (s *Store) ListCatalogs(ctx context.Context) ([]store.Catalog, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+catalogColumns+` FROM catalogs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing catalogs: %w", err)
	}
	defer rows.Close()
	var out []store.Catalog
	for rows.Next() {
		c, err := scanCatalog(rows)
		if err != nil {
			return nil, fmt.Errorf("listing catalogs: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// bumpSeq increments the catalog's sequence, records the feed event and returns the new
// sequence. The UPDATE takes the catalog row's write lock, so sequences commit in order.
func bumpSeq(ctx context.Context, tx *sql.Tx, catalogID int64, kind, api string, revision int64) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE catalogs SET seq = seq + 1 WHERE id = ? RETURNING seq`, catalogID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("advancing catalog sequence: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feed_events (catalog_id, seq, kind, api, revision, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		catalogID, seq, kind, api, revision, toMicros(now())); err != nil {
		return 0, fmt.Errorf("recording feed event: %w", err)
	}
	return seq, nil
}

// insertAudit writes one audit record inside the mutation's transaction.
func insertAudit(ctx context.Context, tx *sql.Tx, a store.Actor, r store.AuditRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, source_ip, action, catalog, target, revision_before, revision_after, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		toMicros(now()), actorName(a), a.SourceIP, r.Action, r.Catalog, r.Target, r.RevisionBefore, r.RevisionAfter, r.Reason, r.Detail)
	if err != nil {
		return fmt.Errorf("writing audit record: %w", err)
	}
	return nil
}

const apiColumns = `c.name, a.name, a.revision, r.bundle_hash, r.published_by, a.state, a.deprecated_at, a.sunset, a.seq, a.created_at, a.updated_at`

const apiFrom = ` FROM catalog_apis a JOIN catalogs c ON c.id = a.catalog_id
	JOIN revisions r ON r.api_id = a.id AND r.number = a.revision`

func scanAPI(row interface{ Scan(...any) error }) (*store.CatalogAPI, error) {
	var a store.CatalogAPI
	var dep, sunset sql.NullInt64
	var created, updated int64
	if err := row.Scan(&a.Catalog, &a.Name, &a.Revision, &a.Hash, &a.PublishedBy, &a.State, &dep, &sunset, &a.Sequence, &created, &updated); err != nil {
		return nil, err
	}
	a.DeprecatedAt, a.Sunset = fromNullMicros(dep), fromNullMicros(sunset)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// GetCatalogAPI implements store.RevisionStore.
func (s *Store) GetCatalogAPI(ctx context.Context, catalog, api string) (*store.CatalogAPI, error) {
	a, err := scanAPI(s.r.QueryRowContext(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.name = ? AND a.name = ?`, catalog, api))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("API %q in catalog %q: %w", api, catalog, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading API %q in catalog %q: %w", api, catalog, err)
	}
	return a, nil
}

// ListCatalogAPIs implements store.RevisionStore.
func (s *Store) ListCatalogAPIs(ctx context.Context, catalog string) ([]store.CatalogAPI, error) {
	var out []store.CatalogAPI
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = listAPIs(ctx, tx, catalog)
		return err
	})
	return out, err
}

func listAPIs(ctx context.Context, q queryer, catalog string) ([]store.CatalogAPI, error) {
	if _, err := catalogByName(ctx, q, catalog); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.name = ? ORDER BY a.name`, catalog)
	if err != nil {
		return nil, fmt.Errorf("listing APIs of catalog %q: %w", catalog, err)
	}
	defer rows.Close()
	var out []store.CatalogAPI
	for rows.Next() {
		a, err := scanAPI(rows)
		if err != nil {
			return nil, fmt.Errorf("listing APIs of catalog %q: %w", catalog, err)
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

const revisionColumns = `r.id, c.name, a.name, r.number, r.bundle_hash, r.seq, r.published_by, r.published_at, r.reason, r.breaking, r.promoted_from, r.promoted_revision`

const revisionFrom = ` FROM revisions r JOIN catalog_apis a ON a.id = r.api_id JOIN catalogs c ON c.id = a.catalog_id`

func scanRevision(row interface{ Scan(...any) error }) (*store.Revision, error) {
	var r store.Revision
	var at int64
	if err := row.Scan(&r.ID, &r.Catalog, &r.API, &r.Number, &r.Hash, &r.Sequence, &r.PublishedBy, &at,
		&r.Reason, &r.Breaking, &r.PromotedFrom, &r.PromotedRevision); err != nil {
		return nil, err
	}
	r.PublishedAt = fromMicros(at)
	return &r, nil
}

// revisionIn reads a revision (number 0: the current one) without its bundle, or returns a
// wrapped store.ErrNotFound.
func revisionIn(ctx context.Context, q queryer, catalog, api string, number int64) (*store.Revision, error) {
	query := `SELECT ` + revisionColumns + revisionFrom + ` WHERE c.name = ? AND a.name = ? AND r.number = `
	args := []any{catalog, api}
	if number == 0 {
		query += `a.revision`
	} else {
		query += `?`
		args = append(args, number)
	}
	r, err := scanRevision(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		if number == 0 {
			return nil, fmt.Errorf("API %q in catalog %q: %w", api, catalog, store.ErrNotFound)
		}
		return nil, fmt.Errorf("revision %d of API %q in catalog %q: %w", number, api, catalog, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading revision of API %q in catalog %q: %w", api, catalog, err)
	}
	return r, nil
}

// readBundle reads a stored bundle with its files.
func readBundle(ctx context.Context, q queryer, hash string) (*store.Bundle, error) {
	var b store.Bundle
	var settings string
	if err := q.QueryRowContext(ctx, `SELECT root, settings FROM bundles WHERE hash = ?`, hash).Scan(&b.Root, &settings); err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", hash, err)
	}
	if err := unmarshalJSON(settings, &b.Settings); err != nil {
		return nil, fmt.Errorf("reading bundle %s settings: %w", hash, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT path, content FROM bundle_files WHERE bundle_hash = ? ORDER BY seq`, hash)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s files: %w", hash, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f struct {
			path    string
			content []byte
		}
		if err := rows.Scan(&f.path, &f.content); err != nil {
			return nil, fmt.Errorf("reading bundle %s files: %w", hash, err)
		}
		b.Files = append(b.Files, fileOf(f.path, f.content))
	}
	return &b, rows.Err()
}

// GetRevision implements store.RevisionStore.
func (s *Store) GetRevision(ctx context.Context, catalog, api string, number int64) (*store.Revision, error) {
	var r *store.Revision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = revisionIn(ctx, tx, catalog, api, number); err != nil {
			return err
		}
		r.Bundle, err = readBundle(ctx, tx, r.Hash)
		return err
	})
	return r, err
}

// ListRevisions implements store.RevisionStore.
func (s *Store) ListRevisions(ctx context.Context, catalog, api string) ([]store.Revision, error) {
	var out []store.Revision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if _, err := revisionIn(ctx, tx, catalog, api, 0); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+revisionColumns+revisionFrom+` WHERE c.name = ? AND a.name = ? ORDER BY r.number DESC`, catalog, api)
		if err != nil {
			return fmt.Errorf("listing revisions of API %q in catalog %q: %w", api, catalog, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRevision(rows)
			if err != nil {
				return fmt.Errorf("listing revisions of API %q in catalog %q: %w", api, catalog, err)
			}
			out = append(out, *r)
		}
		return rows.Err()
	})
	return out, err
}

// Publish implements store.RevisionStore.
func (s *Store) Publish(ctx context.Context, in store.PublishInput) (*store.Revision, bool, error) {
	if in.Catalog == "" || in.API == "" {
		return nil, false, errors.New("publishing: empty catalog or API name")
	}
	if in.Bundle == nil {
		return nil, false, fmt.Errorf("publishing %s to %s: no bundle", in.API, in.Catalog)
	}
	if err := in.Bundle.Validate(); err != nil {
		return nil, false, fmt.Errorf("publishing %s to %s: %w", in.API, in.Catalog, err)
	}
	hash, err := in.Bundle.Hash()
	if err != nil {
		return nil, false, fmt.Errorf("publishing %s to %s: %w", in.API, in.Catalog, err)
	}
	var rev *store.Revision
	var created bool
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := storeBundle(ctx, tx, hash, in.Bundle); err != nil {
			return err
		}
		var err error
		rev, created, err = addRevision(ctx, tx, newRevision{
			catalog: in.Catalog, api: in.API, base: in.BaseRevision, hash: hash,
			breaking: in.Breaking, reason: in.Reason, actor: in.Actor, action: store.ActionAPIPublish,
		})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	rev.Bundle = in.Bundle
	return rev, created, nil
}

// Promote implements store.RevisionStore.
func (s *Store) Promote(ctx context.Context, in store.PromoteInput) (*store.Revision, bool, error) {
	if in.From == "" || in.To == "" || in.API == "" {
		return nil, false, errors.New("promoting: empty catalog or API name")
	}
	if in.From == in.To {
		return nil, false, fmt.Errorf("promoting %s: source and target are both catalog %q", in.API, in.From)
	}
	var rev *store.Revision
	var created bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		src, err := revisionIn(ctx, tx, in.From, in.API, in.Revision)
		if err != nil {
			return err
		}
		rev, created, err = addRevision(ctx, tx, newRevision{
			catalog: in.To, api: in.API, base: in.BaseRevision, hash: src.Hash,
			breaking: in.Breaking, reason: in.Reason, actor: in.Actor, action: store.ActionAPIPromote,
			promotedFrom: in.From, promotedRevision: src.Number,
		})
		if err != nil {
			return err
		}
		rev.Bundle, err = readBundle(ctx, tx, rev.Hash)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return rev, created, nil
}

// storeBundle stores a bundle unless one with the same hash is stored already.
func storeBundle(ctx context.Context, tx *sql.Tx, hash string, b *store.Bundle) error {
	settings, err := store.CanonicalSettings(b.Settings)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO bundles (hash, root, settings, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
		hash, b.Root, string(settings), toMicros(now()))
	if err != nil {
		return fmt.Errorf("storing bundle: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	for i, f := range b.Files {
		content := f.Content
		if content == nil {
			content = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bundle_files (bundle_hash, seq, path, content) VALUES (?, ?, ?, ?)`,
			hash, i, f.Path, content); err != nil {
			return fmt.Errorf("storing bundle file %q: %w", f.Path, err)
		}
	}
	return nil
}

// newRevision is what addRevision needs.
type newRevision struct {
	catalog, api     string
	base             int64 // -1: do not check
	hash             string
	breaking         int
	reason           string
	actor            store.Actor
	action           string
	promotedFrom     string
	promotedRevision int64
}

// addRevision makes the bundle with hash n.hash the API's next revision in the catalog, or
// returns the current revision if it has that hash already.
func addRevision(ctx context.Context, tx *sql.Tx, n newRevision) (*store.Revision, bool, error) {
	cat, err := lockCatalog(ctx, tx, n.catalog)
	if err != nil {
		return nil, false, err
	}
	cur, err := revisionIn(ctx, tx, n.catalog, n.api, 0)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	var curNum int64
	if cur != nil {
		if cur.Hash == n.hash {
			return cur, false, nil
		}
		curNum = cur.Number
	}
	if n.base >= 0 && n.base != curNum {
		if cur == nil {
			cur = &store.Revision{Catalog: n.catalog, API: n.api}
		}
		return nil, false, &store.ConflictError{Current: cur, Base: n.base}
	}
	number := curNum + 1
	seq, err := bumpSeq(ctx, tx, cat.ID, store.EventRevision, n.api, number)
	if err != nil {
		return nil, false, err
	}
	t := now()
	var apiID int64
	if cur == nil {
		err = tx.QueryRowContext(ctx, `INSERT INTO catalog_apis (catalog_id, name, revision, state, seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, cat.ID, n.api, number, store.LifecyclePublished, seq, toMicros(t), toMicros(t)).Scan(&apiID)
	} else {
		err = tx.QueryRowContext(ctx, `UPDATE catalog_apis SET revision = ?, seq = ?, updated_at = ? WHERE catalog_id = ? AND name = ? RETURNING id`,
			number, seq, toMicros(t), cat.ID, n.api).Scan(&apiID)
	}
	if err != nil {
		return nil, false, wrapWrite(fmt.Sprintf("storing API %q in catalog %q", n.api, n.catalog), err)
	}
	rev := &store.Revision{Catalog: n.catalog, API: n.api, Number: number, Hash: n.hash, Sequence: seq,
		PublishedBy: actorName(n.actor), PublishedAt: t, Reason: n.reason, Breaking: n.breaking,
		PromotedFrom: n.promotedFrom, PromotedRevision: n.promotedRevision}
	err = tx.QueryRowContext(ctx, `INSERT INTO revisions (api_id, number, bundle_hash, seq, published_by, published_at, reason, breaking, promoted_from, promoted_revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		apiID, number, n.hash, seq, rev.PublishedBy, toMicros(t), n.reason, n.breaking, n.promotedFrom, n.promotedRevision).Scan(&rev.ID)
	if err != nil {
		return nil, false, wrapWrite(fmt.Sprintf("storing revision %d of API %q in catalog %q", number, n.api, n.catalog), err)
	}
	var detail []string
	if n.promotedFrom != "" {
		detail = append(detail, fmt.Sprintf("from %s revision %d", n.promotedFrom, n.promotedRevision))
	}
	if n.breaking > 0 {
		detail = append(detail, fmt.Sprintf("%d breaking changes allowed", n.breaking))
	}
	err = insertAudit(ctx, tx, n.actor, store.AuditRecord{Action: n.action, Catalog: n.catalog, Target: "apis/" + n.api,
		RevisionBefore: curNum, RevisionAfter: number, Reason: n.reason, Detail: strings.Join(detail, "; ")})
	if err != nil {
		return nil, false, err
	}
	return rev, true, nil
}

// SetLifecycle implements store.RevisionStore.
func (s *Store) SetLifecycle(ctx context.Context, in store.LifecycleInput) (*store.CatalogAPI, error) {
	switch in.State {
	case store.LifecyclePublished, store.LifecycleDeprecated, store.LifecycleRetired:
	default:
		return nil, fmt.Errorf("changing lifecycle of %s: unknown state %q", in.API, in.State)
	}
	var out *store.CatalogAPI
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		cat, err := lockCatalog(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		cur, err := scanAPI(tx.QueryRowContext(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.id = ? AND a.name = ?`, cat.ID, in.API))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("API %q in catalog %q: %w", in.API, in.Catalog, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading API %q: %w", in.API, err)
		}
		t := now()
		dep, sunset := cur.DeprecatedAt, time.Time{}
		switch in.State {
		case store.LifecyclePublished:
			dep = time.Time{}
		case store.LifecycleDeprecated:
			if dep.IsZero() {
				dep = t
			}
			sunset = in.Sunset.UTC().Truncate(time.Microsecond)
		case store.LifecycleRetired:
			sunset = cur.Sunset
		}
		seq, err := bumpSeq(ctx, tx, cat.ID, store.EventLifecycle, in.API, cur.Revision)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_apis SET state = ?, deprecated_at = ?, sunset = ?, seq = ?, updated_at = ? WHERE catalog_id = ? AND name = ?`,
			in.State, nullMicros(dep), nullMicros(sunset), seq, toMicros(t), cat.ID, in.API); err != nil {
			return fmt.Errorf("changing lifecycle of %q: %w", in.API, err)
		}
		detail := cur.State + " -> " + in.State
		if !sunset.IsZero() {
			detail += "; sunset " + sunset.Format(time.RFC3339)
		}
		if err := insertAudit(ctx, tx, in.Actor, store.AuditRecord{Action: store.ActionAPILifecycle, Catalog: in.Catalog,
			Target: "apis/" + in.API, RevisionBefore: cur.Revision, RevisionAfter: cur.Revision, Reason: in.Reason, Detail: detail}); err != nil {
			return err
		}
		cur.State, cur.DeprecatedAt, cur.Sunset, cur.Sequence, cur.UpdatedAt = in.State, dep, sunset, seq, t
		out = cur
		return nil
	})
	return out, err
}
