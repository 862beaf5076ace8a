package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// IntrospectionSettings configures introspection.
type IntrospectionSettings struct {
	// URL is the authorization server's RFC 7662 introspection endpoint; required.
	URL string `json:"url"`
	// ClientID authenticates the gateway to the endpoint (HTTP Basic, RFC 6749 section
	// 2.3.1); "" means no client authentication is sent.
	ClientID string `json:"clientId"`
	// ClientSecret is the secret for ClientID.
	ClientSecret string `json:"clientSecret"`
	// CacheTTL is how long an answer is reused, never past the token's exp; nil means
	// 60s, 0 means answers are not cached. Inactive answers are cached too.
	CacheTTL *policy.Duration `json:"cacheTtl"`
	// ConsumerField is the response member naming the consumer (the identity's
	// subject); "" means "client_id", the OAuth client the token was issued to. Use "sub"
	// when consumers are users rather than applications.
	ConsumerField string `json:"consumerField"`
	// Timeout bounds one call to the endpoint; nil means 5s.
	Timeout *policy.Duration `json:"timeout"`
}

// introspectionCacheSize bounds the cache of introspection answers.
const introspectionCacheSize = 10000

type introspection struct {
	endpoint      string // the URL called
	safeEndpoint  string // the URL named in messages and logs
	clientID      string
	clientSecret  string
	ttl           time.Duration
	timeout       time.Duration
	consumerField string
	client        *http.Client
	cache         *tokenCache
	consumers     policy.Consumers
	now           func() time.Time
	log           *slog.Logger
	challenge     string
}

// NewIntrospection builds introspection: the request's bearer token must be active
// according to an OAuth 2.0 token introspection endpoint (RFC 7662). Answers are cached;
// when the endpoint cannot be asked the request gets 503, not 401.
func NewIntrospection(settings json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s IntrospectionSettings
	if err := policy.Decode(settings, &s); err != nil {
		return nil, err
	}
	u, err := parseEndpoint("url", s.URL)
	if err != nil {
		return nil, err
	}
	if s.ClientSecret != "" && s.ClientID == "" {
		return nil, policy.Errorf("clientId", "is required when clientSecret is set")
	}
	ttl, err := durationSetting("cacheTtl", s.CacheTTL, time.Minute, false)
	if err != nil {
		return nil, err
	}
	timeout, err := durationSetting("timeout", s.Timeout, 5*time.Second, true)
	if err != nil {
		return nil, err
	}
	p := &introspection{
		endpoint:      u.String(),
		safeEndpoint:  safeURL(u),
		clientID:      s.ClientID,
		clientSecret:  s.ClientSecret,
		ttl:           ttl,
		timeout:       timeout,
		consumerField: s.ConsumerField,
		client:        clientOf(env),
		consumers:     env.Consumers,
		now:           env.Clock(),
		log:           env.Log(),
		challenge:     "Bearer realm=" + quote(realmOf("", env)),
	}
	if p.consumerField == "" {
		p.consumerField = "client_id"
	}
	// Answers depend only on the endpoint and the client asking, so reloads keep them.
	mk := func() any { return newTokenCache(introspectionCacheSize) }
	if env.Shared != nil {
		c, ok := env.Shared.Get("policy/auth/introspection "+p.endpoint+" "+p.clientID, mk).(*tokenCache)
		if !ok {
			panic("policy/auth: Shared key for introspection holds another type")
		}
		p.cache = c
	} else {
		p.cache = mk().(*tokenCache)
	}
	return p.middleware, nil
}

func (p *introspection) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header["Authorization"]
		if len(v) == 0 || v[0] == "" {
			unauthorized(w, r, p.challenge, "No bearer token: send it with Authorization: Bearer.")
			return
		}
		token, ok := parseBearer(v[0])
		if !ok {
			unauthorized(w, r, p.challenge, "The Authorization header does not carry a Bearer token.")
			return
		}
		res, err := p.lookup(r.Context(), token)
		if err != nil {
			var ie *introspectionError
			if errors.As(err, &ie) {
				unavailable(w, r, fmt.Sprintf("The token introspection endpoint %s %s, so the token cannot be checked.", p.safeEndpoint, ie.reason))
				return
			}
			// The caller went away while waiting for another request's call.
			unavailable(w, r, fmt.Sprintf("The token introspection endpoint %s did not answer in time.", p.safeEndpoint))
			return
		}
		if !res.active {
			p.reject(w, r, "token not active", "The token is not active: the authorization server reports it expired, revoked or unknown.")
			return
		}
		if !res.exp.IsZero() && !p.now().Before(res.exp) {
			p.reject(w, r, "token expired", "The token expired at "+res.exp.UTC().Format(time.RFC3339)+".")
			return
		}
		subject := claimString(res.claims[p.consumerField])
		var c *policy.Consumer
		if subject != "" && p.consumers != nil {
			c, _ = p.consumers.ByName(subject)
		}
		r = policy.SetIdentity(r, &policy.Identity{
			Consumer:   c,
			Subject:    subject,
			Method:     "introspection",
			Credential: keyFingerprint(token),
			Claims:     res.claims,
		})
		next.ServeHTTP(w, r)
	})
}

func (p *introspection) reject(w http.ResponseWriter, r *http.Request, desc, detail string) {
	unauthorized(w, r, p.challenge+`, error="invalid_token", error_description=`+quote(desc), detail)
}

// lookup returns the cached answer for token, or asks the endpoint (once for concurrent
// requests with the same token).
func (p *introspection) lookup(ctx context.Context, token string) (introspected, error) {
	key := sha256.Sum256([]byte(token))
	return p.cache.do(ctx, key, p.now, func() (introspected, time.Time, error) {
		// Not tied to the first caller: others may be waiting for the answer.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		res, err := p.call(cctx, token)
		if err != nil {
			p.log.WarnContext(ctx, "token introspection failed", "url", p.safeEndpoint, "error", err)
			return res, time.Time{}, err
		}
		if p.ttl <= 0 {
			return res, time.Time{}, nil
		}
		until := p.now().Add(p.ttl)
		if !res.exp.IsZero() && res.exp.Before(until) {
			until = res.exp
		}
		return res, until, nil
	})
}

// introspected is an endpoint's answer about one token.
type introspected struct {
	active bool
	exp    time.Time      // zero if the answer has none
	claims map[string]any // the whole answer; shared by every request with the token, read-only
}

// introspectionError is a failed call; reason is safe to show to the caller.
type introspectionError struct {
	reason string
	err    error
}

func (e *introspectionError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *introspectionError) Unwrap() error { return e.err }

func (p *introspection) call(ctx context.Context, token string) (introspected, error) {
	form := "token=" + url.QueryEscape(token) + "&token_type_hint=access_token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, strings.NewReader(form))
	if err != nil {
		return introspected{}, &introspectionError{"could not be called", err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.clientID != "" {
		req.SetBasicAuth(url.QueryEscape(p.clientID), url.QueryEscape(p.clientSecret))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return introspected{}, &introspectionError{fmt.Sprintf("did not answer within %s", p.timeout), err}
		}
		return introspected{}, &introspectionError{"could not be reached", err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return introspected{}, &introspectionError{fmt.Sprintf("answered HTTP %d", resp.StatusCode), fmt.Errorf("status %s", resp.Status)}
	}
	var claims map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxRemoteBody)).Decode(&claims); err != nil {
		return introspected{}, &introspectionError{"answered with invalid JSON", err}
	}
	active, ok := claims["active"].(bool)
	if !ok {
		return introspected{}, &introspectionError{"answered without a boolean \"active\" member", errors.New("no active member")}
	}
	res := introspected{active: active}
	if !active {
		return res, nil // RFC 7662 section 2.2: nothing else of an inactive answer counts
	}
	res.claims = claims
	if secs, ok := claims["exp"].(float64); ok && secs > 0 && secs < 1<<40 {
		res.exp = time.Unix(int64(secs), 0)
	}
	return res, nil
}

// tokenCache is a bounded LRU of introspection answers keyed by the token's SHA-256,
// which also lets one call answer concurrent requests for the same token. Safe for
// concurrent use.
type tokenCache struct {
	mu       sync.Mutex
	max      int
	entries  map[[sha256.Size]byte]*list.Element
	lru      list.List // of *cacheEntry, most recently used first
	inflight map[[sha256.Size]byte]*inflightCall
}

type cacheEntry struct {
	key   [sha256.Size]byte
	res   introspected
	until time.Time
}

type inflightCall struct {
	done chan struct{}
	res  introspected
	err  error
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{
		max:      max,
		entries:  map[[sha256.Size]byte]*list.Element{},
		inflight: map[[sha256.Size]byte]*inflightCall{},
	}
}

// do returns the live cached answer for key, else waits for a call already under way,
// else runs fetch and caches its answer until the time it returns (zero: not cached).
func (c *tokenCache) do(ctx context.Context, key [sha256.Size]byte, now func() time.Time, fetch func() (introspected, time.Time, error)) (introspected, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if now().Before(e.until) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.res, nil
		}
		c.lru.Remove(el)
		delete(c.entries, key)
	}
	if call, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.res, call.err
		case <-ctx.Done():
			return introspected{}, ctx.Err()
		}
	}
	call := &inflightCall{done: make(chan struct{})}
	c.inflight[key] = call
	c.mu.Unlock()

	res, until, err := fetch()
	call.res, call.err = res, err

	c.mu.Lock()
	delete(c.inflight, key)
	if err == nil && !until.IsZero() {
		c.addLocked(key, res, until)
	}
	c.mu.Unlock()
	close(call.done)
	return res, err
}

func (c *tokenCache) addLocked(key [sha256.Size]byte, res introspected, until time.Time) {
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		e.res, e.until = res, until
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, res: res, until: until})
}

// len returns the number of cached answers.
func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
