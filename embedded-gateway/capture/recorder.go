// Package capture records the traffic a gateway serves without ever making a request wait
// on disk: an HTTP middleware captures each exchange, a Recorder queues it in memory and
// one writer goroutine stores it in batches, and live subscribers see it as it happens.
package capture

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/core/model"
)

// Sink stores batches of captured exchanges. store.TrafficStore satisfies it.
//
// A Recorder calls AppendExchanges from one goroutine at a time. The sink must not keep xs
// after it returns (the Recorder reuses the slice), but may keep the exchanges themselves,
// which the Recorder never modifies after Record.
type Sink interface {
	// AppendExchanges stores xs, all or nothing; an error means none are counted as written.
	AppendExchanges(ctx context.Context, xs []*model.Exchange) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, xs []*model.Exchange) error

// AppendExchanges calls f(ctx, xs).
func (f SinkFunc) AppendExchanges(ctx context.Context, xs []*model.Exchange) error {
	return f(ctx, xs)
}

// Default option values.
const (
	DefaultQueueSize     = 8192
	DefaultBatchSize     = 256
	DefaultFlushInterval = 100 * time.Millisecond
)

// Options tune a Recorder. The zero value uses every default.
type Options struct {
	// QueueSize is how many exchanges may wait for the writer; beyond it Record drops.
	// 0 or less means DefaultQueueSize (8192).
	QueueSize int
	// BatchSize is the most exchanges passed to one Sink call. 0 or less means
	// DefaultBatchSize (256).
	BatchSize int
	// FlushInterval is how long the writer waits for a batch to fill after its first
	// exchange arrives. 0 or less means DefaultFlushInterval (100ms).
	FlushInterval time.Duration
	// Logger receives sink errors; nil discards them.
	Logger *slog.Logger
}

// Stats are a Recorder's counters since New. Recorded = Written + Failed + Dropped + (still
// queued or being written).
type Stats struct {
	// Recorded counts calls to Record.
	Recorded uint64 `json:"recorded"`
	// Written counts exchanges the sink accepted.
	Written uint64 `json:"written"`
	// Dropped counts exchanges discarded because the queue was full or the Recorder closed.
	Dropped uint64 `json:"dropped"`
	// Failed counts exchanges in batches the sink rejected (or panicked on).
	Failed uint64 `json:"failed"`
	// Subscribers is the number of live subscriptions.
	Subscribers int `json:"subscribers"`
	// SubscriberMissed counts events that live subscribers missed because their buffer was
	// full, summed over every subscription (including cancelled ones).
	SubscriberMissed uint64 `json:"subscriberMissed"`
}

// Recorder queues captured exchanges and writes them to a Sink in batches from one
// goroutine. Record, Subscribe, Stats and Close are safe for concurrent use.
type Recorder struct {
	sink  Sink
	batch int
	flush time.Duration
	log   *slog.Logger

	// mu guards closed and the send on queue against close(queue): Record holds it shared.
	mu     sync.RWMutex
	closed bool
	queue  chan *model.Exchange
	// full tells the writer, waiting for a batch to fill, that the queue holds one; stop,
	// closed by Close, that no more will come. The writer does not wait on queue itself
	// then: a receive would wake it for every exchange.
	full chan struct{}
	stop chan struct{}

	ctx    context.Context // passed to the sink; cancelled when Close gives up
	cancel context.CancelFunc
	done   chan struct{} // closed when the writer goroutine exits

	recorded, written, dropped, failed atomic.Uint64

	subsMu sync.Mutex                    // serializes changes to subs
	subs   atomic.Pointer[[]*subscriber] // copy-on-write list read by Record without locks
	missed atomic.Uint64                 // events missed by cancelled subscriptions
}

// New returns a Recorder writing to sink and starts its writer goroutine. Call Close to
// flush and stop it.
func New(sink Sink, opts Options) *Recorder {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{
		sink:   sink,
		batch:  opts.BatchSize,
		flush:  opts.FlushInterval,
		log:    opts.Logger,
		queue:  make(chan *model.Exchange, opts.QueueSize),
		full:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	r.subs.Store(new([]*subscriber))
	go r.run()
	return r
}

// Record hands x to the writer and to every live subscriber. It never blocks: if the queue
// is full, or the Recorder is closed, x is dropped and counted. The caller must not modify
// x afterwards. A nil x is ignored.
func (r *Recorder) Record(x *model.Exchange) {
	if x == nil {
		return
	}
	r.recorded.Add(1)
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		r.dropped.Add(1)
		return
	}
	select {
	case r.queue <- x:
		if len(r.queue) >= r.batch-1 { // with the one the writer holds, a batch
			select {
			case r.full <- struct{}{}:
			default: // already signalled
			}
		}
	default:
		r.dropped.Add(1)
	}
	r.mu.RUnlock()

	for _, s := range *r.subs.Load() {
		s.send(x)
	}
}

// Stats returns a snapshot of the counters.
func (r *Recorder) Stats() Stats {
	subs := *r.subs.Load()
	missed := r.missed.Load()
	for _, s := range subs {
		missed += s.missed.Load()
	}
	return Stats{
		Recorded:         r.recorded.Load(),
		Written:          r.written.Load(),
		Dropped:          r.dropped.Load(),
		Failed:           r.failed.Load(),
		Subscribers:      len(subs),
		SubscriberMissed: missed,
	}
}

// Close stops accepting exchanges, ends every subscription (closing its channel) and waits
// until everything queued has been passed to the sink, or ctx is done. In the latter case
// it cancels the context given to the sink and returns ctx's error; exchanges still queued
// then fail fast. Calling Close again waits again.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
		close(r.stop)
	}
	r.mu.Unlock()

	r.subsMu.Lock()
	subs := *r.subs.Swap(new([]*subscriber))
	for _, s := range subs {
		r.missed.Add(s.close())
	}
	r.subsMu.Unlock()

	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		r.cancel()
		return fmt.Errorf("closing traffic recorder with %d exchanges queued: %w", len(r.queue), ctx.Err())
	}
}

// run is the writer goroutine: it collects up to batch exchanges, waiting at most flush
// after the first one, and writes them, until the queue is closed and empty.
//
// While a batch fills, it sleeps until the flush interval ends or Record reports a full
// batch, and then takes what is queued: receiving each exchange as it came woke the
// goroutine (and often an idle processor) once per request.
func (r *Recorder) run() {
	defer close(r.done)
	defer r.cancel()
	batch := make([]*model.Exchange, 0, r.batch)
	timer := time.NewTimer(r.flush)
	timer.Stop()
	for {
		x, ok := <-r.queue
		if !ok {
			return
		}
		batch = append(batch, x)
		if len(r.queue)+1 < r.batch {
			timer.Reset(r.flush)
		wait:
			for len(r.queue)+1 < r.batch {
				select {
				case <-timer.C:
					break wait
				case <-r.stop:
					break wait
				case <-r.full: // a signal may be stale: check again
				}
			}
			timer.Stop()
		}
	fill:
		for len(batch) < r.batch {
			select {
			case x, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, x)
			default:
				break fill
			}
		}
		r.write(batch)
		clear(batch) // let the exchanges be collected once the sink is done with them
		batch = batch[:0]
	}
}

// write passes one batch to the sink, counting and logging failures and panics.
func (r *Recorder) write(batch []*model.Exchange) {
	n := uint64(len(batch))
	defer func() {
		if p := recover(); p != nil {
			r.failed.Add(n)
			r.log.Error("traffic sink panicked; batch lost", "exchanges", n, "panic", p)
		}
	}()
	if err := r.sink.AppendExchanges(r.ctx, batch); err != nil {
		r.failed.Add(n)
		r.log.Error("writing captured traffic failed; batch lost", "exchanges", n, "err", err)
		return
	}
	r.written.Add(n)
}

// Subscribe returns a channel that receives every exchange recorded from now on, and a
// cancel function that ends the subscription and closes the channel. The channel holds up
// to buffer exchanges (at least 1); when it is full, Record skips this subscriber and
// counts a miss (see Missed) instead of waiting. Exchanges are shared: receivers must not
// modify them. Close ends every subscription; after Close, Subscribe returns a closed channel.
func (r *Recorder) Subscribe(buffer int) (<-chan *model.Exchange, func()) {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscriber{ch: make(chan *model.Exchange, buffer)}
	// Close sets r.closed before it takes subsMu to close the subscribers, so checking it
	// under subsMu means a subscriber is either closed by Close or never added.
	r.subsMu.Lock()
	r.mu.RLock()
	closed := r.closed
	r.mu.RUnlock()
	if closed {
		r.subsMu.Unlock()
		s.close()
		return s.ch, func() {}
	}
	old := *r.subs.Load()
	subs := make([]*subscriber, len(old), len(old)+1)
	copy(subs, old)
	subs = append(subs, s)
	r.subs.Store(&subs)
	r.subsMu.Unlock()

	var once sync.Once
	return s.ch, func() { once.Do(func() { r.unsubscribe(s) }) }
}

// Missed returns how many exchanges the subscription with channel ch has missed because
// its buffer was full; 0 if ch is not a live subscription.
func (r *Recorder) Missed(ch <-chan *model.Exchange) uint64 {
	for _, s := range *r.subs.Load() {
		if (<-chan *model.Exchange)(s.ch) == ch {
			return s.missed.Load()
		}
	}
	return 0
}

// unsubscribe removes s from the list and closes its channel.
func (r *Recorder) unsubscribe(s *subscriber) {
	r.subsMu.Lock()
	defer r.subsMu.Unlock()
	old := *r.subs.Load()
	subs := make([]*subscriber, 0, len(old))
	for _, o := range old {
		if o != s {
			subs = append(subs, o)
		}
	}
	if len(subs) == len(old) {
		return // already removed by Close
	}
	r.subs.Store(&subs)
	r.missed.Add(s.close())
}

// subscriber is one live subscription.
type subscriber struct {
	mu     sync.RWMutex // guards closed and sends against close(ch)
	closed bool
	ch     chan *model.Exchange
	missed atomic.Uint64
}

// send delivers x without blocking, counting a miss if the buffer is full.
func (s *subscriber) send(x *model.Exchange) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- x:
	default:
		s.missed.Add(1)
	}
}

// close closes the channel once and returns the misses counted so far.
func (s *subscriber) close() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
	return s.missed.Load()
}
