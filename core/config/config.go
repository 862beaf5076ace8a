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
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/model"
)

// Snapshot is the whole configuration of a gateway at one revision.
type Snapshot struct {
	// Revision increases with every snapshot a source sends; 0 means unversioned.
	Revision uint64
	// APIs are served side by side on one listener.
	APIs []*API
	// Consumers are the identities authentication policies accept; nil means none.
	Consumers []model.Consumer
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
	// Hosts restricts the API to requests for these host names ("*.example.com" matches any
	// subdomain); nil means any host.
	Hosts []string
	// Mode is model.ModeMock or model.ModeProxy; "" means mock.
	Mode string
	// NoValidation turns request validation against the spec off for this API.
	NoValidation bool
	// Upstream is where proxied requests go (proxy settings as JSON); nil means none.
	Upstream json.RawMessage
	// Upstreams are further named upstreams for content-based routing.
	Upstreams map[string]json.RawMessage
	// Policies apply to every operation of the API.
	Policies []model.PolicyConfig
	// Operations override the mode and add policies per operation.
	Operations []model.OperationConfig
	// Lifecycle is the API's state in its catalog; the zero value serves it as published.
	Lifecycle Lifecycle
}

// Lifecycle states of an API (as a catalog of the management server keeps them).
const (
	// LifecyclePublished serves the API normally.
	LifecyclePublished = "published"
	// LifecycleDeprecated serves it with Deprecation (RFC 9745) and Sunset (RFC 8594) headers.
	LifecycleDeprecated = "deprecated"
	// LifecycleRetired answers every operation with 410 Gone.
	LifecycleRetired = "retired"
)

// Lifecycle is an API's lifecycle state.
type Lifecycle struct {
	// State is one of the Lifecycle constants; "" means published.
	State string `json:"state,omitempty"`
	// DeprecatedAt is when the API was deprecated (the Deprecation header); zero omits it.
	DeprecatedAt time.Time `json:"deprecatedAt,omitzero"`
	// Sunset is when it is (or was) retired (the Sunset header); zero omits it.
	Sunset time.Time `json:"sunset,omitzero"`
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
// Definitions compare by hash; everything else by value.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if s == nil || o == nil || len(s.APIs) != len(o.APIs) {
		return s == o
	}
	for i := range s.APIs {
		if !sameAPI(s.APIs[i], o.APIs[i]) {
			return false
		}
	}
	a, _ := json.Marshal(s.Consumers)
	b, _ := json.Marshal(o.Consumers)
	return string(a) == string(b)
}

// sameAPI compares two APIs, the definition by hash only.
func sameAPI(a, b *API) bool {
	if a.Name != b.Name || a.BasePath != b.BasePath || a.Hash != b.Hash {
		return false
	}
	return settingsKey(a) == settingsKey(b)
}

// settingsKey is the JSON of everything in a besides its definition.
func settingsKey(a *API) string {
	b, _ := json.Marshal(struct {
		Hosts        []string
		Mode         string
		NoValidation bool
		Upstream     json.RawMessage
		Upstreams    map[string]json.RawMessage
		Policies     []model.PolicyConfig
		Operations   []model.OperationConfig
		Lifecycle    Lifecycle
	}{a.Hosts, a.Mode, a.NoValidation, a.Upstream, a.Upstreams, a.Policies, a.Operations, a.Lifecycle})
	return string(b)
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
