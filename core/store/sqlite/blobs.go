package sqlite

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
)

// Blob encodings stored in blobs.encoding.
const (
	encIdentity = ""        // data is the content
	encDeflate  = "deflate" // data is raw DEFLATE (RFC 1951) of the content
)

// Compression defaults, measured with the benchmarks in bench_test.go on a ~5 MB synthetic
// compiled form (2-core AMD EPYC, Go 1.26, modernc.org/sqlite v1.62.0, DEFLATE at BestSpeed):
//
//	               stored    AddRevision   LatestRevision(withFiles=false)
//	plain          5.0 MiB   55-67 ms      8-9 ms
//	deflate        1.1 MiB   75-106 ms     37-43 ms
//
// (Stand-alone, gzip at BestSpeed took 7-11 ms per MB to compress and 6-8 ms per MB to
// decompress, for 4.6-5.5x; raw DEFLATE is the same minus gzip's CRC, so it is used here.)
//
// LatestRevision is the hot path of starting a mock, so compiled forms are stored plain:
// 4-5x faster to read for 4.7x the space. Spec files are read only when a revision is opened
// with its files (editor, diff, export), so they are compressed; YAML specs shrink about 5x.
// The encoding is stored per blob, so either choice can change later without a migration.
const (
	defaultCompressFiles    = true
	defaultCompressCompiled = false
)

// compressMin is the smallest blob worth compressing.
const compressMin = 4 << 10

// blobHash returns the hex SHA-256 of content: the blob's address.
func blobHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// putBlob stores content unless a blob with its hash exists, and returns the hash.
// If compress, content of compressMin bytes or more is stored DEFLATE-compressed when that
// makes it smaller.
func putBlob(ctx context.Context, tx *sql.Tx, content []byte, compress bool) (string, error) {
	h := blobHash(content)
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM blobs WHERE hash = ?`, h).Scan(&one)
	if err == nil {
		return h, nil
	}
	if err != sql.ErrNoRows {
		return "", fmt.Errorf("looking up blob %s: %w", h, err)
	}
	enc, data := encIdentity, content
	if compress && len(content) >= compressMin {
		var buf bytes.Buffer
		buf.Grow(len(content) / 4)
		zw, _ := flate.NewWriter(&buf, flate.BestSpeed) // only fails for a bad level
		if _, err := zw.Write(content); err != nil {
			return "", fmt.Errorf("compressing blob %s: %w", h, err)
		}
		if err := zw.Close(); err != nil {
			return "", fmt.Errorf("compressing blob %s: %w", h, err)
		}
		if buf.Len() < len(content) {
			enc, data = encDeflate, buf.Bytes()
		}
	}
	if data == nil {
		data = []byte{} // the column is NOT NULL
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (hash, encoding, size, data) VALUES (?, ?, ?, ?)`,
		h, enc, len(content), data); err != nil {
		return "", fmt.Errorf("storing blob %s: %w", h, err)
	}
	return h, nil
}

// decodeBlob returns the content of a blob stored as data with encoding enc and
// uncompressed length size. data may be reused by the result.
func decodeBlob(enc string, size int64, data []byte) ([]byte, error) {
	switch enc {
	case encIdentity:
		if data == nil {
			data = []byte{}
		}
		return data, nil
	case encDeflate:
		out := make([]byte, size)
		zr := flate.NewReader(bytes.NewReader(data))
		defer zr.Close()
		if _, err := io.ReadFull(zr, out); err != nil {
			return nil, fmt.Errorf("decompressing blob: %w", err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("blob has unknown encoding %q", enc)
	}
}

// deleteOrphanBlobs removes every blob no revision refers to.
func deleteOrphanBlobs(ctx context.Context, tx *sql.Tx) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM blobs
		WHERE NOT EXISTS (SELECT 1 FROM revision_files f WHERE f.blob_hash = blobs.hash)
		  AND NOT EXISTS (SELECT 1 FROM spec_revisions r WHERE r.compiled_hash = blobs.hash)`)
	if err != nil {
		return 0, fmt.Errorf("deleting unreferenced blobs: %w", err)
	}
	return res.RowsAffected()
}
