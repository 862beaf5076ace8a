// Package builtin registers every policy Gantry ships, explicitly and in one place.
package builtin

import (
	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/access"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/auth"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/cache"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/routing"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/transform"
)

// Registry returns a registry holding every built-in policy, rate limits and quotas
// counted in memory.
func Registry() *policy.Registry { return RegistryWith(ratelimit.Stores{}) }

// RegistryWith returns a registry holding every built-in policy, rate limits and quotas
// counted in the given stores (a persistent quota store, say).
func RegistryWith(counters ratelimit.Stores) *policy.Registry {
	var r policy.Registry
	for _, defs := range [][]policy.Definition{
		access.Definitions(),
		auth.Definitions(),
		counters.Definitions(),
		transform.Definitions(),
		cache.Definitions(),
		routing.Definitions(),
	} {
		for _, d := range defs {
			if err := r.Register(d); err != nil {
				panic(err) // two built-in policies with one name: a programming error
			}
		}
	}
	return &r
}
