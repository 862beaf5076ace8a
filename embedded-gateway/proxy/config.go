package proxy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// Defaults applied by New to the zero values of an Upstream's settings.
const (
	// DefaultConnectTimeout bounds dialling a target (and its TLS handshake).
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReadTimeout bounds the wait for a target's response headers.
	DefaultReadTimeout = 60 * time.Second
	// DefaultRetries is how many further attempts an idempotent request gets.
	DefaultRetries = 1
	// DefaultHealthInterval is the time between two active health checks of a target.
	DefaultHealthInterval = 10 * time.Second
	// DefaultHealthTimeout bounds one active health check.
	DefaultHealthTimeout = 2 * time.Second
	// DefaultHealthyThreshold is how many passed checks in a row bring a target back.
	DefaultHealthyThreshold = 2
	// DefaultUnhealthyThreshold is how many failed checks in a row take a target out.
	DefaultUnhealthyThreshold = 3
	// DefaultFailureThreshold is how many failures in a row open a target's circuit.
	DefaultFailureThreshold = 5
	// DefaultOpenFor is how long an open circuit rejects requests before it half-opens.
	DefaultOpenFor = 30 * time.Second
	// DefaultHalfOpenRequests is how many trial requests a half-open circuit lets through.
	DefaultHalfOpenRequests = 1
)

// Upstream is a named group of targets that serve the same API, and how to reach them.
// Decode it from JSON, call Validate, then hand it to New (which fills in defaults).
type Upstream struct {
	// Name identifies the upstream in problems, logs, metrics and Set lookups. Required.
	Name string `json:"name"`
	// Targets are the servers requests are balanced across. At least one is required.
	Targets []Target `json:"targets"`
	// ConnectTimeout bounds dialling a target, TLS handshake included; 0 means
	// DefaultConnectTimeout (5s). A target that does not accept in time gets a 504.
	ConnectTimeout policy.Duration `json:"connectTimeout,omitempty"`
	// ReadTimeout bounds the wait for a target's response headers once the request is
	// sent; 0 means DefaultReadTimeout (60s). It does not limit streamed bodies (SSE,
	// WebSocket). A target that does not answer in time gets a 504.
	ReadTimeout policy.Duration `json:"readTimeout,omitempty"`
	// Retries is how many further attempts, each on another target when one is available,
	// a request gets after a transport failure. Only idempotent methods (GET, HEAD,
	// OPTIONS, PUT, DELETE) are retried, only before any response was received, and only
	// when the request body is empty or was not read at all; a response-header timeout is
	// not retried. 0 means DefaultRetries (1); a negative value disables retries.
	Retries int `json:"retries,omitempty"`
	// HealthCheck turns on active health checks; nil means every target is always
	// considered healthy.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// CircuitBreaker turns on a per-target circuit breaker; nil means none.
	CircuitBreaker *CircuitBreaker `json:"circuitBreaker,omitempty"`
	// StripPrefix is the API base path removed from the request path (on a segment
	// boundary) before it is joined to the target URL's path; "" removes nothing.
	StripPrefix string `json:"stripPrefix,omitempty"`
	// PreserveHost sends the client's Host header to the target; false sends the
	// target URL's host.
	PreserveHost bool `json:"preserveHost,omitempty"`
}

// Target is one server of an upstream.
type Target struct {
	// URL is the absolute http or https URL requests are sent to; its path, if any,
	// prefixes the forwarded path and its query is merged into the forwarded one.
	URL string `json:"url"`
	// Weight is the target's share of requests relative to the other targets; 0 means 1.
	Weight int `json:"weight,omitempty"`
}

// HealthCheck configures active health checks: each target is probed with a GET in the
// background and leaves the rotation after UnhealthyThreshold failures in a row, coming
// back after HealthyThreshold successes in a row. Targets start healthy.
type HealthCheck struct {
	// Path is requested on each target, joined to the target URL's path like a forwarded
	// request. Required; it must start with "/".
	Path string `json:"path"`
	// Interval is the time between two checks of a target; 0 means DefaultHealthInterval (10s).
	Interval policy.Duration `json:"interval,omitempty"`
	// Timeout bounds one check; 0 means DefaultHealthTimeout (2s). It must not exceed Interval.
	Timeout policy.Duration `json:"timeout,omitempty"`
	// HealthyThreshold is how many passed checks in a row mark a target healthy again;
	// 0 means DefaultHealthyThreshold (2).
	HealthyThreshold int `json:"healthyThreshold,omitempty"`
	// UnhealthyThreshold is how many failed checks in a row mark a target unhealthy;
	// 0 means DefaultUnhealthyThreshold (3).
	UnhealthyThreshold int `json:"unhealthyThreshold,omitempty"`
	// ExpectStatus is the inclusive range [lo, hi] of statuses that pass; the zero value
	// means [200, 399].
	ExpectStatus [2]int `json:"expectStatus,omitzero"`
}

// CircuitBreaker configures a per-target circuit breaker. A failure is a transport error
// (refused, unreachable, timeout, TLS) or a 502, 503 or 504 response from the target;
// anything else is a success. After FailureThreshold consecutive failures the circuit
// opens and the target gets no requests for OpenFor; it then half-opens and lets
// HalfOpenRequests trial requests through: if they all succeed the circuit closes, and
// the first failure opens it again for another OpenFor.
type CircuitBreaker struct {
	// FailureThreshold is the number of consecutive failures that opens the circuit;
	// 0 means DefaultFailureThreshold (5).
	FailureThreshold int `json:"failureThreshold,omitempty"`
	// OpenFor is how long an open circuit rejects requests; 0 means DefaultOpenFor (30s).
	OpenFor policy.Duration `json:"openFor,omitempty"`
	// HalfOpenRequests is how many trial requests a half-open circuit admits, and how many
	// must succeed to close it; 0 means DefaultHalfOpenRequests (1).
	HalfOpenRequests int `json:"halfOpenRequests,omitempty"`
}

// Validate reports every problem with u, each naming the field at fault; nil means u is
// usable by New.
func (u Upstream) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("upstream %q: %s: %s", u.Name, field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(u.Name) == "" {
		add("name", "is required")
	}
	if len(u.Targets) == 0 {
		add("targets", "at least one target is required")
	}
	for i, t := range u.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		if _, err := parseTargetURL(t.URL); err != nil {
			add(field+".url", "%v", err)
		}
		if t.Weight < 0 {
			add(field+".weight", "%d is negative; use 0 or more (0 means 1)", t.Weight)
		}
		if t.Weight > 1_000_000 {
			add(field+".weight", "%d is too large; use at most 1000000", t.Weight)
		}
	}
	if u.ConnectTimeout < 0 {
		add("connectTimeout", "%s is negative", u.ConnectTimeout.Std())
	}
	if u.ReadTimeout < 0 {
		add("readTimeout", "%s is negative", u.ReadTimeout.Std())
	}
	if u.Retries > 10 {
		add("retries", "%d is too many; use at most 10", u.Retries)
	}
	if p := u.StripPrefix; p != "" && !strings.HasPrefix(p, "/") {
		add("stripPrefix", "%q must start with \"/\"", p)
	}
	if h := u.HealthCheck; h != nil {
		if !strings.HasPrefix(h.Path, "/") {
			add("healthCheck.path", "%q must start with \"/\"", h.Path)
		}
		if h.Interval < 0 {
			add("healthCheck.interval", "%s is negative", h.Interval.Std())
		}
		if h.Timeout < 0 {
			add("healthCheck.timeout", "%s is negative", h.Timeout.Std())
		}
		d := h.withDefaults()
		if d.Timeout > d.Interval {
			add("healthCheck.timeout", "%s exceeds the interval %s", d.Timeout.Std(), d.Interval.Std())
		}
		if h.HealthyThreshold < 0 {
			add("healthCheck.healthyThreshold", "%d is negative", h.HealthyThreshold)
		}
		if h.UnhealthyThreshold < 0 {
			add("healthCheck.unhealthyThreshold", "%d is negative", h.UnhealthyThreshold)
		}
		if lo, hi := h.ExpectStatus[0], h.ExpectStatus[1]; h.ExpectStatus != [2]int{} && (lo < 100 || hi > 599 || lo > hi) {
			add("healthCheck.expectStatus", "[%d, %d] is not a range of HTTP statuses like [200, 399]", lo, hi)
		}
	}
	if c := u.CircuitBreaker; c != nil {
		if c.FailureThreshold < 0 {
			add("circuitBreaker.failureThreshold", "%d is negative", c.FailureThreshold)
		}
		if c.OpenFor < 0 {
			add("circuitBreaker.openFor", "%s is negative", c.OpenFor.Std())
		}
		if c.HalfOpenRequests < 0 {
			add("circuitBreaker.halfOpenRequests", "%d is negative", c.HalfOpenRequests)
		}
	}
	return errors.Join(errs...)
}

// parseTargetURL checks that s is an absolute http(s) URL usable as a target.
func parseTargetURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required")
	}
	t, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	switch {
	case t.Scheme != "http" && t.Scheme != "https":
		return nil, fmt.Errorf("%q must be an absolute http or https URL", s)
	case t.Host == "":
		return nil, fmt.Errorf("%q has no host", s)
	case t.User != nil:
		return nil, fmt.Errorf("%q carries credentials; set them with a policy instead", redactURL(t))
	case t.Fragment != "" || strings.HasSuffix(s, "#"):
		return nil, fmt.Errorf("%q must not have a fragment", s)
	}
	return t, nil
}

func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("redacted")
	}
	return c.String()
}

// withDefaults returns u with every zero setting replaced by its default.
func (u Upstream) withDefaults() Upstream {
	if u.ConnectTimeout == 0 {
		u.ConnectTimeout = policy.Duration(DefaultConnectTimeout)
	}
	if u.ReadTimeout == 0 {
		u.ReadTimeout = policy.Duration(DefaultReadTimeout)
	}
	switch {
	case u.Retries == 0:
		u.Retries = DefaultRetries
	case u.Retries < 0:
		u.Retries = 0
	}
	u.Targets = append([]Target(nil), u.Targets...)
	for i := range u.Targets {
		if u.Targets[i].Weight == 0 {
			u.Targets[i].Weight = 1
		}
	}
	if u.HealthCheck != nil {
		h := u.HealthCheck.withDefaults()
		u.HealthCheck = &h
	}
	if u.CircuitBreaker != nil {
		c := *u.CircuitBreaker
		if c.FailureThreshold == 0 {
			c.FailureThreshold = DefaultFailureThreshold
		}
		if c.OpenFor == 0 {
			c.OpenFor = policy.Duration(DefaultOpenFor)
		}
		if c.HalfOpenRequests == 0 {
			c.HalfOpenRequests = DefaultHalfOpenRequests
		}
		u.CircuitBreaker = &c
	}
	u.StripPrefix = strings.TrimRight(u.StripPrefix, "/")
	return u
}

func (h HealthCheck) withDefaults() HealthCheck {
	if h.Interval == 0 {
		h.Interval = policy.Duration(DefaultHealthInterval)
	}
	if h.Timeout == 0 {
		h.Timeout = policy.Duration(DefaultHealthTimeout)
		if h.Timeout > h.Interval {
			h.Timeout = h.Interval
		}
	}
	if h.HealthyThreshold == 0 {
		h.HealthyThreshold = DefaultHealthyThreshold
	}
	if h.UnhealthyThreshold == 0 {
		h.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if h.ExpectStatus == [2]int{} {
		h.ExpectStatus = [2]int{200, 399}
	}
	return h
}
