package auth

import (
	"context"
	"crypto"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

const (
	// jwksTimeout bounds one JWKS download, and how long a request with an unknown kid
	// may wait for the refresh it triggers.
	jwksTimeout = 5 * time.Second
	// jwksUnknownKIDEvery is how often a token with an unknown kid may trigger a JWKS
	// download outside the regular refresh (so that random kids cannot hammer the issuer).
	jwksUnknownKIDEvery = time.Minute
)

// jwksCache is the cached key set of one JWKS URL, refreshed in the background.
//
// With policy.Env.Shared set there is one jwksCache per URL for the life of the Shared
// (in practice the process): configuration reloads reuse it, keeping the keys and the
// settings it was first built with (HTTP client, refresh interval, logger). Without
// Shared each policy gets its own. Either way the background refresh stops once the
// cache is unreachable (when its Shared, or the policy, is garbage collected).
type jwksCache struct {
	once    sync.Once
	kf      keyfunc.Keyfunc
	err     error
	url     string       // safe to show
	stopped *atomic.Bool // set once the background refresh is told to stop
}

// jwksFor returns the started cache for u.
func jwksFor(env policy.Env, u *url.URL, refresh time.Duration) (*jwksCache, error) {
	raw := u.String()
	mk := func() any { return &jwksCache{url: safeURL(u), stopped: new(atomic.Bool)} }
	var c *jwksCache
	if env.Shared != nil {
		v, ok := env.Shared.Get("policy/auth/jwks "+raw, mk).(*jwksCache)
		if !ok {
			panic("policy/auth: Shared key for JWKS holds another type")
		}
		c = v
	} else {
		c = mk().(*jwksCache)
	}
	// Outside Shared's lock: the first download may take up to jwksTimeout.
	c.once.Do(func() { c.start(raw, limitedClient(clientOf(env), maxRemoteBody), refresh, env.Log()) })
	return c, c.err
}

func (c *jwksCache) start(rawURL string, client *http.Client, refresh time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	safe := c.url
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{rawURL}, keyfunc.Override{
		Client:           client,
		HTTPTimeout:      jwksTimeout,
		RateLimitWaitMax: jwksTimeout,
		RefreshInterval:  refresh,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.WarnContext(ctx, "loading JWKS failed", "url", safe, "error", err)
			}
		},
		RefreshUnknownKID: rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
	})
	if err != nil {
		cancel()
		c.err = err
		return
	}
	c.kf = kf
	// The refresh goroutine holds ctx, never c, so c can become unreachable.
	type stopper struct {
		cancel  context.CancelFunc
		stopped *atomic.Bool
	}
	runtime.AddCleanup(c, func(s stopper) {
		s.cancel()
		s.stopped.Store(true)
	}, stopper{cancel, c.stopped})
}

// key returns the JWKS key kid for a token signed with alg. A kid missing from the cache
// triggers a download (rate-limited) before errUnknownKID is returned.
func (c *jwksCache) key(ctx context.Context, kid, alg string) (any, error) {
	k, err := c.kf.Storage().KeyRead(ctx, kid)
	if err != nil {
		return nil, errUnknownKID
	}
	m := k.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return nil, errUnknownKID
	}
	if a := m.ALG.String(); a != "" && a != alg {
		return nil, errKeyAlg
	}
	return publicOf(k.Key()), nil
}

// keySet returns every signing key of the JWKS, for tokens without kid.
func (c *jwksCache) keySet(ctx context.Context) (jwt.VerificationKeySet, error) {
	keys, err := c.kf.Storage().KeyReadAll(ctx)
	if err != nil || len(keys) == 0 {
		return jwt.VerificationKeySet{}, errJWKSUnavailable
	}
	var set jwt.VerificationKeySet
	for _, k := range keys {
		if u := k.Marshal().USE; u == "" || u == jwkset.UseSig {
			set.Keys = append(set.Keys, publicOf(k.Key()))
		}
	}
	if len(set.Keys) == 0 {
		return set, errNoKey
	}
	return set, nil
}

// publicOf returns the public half of a private key (a JWKS should not hold any, but
// verification needs the public key either way).
func publicOf(key any) any {
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		return pk.Public()
	}
	return key
}

// empty reports whether no key has been loaded (the URL never answered usefully).
func (c *jwksCache) empty(ctx context.Context) bool {
	keys, err := c.kf.Storage().KeyReadAll(ctx)
	return err != nil || len(keys) == 0
}
