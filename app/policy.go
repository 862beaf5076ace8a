package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/secret"
	"github.com/gantry-dev/gantry/core/store"
	"github.com/gantry-dev/gantry/core/store/sqlite"
	"github.com/gantry-dev/gantry/core/workspace"
	gateway "github.com/gantry-dev/gantry/embedded-gateway"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/builtin"
)

// PolicyService edits the gateway policies of the workspace's APIs and of their
// operations. They are kept in the workspace's gateway configuration (the one `gantry
// config import/export` reads and writes), checked with the policy registry before they
// are stored, and the running gateway applies them at once.
type PolicyService struct {
	st      *sqlite.Store
	log     *slog.Logger
	ev      Events
	changed func() // after every stored change

	mu  sync.Mutex // serializes read-modify-write of the configuration
	reg *policy.Registry
}

// OperationPolicies is the policies of one operation.
type OperationPolicies struct {
	// ID is the operationId (or "METHOD /path"), what the configuration matches on.
	ID       string               `json:"id"`
	Method   string               `json:"method"`
	Path     string               `json:"path"`
	Summary  string               `json:"summary"`
	Policies []model.PolicyConfig `json:"policies"`
}

// APIPolicies is the policies of an API and of each of its operations.
type APIPolicies struct {
	API string `json:"api"`
	// Revision is the gateway configuration's revision; 0 when none is stored.
	Revision int64 `json:"revision"`
	// Validate reports whether requests are validated against the spec.
	Validate bool                 `json:"validate"`
	Policies []model.PolicyConfig `json:"policies"`
	// Operations lists every operation of the API in spec order.
	Operations []OperationPolicies `json:"operations"`
}

// PolicyIssue is a refused policy setting.
type PolicyIssue struct {
	// Operation is the operation whose policy it is; "" for the API's own policies.
	Operation string `json:"operation"`
	// Policy is the policy's name ("" for the list as a whole).
	Policy string `json:"policy"`
	// Field is the setting, as a dotted path ("window", "keys[0].alg"); "" means the
	// policy as a whole.
	Field   string `json:"field"`
	Message string `json:"message"`
}

// PolicyResult is the outcome of a change: stored, or refused with its issues.
type PolicyResult struct {
	Saved    bool          `json:"saved"`
	Issues   []PolicyIssue `json:"issues"`
	Policies APIPolicies   `json:"policies"`
}

// PolicyChange is the payload of the policies:changed event.
type PolicyChange struct {
	API      string `json:"api"`
	Revision int64  `json:"revision"`
}

func (s *PolicyService) registry() *policy.Registry {
	if s.reg == nil {
		s.reg = builtin.Registry()
	}
	return s.reg
}

// Catalog describes every policy the gateway knows, with its settings, in the order
// they run.
func (s *PolicyService) Catalog() ([]builtin.Spec, error) {
	return builtin.Specs(), nil
}

// Get returns the policies of the API and of its operations.
func (s *PolicyService) Get(api string) (APIPolicies, error) {
	ctx := context.Background()
	def, _, err := workspace.Definition(ctx, s.st, api)
	if err != nil {
		return APIPolicies{}, err
	}
	cfg, rev, err := s.config(ctx)
	if err != nil {
		return APIPolicies{}, err
	}
	return policiesOf(api, def, cfg, rev), nil
}

// config returns the stored gateway configuration (an empty one when none is stored).
func (s *PolicyService) config(ctx context.Context) (*model.GatewayConfig, int64, error) {
	cfg, rev, err := s.st.LatestGatewayConfig(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return &model.GatewayConfig{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("loading the gateway configuration: %w", err)
	}
	return cfg, rev, nil
}

func policiesOf(api string, def *apidef.Definition, cfg *model.GatewayConfig, rev int64) APIPolicies {
	out := APIPolicies{API: api, Revision: rev, Validate: true, Policies: []model.PolicyConfig{}, Operations: []OperationPolicies{}}
	ga := workspace.ConfiguredAPI(cfg, api)
	if ga != nil {
		out.Validate = ga.Validate == nil || *ga.Validate
		out.Policies = append(out.Policies, ga.Policies...)
	}
	for _, op := range def.Operations {
		o := OperationPolicies{ID: op.ID, Method: op.Method, Path: op.Path, Summary: op.Summary, Policies: []model.PolicyConfig{}}
		if oc := operationConfig(ga, op); oc != nil {
			o.Policies = append(o.Policies, oc.Policies...)
		}
		out.Operations = append(out.Operations, o)
	}
	return out
}

// operationConfig returns the entry of ga that configures op; nil when none does.
func operationConfig(ga *model.GatewayAPI, op *apidef.Operation) *model.OperationConfig {
	if ga == nil {
		return nil
	}
	for i := range ga.Operations {
		if m := ga.Operations[i].Match; m == op.ID || strings.EqualFold(m, op.Method+" "+op.Path) {
			return &ga.Operations[i]
		}
	}
	return nil
}

// Set replaces the policies of the API (operation "") or of one of its operations (an
// operationId or "METHOD /path"). The API's whole configuration is checked first, as the
// gateway would apply it, with the policy registry: refused settings come back as issues,
// located by operation, policy and field, and nothing is stored. Otherwise the
// configuration is stored and the running gateway applies it.
func (s *PolicyService) Set(api, operation string, policies []model.PolicyConfig) (PolicyResult, error) {
	return s.update(api, func(def *apidef.Definition, cfg *model.GatewayConfig, ga *model.GatewayAPI) ([]PolicyIssue, error) {
		var op *apidef.Operation
		if operation != "" {
			var err error
			if op, err = findOperation(def, operation); err != nil {
				return nil, fmt.Errorf("API %q: %w", api, err)
			}
		}
		clean, issues := normalizePolicies(policies)
		if len(issues) > 0 {
			return issues, nil
		}
		if op == nil {
			ga.Policies = clean
			return nil, nil
		}
		if oc := operationConfig(ga, op); oc != nil {
			oc.Policies = clean
			if len(clean) == 0 && oc.Mode == "" {
				ga.Operations = deleteOperation(ga.Operations, oc)
			}
		} else if len(clean) > 0 {
			ga.Operations = append(ga.Operations, model.OperationConfig{Match: op.ID, Policies: clean})
		}
		return nil, nil
	})
}

// SetValidation turns request validation against the spec on or off for the API.
func (s *PolicyService) SetValidation(api string, on bool) (PolicyResult, error) {
	return s.update(api, func(_ *apidef.Definition, _ *model.GatewayConfig, ga *model.GatewayAPI) ([]PolicyIssue, error) {
		if on {
			ga.Validate = nil
		} else {
			off := false
			ga.Validate = &off
		}
		return nil, nil
	})
}

func deleteOperation(ops []model.OperationConfig, del *model.OperationConfig) []model.OperationConfig {
	out := ops[:0:0]
	for i := range ops {
		if &ops[i] != del {
			out = append(out, ops[i])
		}
	}
	return out
}

// update applies edit to the API's entry of the gateway configuration (created if
// needed), checks the result as the gateway would and stores it.
func (s *PolicyService) update(api string, edit func(*apidef.Definition, *model.GatewayConfig, *model.GatewayAPI) ([]PolicyIssue, error)) (PolicyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	def, rev, err := workspace.Definition(ctx, s.st, api)
	if err != nil {
		return PolicyResult{}, err
	}
	cfg, crev, err := s.config(ctx)
	if err != nil {
		return PolicyResult{}, err
	}
	ga := workspace.ConfiguredAPI(cfg, api)
	if ga == nil {
		cfg.APIs = append(cfg.APIs, model.GatewayAPI{Name: api, API: api})
		ga = &cfg.APIs[len(cfg.APIs)-1]
	}
	issues, err := edit(def, cfg, ga)
	if err != nil {
		return PolicyResult{}, err
	}
	if len(issues) == 0 {
		issues = s.checkAPI(cfg, ga, def, rev.Hash)
	}
	if len(issues) > 0 {
		old, _, err := s.config(ctx)
		if err != nil {
			return PolicyResult{}, err
		}
		return PolicyResult{Issues: issues, Policies: policiesOf(api, def, old, crev)}, nil
	}
	newRev, _, err := s.st.PutGatewayConfig(ctx, cfg)
	if err != nil {
		return PolicyResult{}, fmt.Errorf("storing the policies of %s: %w", api, err)
	}
	if s.changed != nil {
		s.changed()
	}
	if s.ev != nil {
		s.ev.Emit("policies:changed", PolicyChange{API: api, Revision: newRev})
	}
	return PolicyResult{Saved: true, Issues: []PolicyIssue{}, Policies: policiesOf(api, def, cfg, newRev)}, nil
}

// normalizePolicies trims names and drops empty settings; a policy listed twice is an
// issue.
func normalizePolicies(policies []model.PolicyConfig) ([]model.PolicyConfig, []PolicyIssue) {
	var issues []PolicyIssue
	clean := make([]model.PolicyConfig, 0, len(policies))
	seen := map[string]bool{}
	for _, p := range policies {
		name := strings.TrimSpace(p.Name)
		if seen[name] {
			issues = append(issues, PolicyIssue{Policy: name, Message: "is listed twice: keep one"})
			continue
		}
		seen[name] = true
		settings := bytes.TrimSpace(p.Settings)
		if len(settings) == 0 || bytes.Equal(settings, []byte("null")) || bytes.Equal(settings, []byte("{}")) {
			settings = nil
		}
		clean = append(clean, model.PolicyConfig{Name: name, Settings: json.RawMessage(settings)})
	}
	return clean, issues
}

// checkAPI checks the API's whole configuration as the gateway would apply it: every
// policy's settings with the registry (each on its own, so each problem is located), then
// the rest by compiling it.
func (s *PolicyService) checkAPI(cfg *model.GatewayConfig, ga *model.GatewayAPI, def *apidef.Definition, hash string) []PolicyIssue {
	a, err := config.NewAPI(ga.API, "workspace:"+ga.API, ga.BasePath, def, hash)
	if err != nil {
		return []PolicyIssue{{Message: err.Error()}}
	}
	workspace.Configure(a, ga)
	var out []PolicyIssue
	for _, is := range gateway.Check(&config.Snapshot{APIs: []*config.API{a}, Consumers: cfg.Consumers}, s.registry()) {
		out = append(out, policyIssue(is, ga))
	}
	return out
}

// policyIssue locates a gateway issue ("operations.addPet.policies.rateLimit.window") by
// operation, policy and field.
func policyIssue(is gateway.Issue, ga *model.GatewayAPI) PolicyIssue {
	field, op := is.Field, ""
	if rest, ok := strings.CutPrefix(field, "operations."); ok {
		for _, oc := range ga.Operations {
			if p, ok := strings.CutPrefix(rest, oc.Match+".policies."); ok {
				op, field = oc.Match, "policies."+p
				break
			}
		}
	}
	if rest, ok := strings.CutPrefix(field, "policies."); ok {
		name, f, _ := strings.Cut(rest, ".")
		return PolicyIssue{Operation: op, Policy: name, Field: f, Message: is.Message}
	}
	return PolicyIssue{Operation: op, Field: is.Field, Message: is.Message}
}

// Consumer is an application or user that may call the APIs through the gateway (what
// keyAuth and basicAuth accept). Its secrets are never shown: only how many it has.
type Consumer struct {
	Name       string   `json:"name"`
	Groups     []string `json:"groups"`
	APIKeys    int      `json:"apiKeys"`
	BasicUsers []string `json:"basicUsers"`
}

// NewKey is an API key just added to a consumer, shown this once (only its hash is kept).
type NewKey struct {
	Consumer string `json:"consumer"`
	Key      string `json:"key"`
}

// Consumers lists the consumers of the workspace's gateway configuration.
func (s *PolicyService) Consumers() ([]Consumer, error) {
	cfg, _, err := s.config(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]Consumer, 0, len(cfg.Consumers))
	for _, c := range cfg.Consumers {
		out = append(out, consumerInfo(c))
	}
	return out, nil
}

func consumerInfo(c model.Consumer) Consumer {
	out := Consumer{Name: c.Name, Groups: append([]string{}, c.Groups...), APIKeys: len(c.APIKeyHashes), BasicUsers: []string{}}
	for _, b := range c.Basic {
		out.BasicUsers = append(out.BasicUsers, b.Username)
	}
	return out
}

// AddAPIKey gives the consumer called name (created if needed) an API key: key, or a new
// random one when key is "". The key is returned this once; only its hash is stored.
func (s *PolicyService) AddAPIKey(name, key string) (NewKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return NewKey{}, errors.New("a consumer needs a name")
	}
	key = strings.TrimSpace(key)
	if key == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return NewKey{}, fmt.Errorf("making an API key: %w", err)
		}
		key = "gk_" + base64.RawURLEncoding.EncodeToString(b)
	}
	err := s.updateConsumers(func(cfg *model.GatewayConfig) error {
		h := secret.Hash(key)
		for _, c := range cfg.Consumers {
			if slices.Contains(c.APIKeyHashes, h) {
				return fmt.Errorf("consumer %s already has this key", c.Name)
			}
		}
		i := slices.IndexFunc(cfg.Consumers, func(c model.Consumer) bool { return c.Name == name })
		if i < 0 {
			cfg.Consumers = append(cfg.Consumers, model.Consumer{Name: name})
			i = len(cfg.Consumers) - 1
		}
		cfg.Consumers[i].APIKeyHashes = append(cfg.Consumers[i].APIKeyHashes, h)
		return nil
	})
	if err != nil {
		return NewKey{}, err
	}
	return NewKey{Consumer: name, Key: key}, nil
}

// DeleteConsumer removes the consumer called name with its credentials.
func (s *PolicyService) DeleteConsumer(name string) error {
	return s.updateConsumers(func(cfg *model.GatewayConfig) error {
		i := slices.IndexFunc(cfg.Consumers, func(c model.Consumer) bool { return c.Name == name })
		if i < 0 {
			return fmt.Errorf("no consumer called %q", name)
		}
		cfg.Consumers = slices.Delete(cfg.Consumers, i, i+1)
		return nil
	})
}

// updateConsumers applies edit to the configuration, checks every workspace API it
// configures (a consumer removed can leave keyAuth with no one to accept) and stores it.
func (s *PolicyService) updateConsumers(edit func(*model.GatewayConfig) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := context.Background()
	cfg, _, err := s.config(ctx)
	if err != nil {
		return err
	}
	if err := edit(cfg); err != nil {
		return err
	}
	for i := range cfg.APIs {
		ga := &cfg.APIs[i]
		if ga.API == "" {
			continue
		}
		def, rev, err := workspace.Definition(ctx, s.st, ga.API)
		if err != nil {
			continue // an API no longer in the workspace is not served
		}
		if issues := s.checkAPI(cfg, ga, def, rev.Hash); len(issues) > 0 {
			is := issues[0]
			return fmt.Errorf("API %s: policy %s: %s (change its policies first)", ga.API, is.Policy, is.Message)
		}
	}
	rev, _, err := s.st.PutGatewayConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("storing the consumers: %w", err)
	}
	if s.changed != nil {
		s.changed()
	}
	if s.ev != nil {
		s.ev.Emit("policies:changed", PolicyChange{Revision: rev})
	}
	return nil
}
