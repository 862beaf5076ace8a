package builtin

import (
	"slices"
	"testing"
)

func TestRegistryHoldsEveryPolicy(t *testing.T) {
	got := Registry().Names()
	for _, name := range []string{
		"ipRestriction", "cors", "requestSize",
		"keyAuth", "basicAuth", "jwt", "introspection", "mtls",
		"rateLimit", "quota",
		"requestHeaders", "responseHeaders", "requestBody", "responseBody",
		"cache", "routing",
	} {
		if !slices.Contains(got, name) {
			t.Errorf("policy %q is not registered (have %v)", name, got)
		}
	}
}
