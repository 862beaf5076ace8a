package proxy

import (
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// CircuitState is the state of a target's circuit breaker.
type CircuitState string

// The states of a circuit breaker.
const (
	// CircuitClosed lets every request through (also reported when there is no breaker).
	CircuitClosed CircuitState = "closed"
	// CircuitOpen rejects every request until CircuitBreaker.OpenFor has passed.
	CircuitOpen CircuitState = "open"
	// CircuitHalfOpen lets CircuitBreaker.HalfOpenRequests trial requests through.
	CircuitHalfOpen CircuitState = "half-open"
)

// outcome is what one attempt on a target tells its circuit breaker.
type outcome int

const (
	outcomeNone    outcome = iota // the attempt says nothing about the target (client gone)
	outcomeSuccess                // the target answered
	outcomeFailure                // transport error, or 502/503/504 from the target
)

// breaker is a consecutive-failures circuit breaker. It is guarded by balancer.mu.
type breaker struct {
	cfg      *CircuitBreaker // nil: no breaker, always closed
	state    CircuitState
	gen      uint64 // bumped on every transition; results of older attempts are ignored
	fails    int    // consecutive failures while closed
	openedAt time.Time
	inflight int // half-open trial requests under way
	passed   int // half-open trial requests that succeeded
}

// available reports whether the breaker lets a request through at now, moving an open
// breaker whose time is up to half-open.
func (b *breaker) available(now time.Time) bool {
	if b.cfg == nil {
		return true
	}
	switch b.state {
	case CircuitOpen:
		if now.Sub(b.openedAt) < b.cfg.OpenFor.Std() {
			return false
		}
		b.set(CircuitHalfOpen)
		fallthrough
	case CircuitHalfOpen:
		return b.inflight+b.passed < b.cfg.HalfOpenRequests
	}
	return true
}

// acquire records that a request was let through and returns the generation to report
// its outcome against.
func (b *breaker) acquire() uint64 {
	if b.state == CircuitHalfOpen {
		b.inflight++
	}
	return b.gen
}

// report records the outcome of a request acquired in generation gen and returns the
// state the breaker moved to, or "" if it stayed.
func (b *breaker) report(gen uint64, o outcome, now time.Time) CircuitState {
	if b.cfg == nil || gen != b.gen {
		return ""
	}
	switch b.state {
	case CircuitClosed:
		switch o {
		case outcomeSuccess:
			b.fails = 0
		case outcomeFailure:
			b.fails++
			if b.fails >= b.cfg.FailureThreshold {
				b.open(now)
				return CircuitOpen
			}
		}
	case CircuitHalfOpen:
		b.inflight--
		switch o {
		case outcomeSuccess:
			b.passed++
			if b.passed >= b.cfg.HalfOpenRequests {
				b.set(CircuitClosed)
				return CircuitClosed
			}
		case outcomeFailure:
			b.open(now)
			return CircuitOpen
		}
	}
	return ""
}

func (b *breaker) open(now time.Time) {
	b.set(CircuitOpen)
	b.openedAt = now
}

func (b *breaker) set(s CircuitState) {
	b.state = s
	b.gen++
	b.fails, b.inflight, b.passed = 0, 0, 0
}

// target is one server of an upstream with its balancing, health and breaker state.
type target struct {
	index int
	url   *url.URL
	raw   string // the configured URL, the only address shown to clients
	// hostPort is url's host with the scheme's default port when it names none.
	hostPort string
	weight   int

	healthy  atomic.Bool
	requests atomic.Uint64 // attempts sent
	failures atomic.Uint64 // attempts that failed (see outcomeFailure)

	// guarded by balancer.mu
	current int // smooth weighted round-robin's current weight
	cb      breaker

	// owned by the target's health-check goroutine
	passes, fails int
}

// balancer picks targets by smooth weighted round-robin (nginx's algorithm) among those
// that are healthy and whose circuit lets a request through.
type balancer struct {
	mu      sync.Mutex
	targets []*target
}

// pick returns the next target not rejected by skip, and the breaker generation to
// report the attempt's outcome against; nil if no target is available.
func (b *balancer) pick(now time.Time, skip func(*target) bool) (*target, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var best *target
	total := 0
	for _, t := range b.targets {
		if (skip != nil && skip(t)) || !t.healthy.Load() || !t.cb.available(now) {
			continue
		}
		t.current += t.weight
		total += t.weight
		if best == nil || t.current > best.current {
			best = t
		}
	}
	if best == nil {
		return nil, 0
	}
	best.current -= total
	return best, best.cb.acquire()
}

// report records the outcome of an attempt on t acquired in generation gen and returns
// the circuit state t moved to, or "" if it stayed.
func (b *balancer) report(t *target, gen uint64, o outcome, now time.Time) CircuitState {
	if o == outcomeFailure {
		t.failures.Add(1)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return t.cb.report(gen, o, now)
}

// unavailable counts the targets out of rotation: unhealthy ones and, among the
// healthy, those whose circuit rejects requests.
func (b *balancer) unavailable(now time.Time) (unhealthy, open int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.targets {
		switch {
		case !t.healthy.Load():
			unhealthy++
		case !t.cb.available(now):
			open++
		}
	}
	return unhealthy, open
}

// circuit returns t's breaker state.
func (b *balancer) circuit(t *target) CircuitState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return t.cb.state
}
