package redislimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
)

// quotaScript counts one request against a period's counter unless the limit is reached,
// in one round trip.
//
//	KEYS[1]  the counter of one key and period
//	ARGV[1]  the limit
//	ARGV[2]  when the counter may go, Unix ms (the period's end plus a grace)
//
// It returns {count after the call, counted (0|1)}. A refused request writes nothing.
var quotaScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then
  return {used, 0}
end
used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return {used, 1}
`)

// quotaGrace is how long a counter outlives its period, for nodes whose clocks lag.
const quotaGrace = time.Hour

// fallbackRetention is how long a counter lives when the period's end is not known
// (Increment rather than IncrementPeriod): the longest calendar month.
const fallbackRetention = 31 * 24 * time.Hour

// Quotas is a ratelimit.QuotaStore (and PeriodQuotaStore) counting in Redis: one counter
// per key and period, expiring after the period. While Redis is unreachable it decides as
// its Backend's options say. Safe for concurrent use.
type Quotas struct {
	b      *Backend
	prefix string
}

var _ ratelimit.PeriodQuotaStore = (*Quotas)(nil)

// Increment implements ratelimit.QuotaStore; the counter expires 31 days after start.
func (q *Quotas) Increment(ctx context.Context, key string, start time.Time, limit int) (int, bool, error) {
	return q.IncrementPeriod(ctx, key, start, start.Add(fallbackRetention), limit)
}

// IncrementPeriod implements ratelimit.PeriodQuotaStore; the counter expires an hour after
// end.
func (q *Quotas) IncrementPeriod(ctx context.Context, key string, start, end time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		return 0, false, nil
	}
	b := q.b
	if !b.ask() {
		return q.fallback(ctx, key, start, limit)
	}
	k := q.prefix + key + "\x00" + strconv.FormatInt(start.Unix(), 10)
	res, err := quotaScript.Run(ctx, b.rdb, []string{k}, limit, end.Add(quotaGrace).UnixMilli()).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("the quota script answered %d values, not 2", len(res))
	}
	if err != nil {
		if !unreachable(err) {
			return 0, false, wrap("quota", err)
		}
		b.trip(err)
		return q.fallback(ctx, key, start, limit)
	}
	return int(res[0]), res[1] == 1, nil
}

// fallback counts a request while Redis is unreachable.
func (q *Quotas) fallback(ctx context.Context, key string, start time.Time, limit int) (int, bool, error) {
	b := q.b
	if b.opts.FailClosed {
		b.metrics.rejected[kindQuota].Inc()
		return 0, false, b.unavailable()
	}
	b.metrics.local[kindQuota].Inc()
	used, ok, err := b.opts.LocalQuotas.Increment(ctx, key, start, b.localLimit(limit))
	if err != nil {
		return used, ok, fmt.Errorf("local fallback quota: %w", err)
	}
	return used, ok, nil
}
