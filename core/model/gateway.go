package model

import (
	"encoding/json"
	"time"
)

// GatewayConfig is a whole gateway configuration: what gantry.yaml declares and what the
// workspace stores and exports back.
type GatewayConfig struct {
	// Listen is the address the gateway serves APIs on; "" means 127.0.0.1:8080.
	Listen string `json:"listen,omitempty"`
	// Admin is the address of the admin listener (health, metrics, live traffic); "" means
	// no admin listener.
	Admin string `json:"admin,omitempty"`
	// TLS makes Listen serve HTTPS (and can verify client certificates for the mtls
	// policy); nil means plain HTTP.
	TLS *ListenerTLS `json:"tls,omitempty"`
	// Limits bound what a client may do to the listener; nil means the defaults.
	Limits *ListenerLimits `json:"limits,omitempty"`
	// APIs are served side by side on Listen.
	APIs []GatewayAPI `json:"apis"`
	// Consumers are the applications and users that call the APIs; nil means none.
	Consumers []Consumer `json:"consumers,omitempty"`
	// Environments are named variable sets; nil means none.
	Environments []Environment `json:"environments,omitempty"`
}

// Gateway API modes.
const (
	ModeMock  = "mock"
	ModeProxy = "proxy"
)

// GatewayAPI is one API served by a gateway.
type GatewayAPI struct {
	// Name identifies the API (captures, metrics, rate-limit keys, errors).
	Name string `json:"name"`
	// Spec is the path of its OpenAPI description, relative to the configuration file;
	// exactly one of Spec and API is set.
	Spec string `json:"spec,omitempty"`
	// API names an API already in the workspace, whose newest revision is served.
	API string `json:"api,omitempty"`
	// BasePath is where the API is mounted and what is stripped before forwarding; ""
	// means the spec's own base path, "/" the root.
	BasePath string `json:"basePath,omitempty"`
	// Hosts restricts the API to requests for these host names (a leading "*." matches
	// any subdomain); nil means any host.
	Hosts []string `json:"hosts,omitempty"`
	// Mode is ModeMock or ModeProxy; "" means proxy when an upstream is set, else mock.
	Mode string `json:"mode,omitempty"`
	// Validate turns request validation against the spec on or off; nil means on.
	Validate *bool `json:"validate,omitempty"`
	// Upstream is where proxied requests go (the proxy's settings: targets, timeouts,
	// retries, health checks, circuit breaker); nil means none.
	Upstream json.RawMessage `json:"upstream,omitempty"`
	// Upstreams are further named upstreams that content-based routing can choose.
	Upstreams map[string]json.RawMessage `json:"upstreams,omitempty"`
	// Policies apply to every operation, in the gateway's fixed phase order.
	Policies []PolicyConfig `json:"policies,omitempty"`
	// Operations override the mode and add policies per operation.
	Operations []OperationConfig `json:"operations,omitempty"`
}

// OperationConfig overrides an API's settings for one operation.
type OperationConfig struct {
	// Match is the operation's operationId, or "METHOD /path/template" as in the spec.
	Match string `json:"match"`
	// Mode overrides the API's mode; "" keeps it.
	Mode string `json:"mode,omitempty"`
	// Policies are added to (and, for the same name, replace) the API's policies.
	Policies []PolicyConfig `json:"policies,omitempty"`
}

// PolicyConfig is one configured policy: its name and its settings as a JSON object.
type PolicyConfig struct {
	// Name is the policy's registered name (keyAuth, rateLimit, ...).
	Name string `json:"name"`
	// Settings is the policy's settings; empty means all defaults.
	Settings json.RawMessage `json:"settings,omitempty"`
}

// Consumer is an application or user that calls APIs through the gateway. Secrets are
// only ever held hashed.
type Consumer struct {
	// Name identifies the consumer (captures, rate-limit keys, JWT subjects).
	Name string `json:"name"`
	// Groups are labels for plans and ACLs; nil means none.
	Groups []string `json:"groups,omitempty"`
	// APIKeyHashes are the consumer's API keys, hashed ("sha256:<hex>").
	APIKeyHashes []string `json:"apiKeyHashes,omitempty"`
	// Basic are the consumer's HTTP basic credentials.
	Basic []BasicCredential `json:"basic,omitempty"`
}

// BasicCredential is a user name and a hashed password.
type BasicCredential struct {
	// Username is the basic-auth user name.
	Username string `json:"username"`
	// PasswordHash is the password, salted and hashed ("sha256:<salt hex>:<hex>").
	PasswordHash string `json:"passwordHash"`
}

// QuotaCount is a persisted quota counter: how many requests were counted against a key in
// the calendar period that began at Start.
type QuotaCount struct {
	// Key identifies the quota and who it counts (API, policy, consumer...).
	Key string `json:"key"`
	// Start is when the period began (UTC).
	Start time.Time `json:"start"`
	// Used is how many requests were counted.
	Used int `json:"used"`
}

// ListenerTLS is the listener's TLS configuration. Paths are relative to the configuration
// file.
type ListenerTLS struct {
	// Cert and Key are the server's PEM certificate chain and private key files.
	Cert string `json:"cert"`
	Key  string `json:"key"`
	// ClientCA is a PEM file of the CAs client certificates are verified against; "" means
	// client certificates are not asked for.
	ClientCA string `json:"clientCA,omitempty"`
	// ClientAuth is "optional" (verify a certificate if one is sent) or "require"; ""
	// means "optional" when ClientCA is set.
	ClientAuth string `json:"clientAuth,omitempty"`
}

// ListenerLimits bound slow and oversized requests. Zero fields take the defaults.
type ListenerLimits struct {
	// ReadHeaderTimeout is how long a client may take to send the request headers
	// (slowloris); default 10s.
	ReadHeaderTimeout string `json:"readHeaderTimeout,omitempty"`
	// IdleTimeout is how long an idle keep-alive connection stays open; default 2m.
	IdleTimeout string `json:"idleTimeout,omitempty"`
	// MaxHeaderBytes caps the request line and headers (431 beyond); default 64 KiB.
	MaxHeaderBytes int `json:"maxHeaderBytes,omitempty"`
	// MaxBodyBytes caps request bodies the gateway reads (413 beyond); default 10 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
}
