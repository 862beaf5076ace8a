package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/embedded-gateway/mock"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/auth"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/routing"
	"github.com/gantry-dev/gantry/embedded-gateway/proxy"
	"github.com/gantry-dev/gantry/embedded-gateway/route"
	"github.com/gantry-dev/gantry/embedded-gateway/validate"
)

// DefaultUpstream is the name an API's `upstream` has among its upstreams: the one
// requests go to unless content-based routing picks another.
const DefaultUpstream = "default"

// compiler builds one state from a snapshot. Proxies whose settings did not change are
// carried over from the state in force; the others are built anew and, like proxies that
// are no longer used, closed by Apply at the right moment.
type compiler struct {
	g          *Gateway
	reuse      map[runtimeKey]*apiRuntime
	oldProxies map[string]*proxy.Set
	proxies    map[string]*proxy.Set // of the new state, by proxyKey
	built      []*proxy.Set          // made by this compile
}

// closeNew closes the proxies this compile made (the snapshot was rejected).
func (c *compiler) closeNew() {
	for _, p := range c.built {
		_ = p.Close()
	}
}

// closeUnused closes the proxies of the previous state that the new one does not use.
func (c *compiler) closeUnused() {
	for k, p := range c.oldProxies {
		if c.proxies[k] != p {
			_ = p.Close()
		}
	}
}

// compile builds the routing state for s. Validators and responders (and their caches) of
// APIs whose name, mount and content are unchanged are carried over from prev.
func (c *compiler) compile(s *config.Snapshot, prev *state) (*state, error) {
	if s == nil {
		return nil, errors.New("nil snapshot")
	}
	if prev != nil {
		for _, rt := range prev.apis {
			c.reuse[keyOf(rt.api)] = rt
		}
	}
	consumers, err := consumerSet(s.Consumers)
	if err != nil {
		return nil, err
	}
	st := &state{snap: s}
	tables := map[string]*route.Table[*boundOp]{}
	var errs []error
	sources := map[string]string{}
	for i, a := range s.APIs {
		if a == nil || a.Definition == nil {
			name := fmt.Sprintf("#%d", i+1)
			if a != nil {
				name = fmt.Sprintf("%q (%s)", a.Name, a.Source)
			}
			errs = append(errs, fmt.Errorf("API %s has no definition", name))
			continue
		}
		if src, dup := sources[a.Name]; dup {
			errs = append(errs, fmt.Errorf("API name %q is used by both %s and %s; give one of them another name", a.Name, src, a.Source))
			continue
		}
		sources[a.Name] = a.Source
		rt, err := c.runtime(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("API %s (%s): %w", a.Name, a.Source, err))
			continue
		}
		st.apis = append(st.apis, rt)
		ops, err := c.bind(rt, consumers)
		if err != nil {
			errs = append(errs, fmt.Errorf("API %s (%s): %w", a.Name, a.Source, err))
			continue
		}
		hosts := a.Hosts
		if len(hosts) == 0 {
			hosts = []string{""}
		}
		for _, h := range hosts {
			h = strings.ToLower(h)
			t := tables[h]
			if t == nil {
				t = &route.Table[*boundOp]{}
				tables[h] = t
			}
			for _, b := range ops {
				if err := t.Add(b.op.Method, rt.base+b.op.Path, b); err != nil {
					errs = append(errs, fmt.Errorf("API %s (%s): %w", a.Name, a.Source, err))
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for h, t := range tables {
		st.hosts = append(st.hosts, hostTable{pattern: h, table: t})
	}
	// Exact hosts first, then wildcards (longer suffixes first), then any host.
	sort.Slice(st.hosts, func(i, j int) bool {
		a, b := st.hosts[i].pattern, st.hosts[j].pattern
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	})
	return st, nil
}

func rank(pattern string) int {
	switch {
	case pattern == "":
		return 2
	case strings.HasPrefix(pattern, "*."):
		return 1
	}
	return 0
}

// runtime returns the API's runtime: validator and responder carried over when the
// definition is unchanged, upstream proxies reused when their settings are unchanged.
func (c *compiler) runtime(a *config.API) (*apiRuntime, error) {
	rt := &apiRuntime{api: a, base: config.NormalizeBasePath(a.BasePath), log: c.g.log}
	if old := c.reuse[keyOf(a)]; old != nil {
		rt.validator, rt.responder, rt.secrets = old.validator, old.responder, old.secrets
	} else {
		rt.validator = validate.New(a.Definition)
		rt.responder = mock.NewResponder(a.Definition, apidef.NewChecker(a.Definition), mock.Options{})
		for _, sch := range a.Definition.SecuritySchemes {
			if sch.Type == "apiKey" && (sch.In == "header" || sch.In == "query" || sch.In == "") {
				in := sch.In
				if in == "" {
					in = "header"
				}
				rt.secrets = append(rt.secrets, secret{in: in, name: sch.Name})
			}
		}
	}
	if len(a.Upstream) > 0 || len(a.Upstreams) > 0 {
		set, err := c.upstreams(a, rt.base)
		if err != nil {
			return nil, err
		}
		rt.upstreams = set
	}
	for _, p := range a.Policies {
		if p.Name == "cors" {
			rt.hasCORS = true
		}
	}
	return rt, nil
}

// upstreams builds (or reuses) the proxy set of an API: its `upstream` under the name
// DefaultUpstream, and its named `upstreams`.
func (c *compiler) upstreams(a *config.API, base string) (*proxy.Set, error) {
	var ups []proxy.Upstream
	add := func(name string, raw json.RawMessage) error {
		var u proxy.Upstream
		if err := policy.Decode(raw, &u); err != nil {
			var fe *policy.FieldError
			if errors.As(err, &fe) && fe.Field != "" {
				return fmt.Errorf("upstream %q: %s: %s", name, fe.Field, fe.Message)
			}
			return fmt.Errorf("upstream %q: %w", name, err)
		}
		u.Name = name
		if u.StripPrefix == "" {
			u.StripPrefix = base
		}
		ups = append(ups, u)
		return nil
	}
	if len(a.Upstream) > 0 {
		if err := add(DefaultUpstream, a.Upstream); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(a.Upstreams))
	for n := range a.Upstreams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == DefaultUpstream {
			return nil, fmt.Errorf("upstreams: %q is the name of the API's `upstream`; choose another", n)
		}
		if err := add(n, a.Upstreams[n]); err != nil {
			return nil, err
		}
	}
	keyJSON, _ := json.Marshal(struct {
		API string
		Ups []proxy.Upstream
	}{a.Name, ups})
	key := string(keyJSON)
	if set := c.proxies[key]; set != nil {
		return set, nil
	}
	if set := c.oldProxies[key]; set != nil {
		c.proxies[key] = set
		return set, nil
	}
	var onError func(upstream, kind string)
	if report := c.g.opts.UpstreamError; report != nil {
		api := a.Name
		onError = func(upstream, kind string) { report(api, upstream, kind) }
	}
	set, err := proxy.NewSet(ups, proxy.Options{
		Logger:    c.g.log.With("api", a.Name),
		Transport: c.g.opts.ProxyTransport,
		OnError:   onError,
		UpstreamFromContext: func(ctx context.Context) (string, bool) {
			if n, ok := routing.UpstreamFrom(ctx); ok {
				return n, true
			}
			return DefaultUpstream, true
		},
	})
	if err != nil {
		return nil, err
	}
	c.proxies[key] = set
	c.built = append(c.built, set)
	return set, nil
}

// bind builds the bound operations of an API: each operation's mode and policy chain.
func (c *compiler) bind(rt *apiRuntime, consumers policy.Consumers) ([]*boundOp, error) {
	a := rt.api
	byOp := map[*apidef.Operation]model.OperationConfig{}
	for _, oc := range a.Operations {
		op := findOperation(a.Definition, oc.Match)
		if op == nil {
			return nil, fmt.Errorf("operations: %q matches no operation (use an operationId or \"METHOD /path\" as in the spec)", oc.Match)
		}
		byOp[op] = oc
	}
	var out []*boundOp
	for _, op := range a.Definition.Operations {
		oc := byOp[op]
		b := &boundOp{api: rt, op: op, mode: modeOf(a.Mode, oc.Mode)}
		if b.mode == model.ModeProxy && rt.upstreams == nil {
			return nil, fmt.Errorf("operation %s is in proxy mode but the API has no upstream", op.ID)
		}
		var terminal http.Handler
		if b.mode == model.ModeProxy {
			terminal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.g.serveProxy(w, r, b) })
		} else {
			terminal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.g.serveMock(w, r, b) })
		}
		configs := mergePolicies(a.Policies, oc.Policies)
		if len(configs) == 0 {
			b.handler = terminal
		} else {
			env := policy.Env{API: a.Name, Consumers: consumers, Logger: c.g.log.With("api", a.Name), Shared: c.g.opts.Shared}
			if len(oc.Policies) > 0 {
				env.Operation = op.ID
			}
			h, err := c.g.opts.Policies.Build(configs, env, terminal)
			if err != nil {
				where := "policies"
				if len(oc.Policies) > 0 {
					where = fmt.Sprintf("operation %s", op.ID)
				}
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			b.handler = h
			b.policies = true
		}
		out = append(out, b)
	}
	return out, nil
}

// modeOf returns the operation's mode: its own, else the API's, else mock.
func modeOf(api, op string) string {
	switch {
	case op != "":
		return op
	case api != "":
		return api
	}
	return model.ModeMock
}

// mergePolicies returns the API's policies with the operation's added; an operation
// policy with the same name replaces the API's.
func mergePolicies(api, op []model.PolicyConfig) []policy.Config {
	out := make([]policy.Config, 0, len(api)+len(op))
	replaced := map[string]bool{}
	for _, p := range op {
		replaced[p.Name] = true
	}
	for _, p := range api {
		if !replaced[p.Name] {
			out = append(out, policy.Config{Name: p.Name, Settings: p.Settings})
		}
	}
	for _, p := range op {
		out = append(out, policy.Config{Name: p.Name, Settings: p.Settings})
	}
	return out
}

// findOperation finds an operation by operationId or "METHOD /path/template".
func findOperation(d *apidef.Definition, match string) *apidef.Operation {
	method, path, isPath := strings.Cut(match, " ")
	for _, op := range d.Operations {
		if op.ID == match {
			return op
		}
		if isPath && strings.EqualFold(op.Method, method) && op.Path == strings.TrimSpace(path) {
			return op
		}
	}
	return nil
}

// consumerSet turns the snapshot's consumers into the lookup authentication policies use.
func consumerSet(cs []model.Consumer) (policy.Consumers, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	specs := make([]auth.ConsumerSpec, len(cs))
	for i, c := range cs {
		specs[i] = auth.ConsumerSpec{Name: c.Name, Groups: c.Groups, APIKeys: c.APIKeyHashes}
		for _, b := range c.Basic {
			specs[i].Basic = append(specs[i].Basic, auth.BasicCredential{Username: b.Username, Password: b.PasswordHash})
		}
	}
	set, err := auth.NewConsumerSet(specs)
	if err != nil {
		return nil, fmt.Errorf("consumers: %w", err)
	}
	return set, nil
}

// emptyTable answers NotFound for requests no host table takes.
var emptyTable = &route.Table[*boundOp]{}

// lookup routes a request by host, then path: the first host table (exact, wildcard,
// any) that knows the path answers. It returns that table too (for OPTIONS handling).
// The request's host is only looked at when some API is restricted to hosts.
func (st *state) lookup(r *http.Request, path string) (route.Match[*boundOp], route.Result, []string, *route.Table[*boundOp]) {
	var (
		m       route.Match[*boundOp]
		res     = route.NotFound
		allowed []string
		table   = emptyTable
		host    string
	)
	if len(st.hosts) > 0 && st.hosts[0].pattern != "" {
		host = requestHost(r)
	}
	for _, h := range st.hosts {
		if !hostMatches(h.pattern, host) {
			continue
		}
		m, res, allowed = h.table.Lookup(r.Method, path)
		if res != route.NotFound {
			return m, res, allowed, h.table
		}
		table = h.table
	}
	return m, res, allowed, table
}

// hostMatches reports whether host (lower case, no port) matches pattern.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:]) && len(host) > len(pattern)-1
	}
	return host == pattern
}

// requestHost is the request's host name in lower case, without port.
func requestHost(r *http.Request) string {
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// anyOp returns an operation bound at path in t, whatever its method (nil if none).
func anyOp(t *route.Table[*boundOp], path string) *boundOp {
	if t == nil {
		return nil
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"} {
		if mm, res, _ := t.Lookup(m, path); res == route.Found {
			return mm.Value
		}
	}
	return nil
}
