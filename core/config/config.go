// Package config holds the gateway's configuration snapshot and the sources that produce it.
//
// A Snapshot is immutable once sent: the gateway compiles it into routes and swaps them in
// atomically. Sources push a full snapshot first and a new full snapshot on every change;
// an unchanged snapshot is not sent again.
package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
)

// Snapshot is the whole configuration of a gateway at one revision.
type Snapshot struct {
	// Revision increases with every snapshot a source sends; 0 means unversioned.
	Revision uint64
	// APIs are served side by side on one listener.
	APIs []*API
}

// API is one API served by the gateway.
type API struct {
	// Name identifies the API in logs, captures and errors.
	Name string
	// BasePath is where its operations are mounted: "" or "/" means the root, otherwise a
	// path with a leading slash and no trailing slash.
	BasePath string
	// Definition is the compiled API description.
	Definition *apidef.Definition
	// Source names where the definition came from (a file path or "workspace:NAME").
	Source string
	// Hash is a content hash of the definition; equal hashes mean equal definitions.
	Hash string
}

// NormalizeBasePath returns p with a leading slash and without a trailing one; the root is "".
func NormalizeBasePath(p string) string {
	p = strings.TrimSpace(p)
	p = strings.TrimRight(p, "/")
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// NewAPI builds an API entry for def; basePath "" (not set) takes the definition's own
// BasePath, and "/" mounts at the root. hash identifies def's content (a stored revision's
// hash, say); "" computes one from def.
func NewAPI(name, source, basePath string, def *apidef.Definition, hash string) (*API, error) {
	bp := def.BasePath
	if basePath != "" {
		bp = basePath
	}
	if hash == "" {
		b, err := json.Marshal(def)
		if err != nil {
			return nil, fmt.Errorf("hashing definition of %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		hash = hex.EncodeToString(sum[:])
	}
	return &API{Name: name, BasePath: NormalizeBasePath(bp), Definition: def, Source: source, Hash: hash}, nil
}

// Equal reports whether a and b configure the gateway identically (revisions aside).
func (s *Snapshot) Equal(o *Snapshot) bool {
	if s == nil || o == nil || len(s.APIs) != len(o.APIs) {
		return s == o
	}
	for i := range s.APIs {
		a, b := s.APIs[i], o.APIs[i]
		if a.Name != b.Name || a.BasePath != b.BasePath || a.Hash != b.Hash {
			return false
		}
	}
	return true
}

// Source produces snapshots. Run sends a full snapshot first and then one per change until
// ctx is done; it returns ctx.Err() then, or an error if the first snapshot cannot be made.
// Problems after the first snapshot (a broken edit) are reported through the source's own
// error callback while the last good snapshot stays in force.
type Source interface {
	Run(ctx context.Context, out chan<- *Snapshot) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, out chan<- *Snapshot) error

// Run calls f.
func (f SourceFunc) Run(ctx context.Context, out chan<- *Snapshot) error { return f(ctx, out) }

// Static returns a Source that sends s once and waits for ctx.
func Static(s *Snapshot) Source {
	return SourceFunc(func(ctx context.Context, out chan<- *Snapshot) error {
		select {
		case out <- s:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ctx.Done()
		return ctx.Err()
	})
}
