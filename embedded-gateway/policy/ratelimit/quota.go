package ratelimit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/policy/clientip"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// writeTooMany sends the 429 problem; violated names the policy in the
// "violated-policies" member defined by the RateLimit header fields draft.
func writeTooMany(w http.ResponseWriter, r *http.Request, detail, violated string) {
	d := problem.New(http.StatusTooManyRequests, "rate-limited", detail)
	d.Extra = map[string]any{"violated-policies": []string{violated}}
	problem.Write(w, r, d)
}

// period is a calendar period in UTC.
type period int

const (
	day period = iota
	month
)

func (p period) String() string {
	if p == month {
		return "month"
	}
	return "day"
}

// bounds returns the UTC period containing now.
func (p period) bounds(now time.Time) (start, end time.Time) {
	t := now.UTC()
	if p == month {
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 0, 1)
}

// quotaSettings are the quota policy's settings.
type quotaSettings struct {
	// Requests allowed per period; required, positive.
	Requests int `json:"requests"`
	// Period is "day" or "month" (UTC calendar periods); required.
	Period string `json:"period"`
	// By partitions the counters, as for rateLimit; "" means "consumer".
	By string `json:"by"`
	// TrustedProxies, as for rateLimit.
	TrustedProxies []string `json:"trustedProxies"`
	// Headers sends the RateLimit header fields; nil means true.
	Headers *bool `json:"headers"`
	// Name identifies the policy in the RateLimit header fields; "" means "daily" or
	// "monthly".
	Name string `json:"name"`
}

type quota struct {
	requests int
	period   period
	store    QuotaStore
	periodic PeriodQuotaStore // store, when it wants the period's end; else nil
	by       partition
	trusted  clientip.Prefixes
	keys     keyspace
	headers  bool
	name     string
	quoted   string
	policyHV string
	env      policy.Env
	now      func() time.Time
	stats    *Stats
	fail     *failures
}

func (s Stores) newQuota(raw json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var cfg quotaSettings
	if err := policy.Decode(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.Requests <= 0 {
		return nil, policy.Errorf("requests", "must be a positive number of requests, not %d", cfg.Requests)
	}
	var per period
	switch cfg.Period {
	case "day":
		per = day
	case "month":
		per = month
	case "":
		return nil, policy.Errorf("period", "is required: \"day\" or \"month\"")
	default:
		return nil, policy.Errorf("period", "must be \"day\" or \"month\", not %q", cfg.Period)
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
		cfg.Name = map[period]string{day: "daily", month: "monthly"}[per]
	}
	if err := validName(cfg.Name); err != nil {
		return nil, err
	}
	store, err := s.quotas(env)
	if err != nil {
		return nil, err
	}
	// A month has no fixed length, so its policy item carries no window ("w"); the
	// RateLimit field's "t" still says when the quota resets.
	policyHV := fmt.Sprintf("%q;q=%d", cfg.Name, cfg.Requests)
	if per == day {
		policyHV += ";w=86400"
	}
	q := &quota{
		requests: cfg.Requests,
		period:   per,
		store:    store,
		by:       by,
		trusted:  trusted,
		keys:     newKeyspace("quota/"+per.String(), env, cfg.Name),
		headers:  cfg.Headers == nil || *cfg.Headers,
		name:     cfg.Name,
		quoted:   `"` + cfg.Name + `"`,
		policyHV: policyHV,
		env:      env,
		now:      env.Clock(),
		stats:    s.stats(env),
	}
	q.periodic, _ = store.(PeriodQuotaStore)
	q.fail = &failures{policy: "quota", env: env, log: env.Log(), stats: q.stats, now: q.now}
	return q.middleware, nil
}

func (q *quota) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		part, value := q.by.subject(r, q.trusted)
		now := q.now()
		start, end := q.period.bounds(now)
		var (
			used    int
			allowed bool
			err     error
		)
		if q.periodic != nil {
			used, allowed, err = q.periodic.IncrementPeriod(r.Context(), q.keys[part]+value, start, end, q.requests)
		} else {
			used, allowed, err = q.store.Increment(r.Context(), q.keys[part]+value, start, q.requests)
		}
		if err != nil {
			if q.fail.refuse(w, r, err) {
				return
			}
			q.fail.record(err)
			next.ServeHTTP(w, r)
			return
		}
		reset := end.Sub(now)
		h := w.Header()
		if q.headers {
			addHeader(h, headerPolicy, q.policyHV)
			addHeader(h, headerLimit, serviceLimit(q.quoted, q.requests-used, reset))
		}
		if allowed {
			next.ServeHTTP(w, r)
			return
		}
		q.stats.Rejected.Add(1)
		h.Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(reset)), 10))
		detail := fmt.Sprintf("%d requests per %s for %s; the quota resets at %s",
			q.requests, q.period, describe(part, value, q.env), end.Format(time.RFC3339))
		writeTooMany(w, r, detail, q.name)
	})
}
