package hostedpg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// CreateCatalog implements store.CatalogStore.
func (s *Store) CreateCatalog(ctx context.Context, in store.CreateCatalogInput) (*store.Catalog, error) {
	if in.Name == "" {
		return nil, errors.New("creating catalog: empty name")
	}
	c := &store.Catalog{Name: in.Name, BaseURL: in.BaseURL, CreatedAt: now()}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO catalogs (name, base_url, seq, created_at) VALUES ($1, $2, 0, $3) RETURNING id`,
			c.Name, c.BaseURL, c.CreatedAt).Scan(&c.ID)
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

func scanCatalog(row pgx.Row) (*store.Catalog, error) {
	var c store.Catalog
	if err := row.Scan(&c.ID, &c.Name, &c.BaseURL, &c.Sequence, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

// catalogByName reads a catalog or returns a wrapped store.ErrNotFound.
func catalogByName(ctx context.Context, q querier, name string) (*store.Catalog, error) {
	return readCatalog(ctx, q, name, "")
}

// lockCatalog reads a catalog and locks its row until the transaction ends, or returns a
// wrapped store.ErrNotFound. Every mutation that moves the catalog's sequence calls it
// first: see the package documentation.
func lockCatalog(ctx context.Context, tx pgx.Tx, name string) (*store.Catalog, error) {
	return readCatalog(ctx, tx, name, ` FOR NO KEY UPDATE`)
}

func readCatalog(ctx context.Context, q querier, name, lock string) (*store.Catalog, error) {
	c, err := scanCatalog(q.QueryRow(ctx, `SELECT `+catalogColumns+` FROM catalogs WHERE name = $1`+lock, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("catalog %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading catalog %q: %w", name, err)
	}
	return c, nil
}

// GetCatalog implements store.CatalogStore.
func (s *Store) GetCatalog(ctx context.Context, name string) (*store.Catalog, error) {
	var c *store.Catalog
	err := s.db.with(ctx, func(q querier) error {
		var err error
		c, err = catalogByName(ctx, q, name)
		return err
	})
	return c, err
}

// ListCatalogs implements store.CatalogStore.
func (s *Store) ListCatalogs(ctx context.Context) ([]store.Catalog, error) {
	var out []store.Catalog
	err := s.db.with(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+catalogColumns+` FROM catalogs ORDER BY name`)
		if err != nil {
			return fmt.Errorf("listing catalogs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCatalog(rows)
			if err != nil {
				return fmt.Errorf("listing catalogs: %w", err)
			}
			out = append(out, *c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing catalogs: %w", err)
		}
		return nil
	})
	return out, err
}

// bumpSeq increments the catalog's sequence and records the feed event (whose trigger
// notifies listeners on commit), in one statement; it returns the new sequence. The
// caller holds the catalog's row lock (lockCatalog).
func bumpSeq(ctx context.Context, tx pgx.Tx, catalogID int64, kind, api string, revision int64) (int64, error) {
	var seq int64
	err := tx.QueryRow(ctx, `WITH c AS (UPDATE catalogs SET seq = seq + 1 WHERE id = $1 RETURNING id, seq)
		INSERT INTO feed_events (catalog_id, seq, kind, api, revision, created_at)
		SELECT id, seq, $2, $3, $4, $5 FROM c RETURNING seq`,
		catalogID, kind, api, revision, now()).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("advancing catalog sequence: %w", err)
	}
	return seq, nil
}

// insertAudit writes one audit record inside the mutation's transaction.
func insertAudit(ctx context.Context, tx pgx.Tx, a store.Actor, r store.AuditRecord) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit (at, actor, source_ip, action, catalog, target, revision_before, revision_after, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		now(), actorName(a), a.SourceIP, r.Action, r.Catalog, r.Target, r.RevisionBefore, r.RevisionAfter, r.Reason, r.Detail)
	if err != nil {
		return fmt.Errorf("writing audit record: %w", err)
	}
	return nil
}

const apiColumns = `c.name, a.name, a.revision, r.bundle_hash, r.published_by, a.state, a.deprecated_at, a.sunset, a.seq, a.created_at, a.updated_at`

const apiFrom = ` FROM catalog_apis a JOIN catalogs c ON c.id = a.catalog_id
	JOIN revisions r ON r.api_id = a.id AND r.number = a.revision`

func scanAPI(row pgx.Row) (*store.CatalogAPI, error) {
	var a store.CatalogAPI
	var dep, sunset *time.Time
	if err := row.Scan(&a.Catalog, &a.Name, &a.Revision, &a.Hash, &a.PublishedBy, &a.State, &dep, &sunset, &a.Sequence, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.DeprecatedAt, a.Sunset = fromNullTime(dep), fromNullTime(sunset)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// GetCatalogAPI implements store.RevisionStore.
func (s *Store) GetCatalogAPI(ctx context.Context, catalog, api string) (*store.CatalogAPI, error) {
	var a *store.CatalogAPI
	err := s.db.with(ctx, func(q querier) error {
		var err error
		a, err = scanAPI(q.QueryRow(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.name = $1 AND a.name = $2`, catalog, api))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("API %q in catalog %q: %w", api, catalog, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading API %q in catalog %q: %w", api, catalog, err)
		}
		return nil
	})
	return a, err
}

// ListCatalogAPIs implements store.RevisionStore.
func (s *Store) ListCatalogAPIs(ctx context.Context, catalog string) ([]store.CatalogAPI, error) {
	var out []store.CatalogAPI
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = listAPIs(ctx, tx, catalog)
		return err
	})
	return out, err
}

func listAPIs(ctx context.Context, q querier, catalog string) ([]store.CatalogAPI, error) {
	if _, err := catalogByName(ctx, q, catalog); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.name = $1 ORDER BY a.name`, catalog)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing APIs of catalog %q: %w", catalog, err)
	}
	return out, nil
}

const revisionColumns = `r.id, c.name, a.name, r.number, r.bundle_hash, r.seq, r.published_by, r.published_at, r.reason, r.breaking, r.promoted_from, r.promoted_revision`

const revisionFrom = ` FROM revisions r JOIN catalog_apis a ON a.id = r.api_id JOIN catalogs c ON c.id = a.catalog_id`

func scanRevision(row pgx.Row) (*store.Revision, error) {
	var r store.Revision
	if err := row.Scan(&r.ID, &r.Catalog, &r.API, &r.Number, &r.Hash, &r.Sequence, &r.PublishedBy, &r.PublishedAt,
		&r.Reason, &r.Breaking, &r.PromotedFrom, &r.PromotedRevision); err != nil {
		return nil, err
	}
	r.PublishedAt = r.PublishedAt.UTC()
	return &r, nil
}

// revisionIn reads a revision (number 0: the current one) without its bundle, or returns a
// wrapped store.ErrNotFound.
func revisionIn(ctx context.Context, q querier, catalog, api string, number int64) (*store.Revision, error) {
	query := `SELECT ` + revisionColumns + revisionFrom + ` WHERE c.name = $1 AND a.name = $2 AND r.number = `
	args := []any{catalog, api}
	if number == 0 {
		query += `a.revision`
	} else {
		query += `$3`
		args = append(args, number)
	}
	r, err := scanRevision(q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
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

// readBundle reads a stored bundle with its files. Bundles never change once stored.
func readBundle(ctx context.Context, q querier, hash string) (*store.Bundle, error) {
	var b store.Bundle
	var settings string
	if err := q.QueryRow(ctx, `SELECT root, settings FROM bundles WHERE hash = $1`, hash).Scan(&b.Root, &settings); err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", hash, err)
	}
	if err := unmarshalJSON(settings, &b.Settings); err != nil {
		return nil, fmt.Errorf("reading bundle %s settings: %w", hash, err)
	}
	rows, err := q.Query(ctx, `SELECT path, content FROM bundle_files WHERE bundle_hash = $1 ORDER BY seq`, hash)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s files: %w", hash, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f model.SpecFile
		if err := rows.Scan(&f.Path, &f.Content); err != nil {
			return nil, fmt.Errorf("reading bundle %s files: %w", hash, err)
		}
		if f.Content == nil {
			f.Content = []byte{}
		}
		b.Files = append(b.Files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading bundle %s files: %w", hash, err)
	}
	return &b, nil
}

// GetRevision implements store.RevisionStore.
func (s *Store) GetRevision(ctx context.Context, catalog, api string, number int64) (*store.Revision, error) {
	var r *store.Revision
	// No snapshot needed: a revision and its bundle never change once committed.
	err := s.db.with(ctx, func(q querier) error {
		var err error
		if r, err = revisionIn(ctx, q, catalog, api, number); err != nil {
			return err
		}
		r.Bundle, err = readBundle(ctx, q, r.Hash)
		return err
	})
	return r, err
}

// ListRevisions implements store.RevisionStore.
func (s *Store) ListRevisions(ctx context.Context, catalog, api string) ([]store.Revision, error) {
	var out []store.Revision
	err := s.db.with(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+revisionColumns+revisionFrom+` WHERE c.name = $1 AND a.name = $2 ORDER BY r.number DESC`, catalog, api)
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
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing revisions of API %q in catalog %q: %w", api, catalog, err)
		}
		// An API in a catalog always has its first revision, so no rows means no API.
		if len(out) == 0 {
			return fmt.Errorf("API %q in catalog %q: %w", api, catalog, store.ErrNotFound)
		}
		return nil
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
	settings, err := store.CanonicalSettings(in.Bundle.Settings)
	if err != nil {
		return nil, false, fmt.Errorf("publishing %s to %s: %w", in.API, in.Catalog, err)
	}
	var rev *store.Revision
	var created bool
	err = s.writeTx(ctx, func(tx pgx.Tx) error {
		cat, err := lockCatalog(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		rev, created, err = addRevision(ctx, tx, cat, newRevision{
			api: in.API, base: in.BaseRevision, hash: hash,
			breaking: in.Breaking, reason: in.Reason, actor: in.Actor, action: store.ActionAPIPublish,
		}, func() error { return storeBundle(ctx, tx, hash, in.Bundle, settings) })
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
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		// Only the target is locked: the source revision is immutable once read, and one
		// lock per transaction cannot deadlock.
		cat, err := lockCatalog(ctx, tx, in.To)
		if err != nil {
			return err
		}
		src, err := revisionIn(ctx, tx, in.From, in.API, in.Revision)
		if err != nil {
			return err
		}
		rev, created, err = addRevision(ctx, tx, cat, newRevision{
			api: in.API, base: in.BaseRevision, hash: src.Hash,
			breaking: in.Breaking, reason: in.Reason, actor: in.Actor, action: store.ActionAPIPromote,
			promotedFrom: in.From, promotedRevision: src.Number,
		}, nil)
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

// storeBundle stores a bundle unless one with the same hash is stored already. Two
// transactions storing the same new bundle at once are serialized by the primary key:
// the second waits for the first and then finds the row.
func storeBundle(ctx context.Context, tx pgx.Tx, hash string, b *store.Bundle, settings []byte) error {
	tag, err := tx.Exec(ctx, `INSERT INTO bundles (hash, root, settings, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING`,
		hash, b.Root, string(settings), now())
	if err != nil {
		return fmt.Errorf("storing bundle: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for i, f := range b.Files {
		content := f.Content
		if content == nil {
			content = []byte{}
		}
		batch.Queue(`INSERT INTO bundle_files (bundle_hash, seq, path, content) VALUES ($1, $2, $3, $4)`, hash, i, f.Path, content)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("storing bundle files: %w", err)
	}
	return nil
}

// newRevision is what addRevision needs.
type newRevision struct {
	api              string
	base             int64 // -1: do not check
	hash             string
	breaking         int
	reason           string
	actor            store.Actor
	action           string
	promotedFrom     string
	promotedRevision int64
}

// addRevision makes the bundle with hash n.hash the API's next revision in the locked
// catalog cat, or returns the current revision if it has that hash already. storeContent, if not
// nil, stores the bundle once the revision is known to be new.
func addRevision(ctx context.Context, tx pgx.Tx, cat *store.Catalog, n newRevision, storeContent func() error) (*store.Revision, bool, error) {
	cur, err := revisionIn(ctx, tx, cat.Name, n.api, 0)
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
			cur = &store.Revision{Catalog: cat.Name, API: n.api}
		}
		return nil, false, &store.ConflictError{Current: cur, Base: n.base}
	}
	if storeContent != nil {
		if err := storeContent(); err != nil {
			return nil, false, err
		}
	}
	number := curNum + 1
	seq, err := bumpSeq(ctx, tx, cat.ID, store.EventRevision, n.api, number)
	if err != nil {
		return nil, false, err
	}
	t := now()
	var apiID int64
	if cur == nil {
		err = tx.QueryRow(ctx, `INSERT INTO catalog_apis (catalog_id, name, revision, state, seq, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, cat.ID, n.api, number, store.LifecyclePublished, seq, t).Scan(&apiID)
	} else {
		err = tx.QueryRow(ctx, `UPDATE catalog_apis SET revision = $1, seq = $2, updated_at = $3 WHERE catalog_id = $4 AND name = $5 RETURNING id`,
			number, seq, t, cat.ID, n.api).Scan(&apiID)
	}
	if err != nil {
		return nil, false, wrapWrite(fmt.Sprintf("storing API %q in catalog %q", n.api, cat.Name), err)
	}
	rev := &store.Revision{Catalog: cat.Name, API: n.api, Number: number, Hash: n.hash, Sequence: seq,
		PublishedBy: actorName(n.actor), PublishedAt: t, Reason: n.reason, Breaking: n.breaking,
		PromotedFrom: n.promotedFrom, PromotedRevision: n.promotedRevision}
	err = tx.QueryRow(ctx, `INSERT INTO revisions (api_id, number, bundle_hash, seq, published_by, published_at, reason, breaking, promoted_from, promoted_revision)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		apiID, number, n.hash, seq, rev.PublishedBy, t, n.reason, n.breaking, n.promotedFrom, n.promotedRevision).Scan(&rev.ID)
	if err != nil {
		return nil, false, wrapWrite(fmt.Sprintf("storing revision %d of API %q in catalog %q", number, n.api, cat.Name), err)
	}
	var detail []string
	if n.promotedFrom != "" {
		detail = append(detail, fmt.Sprintf("from %s revision %d", n.promotedFrom, n.promotedRevision))
	}
	if n.breaking > 0 {
		detail = append(detail, fmt.Sprintf("%d breaking changes allowed", n.breaking))
	}
	err = insertAudit(ctx, tx, n.actor, store.AuditRecord{Action: n.action, Catalog: cat.Name, Target: "apis/" + n.api,
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
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		cat, err := lockCatalog(ctx, tx, in.Catalog)
		if err != nil {
			return err
		}
		cur, err := scanAPI(tx.QueryRow(ctx, `SELECT `+apiColumns+apiFrom+` WHERE c.id = $1 AND a.name = $2`, cat.ID, in.API))
		if errors.Is(err, pgx.ErrNoRows) {
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
		if _, err := tx.Exec(ctx, `UPDATE catalog_apis SET state = $1, deprecated_at = $2, sunset = $3, seq = $4, updated_at = $5 WHERE catalog_id = $6 AND name = $7`,
			in.State, nullTime(dep), nullTime(sunset), seq, t, cat.ID, in.API); err != nil {
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
