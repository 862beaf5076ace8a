package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/core/config"
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/builtin"
)

// Issue is one problem Check found in a snapshot.
type Issue struct {
	// API is the index of the API in the snapshot; -1 means the snapshot as a whole.
	API int
	// Field is the path of the offending setting inside the API, in the configuration
	// file's terms: "policies.rateLimit.window", "operations.listPets.policies.keyAuth",
	// "upstream"; "" means the API as a whole.
	Field string
	// Message says what is wrong.
	Message string
}

// Check reports everything in s that Apply would refuse, each problem on its own and
// located as precisely as possible (per policy and setting), without serving anything.
// A nil registry means the built-in policies.
func Check(s *config.Snapshot, reg *policy.Registry) []Issue {
	if reg == nil {
		reg = builtin.Registry()
	}
	if issues := CheckPolicies(s, reg, nil); len(issues) > 0 {
		return issues
	}
	// The rest (upstreams, operations, routes) is checked by compiling for real.
	var issues []Issue
	g := New(Options{Policies: reg})
	defer g.Close()
	for i, a := range s.APIs {
		one := *s
		one.APIs = []*config.API{a}
		if err := g.Apply(&one); err != nil {
			issues = append(issues, apiIssue(i, a, err))
		}
	}
	if len(issues) == 0 {
		if err := g.Apply(s); err != nil {
			issues = append(issues, Issue{API: -1, Message: err.Error()})
		}
	}
	return issues
}

// CheckPolicies checks the consumers and every policy's settings, each policy on its own so
// that each problem is located; it is the cheap part of Check, meant for reloads (Apply
// then reports the rest). shared (nil: a fresh one) lets repeated checks reuse long-lived
// policy state, such as a JWKS download, with the gateway they are for.
func CheckPolicies(s *config.Snapshot, reg *policy.Registry, shared *policy.Shared) []Issue {
	if reg == nil {
		reg = builtin.Registry()
	}
	if shared == nil {
		shared = &policy.Shared{}
	}
	var issues []Issue
	consumers, err := consumerSet(s.Consumers)
	if err != nil {
		issues = append(issues, Issue{API: -1, Field: "consumers", Message: err.Error()})
	}
	for i, a := range s.APIs {
		env := policy.Env{API: a.Name, Consumers: consumers, Shared: shared}
		for _, p := range a.Policies {
			if err := checkPolicy(reg, p.Name, p.Settings, env); err != nil {
				issues = append(issues, policyIssue(i, "policies", p.Name, err))
			}
		}
		for _, oc := range a.Operations {
			env := env
			env.Operation = oc.Match
			for _, p := range oc.Policies {
				if err := checkPolicy(reg, p.Name, p.Settings, env); err != nil {
					issues = append(issues, policyIssue(i, "operations."+oc.Match+".policies", p.Name, err))
				}
			}
		}
	}
	return issues
}

func checkPolicy(reg *policy.Registry, name string, settings []byte, env policy.Env) error {
	_, err := reg.Build([]policy.Config{{Name: name, Settings: settings}}, env, http.NotFoundHandler())
	return err
}

// policyIssue locates a policy error: the policy's field path turned into the file's
// notation (keys.0.alg → keys[0].alg).
func policyIssue(api int, prefix, name string, err error) Issue {
	is := Issue{API: api, Field: prefix + "." + name, Message: err.Error()}
	var fe *policy.FieldError
	if errors.As(err, &fe) {
		is.Message = fe.Message
		if fe.Field != "" {
			is.Field += "." + fileNotation(fe.Field)
		}
	}
	return is
}

// apiIssue locates an Apply error of one API by what it mentions.
func apiIssue(i int, a *config.API, err error) Issue {
	msg := err.Error()
	prefix := fmt.Sprintf("API %s (%s): ", a.Name, a.Source)
	msg = strings.TrimPrefix(msg, prefix)
	is := Issue{API: i, Message: msg}
	switch {
	case strings.HasPrefix(msg, "upstreams: "), strings.HasPrefix(msg, `upstream "default"`):
		is.Field = "upstream"
	case strings.HasPrefix(msg, "upstream "):
		if name, _, ok := strings.Cut(strings.TrimPrefix(msg, `upstream "`), `"`); ok {
			is.Field = "upstreams." + name
		}
	case strings.HasPrefix(msg, "operations: "):
		is.Field = "operations"
	}
	return is
}

// fileNotation turns "keys.0.alg" into "keys[0].alg".
func fileNotation(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
