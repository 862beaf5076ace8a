package gateway

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/core/apidef"
)

// securityFailure says why a request lacks the credentials its operation requires.
type securityFailure struct {
	detail     string
	challenges []string
}

// checkSecurity checks that r carries the credentials one of op's security requirements
// names. A mock cannot verify them, so presence (and the right scheme) is what counts, as in
// Prism. It returns nil when the request may proceed.
func checkSecurity(def *apidef.Definition, op *apidef.Operation, r *http.Request) *securityFailure {
	reqs := def.EffectiveSecurity(op)
	if len(reqs) == 0 {
		return nil
	}
	var options []string // one per requirement: what it needs, "a and b"
	challenges := map[string]bool{}
	for _, req := range reqs {
		if len(req) == 0 {
			return nil // anonymous access allowed
		}
		names := make([]string, 0, len(req))
		for n := range req {
			names = append(names, n)
		}
		sort.Strings(names)
		ok := true
		var needs []string
		for _, name := range names {
			sch := def.SecuritySchemes[name]
			if sch == nil {
				continue // an undeclared scheme cannot be checked; the importer warns about it
			}
			needs = append(needs, describe(name, sch))
			if !present(sch, r) {
				ok = false
				challenges[challenge(sch)] = true
			}
		}
		if ok {
			return nil
		}
		options = append(options, strings.Join(needs, " and "))
	}
	f := &securityFailure{detail: fmt.Sprintf("Operation %s requires credentials: %s.", op.ID, strings.Join(dedupe(options), ", or "))}
	for c := range challenges {
		f.challenges = append(f.challenges, c)
	}
	sort.Strings(f.challenges)
	return f
}

func present(s *apidef.SecurityScheme, r *http.Request) bool {
	switch s.Type {
	case "apiKey":
		switch s.In {
		case "query":
			return r.URL.Query().Has(s.Name)
		case "cookie":
			_, err := r.Cookie(s.Name)
			return err == nil
		default:
			return r.Header.Get(s.Name) != ""
		}
	case "http":
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.TrimSpace(cred) != "" && strings.EqualFold(scheme, s.Scheme)
	case "oauth2", "openIdConnect":
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.TrimSpace(cred) != "" && strings.EqualFold(scheme, "bearer")
	case "mutualTLS":
		return r.TLS != nil && len(r.TLS.PeerCertificates) > 0
	}
	return true
}

func describe(name string, s *apidef.SecurityScheme) string {
	switch s.Type {
	case "apiKey":
		return fmt.Sprintf("%s (API key in %s %q)", name, orDefault(s.In, "header"), s.Name)
	case "http":
		return fmt.Sprintf("%s (Authorization: %s)", name, titleCase(s.Scheme))
	case "oauth2", "openIdConnect":
		return fmt.Sprintf("%s (Authorization: Bearer token)", name)
	case "mutualTLS":
		return fmt.Sprintf("%s (client certificate)", name)
	}
	return name
}

func challenge(s *apidef.SecurityScheme) string {
	switch s.Type {
	case "apiKey":
		return fmt.Sprintf("APIKey %s=%q", orDefault(s.In, "header"), s.Name)
	case "http":
		if strings.EqualFold(s.Scheme, "basic") {
			return `Basic realm="gantry"`
		}
		return titleCase(s.Scheme)
	case "mutualTLS":
		return "MutualTLS"
	}
	return "Bearer"
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
