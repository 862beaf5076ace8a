package access

import (
	"encoding/json"
	"net/http"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/clientip"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// ipRestrictionSettings are the ipRestriction policy's settings. At least one of Allow and
// Deny is required. A refused client gets a 403 problem document; so does one whose
// address cannot be determined (an unparsable X-Forwarded-For entry from a trusted proxy).
type ipRestrictionSettings struct {
	// Allow lists the addresses and CIDR ranges that may call; empty means all that Deny
	// does not list.
	Allow []string `json:"allow"`
	// Deny lists the addresses and CIDR ranges that may not call; it wins over Allow.
	Deny []string `json:"deny"`
	// TrustedProxies lists the addresses and ranges of proxies in front of the gateway
	// whose X-Forwarded-For is believed; empty means the peer is always the client.
	TrustedProxies []string `json:"trustedProxies"`
}

type ipRestriction struct {
	allow, deny clientip.Prefixes
	trusted     clientip.Prefixes
}

func newIPRestriction(raw json.RawMessage, _ policy.Env) (policy.Middleware, error) {
	var cfg ipRestrictionSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	var p ipRestriction
	var err error
	if p.allow, err = clientip.ParsePrefixes(cfg.Allow, "allow"); err != nil {
		return nil, err
	}
	if p.deny, err = clientip.ParsePrefixes(cfg.Deny, "deny"); err != nil {
		return nil, err
	}
	if p.trusted, err = clientip.ParsePrefixes(cfg.TrustedProxies, "trustedProxies"); err != nil {
		return nil, err
	}
	if len(p.allow) == 0 && len(p.deny) == 0 {
		return nil, policy.Errorf("", "set allow, deny or both")
	}
	return p.middleware, nil
}

func (p *ipRestriction) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := clientip.Resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), p.trusted)
		switch {
		case !ok:
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "the client's address could not be determined")
		case p.deny.Contains(client):
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "client address "+client.String()+" is denied")
		case len(p.allow) > 0 && !p.allow.Contains(client):
			problem.Error(w, r, http.StatusForbidden, "ip-forbidden", "client address "+client.String()+" is not allowed")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
