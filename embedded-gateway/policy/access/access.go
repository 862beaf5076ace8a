// Package access holds the policies that decide, before anything else looks at a request,
// whether it may come in at all: ipRestriction (client address allow and deny lists), cors
// (cross-origin preflights and response headers) and requestSize (body size limits).
package access

import (
	"encoding/json"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// Definitions returns the ipRestriction, cors and requestSize policies.
func Definitions() []policy.Definition {
	return []policy.Definition{
		{Name: "ipRestriction", Phase: policy.PhaseAccess, New: newIPRestriction},
		{Name: "cors", Phase: policy.PhaseCORS, New: newCORS},
		{Name: "requestSize", Phase: policy.PhaseLimits, New: newRequestSize},
	}
}

// decodeDuration decodes an optional duration setting, naming field in the error.
func decodeDuration(raw json.RawMessage, field string) (d policy.Duration, set bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return 0, true, policy.Errorf(field, `%s is not a duration like "30s" or "1m"`, raw)
	}
	return d, true, nil
}
