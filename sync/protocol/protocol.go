// Package protocol holds the wire types of the management API and of the data-plane feed,
// shared by sync/server and sync/client, with their strict decoders.
//
// All bodies are JSON. Spec files travel as text when they are valid UTF-8 (readable in a
// terminal and in diffs) and as base64 otherwise.
//
// # The data-plane feed
//
// A gateway node opens one long-lived GET /api/v1/catalogs/{catalog}/feed with its node
// token. The answer is a Server-Sent Events stream (text/event-stream over plain HTTP/1.1):
// SSE is one request that any proxy and load balancer passes through, it has a built-in
// resume point (each event's "id:" is the catalog sequence and a reconnecting client sends it
// back as Last-Event-ID), and it needs no library on either side. The stream sends:
//
//  1. a "snapshot" frame with the catalog's whole state at sequence N (always first, unless
//     the client resumes from a sequence the server can replay from);
//  2. then one frame per change, in strictly increasing sequence order: "revision" (an API's
//     new current revision with its bundle), "lifecycle" (an API's new state), "consumers"
//     (the whole consumer list);
//  3. a keep-alive comment (KeepAliveComment) when nothing happened for a while, so that
//     dead connections are noticed; a "ping" frame (sequence unchanged) is also accepted.
//
// A node applies frames in order and remembers the sequence of the last one it applied;
// after a disconnect it reconnects with Last-Event-ID set to it. Nodes report what they
// serve with POST /api/v1/nodes/heartbeat.
package protocol

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gantry-dev/gantry/core/breaking"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// MaxPublishBytes bounds a publish request body.
const MaxPublishBytes = 64 << 20

// File is one spec file on the wire.
type File struct {
	// Path is relative to the root document's folder, with forward slashes.
	Path string `json:"path"`
	// Content is the file's text, or its base64 form when Encoding is "base64".
	Content string `json:"content"`
	// Encoding is "" for UTF-8 text or "base64".
	Encoding string `json:"encoding,omitempty"`
}

// Settings are how the gateways serve an API (upstreams, policies, base path...).
type Settings = store.APISettings

// Bundle is an API revision's content: its spec files and serving settings.
type Bundle struct {
	// Root is the root document's path within Files.
	Root string `json:"root"`
	// Files are every file of the spec, root included.
	Files []File `json:"files"`
	// Settings say how the gateways serve the API; the zero value mocks it at its own base path.
	Settings Settings `json:"settings"`
}

// BundleFromStore converts a stored bundle to its wire form.
func BundleFromStore(b *store.Bundle) *Bundle {
	if b == nil {
		return nil
	}
	out := &Bundle{Root: b.Root, Settings: b.Settings, Files: make([]File, len(b.Files))}
	for i, f := range b.Files {
		if utf8.Valid(f.Content) {
			out.Files[i] = File{Path: f.Path, Content: string(f.Content)}
		} else {
			out.Files[i] = File{Path: f.Path, Content: base64.StdEncoding.EncodeToString(f.Content), Encoding: "base64"}
		}
	}
	return out
}

// ToStore converts the bundle to its stored form, decoding base64 files.
func (b *Bundle) ToStore() (*store.Bundle, error) {
	out := &store.Bundle{Root: b.Root, Settings: b.Settings, Files: make([]model.SpecFile, len(b.Files))}
	for i, f := range b.Files {
		switch f.Encoding {
		case "":
			out.Files[i] = model.SpecFile{Path: f.Path, Content: []byte(f.Content)}
		case "base64":
			c, err := base64.StdEncoding.DecodeString(f.Content)
			if err != nil {
				return nil, fmt.Errorf("file %q: invalid base64: %w", f.Path, err)
			}
			out.Files[i] = model.SpecFile{Path: f.Path, Content: c}
		default:
			return nil, fmt.Errorf("file %q: unknown encoding %q (use \"\" or \"base64\")", f.Path, f.Encoding)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	if _, err := store.CanonicalSettings(out.Settings); err != nil {
		return nil, err
	}
	return out, nil
}

// Revision describes one revision of an API in a catalog.
type Revision struct {
	// Catalog and API name the API.
	Catalog string `json:"catalog"`
	API     string `json:"api"`
	// Number counts the API's revisions in the catalog from 1.
	Number int64 `json:"number"`
	// Hash is the bundle's content address.
	Hash string `json:"hash"`
	// Sequence is the catalog sequence it was published at.
	Sequence int64 `json:"sequence"`
	// PublishedBy and PublishedAt say who published it and when.
	PublishedBy string    `json:"publishedBy"`
	PublishedAt time.Time `json:"publishedAt"`
	// Reason is the reason given; "" if none.
	Reason string `json:"reason,omitempty"`
	// Breaking is how many breaking changes were accepted with it.
	Breaking int `json:"breaking,omitempty"`
	// PromotedFrom and PromotedRevision name the source of a promotion; "" and 0 otherwise.
	PromotedFrom     string `json:"promotedFrom,omitempty"`
	PromotedRevision int64  `json:"promotedRevision,omitempty"`
	// Bundle is the content; nil in listings.
	Bundle *Bundle `json:"bundle,omitempty"`
}

// RevisionFromStore converts a stored revision (and its bundle, if loaded).
func RevisionFromStore(r *store.Revision) Revision {
	return Revision{Catalog: r.Catalog, API: r.API, Number: r.Number, Hash: r.Hash, Sequence: r.Sequence,
		PublishedBy: r.PublishedBy, PublishedAt: r.PublishedAt, Reason: r.Reason, Breaking: r.Breaking,
		PromotedFrom: r.PromotedFrom, PromotedRevision: r.PromotedRevision, Bundle: BundleFromStore(r.Bundle)}
}

// Change is one difference between a catalog's current spec and a new one (operation,
// location, what changed, whether it breaks clients).
type Change = breaking.Change

// PublishRequest publishes a new revision of an API to a catalog
// (PUT /api/v1/catalogs/{catalog}/apis/{api}).
type PublishRequest struct {
	// BaseRevision is the catalog revision the content was based on; 0 for an API new to
	// the catalog. A stale base is refused with 409.
	BaseRevision int64 `json:"baseRevision"`
	// Bundle is the content.
	Bundle Bundle `json:"bundle"`
	// AllowBreaking accepts breaking changes; Reason is then required and audited.
	AllowBreaking bool `json:"allowBreaking,omitempty"`
	// Reason says why; kept in the audit log.
	Reason string `json:"reason,omitempty"`
}

// Validate checks the request's own consistency (not the spec's validity).
func (p *PublishRequest) Validate() error {
	if p.BaseRevision < 0 {
		return fmt.Errorf("baseRevision %d: must be 0 or more", p.BaseRevision)
	}
	if p.AllowBreaking && strings.TrimSpace(p.Reason) == "" {
		return errors.New("allowBreaking needs a reason")
	}
	if _, err := p.Bundle.ToStore(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// PublishResponse answers a publish or a promote.
type PublishResponse struct {
	// Revision is the new revision, or the existing one when the content was identical.
	Revision Revision `json:"revision"`
	// Created is false when identical content was published again (nothing changed).
	Created bool `json:"created"`
	// Changes lists the differences against the previous revision, breaking ones first.
	Changes []Change `json:"changes"`
	// Breaking counts the breaking changes among Changes.
	Breaking int `json:"breaking"`
}

// PromoteRequest copies an exact revision from one catalog to another
// (POST /api/v1/catalogs/{catalog}/apis/{api}/promote, {catalog} being the target).
type PromoteRequest struct {
	// From is the source catalog.
	From string `json:"from"`
	// Revision is the revision number in From; 0 means its current one.
	Revision int64 `json:"revision,omitempty"`
	// BaseRevision is the target's revision the caller expects to replace; nil skips the check.
	BaseRevision *int64 `json:"baseRevision,omitempty"`
	// AllowBreaking accepts breaking changes against the target's current revision.
	AllowBreaking bool `json:"allowBreaking,omitempty"`
	// Reason says why; required with AllowBreaking.
	Reason string `json:"reason,omitempty"`
}

// LifecycleRequest changes an API's lifecycle in a catalog
// (POST /api/v1/catalogs/{catalog}/apis/{api}/lifecycle).
type LifecycleRequest struct {
	// State is "published", "deprecated" or "retired".
	State string `json:"state"`
	// Sunset is when a deprecated API will be retired; nil for not announced.
	Sunset *time.Time `json:"sunset,omitempty"`
	// Reason says why.
	Reason string `json:"reason,omitempty"`
}

// Heartbeat is what a node reports (POST /api/v1/nodes/heartbeat, node token).
type Heartbeat struct {
	// NodeID is the node's stable identifier.
	NodeID string `json:"nodeId"`
	// Version is the node's Gantry version.
	Version string `json:"version,omitempty"`
	// Sequence is the catalog sequence of the snapshot the node serves.
	Sequence int64 `json:"sequence"`
	// Revisions maps API names to the revision numbers served; nil if none.
	Revisions map[string]int64 `json:"revisions,omitempty"`
	// Error is the last snapshot error; "" when the last snapshot applied.
	Error string `json:"error,omitempty"`
}

// DecodeJSON reads one JSON value from r into v, refusing unknown fields, trailing data and
// bodies larger than limit bytes.
func DecodeJSON(r io.Reader, limit int64, v any) error {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("body larger than %d bytes", limit)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if lr.N <= 0 {
			return fmt.Errorf("body larger than %d bytes", limit)
		}
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// DecodePublishRequest reads and validates a publish request.
func DecodePublishRequest(r io.Reader) (*PublishRequest, error) {
	var p PublishRequest
	if err := DecodeJSON(r, MaxPublishBytes, &p); err != nil {
		return nil, fmt.Errorf("decoding publish request: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("publish request: %w", err)
	}
	return &p, nil
}
