// Package hostedtest is the conformance suite for implementations of store.HostedStore.
//
// An implementation's test calls Run with a function that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		hostedtest.Run(t, func(t *testing.T) store.HostedStore { return openTemp(t) })
//	}
//
// Besides the interfaces' doc comments, the suite pins down these behaviours:
//   - Times round-trip at microsecond precision in UTC.
//   - A catalog's sequence increases by exactly one per change the data plane sees, and
//     EventsSince replays those changes in order.
//   - A mutation that fails (conflict, not found, invalid input) writes no audit record.
//   - Publishing content equal to the current revision returns that revision with
//     created=false even when the base revision is stale.
//   - Files come back in the order they were given, byte for byte.
package hostedtest

import (
	"testing"

	"github.com/gantry-dev/gantry/core/store"
)

// Opener opens a new, empty store.
type Opener func(t *testing.T) store.HostedStore

// Run runs the conformance suite. open must return a new, empty store for each call; Run
// closes every store it opens when its subtest ends.
func Run(t *testing.T, open Opener) {
	t.Helper()
	opener := func(t *testing.T) store.HostedStore {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Catalogs", testCatalogs},
		{"Publish", testPublish},
		{"PublishConflict", testPublishConflict},
		{"PublishIdempotent", testPublishIdempotent},
		{"PublishInvalid", testPublishInvalid},
		{"Promote", testPromote},
		{"Lifecycle", testLifecycle},
		{"Sequences", testSequences},
		{"AuditInTransaction", testAuditInTransaction},
		{"Consumers", testConsumers},
		{"Nodes", testNodes},
		{"Bootstrap", testBootstrap},
		{"Tokens", testTokens},
		{"Roles", testRoles},
		{"CatalogState", testCatalogState},
		{"ConcurrentPublish", testConcurrentPublish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, opener) })
	}
}
