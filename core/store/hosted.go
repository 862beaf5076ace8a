package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// This file holds the hosted management plane's storage: catalogs, their APIs with
// immutable revisions, consumers, gateway nodes, users, tokens, roles and the audit log.
//
// Every mutating method is one transaction: it checks its preconditions, writes, bumps the
// catalog's sequence where the data plane is affected, and writes its audit record, all or
// nothing. A method that fails leaves no audit record.

// Lifecycle states of an API in a catalog.
const (
	// LifecyclePublished is a served API.
	LifecyclePublished = "published"
	// LifecycleDeprecated is still served, with Deprecation and Sunset headers.
	LifecycleDeprecated = "deprecated"
	// LifecycleRetired is no longer served (the gateway answers 410).
	LifecycleRetired = "retired"
)

// Roles a user can hold in a catalog.
const (
	// RoleAdmin may do everything in the catalog.
	RoleAdmin = "admin"
	// RolePublisher may publish, promote, deprecate and retire APIs and manage consumers.
	RolePublisher = "publisher"
	// RoleViewer may read.
	RoleViewer = "viewer"
)

// Token kinds.
const (
	// TokenUser authenticates a user of the management API.
	TokenUser = "user"
	// TokenNode authenticates a gateway node of one catalog.
	TokenNode = "node"
)

// Audit actions.
const (
	ActionBootstrap        = "bootstrap"         // ActionBootstrap: the first admin was created.
	ActionCatalogCreate    = "catalog.create"    // ActionCatalogCreate: a catalog was created.
	ActionAPIPublish       = "api.publish"       // ActionAPIPublish: a revision was published.
	ActionAPIPromote       = "api.promote"       // ActionAPIPromote: a revision was copied from another catalog.
	ActionAPILifecycle     = "api.lifecycle"     // ActionAPILifecycle: an API was deprecated, retired or republished.
	ActionConsumerCreate   = "consumer.create"   // ActionConsumerCreate: a consumer was created.
	ActionConsumerDelete   = "consumer.delete"   // ActionConsumerDelete: a consumer was deleted.
	ActionCredentialCreate = "credential.create" // ActionCredentialCreate: a key was issued.
	ActionCredentialRevoke = "credential.revoke" // ActionCredentialRevoke: a key was revoked.
	ActionUserCreate       = "user.create"       // ActionUserCreate: a user was created.
	ActionRoleSet          = "role.set"          // ActionRoleSet: a user's role in a catalog changed.
	ActionTokenCreate      = "token.create"      // ActionTokenCreate: a user or node token was issued.
	ActionTokenRevoke      = "token.revoke"      // ActionTokenRevoke: a token was revoked.
)

// Actor says who makes a change, for the audit record.
type Actor struct {
	// Name is the user's name (or "node:ID", "bootstrap"); "" is stored as "unknown".
	Name string `json:"name"`
	// SourceIP is the client address the request came from; "" if unknown.
	SourceIP string `json:"sourceIp,omitempty"`
}

// Catalog is one environment's set of APIs (dev, test, prod) with its own gateway nodes.
type Catalog struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Name is unique and slug-like.
	Name string `json:"name"`
	// BaseURL is where the catalog's gateways serve; "" if not set.
	BaseURL string `json:"baseUrl,omitempty"`
	// Sequence is the catalog's change counter: it increases on every change the data
	// plane sees (publish, promote, lifecycle, consumers); 0 means nothing changed yet.
	Sequence int64 `json:"sequence"`
	// CreatedAt is when the catalog was created.
	CreatedAt time.Time `json:"createdAt"`
}

// APISettings are how a catalog's gateways serve an API, beside its spec files.
type APISettings struct {
	// BasePath is where the API is mounted; "" means the spec's own base path.
	BasePath string `json:"basePath,omitempty"`
	// Hosts restricts the API to these host names; nil means any host.
	Hosts []string `json:"hosts,omitempty"`
	// Mode is model.ModeMock or model.ModeProxy; "" means proxy with an upstream, else mock.
	Mode string `json:"mode,omitempty"`
	// Validate turns request validation on or off; nil means on.
	Validate *bool `json:"validate,omitempty"`
	// Upstream is where proxied requests go; nil means none (the API is mocked).
	Upstream json.RawMessage `json:"upstream,omitempty"`
	// Upstreams are further named upstreams; nil means none.
	Upstreams map[string]json.RawMessage `json:"upstreams,omitempty"`
	// Policies apply to every operation; nil means none.
	Policies []model.PolicyConfig `json:"policies,omitempty"`
	// Operations override the mode and add policies per operation; nil means none.
	Operations []model.OperationConfig `json:"operations,omitempty"`
}

// Bundle is the content of one API revision: its spec files and its serving settings.
type Bundle struct {
	// Root is the root document's path within Files.
	Root string `json:"root"`
	// Files are the spec's files, paths relative to the root's folder, root included.
	Files []model.SpecFile `json:"-"`
	// Settings say how the gateways serve the API.
	Settings APISettings `json:"settings"`
}

// BundleFormat versions the bundle hash; it changes whenever Hash would change for the
// same content.
const BundleFormat = "gantry-bundle/1"

// Hash returns the bundle's content address: hex SHA-256 over BundleFormat, the root, each
// file's path and content in order, and the settings as compact JSON (JSON values inside
// them compacted). Equal content gives equal hashes across stores and processes.
func (b *Bundle) Hash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q\n", BundleFormat, b.Root)
	for _, f := range b.Files {
		fmt.Fprintf(h, "%q %d\n", f.Path, len(f.Content))
		h.Write(f.Content)
	}
	settings, err := CanonicalSettings(b.Settings)
	if err != nil {
		return "", err
	}
	h.Write(settings)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Validate checks that the bundle can be stored: a root that is one of its files and no
// empty or repeated paths.
func (b *Bundle) Validate() error {
	if b.Root == "" {
		return errors.New("bundle: empty root")
	}
	seen := map[string]bool{}
	root := false
	for i, f := range b.Files {
		if f.Path == "" {
			return fmt.Errorf("bundle: file %d has an empty path", i)
		}
		if seen[f.Path] {
			return fmt.Errorf("bundle: file %q given twice", f.Path)
		}
		seen[f.Path] = true
		root = root || f.Path == b.Root
	}
	if !root {
		return fmt.Errorf("bundle: root %q is not among its files", b.Root)
	}
	return nil
}

// CanonicalSettings returns s as compact JSON with every raw JSON value compacted, the
// form that is hashed and stored.
func CanonicalSettings(s APISettings) ([]byte, error) {
	compact := func(raw json.RawMessage) (json.RawMessage, error) {
		if len(raw) == 0 {
			return nil, nil
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("settings: invalid JSON: %w", err)
		}
		return json.Marshal(v) // sorts object keys
	}
	var err error
	c := s
	if c.Upstream, err = compact(s.Upstream); err != nil {
		return nil, err
	}
	if len(s.Upstreams) > 0 {
		c.Upstreams = make(map[string]json.RawMessage, len(s.Upstreams))
		for k, v := range s.Upstreams {
			if c.Upstreams[k], err = compact(v); err != nil {
				return nil, err
			}
		}
	}
	policies := func(ps []model.PolicyConfig) ([]model.PolicyConfig, error) {
		if len(ps) == 0 {
			return nil, nil
		}
		out := make([]model.PolicyConfig, len(ps))
		for i, p := range ps {
			out[i] = model.PolicyConfig{Name: p.Name}
			if out[i].Settings, err = compact(p.Settings); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if c.Policies, err = policies(s.Policies); err != nil {
		return nil, err
	}
	if len(s.Operations) > 0 {
		c.Operations = make([]model.OperationConfig, len(s.Operations))
		for i, o := range s.Operations {
			c.Operations[i] = model.OperationConfig{Match: o.Match, Mode: o.Mode}
			if c.Operations[i].Policies, err = policies(o.Policies); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(c)
}

// CatalogAPI is an API as one catalog holds it: its current revision and lifecycle.
type CatalogAPI struct {
	// Catalog is the catalog's name.
	Catalog string `json:"catalog"`
	// Name is the API's name, unique within the catalog.
	Name string `json:"name"`
	// Revision is the current revision's number; revisions count 1, 2, 3... per API per catalog.
	Revision int64 `json:"revision"`
	// Hash is the current revision's bundle hash.
	Hash string `json:"hash"`
	// PublishedBy is who published the current revision.
	PublishedBy string `json:"publishedBy"`
	// State is LifecyclePublished, LifecycleDeprecated or LifecycleRetired.
	State string `json:"state"`
	// DeprecatedAt is when the API was deprecated; zero if it is not.
	DeprecatedAt time.Time `json:"deprecatedAt,omitzero"`
	// Sunset is when a deprecated API will be retired; zero if not announced.
	Sunset time.Time `json:"sunset,omitzero"`
	// Sequence is the catalog sequence of the API's latest change.
	Sequence int64 `json:"sequence"`
	// CreatedAt is when the API first came to the catalog.
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when the API last changed in the catalog.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Revision is one immutable version of an API in a catalog.
type Revision struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Catalog is the catalog's name.
	Catalog string `json:"catalog"`
	// API is the API's name.
	API string `json:"api"`
	// Number counts the API's revisions in the catalog from 1.
	Number int64 `json:"number"`
	// Hash is the bundle's content address (Bundle.Hash).
	Hash string `json:"hash"`
	// Sequence is the catalog sequence this revision was published at.
	Sequence int64 `json:"sequence"`
	// PublishedBy is who published it.
	PublishedBy string `json:"publishedBy"`
	// PublishedAt is when.
	PublishedAt time.Time `json:"publishedAt"`
	// Reason is the reason given (required when breaking changes were allowed); "" if none.
	Reason string `json:"reason,omitempty"`
	// Breaking is how many breaking changes against the previous revision were accepted.
	Breaking int `json:"breaking,omitempty"`
	// PromotedFrom is the catalog it was promoted from; "" if it was published directly.
	PromotedFrom string `json:"promotedFrom,omitempty"`
	// PromotedRevision is the revision number in PromotedFrom; 0 if not promoted.
	PromotedRevision int64 `json:"promotedRevision,omitempty"`
	// Bundle is the content; nil in listings.
	Bundle *Bundle `json:"bundle,omitempty"`
}

// ConflictError is returned by Publish and Promote when the base revision is not the
// current one. It wraps ErrConflict.
type ConflictError struct {
	// Current is the API's current revision in the catalog (without its bundle).
	Current *Revision
	// Base is the revision the caller based its change on.
	Base int64
}

// Error says which revision is current and who published it.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s in catalog %s moved: based on revision %d, current is revision %d published by %s",
		e.Current.API, e.Current.Catalog, e.Base, e.Current.Number, e.Current.PublishedBy)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// CreateCatalogInput creates a catalog.
type CreateCatalogInput struct {
	// Name is the new catalog's unique name.
	Name string
	// BaseURL is where its gateways serve; "" if not known.
	BaseURL string
	// Actor is who creates it.
	Actor Actor
}

// PublishInput publishes a new revision of an API in a catalog.
type PublishInput struct {
	// Catalog and API name the target; the API is created on its first publish.
	Catalog, API string
	// BaseRevision is the revision number the content was based on: 0 for an API new to
	// the catalog. It must equal the current revision or Publish fails with *ConflictError.
	BaseRevision int64
	// Bundle is the content.
	Bundle *Bundle
	// Breaking is how many breaking changes the caller accepted (recorded, not checked).
	Breaking int
	// Reason is why; required by the server when breaking changes were allowed.
	Reason string
	// Actor is who publishes.
	Actor Actor
}

// PromoteInput copies an exact revision of an API from one catalog to another.
type PromoteInput struct {
	// API names the API.
	API string
	// From is the source catalog; Revision the revision number there (0 means its current one).
	From     string
	Revision int64
	// To is the target catalog.
	To string
	// BaseRevision is the target's revision the caller expects to replace (0: none); -1
	// skips the check.
	BaseRevision int64
	// Breaking is how many breaking changes the caller accepted.
	Breaking int
	// Reason is why.
	Reason string
	// Actor is who promotes.
	Actor Actor
}

// LifecycleInput changes an API's lifecycle state in a catalog.
type LifecycleInput struct {
	// Catalog and API name the API.
	Catalog, API string
	// State is LifecyclePublished, LifecycleDeprecated or LifecycleRetired.
	State string
	// Sunset is when a deprecated API is retired; zero for none. Ignored for other states.
	Sunset time.Time
	// Reason is why.
	Reason string
	// Actor is who changes it.
	Actor Actor
}

// CatalogStore keeps catalogs.
type CatalogStore interface {
	// CreateCatalog creates a catalog; a taken name wraps ErrConflict.
	CreateCatalog(ctx context.Context, in CreateCatalogInput) (*Catalog, error)
	// GetCatalog returns the catalog called name, or ErrNotFound.
	GetCatalog(ctx context.Context, name string) (*Catalog, error)
	// ListCatalogs returns every catalog ordered by name.
	ListCatalogs(ctx context.Context) ([]Catalog, error)
}

// RevisionStore keeps the APIs of catalogs and their revisions.
type RevisionStore interface {
	// Publish stores in.Bundle as the API's next revision. If the bundle's hash equals the
	// current revision's, nothing is written and the current revision comes back with
	// created=false (whatever BaseRevision says). Otherwise a BaseRevision other than the
	// current revision number fails with *ConflictError. An unknown catalog wraps ErrNotFound.
	Publish(ctx context.Context, in PublishInput) (rev *Revision, created bool, err error)
	// Promote copies a revision's bundle to another catalog as that API's next revision there,
	// with the same rules as Publish (identical content is a no-op, BaseRevision is checked).
	Promote(ctx context.Context, in PromoteInput) (rev *Revision, created bool, err error)
	// SetLifecycle changes an API's lifecycle state, or returns ErrNotFound.
	SetLifecycle(ctx context.Context, in LifecycleInput) (*CatalogAPI, error)
	// GetCatalogAPI returns one API of a catalog, or ErrNotFound.
	GetCatalogAPI(ctx context.Context, catalog, api string) (*CatalogAPI, error)
	// ListCatalogAPIs returns a catalog's APIs ordered by name, or ErrNotFound for an unknown catalog.
	ListCatalogAPIs(ctx context.Context, catalog string) ([]CatalogAPI, error)
	// GetRevision returns a revision with its bundle; number 0 means the current one.
	GetRevision(ctx context.Context, catalog, api string, number int64) (*Revision, error)
	// ListRevisions returns an API's revisions in a catalog, newest first, without bundles.
	ListRevisions(ctx context.Context, catalog, api string) ([]Revision, error)
}

// HostedConsumer is an application or user that calls a catalog's APIs.
type HostedConsumer struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Catalog is the catalog's name.
	Catalog string `json:"catalog"`
	// Name is unique within the catalog.
	Name string `json:"name"`
	// Groups are labels for plans and ACLs; nil means none.
	Groups []string `json:"groups,omitempty"`
	// Credentials are the consumer's keys, hashed; nil means none.
	Credentials []Credential `json:"credentials,omitempty"`
	// CreatedAt is when it was created.
	CreatedAt time.Time `json:"createdAt"`
}

// Credential is one API key of a consumer, stored hashed (secret.Hash).
type Credential struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Name labels the key ("ci", "laptop"); "" if none.
	Name string `json:"name,omitempty"`
	// Hash is the key's stored form, "sha256:<hex>".
	Hash string `json:"hash"`
	// CreatedAt is when it was issued.
	CreatedAt time.Time `json:"createdAt"`
}

// ConsumerInput creates a consumer.
type ConsumerInput struct {
	// Catalog and Name name the consumer.
	Catalog, Name string
	// Groups are its labels.
	Groups []string
	// Actor is who creates it.
	Actor Actor
}

// CredentialInput issues a key to a consumer.
type CredentialInput struct {
	// Catalog and Consumer name the consumer.
	Catalog, Consumer string
	// Name labels the key.
	Name string
	// Hash is the key's stored form (secret.Hash); the key itself is never stored.
	Hash string
	// Actor is who issues it.
	Actor Actor
}

// ConsumerStore keeps the consumers of catalogs. Every change bumps the catalog's sequence.
type ConsumerStore interface {
	// CreateConsumer creates a consumer; a taken name wraps ErrConflict, an unknown
	// catalog ErrNotFound.
	CreateConsumer(ctx context.Context, in ConsumerInput) (*HostedConsumer, error)
	// DeleteConsumer removes a consumer and its credentials, or returns ErrNotFound.
	DeleteConsumer(ctx context.Context, catalog, name string, actor Actor) error
	// ListConsumers returns a catalog's consumers with their credentials, ordered by name.
	ListConsumers(ctx context.Context, catalog string) ([]HostedConsumer, error)
	// AddCredential stores a key hash for a consumer; a hash already stored wraps ErrConflict.
	AddCredential(ctx context.Context, in CredentialInput) (*Credential, error)
	// RevokeCredential removes a consumer's credential, or returns ErrNotFound.
	RevokeCredential(ctx context.Context, catalog, consumer string, id int64, actor Actor) error
}

// Node is a gateway node of a catalog as last reported by its heartbeat.
type Node struct {
	// ID is the node's self-chosen identifier, unique within the catalog.
	ID string `json:"id"`
	// Catalog is the catalog's name.
	Catalog string `json:"catalog"`
	// Version is the node's Gantry version.
	Version string `json:"version,omitempty"`
	// Sequence is the catalog sequence of the snapshot the node serves.
	Sequence int64 `json:"sequence"`
	// Revisions maps API names to the revision numbers the node serves; nil if unknown.
	Revisions map[string]int64 `json:"revisions,omitempty"`
	// Addr is the node's address as the server saw it; "" if unknown.
	Addr string `json:"addr,omitempty"`
	// Error is the node's last snapshot error; "" if its last snapshot applied.
	Error string `json:"error,omitempty"`
	// FirstSeen and LastSeen are when the node first and last reported.
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
}

// NodeStore keeps gateway nodes' heartbeats. Heartbeats are not audited.
type NodeStore interface {
	// RecordHeartbeat creates or updates the node (n.Catalog, n.ID); FirstSeen and LastSeen
	// are set by the store. An unknown catalog wraps ErrNotFound.
	RecordHeartbeat(ctx context.Context, n *Node) error
	// ListNodes returns a catalog's nodes ordered by ID.
	ListNodes(ctx context.Context, catalog string) ([]Node, error)
}

// User is a person or robot using the management API.
type User struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Name is unique.
	Name string `json:"name"`
	// Admin makes the user an admin of every catalog and of users.
	Admin bool `json:"admin"`
	// Roles maps catalog names to the user's role there; nil means none.
	Roles map[string]string `json:"roles,omitempty"`
	// CreatedAt is when the user was created.
	CreatedAt time.Time `json:"createdAt"`
}

// Token is an issued bearer token, stored hashed (secret.Hash) and shown only once.
type Token struct {
	// ID is the store-assigned identifier.
	ID int64 `json:"id"`
	// Kind is TokenUser or TokenNode.
	Kind string `json:"kind"`
	// Name labels the token; "" if none.
	Name string `json:"name,omitempty"`
	// Hash is the token's stored form.
	Hash string `json:"-"`
	// User is the owning user's name for a user token; "" for a node token.
	User string `json:"user,omitempty"`
	// Catalog is the catalog a node token serves; "" for a user token.
	Catalog string `json:"catalog,omitempty"`
	// CreatedBy is who issued it.
	CreatedBy string `json:"createdBy"`
	// CreatedAt is when.
	CreatedAt time.Time `json:"createdAt"`
	// ExpiresAt is when the token stops working; zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// Principal is who a token authenticates: the token and, for a user token, the user with
// their roles.
type Principal struct {
	// Token is the presented token.
	Token Token
	// User is the token's user; nil for a node token.
	User *User
}

// CreateUserInput creates a user.
type CreateUserInput struct {
	// Name is the new user's unique name.
	Name string
	// Admin makes the user a global admin.
	Admin bool
	// Actor is who creates it.
	Actor Actor
}

// TokenInput issues a token.
type TokenInput struct {
	// Kind is TokenUser or TokenNode.
	Kind string
	// User names the owner of a user token.
	User string
	// Catalog names the catalog of a node token.
	Catalog string
	// Name labels the token.
	Name string
	// Hash is the token's stored form; the token itself is never stored.
	Hash string
	// ExpiresAt is when it stops working; zero means never.
	ExpiresAt time.Time
	// Actor is who issues it.
	Actor Actor
}

// RoleInput sets a user's role in a catalog.
type RoleInput struct {
	// User and Catalog name the binding.
	User, Catalog string
	// Role is RoleAdmin, RolePublisher or RoleViewer; "" removes the binding.
	Role string
	// Actor is who changes it.
	Actor Actor
}

// BootstrapInput creates the first admin of an empty store.
type BootstrapInput struct {
	// User is the admin's name.
	User string
	// TokenHash is the admin token's stored form.
	TokenHash string
	// SourceIP is where the bootstrap ran, for the audit record; "" if local.
	SourceIP string
}

// AccessStore keeps users, tokens and role bindings.
type AccessStore interface {
	// Bootstrap creates an admin user with one token if the store has no users yet and
	// reports whether it did; with users present it writes nothing.
	Bootstrap(ctx context.Context, in BootstrapInput) (created bool, err error)
	// CreateUser creates a user; a taken name wraps ErrConflict.
	CreateUser(ctx context.Context, in CreateUserInput) (*User, error)
	// GetUser returns the user called name with their roles, or ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every user with their roles, ordered by name.
	ListUsers(ctx context.Context) ([]User, error)
	// SetRole binds (or with Role "" unbinds) a user's role in a catalog.
	SetRole(ctx context.Context, in RoleInput) error
	// CreateToken stores a token's hash; a hash already stored wraps ErrConflict, an unknown
	// user or catalog ErrNotFound.
	CreateToken(ctx context.Context, in TokenInput) (*Token, error)
	// LookupToken returns who the token with this hash authenticates, or ErrNotFound
	// (also for an expired token).
	LookupToken(ctx context.Context, hash string) (*Principal, error)
	// ListTokens returns the tokens of a user (user != "") or the node tokens of a catalog
	// (catalog != ""), oldest first, without hashes.
	ListTokens(ctx context.Context, user, catalog string) ([]Token, error)
	// RevokeToken deletes a token, or returns ErrNotFound.
	RevokeToken(ctx context.Context, id int64, actor Actor) error
}

// AuditRecord is one audited change.
type AuditRecord struct {
	// ID increases with every record.
	ID int64 `json:"id"`
	// Time is when the change was made.
	Time time.Time `json:"time"`
	// Actor is who made it.
	Actor string `json:"actor"`
	// SourceIP is where the request came from; "" if unknown.
	SourceIP string `json:"sourceIp,omitempty"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// Catalog is the catalog concerned; "" for global changes (users).
	Catalog string `json:"catalog,omitempty"`
	// Target names what changed within it ("apis/petstore", "consumers/app", "users/ann").
	Target string `json:"target"`
	// RevisionBefore and RevisionAfter are the API's revision numbers around the change; 0
	// when not applicable.
	RevisionBefore int64 `json:"revisionBefore,omitempty"`
	RevisionAfter  int64 `json:"revisionAfter,omitempty"`
	// Reason is the reason given; "" if none.
	Reason string `json:"reason,omitempty"`
	// Detail adds facts about the change ("2 breaking changes allowed", "from dev@3").
	Detail string `json:"detail,omitempty"`
}

// AuditFilter selects audit records. The zero value selects everything.
type AuditFilter struct {
	// Catalog keeps records of this catalog; "" keeps all.
	Catalog string
	// Actor keeps records of this actor; "" keeps all.
	Actor string
	// BeforeID keeps records with a smaller ID (paging); 0 keeps all.
	BeforeID int64
	// Limit caps how many (newest first); 0 means no cap.
	Limit int
}

// AuditStore reads the audit log. Records are written by the mutating methods themselves.
type AuditStore interface {
	// ListAudit returns matching records, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)
}

// Feed event kinds.
const (
	// EventRevision: an API got a new current revision (publish or promote).
	EventRevision = "revision"
	// EventLifecycle: an API's lifecycle state changed.
	EventLifecycle = "lifecycle"
	// EventConsumers: the catalog's consumers or credentials changed.
	EventConsumers = "consumers"
)

// FeedEvent is one change of a catalog as the data plane sees it.
type FeedEvent struct {
	// Sequence is the catalog sequence the change was made at; events of a catalog have
	// strictly increasing sequences.
	Sequence int64 `json:"sequence"`
	// Kind is EventRevision, EventLifecycle or EventConsumers.
	Kind string `json:"kind"`
	// API is the API concerned; "" for EventConsumers.
	API string `json:"api,omitempty"`
	// Revision is the API's revision number after the change; 0 for EventConsumers.
	Revision int64 `json:"revision,omitempty"`
	// Time is when the change was made.
	Time time.Time `json:"time"`
}

// CatalogState is everything a catalog's gateways serve, read at one sequence.
type CatalogState struct {
	// Catalog is the catalog, its Sequence the one the state was read at.
	Catalog Catalog
	// APIs are the catalog's APIs with their lifecycle, ordered by name.
	APIs []CatalogAPI
	// Revisions are the APIs' current revisions with their bundles, in the order of APIs.
	Revisions []Revision
	// Consumers are the catalog's consumers with their credentials, ordered by name.
	Consumers []HostedConsumer
}

// FeedStore reads what the data-plane feed sends.
type FeedStore interface {
	// CatalogState returns the catalog's whole state in one consistent read.
	CatalogState(ctx context.Context, catalog string) (*CatalogState, error)
	// EventsSince returns the catalog's events with a sequence greater than after, oldest
	// first, at most limit of them (0: all).
	EventsSince(ctx context.Context, catalog string, after int64, limit int) ([]FeedEvent, error)
}

// CatalogSubscriber is implemented by stores that notify committed catalog changes, so
// that the data-plane feed wakes up at once instead of polling EventsSince.
type CatalogSubscriber interface {
	// Subscribe returns a channel that receives the catalog's sequence after a change to it
	// is committed. Values strictly increase and coalesce (a slow reader gets the newest
	// sequence, never a backlog: it reads what it missed with EventsSince); the channel is
	// closed when ctx ends or the store is closed. An unknown catalog wraps ErrNotFound.
	Subscribe(ctx context.Context, catalog string) (<-chan int64, error)
}

// HostedStore is the whole management-plane store.
type HostedStore interface {
	CatalogStore
	RevisionStore
	ConsumerStore
	NodeStore
	AccessStore
	AuditStore
	FeedStore
	// Close releases the store's resources.
	Close() error
}
