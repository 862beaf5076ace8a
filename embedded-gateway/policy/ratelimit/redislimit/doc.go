// Package redislimit keeps the counters of the rateLimit and quota policies in Redis, so
// that every gateway node of a cluster enforces one limit together.
//
// A Backend wraps a go-redis client; its Limiter applies GCRA and its Quotas count
// calendar-period quotas, each decision in one round trip (one Lua script, sent with
// EVALSHA and again with EVAL when the server answers NOSCRIPT, after a restart say). A
// rejected request changes nothing in Redis, so a client hammering a limit does not push
// its own reset further away and a refused request never uses quota. Every key lives in
// one Redis hash slot, so the scripts also run on Redis Cluster.
//
// # Clocks
//
// By default the GCRA script reads the time from Redis (TIME) rather than taking the time
// of the node that asks: the nodes' clocks may disagree by milliseconds or, badly
// synchronized, by seconds, and with node time a fast node would see every key as more
// refilled than a slow one does, admitting more than the limit. Redis' clock is the single
// timeline they share. The time passed to Allow is used only when Options.CallerClock is
// set (tests with a fake clock) and by the local fallback limiter. Quota periods are
// calendar days or months in UTC and are computed by the policy from the node's clock; a
// node whose clock is off counts a request into the neighbouring period for as long as it
// is off, near midnight.
//
// # When Redis is unreachable
//
// An error that says Redis cannot be reached (a refused or broken connection, a timeout,
// a server still loading its data or without a writable master) opens a circuit: from
// then on, requests do not touch Redis at all but are decided locally, and once every
// Options.RetryInterval (default 1s) one background PING tries Redis again; when it
// answers, requests go back to Redis. So an outage costs each node at most the requests
// in flight when it began, never a timeout per request. The outage is logged once when it
// begins and once when it ends, and every request decided locally is counted in Metrics.
//
// How requests are decided during an outage is Options.FailClosed:
//
//   - fail open (the default): by a limiter and a quota counter in this node's memory,
//     each limit multiplied by Options.LocalShare (default 1, each node enforcing the
//     whole limit on its own; 1/N for N nodes keeps the cluster within the limit when the
//     load is spread evenly). The local counters start empty: quota used before the
//     outage is not known to them.
//   - fail closed: every request is refused with 503 and a Retry-After of the time until
//     Redis is tried again (a ratelimit.UnavailableError), so that no limit is ever
//     exceeded, at the price of the traffic.
//
// Other errors (a script bug, a cancelled request) are returned to the policy, which lets
// the request through and logs it.
package redislimit
