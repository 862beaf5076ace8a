package redislimit

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client defaults: a request waits for its rate-limit decision, so a slow or dead Redis
// must cost little time and open the circuit quickly, and a failed call is not retried
// (the fallback decides it instead).
const (
	DefaultDialTimeout = 500 * time.Millisecond
	DefaultIOTimeout   = 250 * time.Millisecond
)

// ParseURL parses a redis:// (or rediss://, unix://) URL into client options tuned for
// rate limiting: dial_timeout 500ms, read_timeout, write_timeout and pool_timeout 250ms,
// no retries, unless the URL's query sets them (go-redis' query parameters, e.g.
// redis://host:6379/0?read_timeout=1s&max_retries=2); a failed dial is not retried either.
func ParseURL(raw string) (*redis.Options, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing the Redis URL: %w", withoutURL(err))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing the Redis URL: %w", withoutURL(err))
	}
	q := u.Query()
	set := func(name string) bool { return q.Has(name) }
	if !set("dial_timeout") {
		opts.DialTimeout = DefaultDialTimeout
	}
	if !set("read_timeout") {
		opts.ReadTimeout = DefaultIOTimeout
	}
	if !set("write_timeout") {
		opts.WriteTimeout = DefaultIOTimeout
	}
	if !set("pool_timeout") {
		opts.PoolTimeout = DefaultIOTimeout
	}
	if !set("max_retries") {
		opts.MaxRetries = -1
	}
	opts.DialerRetries = 1
	return opts, nil
}

// withoutURL drops the URL, which may hold a password, from a url.Error.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NewClient returns a client for a Redis URL with ParseURL's options.
func NewClient(raw string) (*redis.Client, error) {
	opts, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}
