// Package storetest is the conformance suite for implementations of store.Store.
//
// An implementation's test calls Run with a function that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
//	}
//
// Besides the interface's doc comments, the suite pins down these behaviours, which every
// implementation shares:
//   - Times round-trip at microsecond precision (the suite's fixtures are truncated to µs).
//   - AddRevision compares rev.Hash with the newest revision only: content A, B, A gives
//     three revisions. When nothing is added the stored revision comes back with its
//     files and compiled form. An empty name or hash, a nil revision and a repeated file path
//     are errors that write nothing. rev is never modified.
//   - Files come back in the order they were given, byte for byte; a nil Compiled stays nil
//     (an empty one may come back nil or empty).
//   - Environment variables may come back as an empty map where nil was stored; a replaced
//     environment keeps its ID.
//   - Headers, bodies, violations and warnings that are empty may come back nil or empty.
//   - TrafficFilter.PathContains is a case-sensitive substring match on Exchange.URL.
//   - DeleteExchanges removes what ListExchanges with the same filter returns (Limit
//     included); AppendExchanges with an ID already stored or repeated in the batch wraps
//     store.ErrConflict and writes nothing.
package storetest

import (
	"testing"

	"github.com/gantry-dev/gantry/core/store"
)

// Run runs the conformance suite. open must return a new, empty store for each call;
// Run closes every store it opens when its subtest ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	opener := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	t.Run("APIs", func(t *testing.T) { testAPIs(t, opener) })
	t.Run("Revisions", func(t *testing.T) { testRevisions(t, opener) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, opener) })
	t.Run("InvalidInput", func(t *testing.T) { testInvalidInput(t, opener) })
	t.Run("Environments", func(t *testing.T) { testEnvironments(t, opener) })
	t.Run("GatewayConfigs", func(t *testing.T) { testGatewayConfigs(t, opener) })
	t.Run("Exchanges", func(t *testing.T) { testExchanges(t, opener) })
	t.Run("ExchangeFilters", func(t *testing.T) { testExchangeFilters(t, opener) })
	t.Run("ExchangeBatches", func(t *testing.T) { testExchangeBatches(t, opener) })
	t.Run("StoredOrder", func(t *testing.T) { testStoredOrder(t, opener) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, opener) })
}
