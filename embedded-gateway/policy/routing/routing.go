// Package routing is the content-based routing policy: it picks a named upstream for a
// request from its method, headers and query parameters.
//
// The policy does not proxy anything itself. It records the chosen upstream's name in the
// request context (WithUpstream); the proxy, which runs after the policy chain, reads it
// with UpstreamFrom and sends the request to the upstream of that name.
//
// Settings:
//
//	{
//	  "rules": [
//	    {"match": {"method": ["GET", "HEAD"], "headers": {"X-Version": "2"}}, "upstream": "v2"},
//	    {"match": {"query": {"beta": "~^(1|true)$"}}, "upstream": "beta"}
//	  ],
//	  "default": "stable"
//	}
//
// Rules are tried in order and the first whose match holds wins; if none does, the request
// goes to "default", and if that is empty too, no upstream is recorded and the proxy uses
// the operation's usual upstream. Within one match every condition must hold:
//
//   - method: a method or a list of methods (case-insensitive); one must equal the
//     request's.
//   - headers: header name to value. The request must carry the header, and one of its
//     values must equal the given value exactly.
//   - query: query parameter name to value, with the same meaning as headers.
//
// A value starting with "~" is a regular expression (Go RE2 syntax) that must match the
// whole value: "~v[12]" matches "v1" but not "v10". To match a literal value that starts
// with "~", write it as a regular expression: "~\~beta". A header or query parameter the
// request lacks never matches, not even "~.*".
package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// Name is the name the routing policy is registered under.
const Name = "routing"

// Definitions returns the routing policy's definition, for registration.
func Definitions() []policy.Definition {
	return []policy.Definition{{Name: Name, Phase: policy.PhaseRoute, New: newRouting}}
}

type upstreamKey struct{}

// WithUpstream returns a copy of ctx that names upstream as the one to send the request to.
func WithUpstream(ctx context.Context, upstream string) context.Context {
	return context.WithValue(ctx, upstreamKey{}, upstream)
}

// UpstreamFrom returns the upstream name a routing policy chose for the request, and
// false if none was chosen.
func UpstreamFrom(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(upstreamKey{}).(string)
	return u, ok && u != ""
}

// settings is the policy's configuration as written.
type settings struct {
	Rules   []ruleSettings `json:"rules"`
	Default string         `json:"default"`
}

type ruleSettings struct {
	Match    matchSettings `json:"match"`
	Upstream string        `json:"upstream"`
}

type matchSettings struct {
	Method  methods           `json:"method"`
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
}

// methods reads either one method ("GET") or a list (["GET", "HEAD"]).
type methods []string

// UnmarshalJSON accepts a string or a list of strings.
func (m *methods) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*m = methods{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("a method or a list of methods is expected")
	}
	*m = many
	return nil
}

// router is the compiled configuration.
type router struct {
	rules    []rule
	fallback string
}

type rule struct {
	methods  []string
	headers  []condition // canonical header names
	query    []condition
	upstream string
}

// condition is one name/value test; re is nil for an exact match.
type condition struct {
	name  string
	value string
	re    *regexp.Regexp
}

func (c *condition) matches(v string) bool {
	if c.re != nil {
		return c.re.MatchString(v)
	}
	return v == c.value
}

// newRouting builds a routing policy from its settings.
func newRouting(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	var s settings
	if err := policy.Decode(raw, &s); err != nil {
		return nil, err
	}
	rt, err := compile(s)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if up := rt.pick(r); up != "" {
				r = r.WithContext(WithUpstream(r.Context(), up))
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

func compile(s settings) (*router, error) {
	if len(s.Rules) == 0 && s.Default == "" {
		return nil, policy.Errorf("rules", "at least one rule or a default upstream is required")
	}
	rt := &router{fallback: strings.TrimSpace(s.Default)}
	if s.Default != "" && rt.fallback == "" {
		return nil, policy.Errorf("default", "must name an upstream")
	}
	for i, rs := range s.Rules {
		field := fmt.Sprintf("rules.%d", i)
		ru := rule{upstream: strings.TrimSpace(rs.Upstream)}
		if ru.upstream == "" {
			return nil, policy.Errorf(field+".upstream", "is required")
		}
		for j, m := range rs.Match.Method {
			m = strings.ToUpper(strings.TrimSpace(m))
			if !policy.IsToken(m) {
				return nil, policy.Errorf(fmt.Sprintf("%s.match.method.%d", field, j), "%q is not an HTTP method", rs.Match.Method[j])
			}
			ru.methods = append(ru.methods, m)
		}
		var err error
		if ru.headers, err = conditions(rs.Match.Headers, field+".match.headers", true); err != nil {
			return nil, err
		}
		if ru.query, err = conditions(rs.Match.Query, field+".match.query", false); err != nil {
			return nil, err
		}
		if len(ru.methods)+len(ru.headers)+len(ru.query) == 0 {
			return nil, policy.Errorf(field+".match", "is empty and would match every request; use default instead")
		}
		rt.rules = append(rt.rules, ru)
	}
	return rt, nil
}

// conditions compiles a name→value map in name order, so errors are reported the same way
// every time.
func conditions(m map[string]string, field string, header bool) ([]condition, error) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []condition
	for _, n := range names {
		v := m[n]
		c := condition{name: n, value: v}
		if header {
			if !policy.IsToken(n) {
				return nil, policy.Errorf(field+"."+n, "%q is not a valid header name", n)
			}
			c.name = http.CanonicalHeaderKey(n)
		} else if n == "" {
			return nil, policy.Errorf(field, "a query parameter name is empty")
		}
		if expr, ok := strings.CutPrefix(v, "~"); ok {
			re, err := regexp.Compile(`^(?:` + expr + `)$`)
			if err != nil {
				return nil, &policy.FieldError{Field: field + "." + n, Message: fmt.Sprintf("%q is not a valid regular expression: %v", expr, err), Err: err}
			}
			c.re = re
		}
		out = append(out, c)
	}
	return out, nil
}

// pick returns the upstream for r, or "" for none.
func (rt *router) pick(r *http.Request) string {
	var query url.Values // parsed on first use
	for i := range rt.rules {
		ru := &rt.rules[i]
		if len(ru.methods) > 0 && !slices.Contains(ru.methods, r.Method) {
			continue
		}
		if !matchAll(ru.headers, func(name string) []string { return r.Header[name] }) {
			continue
		}
		if len(ru.query) > 0 {
			if query == nil {
				query = r.URL.Query()
			}
			if !matchAll(ru.query, func(name string) []string { return query[name] }) {
				continue
			}
		}
		return ru.upstream
	}
	return rt.fallback
}

// matchAll reports whether every condition holds for the values get returns.
func matchAll(conds []condition, get func(name string) []string) bool {
	for i := range conds {
		c := &conds[i]
		ok := false
		for _, v := range get(c.name) {
			if c.matches(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
