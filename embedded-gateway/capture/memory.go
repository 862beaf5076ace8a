package capture

import (
	"context"
	"slices"
	"sync"

	"github.com/gantry-dev/gantry/core/model"
)

// MemorySink is a Sink that keeps every exchange in memory, for tests and short captures
// that need no workspace. The zero value is ready to use; it is safe for concurrent use.
type MemorySink struct {
	mu sync.Mutex
	xs []*model.Exchange
}

var _ Sink = (*MemorySink)(nil)

// AppendExchanges keeps xs.
func (s *MemorySink) AppendExchanges(_ context.Context, xs []*model.Exchange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xs = append(s.xs, xs...)
	return nil
}

// Exchanges returns the exchanges kept so far, in the order they were appended.
func (s *MemorySink) Exchanges() []*model.Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.xs)
}
