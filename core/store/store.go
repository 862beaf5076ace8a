// Package store defines Gantry's storage interfaces and their shared errors.
// Implementations live in subpackages (sqlite); storetest holds the conformance suite
// every implementation passes. All methods are safe for concurrent use.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// ErrNotFound is returned (wrapped) when the requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write would violate a uniqueness rule.
var ErrConflict = errors.New("conflict")

// APIStore keeps APIs and their spec revisions.
type APIStore interface {
	// AddRevision stores rev as the newest revision of the API called name, creating the API
	// if needed. If the API's newest revision already has rev.Hash, nothing is written and that
	// revision is returned with added=false. File contents are stored content-addressed.
	AddRevision(ctx context.Context, name string, rev *model.SpecRevision) (api *model.API, stored *model.SpecRevision, added bool, err error)
	// GetAPI returns the API called name, or ErrNotFound.
	GetAPI(ctx context.Context, name string) (*model.API, error)
	// ListAPIs returns every API with facts about its newest revision, ordered by name.
	ListAPIs(ctx context.Context) ([]model.APISummary, error)
	// SetLinkedPath links the API called name to the spec file at path ("" unlinks it), or
	// returns ErrNotFound.
	SetLinkedPath(ctx context.Context, name, path string) error
	// DeleteAPI removes the API called name and all its revisions, or returns ErrNotFound.
	DeleteAPI(ctx context.Context, name string) error
	// LatestRevision returns the newest revision of the API called name, with its compiled
	// form; files are included only if withFiles.
	LatestRevision(ctx context.Context, name string, withFiles bool) (*model.SpecRevision, error)
	// GetRevision returns the revision with id, with its compiled form and files.
	GetRevision(ctx context.Context, id int64) (*model.SpecRevision, error)
	// ListRevisions returns the API's revisions, newest first, without files or compiled form.
	ListRevisions(ctx context.Context, name string) ([]model.SpecRevision, error)
}

// EnvironmentStore keeps named environments.
type EnvironmentStore interface {
	// PutEnvironment creates or replaces the environment called env.Name.
	PutEnvironment(ctx context.Context, env *model.Environment) (*model.Environment, error)
	// GetEnvironment returns the environment called name, or ErrNotFound.
	GetEnvironment(ctx context.Context, name string) (*model.Environment, error)
	// ListEnvironments returns every environment ordered by name.
	ListEnvironments(ctx context.Context) ([]model.Environment, error)
	// DeleteEnvironment removes the environment called name, or returns ErrNotFound.
	DeleteEnvironment(ctx context.Context, name string) error
}

// TrafficFilter selects captured exchanges. The zero value selects everything.
type TrafficFilter struct {
	// API keeps only exchanges served by this API; "" keeps all.
	API string
	// Method keeps only this method (case-insensitive); "" keeps all.
	Method string
	// Consumer keeps only exchanges of this consumer; "" keeps all.
	Consumer string
	// StatusMin and StatusMax keep statuses in [StatusMin, StatusMax]; 0 means unbounded.
	StatusMin, StatusMax int
	// PathContains keeps exchanges whose URL contains this text; "" keeps all.
	PathContains string
	// Since keeps exchanges started at or after this time; zero keeps all.
	Since time.Time
	// BeforeID keeps exchanges whose ID sorts before this one (for paging); "" keeps all.
	BeforeID string
	// Limit caps the number returned (newest first); 0 means no cap.
	Limit int
}

// TrafficStore keeps captured exchanges.
type TrafficStore interface {
	// AppendExchanges stores a batch of exchanges in one transaction.
	AppendExchanges(ctx context.Context, xs []*model.Exchange) error
	// ListExchanges returns the matching exchanges, newest first.
	ListExchanges(ctx context.Context, f TrafficFilter) ([]*model.Exchange, error)
	// GetExchange returns the exchange with id, or ErrNotFound.
	GetExchange(ctx context.Context, id string) (*model.Exchange, error)
	// CountExchanges returns how many exchanges match f (Limit is ignored).
	CountExchanges(ctx context.Context, f TrafficFilter) (int, error)
	// DeleteExchanges removes the matching exchanges and returns how many were removed.
	DeleteExchanges(ctx context.Context, f TrafficFilter) (int, error)
	// TrafficPosition returns the position after the exchange stored last.
	TrafficPosition(ctx context.Context) (TrafficPosition, error)
	// ExchangesStoredAfter returns up to limit exchanges (limit > 0) stored after position
	// p, in the order they were stored (which ID order is not: a slow exchange is stored
	// after faster ones that started after it), and the position after the last one
	// returned.
	ExchangesStoredAfter(ctx context.Context, p TrafficPosition, limit int) ([]*model.Exchange, TrafficPosition, error)
}

// TrafficPosition is a place in the order in which exchanges were stored. The zero value is
// before everything. Exchanges deleted since a position was taken do not make
// ExchangesStoredAfter skip or repeat any.
type TrafficPosition struct {
	// Row is the storage position of the last exchange passed (a SQLite rowid).
	Row int64
	// Deletions counts the deletions of exchanges seen when the position was taken.
	Deletions int64
}

// GatewayConfigStore keeps the revisions of the workspace's gateway configuration.
type GatewayConfigStore interface {
	// PutGatewayConfig stores c as the newest revision, unless it equals the newest one
	// already stored (then added is false and that revision's number is returned).
	PutGatewayConfig(ctx context.Context, c *model.GatewayConfig) (revision int64, added bool, err error)
	// LatestGatewayConfig returns the newest configuration and its revision, or ErrNotFound.
	LatestGatewayConfig(ctx context.Context) (*model.GatewayConfig, int64, error)
}

// Store is a whole workspace store.
type Store interface {
	APIStore
	EnvironmentStore
	GatewayConfigStore
	TrafficStore
	// Close releases the store's resources.
	Close() error
}
