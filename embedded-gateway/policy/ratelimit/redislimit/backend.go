package redislimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
)

// DefaultRetryInterval is how often Redis is tried again during an outage.
const DefaultRetryInterval = time.Second

// DefaultPrefix starts every key the Backend writes.
const DefaultPrefix = "gantry:"

// Options configure a Backend. The zero value fails open to per-node limits, retries
// Redis every second and reads the time from Redis.
type Options struct {
	// Prefix starts every key written to Redis; "" means DefaultPrefix ("gantry:"). Nodes
	// that share limits must use the same prefix.
	Prefix string
	// FailClosed rejects every request while Redis is unreachable; false (the default)
	// decides them with per-node counters in memory instead (see the package doc).
	FailClosed bool
	// LocalShare is the fraction of each limit a node enforces on its own while Redis is
	// unreachable and FailClosed is false; 0 means 1 (the whole limit per node). A limit
	// never drops below one request.
	LocalShare float64
	// RetryInterval is how often Redis is tried again during an outage; 0 means
	// DefaultRetryInterval (1s).
	RetryInterval time.Duration
	// CallerClock makes the GCRA script use the time passed to Allow instead of Redis'
	// clock (TIME); false is right for a cluster. Tests with a fake clock set it.
	CallerClock bool
	// Local decides rate limits during an outage; nil means a ratelimit.Memory of its own.
	Local ratelimit.Limiter
	// LocalQuotas counts quotas during an outage; nil means a ratelimit.MemoryQuota of its
	// own.
	LocalQuotas ratelimit.QuotaStore
	// Metrics counts fallbacks and outages; nil counts nothing. Register it with the
	// registry /metrics exports.
	Metrics *Metrics
	// Logger receives one warning when an outage begins and one notice when it ends; nil
	// discards them.
	Logger *slog.Logger
}

// Backend keeps rate-limit and quota counters in Redis and falls back to local ones while
// Redis is unreachable. It is safe for concurrent use; the zero value is not usable, call
// New.
type Backend struct {
	rdb      redis.UniversalClient
	opts     Options
	log      *slog.Logger
	metrics  *Metrics
	interval time.Duration

	down      atomic.Bool  // the circuit is open: Redis is not asked
	downSince atomic.Int64 // when the current outage began, Unix ns
	nextProbe atomic.Int64 // when Redis may be tried again, Unix ns
	probing   atomic.Bool  // a probe is under way

	limiter *Limiter
	quotas  *Quotas
}

// New returns a Backend over rdb. The client's own timeouts bound each round trip: give it
// short ones and no retries (NewClient does), since a request waits for its decision.
func New(rdb redis.UniversalClient, opts Options) *Backend {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.LocalShare <= 0 || opts.LocalShare > 1 {
		opts.LocalShare = 1
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.Local == nil {
		opts.Local = ratelimit.NewMemory(ratelimit.MemoryOptions{})
	}
	if opts.LocalQuotas == nil {
		opts.LocalQuotas = ratelimit.NewMemoryQuota(0)
	}
	b := &Backend{rdb: rdb, opts: opts, log: opts.Logger, metrics: opts.Metrics, interval: opts.RetryInterval}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.metrics == nil {
		b.metrics = NewMetrics()
	}
	b.metrics.up.Set(1)
	b.limiter = &Limiter{b: b, prefix: opts.Prefix + "rl:"}
	b.quotas = &Quotas{b: b, prefix: opts.Prefix + "q:"}
	return b
}

// Stores returns ratelimit.Stores whose rate limits and quotas are counted in Redis
// through a new Backend over rdb.
func Stores(rdb redis.UniversalClient, opts Options) ratelimit.Stores {
	return New(rdb, opts).Stores()
}

// Stores returns the ratelimit.Stores backed by b.
func (b *Backend) Stores() ratelimit.Stores {
	return ratelimit.Stores{Limiter: b.limiter, Quotas: b.quotas}
}

// Limiter returns b's rate limiter.
func (b *Backend) Limiter() *Limiter { return b.limiter }

// Quotas returns b's quota store.
func (b *Backend) Quotas() *Quotas { return b.quotas }

// Available reports whether requests are currently decided by Redis (the circuit is
// closed).
func (b *Backend) Available() bool { return !b.down.Load() }

// ask reports whether Redis should be asked now. While the circuit is open it starts one
// background probe per retry interval and answers false.
func (b *Backend) ask() bool {
	if !b.down.Load() {
		return true
	}
	now := time.Now().UnixNano()
	if next := b.nextProbe.Load(); now >= next && b.nextProbe.CompareAndSwap(next, now+int64(b.interval)) && b.probing.CompareAndSwap(false, true) {
		go b.probe()
	}
	return false
}

// probe pings Redis and closes the circuit when it answers.
func (b *Backend) probe() {
	defer b.probing.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), b.interval)
	defer cancel()
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return
	}
	if b.down.CompareAndSwap(true, false) {
		b.metrics.up.Set(1)
		since := time.Unix(0, b.downSince.Load())
		b.log.Info("shared rate-limit store reachable again; counting in Redis",
			"outage", time.Since(since).Round(time.Millisecond))
	}
}

// trip opens the circuit after err showed that Redis is unreachable; the first caller of
// an outage logs it.
func (b *Backend) trip(err error) {
	if b.down.Load() || !b.down.CompareAndSwap(false, true) {
		return
	}
	now := time.Now().UnixNano()
	b.downSince.Store(now)
	b.nextProbe.Store(now + int64(b.interval))
	b.metrics.up.Set(0)
	b.metrics.outages.Inc()
	mode := "fail open: per-node limits"
	if b.opts.FailClosed {
		mode = "fail closed: rejecting requests"
	}
	b.log.Warn("shared rate-limit store unreachable; deciding locally until it is back",
		"error", err, "mode", mode, "retryEvery", b.interval)
}

// unreachable reports whether err means Redis cannot be reached or cannot serve (as
// opposed to an error in the request itself).
func unreachable(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		msg := redisErr.Error()
		for _, prefix := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY"} {
			if strings.HasPrefix(msg, prefix) {
				return true
			}
		}
		return false
	}
	return true // io.EOF, a reset connection, a refused dial: transport errors
}

// localLimit scales a limit for a node deciding on its own.
func (b *Backend) localLimit(n int) int {
	if b.opts.LocalShare >= 1 {
		return n
	}
	return max(1, int(float64(n)*b.opts.LocalShare))
}

// errRedisDown is why a request is refused while failing closed.
var errRedisDown = errors.New("redis is unreachable")

// unavailable is the error of a request refused while failing closed: it tells the policy
// to answer 503 with a Retry-After of the time until the next probe.
func (b *Backend) unavailable() error {
	return &ratelimit.UnavailableError{RetryAfter: time.Duration(b.nextProbe.Load() - time.Now().UnixNano()), Err: errRedisDown}
}

// wrap adds context to an error from Redis.
func wrap(what string, err error) error {
	return fmt.Errorf("redis %s: %w", what, err)
}
