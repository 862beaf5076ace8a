// Package policy is the gateway's policy chain: the registry of policy factories, the fixed
// order in which policies run, and the identity an authentication policy hands to the
// policies after it (and to capture).
//
// A policy is a Middleware (func(http.Handler) http.Handler) built once per configuration by
// a Factory from its typed settings, which arrive as JSON (decoded from gantry.yaml, the
// workspace store or the control plane's feed). Factories are registered by name explicitly
// (see the builtin package); nothing registers itself from init.
//
// Policies never write error bodies by hand: a rejected request gets an RFC 9457 problem
// document through the problem package.
package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Middleware wraps the next handler of the chain.
type Middleware func(next http.Handler) http.Handler

// Phase says where in the chain a policy runs. Policies run in ascending phase order, the
// same for every API and operation whatever order the configuration lists them in, so that
// for example a rate limit always sees the consumer the authentication found.
type Phase int

// The phases, in the order they run (documented in docs/POLICIES.md).
const (
	// PhaseAccess: IP allow/deny lists. Cheapest rejection first.
	PhaseAccess Phase = 100
	// PhaseCORS: CORS preflight answers and response headers (before authentication, as
	// browsers send preflights without credentials).
	PhaseCORS Phase = 200
	// PhaseLimits: request size limits (413) before anything reads the body.
	PhaseLimits Phase = 300
	// PhaseAuthenticate: API key, basic, JWT, token introspection, mTLS. Sets the Identity.
	PhaseAuthenticate Phase = 400
	// PhaseRateLimit: rate limits and quotas, keyed by consumer, key, IP or route.
	PhaseRateLimit Phase = 500
	// PhaseValidate: request validation against the spec.
	PhaseValidate Phase = 600
	// PhaseTransform: request and response header and body transforms.
	PhaseTransform Phase = 700
	// PhaseCache: response caching (after transforms, so cached responses are transformed).
	PhaseCache Phase = 800
	// PhaseRoute: content-based routing to an upstream, just before the upstream or mock.
	PhaseRoute Phase = 900
)

// Env is what a Factory may use besides its own settings. Fields may be nil or zero where a
// factory does not need them; a factory that needs one that is missing returns an error.
type Env struct {
	// API is the name of the API the policy is built for.
	API string
	// Operation is the operation ID (or "METHOD /path") for an operation-level policy; ""
	// for an API-level one.
	Operation string
	// Consumers finds consumers by credential; nil means no consumers are configured.
	Consumers Consumers
	// Logger receives the policy's messages; nil means discard.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
	// HTTPClient is used for outbound calls (JWKS, token introspection); nil means a client
	// with sane timeouts that ignores proxy environment variables.
	HTTPClient *http.Client
	// Shared holds objects that outlive one configuration (rate-limit counters, JWKS
	// caches), so that a reload does not reset them. Nil means nothing is shared.
	Shared *Shared
}

// Clock returns env.Now, or time.Now if unset.
func (e Env) Clock() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}

// Log returns env.Logger, or a logger that discards if unset.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Shared is a concurrency-safe bag of long-lived objects keyed by a string the policy
// chooses (for example "ratelimit/memory"). Safe for concurrent use.
//
// A gateway brackets each configuration build with Mark and then Sweep (build put in
// force) or Unmark (build refused): Sweep drops the objects the new configuration no longer
// asked for (the cache of a removed API, say), closing those that are io.Closers, so that
// reloads do not accumulate them.
type Shared struct {
	mu      sync.Mutex
	m       map[string]any
	marking bool
	used    map[string]bool
}

// Get returns the object stored under key, creating it with mk on first use.
func (s *Shared) Get(key string, mk func() any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]any{}
	}
	if s.marking {
		s.used[key] = true
	}
	v, ok := s.m[key]
	if !ok {
		v = mk()
		s.m[key] = v
	}
	return v
}

// Len returns the number of objects held.
func (s *Shared) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Mark starts recording which objects a configuration build uses.
func (s *Shared) Mark() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marking, s.used = true, map[string]bool{}
}

// Unmark stops recording without dropping anything (the build was refused).
func (s *Shared) Unmark() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marking, s.used = false, nil
}

// Sweep stops recording and drops every object the build did not use, closing those that
// implement io.Closer.
func (s *Shared) Sweep() {
	s.mu.Lock()
	var closers []io.Closer
	if s.marking {
		for k, v := range s.m {
			if s.used[k] {
				continue
			}
			delete(s.m, k)
			if c, ok := v.(io.Closer); ok {
				closers = append(closers, c)
			}
		}
	}
	s.marking, s.used = false, nil
	s.mu.Unlock()
	for _, c := range closers {
		_ = c.Close()
	}
}

// Factory builds a policy from its settings. It validates them fully: an error (ideally a
// *FieldError naming the bad setting) means the configuration is refused, never that the
// policy silently does less.
type Factory func(settings json.RawMessage, env Env) (Middleware, error)

// Definition describes one kind of policy.
type Definition struct {
	// Name is the key used in configuration (keyAuth, rateLimit, ...).
	Name string
	// Phase is where the policy runs in the chain.
	Phase Phase
	// New builds the policy.
	New Factory
}

// Registry maps policy names to their definitions. The zero value is empty and ready to
// use; it is safe for concurrent use once filled.
type Registry struct {
	mu   sync.RWMutex
	defs map[string]Definition
}

// Register adds d; registering a name twice or without a factory is an error.
func (r *Registry) Register(d Definition) error {
	if d.Name == "" || d.New == nil {
		return errors.New("registering a policy: name and factory are required")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.defs == nil {
		r.defs = map[string]Definition{}
	}
	if _, dup := r.defs[d.Name]; dup {
		return fmt.Errorf("registering policy %q: already registered", d.Name)
	}
	r.defs[d.Name] = d
	return nil
}

// Lookup returns the definition registered under name.
func (r *Registry) Lookup(name string) (Definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.defs[name]
	return d, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.defs))
	for n := range r.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Config is one configured policy: its registered name and its settings.
type Config struct {
	// Name is the registered policy name.
	Name string `json:"name"`
	// Settings is the policy's settings as a JSON object; empty means all defaults.
	Settings json.RawMessage `json:"settings,omitempty"`
}

// Build builds the chain for configs: the policies sorted by phase (ties keep their
// configured order) wrapped around next, so the first phase runs first. An unknown name
// or a factory error fails the whole build; the error names the policy (and, for a
// *FieldError, the setting).
func (r *Registry) Build(configs []Config, env Env, next http.Handler) (http.Handler, error) {
	type built struct {
		phase Phase
		mw    Middleware
	}
	var chain []built
	for _, c := range configs {
		d, ok := r.Lookup(c.Name)
		if !ok {
			return nil, &FieldError{Policy: c.Name, Message: fmt.Sprintf("unknown policy (known: %s)", strings.Join(r.Names(), ", "))}
		}
		settings := c.Settings
		if len(bytes.TrimSpace(settings)) == 0 || bytes.Equal(bytes.TrimSpace(settings), []byte("null")) {
			settings = json.RawMessage(`{}`)
		}
		mw, err := d.New(settings, env)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				if fe.Policy == "" {
					fe.Policy = c.Name
				}
				return nil, fe
			}
			return nil, &FieldError{Policy: c.Name, Message: err.Error(), Err: err}
		}
		chain = append(chain, built{d.Phase, mw})
	}
	slices.SortStableFunc(chain, func(a, b built) int { return int(a.phase - b.phase) })
	h := next
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i].mw(h)
	}
	return h, nil
}

// FieldError is a refused policy setting. Field is a dotted path inside the policy's
// settings ("window", "keys.0.alg"); "" means the settings as a whole.
type FieldError struct {
	// Policy is the policy name.
	Policy string
	// Field is the dotted path of the bad setting; "" for the whole policy.
	Field string
	// Message says what is wrong and, where it helps, what is expected.
	Message string
	// Err is the underlying error, if any.
	Err error
}

// Error formats the error as "policy rateLimit: window: must be positive".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("policy ")
	b.WriteString(e.Policy)
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// Errorf returns a *FieldError for field (the policy name is filled in by Build).
func Errorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Decode decodes settings into v (a pointer to the policy's settings struct), refusing
// unknown fields so that a typo is an error rather than a silently ignored setting. JSON
// type errors name the field.
func Decode(settings json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Type == reflect.TypeFor[Duration]() {
				return &FieldError{Field: te.Field, Message: fmt.Sprintf(`%s is not a duration like "30s" or "1m"`, te.Value), Err: err}
			}
			return &FieldError{Field: te.Field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value), Err: err}
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &FieldError{Field: strings.Trim(f, `"`), Message: "unknown setting", Err: err}
		}
		return &FieldError{Message: err.Error(), Err: err}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return goKind
}

// Duration is a time.Duration that reads and writes as text ("1m", "250ms") in settings.
type Duration time.Duration

// UnmarshalJSON accepts a Go duration string, or a number of seconds. Its errors are
// *json.UnmarshalTypeError, so that decoding reports the field.
func (d *Duration) UnmarshalJSON(b []byte) error {
	bad := &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Duration]()}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return bad
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return bad
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Consumers finds the consumer a credential belongs to. Implementations compare secrets
// in constant time and keep only their hashes. Safe for concurrent use.
type Consumers interface {
	// ByAPIKey returns the consumer owning key, or ok=false.
	ByAPIKey(key string) (c *Consumer, ok bool)
	// ByBasic returns the consumer whose basic-auth credential is user:password, or ok=false.
	ByBasic(user, password string) (c *Consumer, ok bool)
	// ByName returns the named consumer (JWT subjects, certificate names), or ok=false.
	ByName(name string) (c *Consumer, ok bool)
}

// Consumer is an application or user that calls APIs through the gateway.
type Consumer struct {
	// Name identifies the consumer (in rate-limit keys, captures and metrics).
	Name string
	// Groups are labels the consumer belongs to (for plans and ACLs); nil means none.
	Groups []string
}

// Identity is who a request was authenticated as.
type Identity struct {
	// Consumer is the configured consumer the credential belongs to; nil when the
	// credential was valid but names no configured consumer (a JWT for an unknown subject).
	Consumer *Consumer
	// Subject is the consumer's name, or the token's subject, or the certificate's name.
	Subject string
	// Method is how the request was authenticated: "keyAuth", "basicAuth", "jwt",
	// "introspection" or "mtls".
	Method string
	// Credential identifies the credential without revealing it (a key's hash prefix, a
	// JWT's kid and jti); "" if none.
	Credential string
	// Claims are the token's claims (JWT, introspection); nil otherwise.
	Claims map[string]any
}

type identityKey struct{}

type holderKey struct{}

// identityHolder lets an outer handler (capture, metrics) learn the identity that an inner
// authentication policy found.
type identityHolder struct{ id atomic.Pointer[Identity] }

// WithIdentityHolder returns a copy of ctx in which SetIdentity also records the identity,
// and a function that returns the last one recorded (nil if none). Capture and metrics,
// which wrap the policy chain, use it.
func WithIdentityHolder(ctx context.Context) (context.Context, func() *Identity) {
	h := &identityHolder{}
	return context.WithValue(ctx, holderKey{}, h), h.id.Load
}

// SetIdentity returns r with id in its context, also recording it in the context's holder
// (WithIdentityHolder) if there is one. Authentication policies call it on success.
func SetIdentity(r *http.Request, id *Identity) *http.Request {
	if h, ok := r.Context().Value(holderKey{}).(*identityHolder); ok {
		h.id.Store(id)
	}
	return r.WithContext(WithIdentity(r.Context(), id))
}

// WithIdentity returns a copy of ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity set by an authentication policy, or nil.
func IdentityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}

// IsToken reports whether s is a non-empty RFC 9110 token: a valid header name or method.
func IsToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }
