package protocol

import (
	"time"

	"github.com/gantry-dev/gantry/core/store"
)

// Management API resources, as the store keeps them; their JSON forms are the wire forms.
type (
	// Catalog is one environment's catalog.
	Catalog = store.Catalog
	// CatalogAPI is an API in a catalog: current revision and lifecycle.
	CatalogAPI = store.CatalogAPI
	// Consumer is a catalog's consumer with its hashed keys.
	Consumer = store.HostedConsumer
	// Credential is one hashed key of a consumer.
	Credential = store.Credential
	// Node is a gateway node as last reported.
	Node = store.Node
	// User is a user with their roles.
	User = store.User
	// Token is an issued token, without its secret.
	Token = store.Token
	// AuditRecord is one audited change.
	AuditRecord = store.AuditRecord
)

// Me says who a token authenticates (GET /api/v1/me).
type Me struct {
	// Kind is "user" or "node".
	Kind string `json:"kind"`
	// User is the user of a user token; nil for a node token.
	User *User `json:"user,omitempty"`
	// Catalog is the catalog of a node token; "" for a user token.
	Catalog string `json:"catalog,omitempty"`
}

// CreateCatalogRequest creates a catalog (POST /api/v1/catalogs).
type CreateCatalogRequest struct {
	// Name is the catalog's unique name.
	Name string `json:"name"`
	// BaseURL is where its gateways serve; "" if not known.
	BaseURL string `json:"baseUrl,omitempty"`
}

// APIDetail is an API with its current revision and content (GET .../apis/{api}).
type APIDetail struct {
	// API is the API's state in the catalog.
	API CatalogAPI `json:"api"`
	// Revision is its current revision with the bundle.
	Revision Revision `json:"revision"`
}

// CreateConsumerRequest creates a consumer.
type CreateConsumerRequest struct {
	// Name is unique within the catalog.
	Name string `json:"name"`
	// Groups are labels for plans and ACLs; nil means none.
	Groups []string `json:"groups,omitempty"`
}

// CreateSecretRequest issues a key or token.
type CreateSecretRequest struct {
	// Name labels it; "" for none.
	Name string `json:"name,omitempty"`
	// ExpiresAt is when a token stops working; nil means never. Ignored for keys.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// IssuedKey is a new consumer key, shown only in this answer.
type IssuedKey struct {
	// Credential is the stored (hashed) form.
	Credential Credential `json:"credential"`
	// Key is the key itself.
	Key string `json:"key"`
}

// IssuedToken is a new bearer token, shown only in this answer.
type IssuedToken struct {
	// Token describes the token.
	Token Token `json:"token"`
	// Secret is the bearer token itself.
	Secret string `json:"secret"`
}

// CreateUserRequest creates a user.
type CreateUserRequest struct {
	// Name is unique.
	Name string `json:"name"`
	// Admin makes the user a global admin.
	Admin bool `json:"admin,omitempty"`
}

// RoleRequest sets a user's role in a catalog; "" removes it.
type RoleRequest struct {
	// Role is "admin", "publisher", "viewer" or "".
	Role string `json:"role"`
}
