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
	"runtime"
	"sync"

	"github.com/gantry-dev/gantry/core/model"
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

// encodedBlob is a blob ready to insert: its content hash, encoding and stored bytes.
type encodedBlob struct {
	hash string
	enc  string
	size int
	data []byte
}

// encodeBlobs hashes (and compresses, as configured) every file of rev and then its compiled
// form, which comes last, spreading the work over the machine's cores.
func encodeBlobs(rev *model.SpecRevision, compressFiles, compressCompiled bool) []encodedBlob {
	out := make([]encodedBlob, len(rev.Files)+1)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if i == len(rev.Files) {
					out[i] = encodeBlob(rev.Compiled, compressCompiled)
				} else {
					out[i] = encodeBlob(rev.Files[i].Content, compressFiles)
				}
			}
		}()
	}
	for i := range out {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// encodeBlob hashes content and, if compress and it pays, deflates it.
func encodeBlob(content []byte, compress bool) encodedBlob {
	b := encodedBlob{hash: blobHash(content), enc: encIdentity, size: len(content), data: content}
	if compress && len(content) >= compressMin {
		var buf bytes.Buffer
		buf.Grow(len(content) / 4)
		zw, _ := flate.NewWriter(&buf, flate.BestSpeed) // only fails for a bad level
		_, werr := zw.Write(content)                    // writes to a bytes.Buffer cannot fail
		if werr == nil && zw.Close() == nil && buf.Len() < len(content) {
			b.enc, b.data = encDeflate, buf.Bytes()
		}
	}
	if b.data == nil {
		b.data = []byte{} // the column is NOT NULL
	}
	return b
}

// putBlob stores b unless a blob with its hash exists, and returns the hash.
func putBlob(ctx context.Context, insert *sql.Stmt, b encodedBlob) (string, error) {
	if _, err := insert.ExecContext(ctx, b.hash, b.enc, b.size, b.data); err != nil {
		return "", fmt.Errorf("storing blob %s: %w", b.hash, err)
	}
	return b.hash, nil
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
