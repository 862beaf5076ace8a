package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Limit is a rate: Requests per Window sustained, with up to Burst requests at once.
type Limit struct {
	// Requests is how many requests Window allows at the sustained rate; must be positive.
	Requests int
	// Window is the period Requests are spread over; must be positive.
	Window time.Duration
	// Burst is how many requests may be made at once when the key is idle; 0 means Requests.
	Burst int
}

// Decision is a Limiter's answer for one request.
type Decision struct {
	// Allowed reports whether the request may proceed (and was counted).
	Allowed bool
	// Limit is the limit the decision was made under.
	Limit Limit
	// Remaining is how many more requests would be allowed right now; 0 when rejected.
	Remaining int
	// ResetAfter is how long until the key is back to a full burst if no request is made.
	ResetAfter time.Duration
	// RetryAfter is how long until a request would be allowed; 0 when Allowed.
	RetryAfter time.Duration
}

// Limiter decides whether a request under key may proceed under limit at time now.
//
// Implementations must be safe for concurrent use, must count an allowed request
// atomically with the decision, and must not count a rejected one (a client hammering a
// limit does not push its own reset further away). Keys are opaque strings built by the
// caller; the same key may be used with a changed limit after a configuration reload. An
// error means no decision could be made (for example the shared store is down); callers
// then let the request through.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit, now time.Time) (Decision, error)
}

// LimiterFunc adapts a function to the Limiter interface.
type LimiterFunc func(ctx context.Context, key string, limit Limit, now time.Time) (Decision, error)

var _ Limiter = LimiterFunc(nil)

// Allow calls f.
func (f LimiterFunc) Allow(ctx context.Context, key string, limit Limit, now time.Time) (Decision, error) {
	return f(ctx, key, limit, now)
}

// UnavailableError is returned, possibly wrapped, by a Limiter or QuotaStore that cannot
// decide and is configured to fail closed (a shared store that is down): the policies then
// refuse the request with 503 and Retry-After instead of letting it through, and count it
// in Stats.Unavailable.
type UnavailableError struct {
	// RetryAfter is how long until the store may be back; 0 or less means one second.
	RetryAfter time.Duration
	// Err says why the store is unavailable; nil says nothing more.
	Err error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return "rate-limit store unavailable"
	}
	return "rate-limit store unavailable: " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ErrInvalidLimit is returned (wrapped) for a Limit that no request can be counted under.
var ErrInvalidLimit = errors.New("invalid rate limit")

// gcraParams are a Limit in the units GCRA works in: the emission interval (the time one
// request "costs") and the burst tolerance (how far ahead of now the theoretical arrival
// time may run), both in nanoseconds.
type gcraParams struct {
	interval  int64
	tolerance int64
}

// params validates l and converts it for gcra.
func (l Limit) params() (gcraParams, error) {
	if l.Requests <= 0 {
		return gcraParams{}, fmt.Errorf("%w: requests must be positive, not %d", ErrInvalidLimit, l.Requests)
	}
	if l.Window <= 0 {
		return gcraParams{}, fmt.Errorf("%w: window must be positive, not %s", ErrInvalidLimit, l.Window)
	}
	burst := l.Burst
	if burst == 0 {
		burst = l.Requests
	}
	if burst < 0 {
		return gcraParams{}, fmt.Errorf("%w: burst must not be negative, not %d", ErrInvalidLimit, l.Burst)
	}
	interval := int64(l.Window) / int64(l.Requests)
	if interval <= 0 {
		return gcraParams{}, fmt.Errorf("%w: %d requests per %s is more than one a nanosecond", ErrInvalidLimit, l.Requests, l.Window)
	}
	if int64(burst) > math.MaxInt64/4/interval {
		return gcraParams{}, fmt.Errorf("%w: burst %d over %s is too large", ErrInvalidLimit, burst, l.Window)
	}
	return gcraParams{interval: interval, tolerance: int64(burst) * interval}, nil
}

// gcra decides one request at now (Unix nanoseconds) for a key whose theoretical arrival
// time is tat (0 or any time before now for an idle key). It returns the decision and the
// key's new theoretical arrival time, which the caller stores only when allowed.
func gcra(tat, now int64, p gcraParams) (d Decision, newTAT int64) {
	if tat < now {
		tat = now
	}
	newTAT = tat + p.interval
	allowAt := newTAT - p.tolerance
	if now < allowAt {
		return Decision{RetryAfter: time.Duration(allowAt - now), ResetAfter: time.Duration(tat - now)}, tat
	}
	return Decision{
		Allowed:    true,
		Remaining:  int((now - allowAt) / p.interval),
		ResetAfter: time.Duration(newTAT - now),
	}, newTAT
}
