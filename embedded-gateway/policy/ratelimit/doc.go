// Package ratelimit holds the rateLimit and quota policies and the counters behind them.
//
// rateLimit smooths traffic with the generic cell rate algorithm (GCRA): a sustained rate of
// Requests per Window with up to Burst requests at once. quota counts requests per calendar
// day or month (UTC). Both partition their counters by consumer, credential, client IP or
// route, always within one API and operation, and both answer with the RateLimit-Policy and
// RateLimit header fields of draft-ietf-httpapi-ratelimit-headers-11 (the structured-field
// syntax: RateLimit-Policy: "default";q=5;w=60 and RateLimit: "default";r=4;t=12).
//
// Counters live behind two small interfaces, Limiter and QuotaStore, so that a gateway
// cluster can share them (Redis for rate limits, the SQLite or Postgres store for quotas).
// The in-memory implementations here are shared through policy.Env.Shared, so a
// configuration reload keeps them.
//
// Settings of rateLimit: {"requests": 5, "window": "1m", "burst": 5, "by": "consumer",
// "trustedProxies": ["10.0.0.0/8"], "headers": true, "name": "default"}; of quota:
// {"requests": 1000, "period": "day" or "month", "by": "consumer", "trustedProxies": [...],
// "headers": true, "name": "daily"}. "by" is "consumer" (the default: the authenticated
// consumer, or the token subject when the credential names no configured consumer, and the
// client IP when the request carries no identity), "key" (the credential's identifier, else
// the client IP), "ip" (the client IP) or "route" (one counter for everyone). The client IP
// is the peer address of the connection, unless the peer is one of trustedProxies: then it
// is read from X-Forwarded-For (clientip.Resolve), and if that cannot be read the proxy's
// own address counts. Setting trustedProxies on a policy that counted by address before
// starts those clients' counters afresh. Counters are always per API and operation
// (policy.Env.API and Operation) and per policy name.
//
// A rejected request gets a 429 problem document with Retry-After (whole seconds, rounded
// up) and a detail naming the limit ("5 requests per 1m0s for consumer alice"); rejected
// requests are not counted.
//
// When a Limiter or QuotaStore fails, the policies fail open: the request goes through, the
// failure is logged (at most once a second per policy) and counted in Stats. A store
// configured to fail closed returns an UnavailableError instead, and the request is
// refused with 503 and Retry-After.
package ratelimit
