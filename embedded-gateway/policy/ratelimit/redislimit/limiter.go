package redislimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gantry-dev/gantry/embedded-gateway/policy/ratelimit"
)

// gcraScript applies GCRA to one key in one round trip. Times are whole microseconds
// (Lua numbers are doubles: Unix time in nanoseconds would not be exact), kept below 2^53.
//
//	KEYS[1]  the key; its value is the theoretical arrival time (TAT)
//	ARGV[1]  emission interval, µs
//	ARGV[2]  burst tolerance, µs
//	ARGV[3]  now, µs since the Unix epoch; "" reads Redis' clock
//
// It returns {allowed (0|1), remaining, reset after µs, retry after µs}. A rejected
// request writes nothing; an allowed one stores the new TAT with an expiry at the moment
// the key is idle again (fully refilled).
var gcraScript = redis.NewScript(`
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[3])
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local new = tat + interval
local allow_at = new - tolerance
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
return {1, math.floor((now - allow_at) / interval), new - now, 0}
`)

// maxTolerance bounds a burst tolerance (about 71 years, in µs) so that now plus it stays
// exact in a double (below 2^53).
const maxTolerance = 1 << 51

// Limiter is a ratelimit.Limiter that keeps one GCRA timestamp per key in Redis, shared by
// every node using the same Redis and key prefix. While Redis is unreachable it decides as
// its Backend's options say. Safe for concurrent use.
type Limiter struct {
	b      *Backend
	prefix string
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// Allow implements ratelimit.Limiter. Limits are applied with microsecond resolution: a
// limit of more than one request per microsecond per key is invalid here.
func (l *Limiter) Allow(ctx context.Context, key string, limit ratelimit.Limit, now time.Time) (ratelimit.Decision, error) {
	interval, tolerance, err := micros(limit)
	if err != nil {
		return ratelimit.Decision{}, err
	}
	b := l.b
	if !b.ask() {
		return l.fallback(ctx, key, limit, now)
	}
	nowArg := ""
	if b.opts.CallerClock {
		nowArg = strconv.FormatInt(now.UnixMicro(), 10)
	}
	res, err := gcraScript.Run(ctx, b.rdb, []string{l.prefix + key}, interval, tolerance, nowArg).Int64Slice()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("the GCRA script answered %d values, not 4", len(res))
	}
	if err != nil {
		if !unreachable(err) {
			return ratelimit.Decision{}, wrap("rate limit", err)
		}
		b.trip(err)
		return l.fallback(ctx, key, limit, now)
	}
	return ratelimit.Decision{
		Allowed:    res[0] == 1,
		Limit:      limit,
		Remaining:  int(res[1]),
		ResetAfter: time.Duration(res[2]) * time.Microsecond,
		RetryAfter: time.Duration(res[3]) * time.Microsecond,
	}, nil
}

// fallback decides a request while Redis is unreachable.
func (l *Limiter) fallback(ctx context.Context, key string, limit ratelimit.Limit, now time.Time) (ratelimit.Decision, error) {
	b := l.b
	if b.opts.FailClosed {
		b.metrics.rejected[kindRateLimit].Inc()
		return ratelimit.Decision{}, b.unavailable()
	}
	b.metrics.local[kindRateLimit].Inc()
	local := limit
	if b.opts.LocalShare < 1 {
		if local.Burst == 0 {
			local.Burst = local.Requests
		}
		local.Requests = b.localLimit(local.Requests)
		local.Burst = b.localLimit(local.Burst)
	}
	d, err := b.opts.Local.Allow(ctx, key, local, now)
	if err != nil {
		return d, fmt.Errorf("local fallback limiter: %w", err)
	}
	d.Limit = limit
	return d, nil
}

// micros converts a limit to the script's emission interval and burst tolerance, in
// microseconds, checking it as ratelimit.Memory does.
func micros(l ratelimit.Limit) (interval, tolerance int64, err error) {
	if l.Requests <= 0 {
		return 0, 0, fmt.Errorf("%w: requests must be positive, not %d", ratelimit.ErrInvalidLimit, l.Requests)
	}
	if l.Window <= 0 {
		return 0, 0, fmt.Errorf("%w: window must be positive, not %s", ratelimit.ErrInvalidLimit, l.Window)
	}
	burst := l.Burst
	if burst == 0 {
		burst = l.Requests
	}
	if burst < 0 {
		return 0, 0, fmt.Errorf("%w: burst must not be negative, not %d", ratelimit.ErrInvalidLimit, l.Burst)
	}
	interval = l.Window.Microseconds() / int64(l.Requests)
	if interval <= 0 {
		return 0, 0, fmt.Errorf("%w: %d requests per %s is more than one a microsecond", ratelimit.ErrInvalidLimit, l.Requests, l.Window)
	}
	if int64(burst) > maxTolerance/interval {
		return 0, 0, fmt.Errorf("%w: burst %d over %s is too large", ratelimit.ErrInvalidLimit, burst, l.Window)
	}
	return interval, int64(burst) * interval, nil
}
