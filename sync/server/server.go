// Package server is the hosted management plane's HTTP API: catalogs, publishing with
// breaking-change checks, promotion, lifecycle, consumers, gateway nodes, users, tokens and
// the audit log, all under /api/v1 and backed by a store.HostedStore.
//
// The API is described by an embedded OpenAPI 3.1 document (served at
// /api/v1/openapi.yaml), and the document is also the router: each request is matched to
// its operation by the document's path templates, validated against it with the same
// validator the gateway uses, authorised by the operation's rule, then handed to the
// operation's handler. Every error is an RFC 9457 problem document.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/spec"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
	"github.com/gantry-dev/gantry/embedded-gateway/route"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
	"github.com/gantry-dev/gantry/sync/protocol"
)

//go:embed openapi.yaml
var openAPIDocument []byte

// OpenAPI returns the management API's OpenAPI 3.1 document.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// BasePath is where the API is mounted.
const BasePath = "/api/v1"

// maxBody bounds request bodies other than publishes.
const maxBody = 1 << 20

// Token prefixes make leaked secrets recognisable (and greppable by secret scanners).
const (
	userTokenPrefix = "gtu_"
	nodeTokenPrefix = "gtn_"
	apiKeyPrefix    = "gtk_"
)

// Options configures New.
type Options struct {
	// Store keeps everything; required.
	Store store.HostedStore
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// BootstrapToken is the first admin's token on an empty store; "" makes Bootstrap
	// generate one.
	BootstrapToken string
	// BootstrapUser is the first admin's name; "" means "admin".
	BootstrapUser string
	// FeedPoll is how often a feed reads new events when the store is not a
	// store.CatalogSubscriber; 0 means DefaultFeedPoll.
	FeedPoll time.Duration
	// FeedKeepAlive is how long an idle feed waits before a keep-alive comment; 0 means
	// DefaultFeedKeepAlive.
	FeedKeepAlive time.Duration
	// FeedTokenCheck is how often a feed checks that its node token is still valid, ending
	// the stream once it was revoked or expired; 0 means DefaultFeedTokenCheck.
	FeedTokenCheck time.Duration
	// FeedReplay is how many missed events a resuming node is sent one by one before a
	// full snapshot is sent instead; 0 means DefaultFeedReplay.
	FeedReplay int
	// Cluster is what every snapshot frame tells the nodes of every catalog (the Redis
	// they share rate-limit and quota counters through); the zero value tells nothing.
	Cluster protocol.Cluster
}

// Server is the management API's http.Handler. It is safe for concurrent use.
type Server struct {
	st        store.HostedStore
	log       *slog.Logger
	opts      Options
	routes    route.Table[*operation]
	validator *validate.Validator
	streams   *streams          // open feed streams
	frames    *frameCache       // encoded feed frames shared by the streams
	cluster   *protocol.Cluster // Options.Cluster for snapshot frames; nil if zero
}

// operation is one API operation: its description, who may call it and what serves it.
type operation struct {
	op     *apidef.Operation
	rule   rule
	handle func(w http.ResponseWriter, r *http.Request, c *call)
	// maxBody bounds the request body; 0 means maxBody.
	maxBody int64
}

// call is one authorised request.
type call struct {
	who    *store.Principal // nil for operations without security
	params map[string]string
	body   []byte
}

// actor returns the audit actor of the call.
func (c *call) actor(r *http.Request) store.Actor {
	a := store.Actor{SourceIP: sourceIP(r)}
	switch {
	case c.who == nil:
		a.Name = "anonymous"
	case c.who.User != nil:
		a.Name = c.who.User.Name
	default:
		a.Name = fmt.Sprintf("node-token:%d", c.who.Token.ID)
	}
	return a
}

// New builds the server: it parses the embedded document and checks that every operation
// it declares has a handler and a rule.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("management server: no store")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.BootstrapUser == "" {
		opts.BootstrapUser = "admin"
	}
	opts.FeedPoll = cmp.Or(opts.FeedPoll, DefaultFeedPoll)
	opts.FeedKeepAlive = cmp.Or(opts.FeedKeepAlive, DefaultFeedKeepAlive)
	opts.FeedTokenCheck = cmp.Or(opts.FeedTokenCheck, DefaultFeedTokenCheck)
	opts.FeedReplay = cmp.Or(opts.FeedReplay, DefaultFeedReplay)
	if err := opts.Cluster.Validate(); err != nil {
		return nil, fmt.Errorf("management server: Options.Cluster: %w", err)
	}
	doc, _, err := spec.Parse("openapi.yaml", openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("management server: its OpenAPI document: %w", err)
	}
	def := doc.Definition
	if def.BasePath != BasePath {
		return nil, fmt.Errorf("management server: its OpenAPI document is mounted at %q, not %q", def.BasePath, BasePath)
	}
	s := &Server{st: opts.Store, log: log, opts: opts, validator: validate.New(def), streams: newStreams(), frames: &frameCache{}}
	if opts.Cluster != (protocol.Cluster{}) {
		c := opts.Cluster
		s.cluster = &c
	}
	handlers := s.operations()
	for _, op := range def.Operations {
		h, ok := handlers[op.ID]
		if !ok {
			return nil, fmt.Errorf("management server: operation %s has no handler", op.ID)
		}
		delete(handlers, op.ID)
		h.op = op
		if err := s.routes.Add(op.Method, op.Path, h); err != nil {
			return nil, fmt.Errorf("management server: operation %s: %w", op.ID, err)
		}
	}
	for id := range handlers {
		return nil, fmt.Errorf("management server: handler %s is not in the OpenAPI document", id)
	}
	return s, nil
}

// Bootstrap creates the first admin on an empty store, with Options.BootstrapToken as its
// token or a generated one. It returns the token and true when it created the admin (the
// caller shows the token once), or "" and false when the store already has users.
func (s *Server) Bootstrap(ctx context.Context) (string, bool, error) {
	tok := s.opts.BootstrapToken
	if tok == "" {
		tok = newSecret(userTokenPrefix)
	}
	created, err := s.st.Bootstrap(ctx, store.BootstrapInput{User: s.opts.BootstrapUser, TokenHash: secret.Hash(tok)})
	if err != nil || !created {
		return "", false, err
	}
	return tok, true, nil
}

// ServeHTTP routes, authenticates, authorises, validates and serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		problem.Error(w, r, http.StatusNotFound, "not-found", "the management API is under "+BasePath)
		return
	}
	m, res, allowed := s.routes.Lookup(r.Method, rel)
	switch res {
	case route.NotFound:
		problem.Error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path))
		return
	case route.MethodNotAllowed:
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		problem.Error(w, r, http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	op := m.Value
	c := &call{params: m.Params}
	if op.rule.kind != ruleOpen {
		who, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gantry"`)
			problem.Error(w, r, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		c.who = who
		if err := op.rule.allows(who, c.params); err != nil {
			problem.Error(w, r, http.StatusForbidden, "forbidden", err.Error())
			return
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		limit := op.maxBody
		if limit == 0 {
			limit = maxBody
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				problem.Error(w, r, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the request body is larger than %d bytes", limit))
				return
			}
			problem.Error(w, r, http.StatusBadRequest, "invalid-request", "reading the request body: "+err.Error())
			return
		}
		c.body = body
	}
	vs, err := s.validator.RequestWithBody(r, op.op, rel, c.body)
	if err != nil {
		s.internal(w, r, fmt.Errorf("validating %s: %w", op.op.ID, err))
		return
	}
	if len(vs) > 0 {
		d := problem.New(http.StatusBadRequest, "invalid-request", fmt.Sprintf("the request does not match the API description (%d problems)", len(vs)))
		for _, v := range vs {
			d.Errors = append(d.Errors, problem.Violation{In: v.In, Name: v.Name, Detail: v.Message})
		}
		problem.Write(w, r, d)
		return
	}
	op.handle(w, r, c)
}

// authenticate finds the principal of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (*store.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" {
		return nil, errors.New("send a token as Authorization: Bearer TOKEN")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, errors.New("the Authorization header must be Bearer TOKEN")
	}
	p, err := s.st.LookupToken(r.Context(), secret.Hash(strings.TrimSpace(tok)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("the token is unknown, revoked or expired")
	}
	if err != nil {
		s.log.Error("looking up token", "err", err)
		return nil, errors.New("the token could not be checked")
	}
	return p, nil
}

// sourceIP returns the client's IP address from the connection.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newSecret returns prefix and 32 random bytes in base64url.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// decode reads the call's JSON body into v (already validated against the document).
func decode(c *call, limit int64, v any) error {
	return protocol.DecodeJSON(strings.NewReader(string(c.body)), limit, v)
}
