package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// AddRevision stores rev as the newest revision of the API called name, creating the API if
// needed, in one transaction. If the API's newest revision already has rev.Hash, nothing is
// written and that revision is returned, with its files and compiled form, and added=false.
// An earlier (not newest) revision with the same hash does not count: returning to earlier
// content adds a new newest revision (its blobs are shared, so it costs a few rows).
// rev is not modified; the returned revision shares rev's file contents and compiled bytes.
// rev.Hash must be set and file paths must be unique within rev.
func (s *Store) AddRevision(ctx context.Context, name string, rev *model.SpecRevision) (*model.API, *model.SpecRevision, bool, error) {
	return s.AddRevisionAndEditConfig(ctx, name, rev, nil)
}

// AddRevisionAndEditConfig stores rev as the newest revision of the API called name, as
// AddRevision does, and in the same transaction passes the newest gateway configuration (an
// empty one if none is stored) to edit, storing what edit leaves as a new configuration
// revision if edit reports a change; a nil edit leaves the configuration alone. Either
// everything is stored or, on any error, nothing.
func (s *Store) AddRevisionAndEditConfig(ctx context.Context, name string, rev *model.SpecRevision,
	edit func(c *model.GatewayConfig) (changed bool, err error)) (*model.API, *model.SpecRevision, bool, error) {
	if err := checkRevision(name, rev); err != nil {
		return nil, nil, false, err
	}
	var (
		api    *model.API
		stored *model.SpecRevision
		added  bool
	)
	err := s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		if api, stored, added, err = s.addRevision(ctx, tx, name, rev); err != nil || edit == nil {
			return err
		}
		c, _, err := latestGatewayConfig(ctx, tx)
		if errors.Is(err, store.ErrNotFound) {
			c, err = &model.GatewayConfig{}, nil
		}
		if err != nil {
			return err
		}
		changed, err := edit(c)
		if err != nil || !changed {
			return err
		}
		_, _, err = putGatewayConfig(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("adding revision to API %q: %w", name, err)
	}
	return api, stored, added, nil
}

// checkRevision rejects a revision AddRevision cannot store.
func checkRevision(name string, rev *model.SpecRevision) error {
	if name == "" {
		return errors.New("adding revision: empty API name")
	}
	if rev == nil {
		return fmt.Errorf("adding revision to API %q: nil revision", name)
	}
	if rev.Hash == "" {
		return fmt.Errorf("adding revision to API %q: revision has no hash", name)
	}
	seen := make(map[string]bool, len(rev.Files))
	for _, f := range rev.Files {
		if seen[f.Path] {
			return fmt.Errorf("adding revision to API %q: file %q appears twice", name, f.Path)
		}
		seen[f.Path] = true
	}

	return nil
}

// addRevision is AddRevision inside the transaction tx.
func (s *Store) addRevision(ctx context.Context, tx *sql.Tx, name string, rev *model.SpecRevision) (*model.API, *model.SpecRevision, bool, error) {
	var (
		api    model.API
		stored *model.SpecRevision
		added  bool
	)
	err := func() error {
		t := now()
		api = model.API{Name: name}
		var created, updated int64
		err := tx.QueryRowContext(ctx, `SELECT id, created_at, updated_at FROM apis WHERE name = ?`, name).
			Scan(&api.ID, &created, &updated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created, updated = toMicros(t), toMicros(t)
			if err := tx.QueryRowContext(ctx, `INSERT INTO apis (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`,
				name, created, updated).Scan(&api.ID); err != nil {
				return wrapWrite("creating API", err)
			}
		case err != nil:
			return fmt.Errorf("looking up API: %w", err)
		}
		api.CreatedAt, api.UpdatedAt = fromMicros(created), fromMicros(updated)

		var newestID int64
		var newestHash string
		err = tx.QueryRowContext(ctx, `SELECT id, hash FROM spec_revisions WHERE api_id = ? ORDER BY id DESC LIMIT 1`, api.ID).
			Scan(&newestID, &newestHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("looking up newest revision: %w", err)
		}
		if err == nil && newestHash == rev.Hash {
			stored, err = scanRevision(ctx, tx, `WHERE r.id = ?`, newestID)
			if err != nil {
				return err
			}
			stored.Files, err = revisionFiles(ctx, tx, newestID)
			return err
		}

		// Hash and compress every blob first, in parallel; the inserts then only write.
		encoded := encodeBlobs(rev, s.compressFiles, s.compressCompiled)
		insertBlob, err := tx.PrepareContext(ctx, `INSERT INTO blobs (hash, encoding, size, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("preparing blob insert: %w", err)
		}
		defer insertBlob.Close()
		var compiledHash sql.NullString
		if rev.Compiled != nil {
			h, err := putBlob(ctx, insertBlob, encoded[len(encoded)-1])
			if err != nil {
				return err
			}
			compiledHash = sql.NullString{String: h, Valid: true}
		}
		out := *rev
		out.APIID, out.CreatedAt = api.ID, t
		out.Files = slices.Clone(rev.Files)
		if err := tx.QueryRowContext(ctx, `INSERT INTO spec_revisions
			(api_id, hash, source_path, root, title, version, spec_version, operations, compiled_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			api.ID, rev.Hash, rev.SourcePath, rev.Root, rev.Title, rev.Version, rev.SpecVersion, rev.Operations,
			compiledHash, toMicros(t)).Scan(&out.ID); err != nil {
			return wrapWrite("storing revision", err)
		}
		insertFile, err := tx.PrepareContext(ctx, `INSERT INTO revision_files (revision_id, seq, path, blob_hash) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("preparing file insert: %w", err)
		}
		defer insertFile.Close()
		for i, f := range rev.Files {
			h, err := putBlob(ctx, insertBlob, encoded[i])
			if err != nil {
				return fmt.Errorf("storing file %q: %w", f.Path, err)
			}
			if _, err := insertFile.ExecContext(ctx, out.ID, i, f.Path, h); err != nil {
				return wrapWrite(fmt.Sprintf("storing file %q", f.Path), err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE apis SET updated_at = ? WHERE id = ?`, toMicros(t), api.ID); err != nil {
			return fmt.Errorf("updating API: %w", err)
		}
		api.UpdatedAt = t
		stored, added = &out, true
		return nil
	}()
	if err != nil {
		return nil, nil, false, err
	}
	return &api, stored, added, nil
}

// GetAPI returns the API called name, or an error wrapping store.ErrNotFound.
func (s *Store) GetAPI(ctx context.Context, name string) (*model.API, error) {
	api := model.API{Name: name}
	var created, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT id, created_at, updated_at, linked_path FROM apis WHERE name = ?`, name).
		Scan(&api.ID, &created, &updated, &api.LinkedPath)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("getting API %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting API %q: %w", name, err)
	}
	api.CreatedAt, api.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &api, nil
}

// ListAPIs returns every API with facts about its newest revision, ordered by name.
func (s *Store) ListAPIs(ctx context.Context) ([]model.APISummary, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT a.id, a.name, a.created_at, a.updated_at, a.linked_path,
		       coalesce(r.title, ''), coalesce(r.version, ''), coalesce(r.operations, 0), coalesce(r.id, 0),
		       (SELECT count(*) FROM spec_revisions c WHERE c.api_id = a.id)
		FROM apis a
		LEFT JOIN spec_revisions r ON r.id = (SELECT max(m.id) FROM spec_revisions m WHERE m.api_id = a.id)
		ORDER BY a.name`)
	if err != nil {
		return nil, fmt.Errorf("listing APIs: %w", err)
	}
	defer rows.Close()
	var out []model.APISummary
	for rows.Next() {
		var a model.APISummary
		var created, updated int64
		if err := rows.Scan(&a.ID, &a.Name, &created, &updated, &a.LinkedPath, &a.Title, &a.Version, &a.Operations,
			&a.LatestRevision, &a.Revisions); err != nil {
			return nil, fmt.Errorf("listing APIs: %w", err)
		}
		a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing APIs: %w", err)
	}
	return out, nil
}

// SetLinkedPath links the API called name to the spec file at path ("" unlinks it); it
// returns an error wrapping store.ErrNotFound if there is no such API.
func (s *Store) SetLinkedPath(ctx context.Context, name, path string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE apis SET linked_path = ? WHERE name = ?`, path, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("linking API %q: %w", name, err)
	}
	return nil
}

// DeleteAPI removes the API called name, its revisions and every blob no other revision
// uses, in one transaction; it returns an error wrapping store.ErrNotFound if there is no such API.
func (s *Store) DeleteAPI(ctx context.Context, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := deleteOne(ctx, tx, `DELETE FROM apis WHERE name = ?`, name); err != nil {
			return err
		}
		n, err := deleteOrphanBlobs(ctx, tx)
		if err != nil {
			return err
		}
		s.log.Debug("deleted API", "api", name, "blobs", n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting API %q: %w", name, err)
	}
	return nil
}

// LatestRevision returns the newest revision of the API called name with its compiled form,
// and with its files only if withFiles. It returns an error wrapping store.ErrNotFound if there
// is no such API. Without files it is one indexed query.
func (s *Store) LatestRevision(ctx context.Context, name string, withFiles bool) (*model.SpecRevision, error) {
	var rev *model.SpecRevision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		rev, err = scanRevision(ctx, tx, `WHERE r.id = (SELECT max(m.id) FROM spec_revisions m
			JOIN apis a ON a.id = m.api_id WHERE a.name = ?)`, name)
		if err != nil || !withFiles {
			return err
		}
		rev.Files, err = revisionFiles(ctx, tx, rev.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("getting newest revision of API %q: %w", name, err)
	}
	return rev, nil
}

// GetRevision returns the revision with id, with its compiled form and files, or an error
// wrapping store.ErrNotFound.
func (s *Store) GetRevision(ctx context.Context, id int64) (*model.SpecRevision, error) {
	var rev *model.SpecRevision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if rev, err = scanRevision(ctx, tx, `WHERE r.id = ?`, id); err != nil {
			return err
		}
		rev.Files, err = revisionFiles(ctx, tx, rev.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("getting revision %d: %w", id, err)
	}
	return rev, nil
}

// ListRevisions returns the revisions of the API called name, newest first, without files or
// compiled form, or an error wrapping store.ErrNotFound if there is no such API.
func (s *Store) ListRevisions(ctx context.Context, name string) ([]model.SpecRevision, error) {
	var out []model.SpecRevision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var apiID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM apis WHERE name = ?`, name).Scan(&apiID)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, api_id, hash, source_path, root, title, version, spec_version,
			operations, created_at FROM spec_revisions WHERE api_id = ? ORDER BY id DESC`, apiID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r model.SpecRevision
			var created int64
			if err := rows.Scan(&r.ID, &r.APIID, &r.Hash, &r.SourcePath, &r.Root, &r.Title, &r.Version,
				&r.SpecVersion, &r.Operations, &created); err != nil {
				return err
			}
			r.CreatedAt = fromMicros(created)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("listing revisions of API %q: %w", name, err)
	}
	return out, nil
}

// scanRevision reads one revision and its compiled form; where selects it from
// spec_revisions r. No row is store.ErrNotFound.
func scanRevision(ctx context.Context, tx *sql.Tx, where string, args ...any) (*model.SpecRevision, error) {
	var (
		r       model.SpecRevision
		created int64
		enc     sql.NullString
		size    sql.NullInt64
		data    []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT r.id, r.api_id, r.hash, r.source_path, r.root, r.title, r.version,
		r.spec_version, r.operations, r.created_at, b.encoding, b.size, b.data
		FROM spec_revisions r LEFT JOIN blobs b ON b.hash = r.compiled_hash `+where, args...).
		Scan(&r.ID, &r.APIID, &r.Hash, &r.SourcePath, &r.Root, &r.Title, &r.Version, &r.SpecVersion,
			&r.Operations, &created, &enc, &size, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.CreatedAt = fromMicros(created)
	if enc.Valid {
		if r.Compiled, err = decodeBlob(enc.String, size.Int64, data); err != nil {
			return nil, fmt.Errorf("reading compiled form: %w", err)
		}
	}
	return &r, nil
}

// revisionFiles reads the files of a revision in their stored order.
func revisionFiles(ctx context.Context, tx *sql.Tx, revID int64) ([]model.SpecFile, error) {
	rows, err := tx.QueryContext(ctx, `SELECT f.path, b.encoding, b.size, b.data
		FROM revision_files f JOIN blobs b ON b.hash = f.blob_hash
		WHERE f.revision_id = ? ORDER BY f.seq`, revID)
	if err != nil {
		return nil, fmt.Errorf("reading files: %w", err)
	}
	defer rows.Close()
	var files []model.SpecFile
	for rows.Next() {
		var (
			f    model.SpecFile
			enc  string
			size int64
			data []byte
		)
		if err := rows.Scan(&f.Path, &enc, &size, &data); err != nil {
			return nil, fmt.Errorf("reading files: %w", err)
		}
		if f.Content, err = decodeBlob(enc, size, data); err != nil {
			return nil, fmt.Errorf("reading file %q: %w", f.Path, err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading files: %w", err)
	}
	return files, nil
}
