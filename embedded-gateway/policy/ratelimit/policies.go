package ratelimit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/clientip"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// SharedStatsKey is the policy.Shared key under which the policies keep their Stats.
const SharedStatsKey = "ratelimit/stats"

// Stats counts what the rateLimit and quota policies did, for metrics. Read the counters
// with Load; a Stats must not be copied after first use.
type Stats struct {
	// LimiterErrors counts requests let through because the Limiter or QuotaStore failed.
	LimiterErrors atomic.Uint64
	// Rejected counts requests refused with 429.
	Rejected atomic.Uint64
	// Unavailable counts requests refused with 503 because a store failing closed could
	// not decide (an UnavailableError).
	Unavailable atomic.Uint64
}

// SharedStats returns the Stats kept in shared (creating it), which the policies built
// with that Shared and default Stores update. A nil shared yields a fresh Stats.
func SharedStats(shared *policy.Shared) *Stats {
	if shared == nil {
		return &Stats{}
	}
	st, _ := shared.Get(SharedStatsKey, func() any { return &Stats{} }).(*Stats)
	if st == nil {
		return &Stats{}
	}
	return st
}

// Stores says where the policies keep their counters. The zero value keeps them in memory,
// shared through policy.Env.Shared so that a configuration reload keeps them.
type Stores struct {
	// Limiter backs every rateLimit policy; nil means the Memory kept in env.Shared under
	// SharedMemoryKey (a private one if env.Shared is nil).
	Limiter Limiter
	// Quotas backs every quota policy; nil means the MemoryQuota kept in env.Shared under
	// SharedQuotaKey (a private one if env.Shared is nil).
	Quotas QuotaStore
	// Stats receives the policies' counters; nil means SharedStats(env.Shared).
	Stats *Stats
}

// Definitions returns the rateLimit and quota policies backed by in-memory counters
// shared through policy.Env.Shared.
func Definitions() []policy.Definition { return Stores{}.Definitions() }

// Definitions returns the rateLimit and quota policies backed by s.
func (s Stores) Definitions() []policy.Definition {
	return []policy.Definition{
		{Name: "rateLimit", Phase: policy.PhaseRateLimit, New: s.newRateLimit},
		{Name: "quota", Phase: policy.PhaseRateLimit, New: s.newQuota},
	}
}

func (s Stores) limiter(env policy.Env) (Limiter, error) {
	if s.Limiter != nil {
		return s.Limiter, nil
	}
	if env.Shared == nil {
		return NewMemory(MemoryOptions{}), nil
	}
	l, ok := env.Shared.Get(SharedMemoryKey, func() any { return NewMemory(MemoryOptions{}) }).(Limiter)
	if !ok {
		return nil, fmt.Errorf("shared object %q is not a rate limiter", SharedMemoryKey)
	}
	return l, nil
}

func (s Stores) quotas(env policy.Env) (QuotaStore, error) {
	if s.Quotas != nil {
		return s.Quotas, nil
	}
	if env.Shared == nil {
		return NewMemoryQuota(0), nil
	}
	q, ok := env.Shared.Get(SharedQuotaKey, func() any { return NewMemoryQuota(0) }).(QuotaStore)
	if !ok {
		return nil, fmt.Errorf("shared object %q is not a quota store", SharedQuotaKey)
	}
	return q, nil
}

func (s Stores) stats(env policy.Env) *Stats {
	if s.Stats != nil {
		return s.Stats
	}
	return SharedStats(env.Shared)
}

// partition is what a policy's counters are partitioned by (the "by" setting).
type partition int

const (
	byConsumer partition = iota // the authenticated consumer, else the client IP
	byKey                       // the credential, else the client IP
	byIP                        // the client IP
	byRoute                     // nothing: one counter per API and operation
	numPartitions
)

// tag names a partition in counter keys and messages.
var tags = [numPartitions]string{"consumer", "key", "client", "route"}

func parsePartition(s string) (partition, error) {
	switch s {
	case "", "consumer":
		return byConsumer, nil
	case "key":
		return byKey, nil
	case "ip":
		return byIP, nil
	case "route":
		return byRoute, nil
	}
	return 0, policy.Errorf("by", "must be \"consumer\", \"key\", \"ip\" or \"route\", not %q", s)
}

// subject returns the partition a request falls in and its value: the consumer's name (or
// the token subject when the credential names no configured consumer) for byConsumer, the
// credential's identifier for byKey, the client's address for byIP. Without an identity
// (or without a credential identifier for byKey) both fall back to the client's address.
// The client's address is read from X-Forwarded-For when the peer is one of the trusted
// proxies (clientip.Resolve); when that header cannot be read, the peer's address counts.
func (p partition) subject(r *http.Request, trusted clientip.Prefixes) (partition, string) {
	switch p {
	case byRoute:
		return byRoute, ""
	case byConsumer:
		if id := policy.IdentityFrom(r.Context()); id != nil {
			if id.Consumer != nil && id.Consumer.Name != "" {
				return byConsumer, id.Consumer.Name
			}
			if id.Subject != "" {
				return byConsumer, id.Subject
			}
		}
	case byKey:
		if id := policy.IdentityFrom(r.Context()); id != nil && id.Credential != "" {
			return byKey, id.Credential
		}
	}
	if len(trusted) > 0 {
		if a, ok := clientip.Resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); ok {
			return byIP, a.String()
		}
	}
	return byIP, clientAddr(r.RemoteAddr)
}

// clientAddr returns the IP of a RemoteAddr ("host:port") as clientip.Resolve gives it
// (unmapped, without zone), so that the same client gets one counter with or without
// trusted proxies; an unparsable one counts as itself. An IPv4 peer, the common case, is
// cut out of the string without parsing or allocating.
func clientAddr(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil && strings.IndexByte(host, ':') < 0 {
		if _, err := netip.ParseAddr(host); err == nil {
			return host
		}
	}
	if a, ok := clientip.ParseHostAddr(remote); ok {
		return a.String()
	}
	return remote
}

// keyspace builds the counter keys of one policy: a prefix per partition that names the
// policy kind, API, operation and policy name, so that counters never collide across
// them.
type keyspace [numPartitions]string

func newKeyspace(kind string, env policy.Env, name string) keyspace {
	var ks keyspace
	for p := range numPartitions {
		ks[p] = kind + "\x00" + env.API + "\x00" + env.Operation + "\x00" + name + "\x00" + tags[p] + "\x00"
	}
	return ks
}

// describe names a request's partition for a problem detail: "consumer alice",
// "client 203.0.113.7", "operation listPets".
func describe(p partition, value string, env policy.Env) string {
	if p != byRoute {
		return tags[p] + " " + value
	}
	if env.Operation != "" {
		return "operation " + env.Operation
	}
	if env.API != "" {
		return "API " + env.API
	}
	return "this route"
}

// validName checks a policy identifier for the RateLimit header fields.
func validName(name string) error {
	if name == "" || len(name) > 64 {
		return policy.Errorf("name", "must be 1 to 64 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return policy.Errorf("name", "%q may only contain letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// decodeDuration decodes a duration setting, naming field in the error.
func decodeDuration(raw json.RawMessage, field string) (time.Duration, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	var d policy.Duration
	if err := json.Unmarshal(raw, &d); err != nil {
		return 0, true, policy.Errorf(field, `%s is not a duration like "30s" or "1m"`, raw)
	}
	return d.Std(), true, nil
}

// ceilSeconds rounds d up to whole seconds (negative durations count as zero).
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// The header field names, in the canonical form net/http stores them under (field names
// are case-insensitive on the wire).
const (
	headerPolicy = "Ratelimit-Policy"
	headerLimit  = "Ratelimit"
)

// addHeader adds a field value under a canonical name without re-canonicalizing it.
func addHeader(h http.Header, canonicalName, value string) {
	h[canonicalName] = append(h[canonicalName], value)
}

// serviceLimit formats a RateLimit field member: "name";r=4;t=12.
func serviceLimit(quotedName string, remaining int, reset time.Duration) string {
	var buf [112]byte
	b := append(buf[:0], quotedName...)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(max(remaining, 0)), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(reset), 10)
	return string(b)
}

// failures logs and counts Limiter and QuotaStore errors, logging at most once a second.
type failures struct {
	policy  string
	env     policy.Env
	log     *slog.Logger
	stats   *Stats
	now     func() time.Time
	lastLog atomic.Int64
}

// refuse answers 503 with Retry-After when err is an UnavailableError (a store failing
// closed) and reports whether it did; any other error is for record.
func (f *failures) refuse(w http.ResponseWriter, r *http.Request, err error) bool {
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		return false
	}
	f.stats.Unavailable.Add(1)
	w.Header().Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(ue.RetryAfter)), 10))
	problem.Write(w, r, problem.New(http.StatusServiceUnavailable, "rate-limit-unavailable",
		"the "+f.policy+" policy cannot count requests right now; try again later"))
	return true
}

func (f *failures) record(err error) {
	total := f.stats.LimiterErrors.Add(1)
	now := f.now().UnixNano()
	last := f.lastLog.Load()
	if now-last < int64(time.Second) || !f.lastLog.CompareAndSwap(last, now) {
		return
	}
	f.log.Warn("counter store failed; letting the request through",
		"policy", f.policy, "api", f.env.API, "operation", f.env.Operation,
		"error", err, "failuresTotal", total)
}

// rateLimitSettings are the rateLimit policy's settings.
type rateLimitSettings struct {
	// Requests per Window, sustained; required, positive.
	Requests int `json:"requests"`
	// Window the requests are spread over; required, positive.
	Window json.RawMessage `json:"window"`
	// Burst is how many requests may be made at once; nil means Requests.
	Burst *int `json:"burst"`
	// By partitions the counters; "" means "consumer".
	By string `json:"by"`
	// TrustedProxies lists the proxies in front of the gateway whose X-Forwarded-For names
	// the client counted by address; empty means the peer is always the client.
	TrustedProxies []string `json:"trustedProxies"`
	// Headers sends the RateLimit header fields; nil means true.
	Headers *bool `json:"headers"`
	// Name identifies the policy in the RateLimit header fields; "" means "default".
	Name string `json:"name"`
}

type rateLimit struct {
	limit    Limit
	limiter  Limiter
	by       partition
	trusted  clientip.Prefixes
	keys     keyspace
	headers  bool
	name     string
	quoted   string // "name", for the header fields
	policyHV string // the RateLimit-Policy field value
	env      policy.Env
	now      func() time.Time
	stats    *Stats
	fail     *failures
}

func (s Stores) newRateLimit(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var cfg rateLimitSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.Requests <= 0 {
		return nil, policy.Errorf("requests", "must be a positive number of requests, not %d", cfg.Requests)
	}
	window, set, err := decodeDuration(cfg.Window, "window")
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, policy.Errorf("window", "is required (a duration like \"1m\")")
	}
	if window <= 0 {
		return nil, policy.Errorf("window", "must be positive, not %s", window)
	}
	limit := Limit{Requests: cfg.Requests, Window: window, Burst: cfg.Requests}
	if cfg.Burst != nil {
		if *cfg.Burst <= 0 {
			return nil, policy.Errorf("burst", "must be a positive number of requests, not %d", *cfg.Burst)
		}
		limit.Burst = *cfg.Burst
	}
	if interval := window / time.Duration(limit.Requests); interval <= 0 {
		return nil, policy.Errorf("window", "%d requests per %s is more than one a nanosecond", limit.Requests, window)
	} else if int64(limit.Burst) > math.MaxInt64/4/int64(interval) {
		return nil, policy.Errorf("burst", "%d is too large for %d requests per %s", limit.Burst, limit.Requests, window)
	}
	by, err := parsePartition(cfg.By)
	if err != nil {
		return nil, err
	}
	trusted, err := clientip.ParsePrefixes(cfg.TrustedProxies, "trustedProxies")
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "default"
	}
	if err := validName(cfg.Name); err != nil {
		return nil, err
	}
	lim, err := s.limiter(env)
	if err != nil {
		return nil, err
	}
	p := &rateLimit{
		limit:    limit,
		limiter:  lim,
		by:       by,
		trusted:  trusted,
		keys:     newKeyspace("rateLimit", env, cfg.Name),
		headers:  cfg.Headers == nil || *cfg.Headers,
		name:     cfg.Name,
		quoted:   `"` + cfg.Name + `"`,
		policyHV: fmt.Sprintf("%q;q=%d;w=%d", cfg.Name, limit.Requests, ceilSeconds(window)),
		env:      env,
		now:      env.Clock(),
		stats:    s.stats(env),
	}
	p.fail = &failures{policy: "rateLimit", env: env, log: env.Log(), stats: p.stats, now: p.now}
	return p.middleware, nil
}

func (p *rateLimit) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		part, value := p.by.subject(r, p.trusted)
		d, err := p.limiter.Allow(r.Context(), p.keys[part]+value, p.limit, p.now())
		if err != nil {
			if p.fail.refuse(w, r, err) {
				return
			}
			p.fail.record(err)
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		if d.Allowed {
			if p.headers {
				addHeader(h, headerPolicy, p.policyHV)
				addHeader(h, headerLimit, serviceLimit(p.quoted, d.Remaining, d.ResetAfter))
			}
			next.ServeHTTP(w, r)
			return
		}
		p.stats.Rejected.Add(1)
		if p.headers {
			addHeader(h, headerPolicy, p.policyHV)
			addHeader(h, headerLimit, serviceLimit(p.quoted, 0, d.RetryAfter))
		}
		h.Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(d.RetryAfter)), 10))
		detail := fmt.Sprintf("%d requests per %s for %s", p.limit.Requests, p.limit.Window, describe(part, value, p.env))
		writeTooMany(w, r, detail, p.name)
	})
}
