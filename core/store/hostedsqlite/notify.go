package hostedsqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/store"
)

var _ store.CatalogSubscriber = (*Store)(nil)

// Subscribe implements store.CatalogSubscriber: the channel receives the catalog's
// sequence after every write this Store commits that advanced it. The values strictly
// increase and coalesce (the channel holds only the newest undelivered sequence). Changes
// made by another process on the same file are not seen: SQLite is the single-server store.
// The channel is closed when ctx ends or the Store is closed; an unknown catalog wraps
// store.ErrNotFound.
func (s *Store) Subscribe(ctx context.Context, catalog string) (<-chan int64, error) {
	c, err := s.GetCatalog(ctx, catalog)
	if err != nil {
		return nil, fmt.Errorf("subscribing to catalog %q: %w", catalog, err)
	}
	return s.subs.add(ctx, c.ID, c.Sequence)
}

// subscribers are the Subscribe channels of a Store, by catalog ID.
type subscribers struct {
	mu     sync.Mutex
	byCat  map[int64]map[*subscription]struct{}
	closed bool
}

// subscription is one Subscribe call's channel.
type subscription struct {
	ch   chan int64 // capacity 1: holds the newest undelivered sequence
	last int64      // the largest sequence handed to ch or current at Subscribe (guarded by mu)
}

// add registers a subscription until ctx ends or the store closes.
func (ss *subscribers) add(ctx context.Context, catalog, seq int64) (<-chan int64, error) {
	sub := &subscription{ch: make(chan int64, 1), last: seq}
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return nil, errors.New("subscribing: the store is closed")
	}
	if ss.byCat == nil {
		ss.byCat = map[int64]map[*subscription]struct{}{}
	}
	if ss.byCat[catalog] == nil {
		ss.byCat[catalog] = map[*subscription]struct{}{}
	}
	ss.byCat[catalog][sub] = struct{}{}
	ss.mu.Unlock()
	context.AfterFunc(ctx, func() {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if _, ok := ss.byCat[catalog][sub]; !ok {
			return // closed by closeAll
		}
		delete(ss.byCat[catalog], sub)
		if len(ss.byCat[catalog]) == 0 {
			delete(ss.byCat, catalog)
		}
		close(sub.ch)
	})
	return sub.ch, nil
}

// catalogs returns the IDs of the catalogs that have subscribers.
func (ss *subscribers) catalogs() []int64 {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ids := make([]int64, 0, len(ss.byCat))
	for id := range ss.byCat {
		ids = append(ids, id)
	}
	return ids
}

// deliver hands seq to every subscriber of the catalog that has not had it (or a later
// one), without blocking: an undelivered older value is replaced.
func (ss *subscribers) deliver(catalog, seq int64) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for sub := range ss.byCat[catalog] {
		if seq <= sub.last {
			continue
		}
		sub.last = seq
		select {
		case <-sub.ch:
		default:
		}
		sub.ch <- seq // cannot block: deliver is the only sender and holds mu
	}
}

// closeAll closes every subscription; later adds fail.
func (ss *subscribers) closeAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for _, subs := range ss.byCat {
		for sub := range subs {
			close(sub.ch)
		}
	}
	ss.byCat = nil
}

// notifyCommitted reads the sequences of the subscribed catalogs after a commit and
// delivers those that moved. It costs one small read per write, and nothing without
// subscribers.
func (s *Store) notifyCommitted(ctx context.Context) {
	ids := s.subs.catalogs()
	if len(ids) == 0 {
		return
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id, seq FROM catalogs WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := s.r.QueryContext(context.WithoutCancel(ctx), q, args...)
	if err != nil {
		s.log.Warn("reading catalog sequences for subscribers", "err", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			s.log.Warn("reading catalog sequences for subscribers", "err", err)
			return
		}
		s.subs.deliver(id, seq)
	}
}
