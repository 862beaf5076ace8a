// Package auth holds the gateway's authentication policies (keyAuth, basicAuth, jwt,
// introspection and mtls) and ConsumerSet, the in-memory policy.Consumers they look
// credentials up in.
//
// Every policy runs in policy.PhaseAuthenticate. On success it records who the caller is
// with policy.SetIdentity; on failure it answers 401 (503 when a service it depends on is
// down) with an RFC 9457 problem document and a WWW-Authenticate challenge. Problem details
// say what was wrong with a credential but never contain the credential itself.
package auth

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
	"github.com/gantry-dev/gantry/embedded-gateway/problem"
)

// Definitions returns the authentication policies, all in policy.PhaseAuthenticate, ready
// to register.
func Definitions() []policy.Definition {
	return []policy.Definition{
		{Name: "keyAuth", Phase: policy.PhaseAuthenticate, New: NewKeyAuth},
		{Name: "basicAuth", Phase: policy.PhaseAuthenticate, New: NewBasicAuth},
		{Name: "jwt", Phase: policy.PhaseAuthenticate, New: NewJWT},
		{Name: "introspection", Phase: policy.PhaseAuthenticate, New: NewIntrospection},
		{Name: "mtls", Phase: policy.PhaseAuthenticate, New: NewMTLS},
	}
}

// Problem type slugs (appended to problem.TypeBase).
const (
	slugUnauthorized = "unauthorized"
	slugUnavailable  = "auth-service-unavailable"
)

// maxRemoteBody bounds what is read from a JWKS or introspection endpoint.
const maxRemoteBody = 1 << 20

// unauthorized answers 401 with the challenge and a problem document.
func unauthorized(w http.ResponseWriter, r *http.Request, challenge, detail string) {
	w.Header().Set("WWW-Authenticate", challenge)
	problem.Error(w, r, http.StatusUnauthorized, slugUnauthorized, detail)
}

// unavailable answers 503: the credential could not be checked.
func unavailable(w http.ResponseWriter, r *http.Request, detail string) {
	problem.Error(w, r, http.StatusServiceUnavailable, slugUnavailable, detail)
}

// realmOf returns the realm a challenge names: configured, else the API's name.
func realmOf(configured string, env policy.Env) string {
	if configured != "" {
		return configured
	}
	if env.API != "" {
		return env.API
	}
	return "gantry"
}

// quote returns s as an HTTP quoted-string (RFC 9110 section 5.6.4), with control
// characters dropped.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// clip shortens a caller-supplied value before it is echoed in a problem detail.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// parseBasic parses an Authorization header value carrying RFC 7617 Basic credentials.
// The scheme is case-insensitive; the user-id is what precedes the first colon.
func parseBasic(header string) (user, password string, ok bool) {
	cred, ok := cutScheme(header, "Basic")
	if !ok {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	return user, password, true
}

// parseBearer returns the token of an Authorization header value using the RFC 6750
// Bearer scheme (case-insensitive).
func parseBearer(header string) (token string, ok bool) {
	token, ok = cutScheme(header, "Bearer")
	if !ok || !isToken68(token) {
		return "", false
	}
	return token, true
}

// cutScheme returns the credentials after scheme in an Authorization header value:
// "<scheme> 1*SP <credentials>", surrounding whitespace ignored.
func cutScheme(header, scheme string) (string, bool) {
	header = strings.TrimSpace(header)
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) || header[len(scheme)] != ' ' {
		return "", false
	}
	cred := strings.TrimLeft(header[len(scheme):], " ")
	if cred == "" {
		return "", false
	}
	return cred, true
}

// isToken68 reports whether s matches RFC 9110's token68 grammar.
func isToken68(s string) bool {
	if s == "" {
		return false
	}
	end := len(s)
	for end > 0 && s[end-1] == '=' {
		end--
	}
	if end == 0 {
		return false
	}
	for i := 0; i < end; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/':
		default:
			return false
		}
	}
	return true
}

// queryValue returns the first value of the query parameter name in rawQuery without
// parsing the whole query.
func queryValue(rawQuery, name string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(pair, "=")
		if !queryKeyIs(k, name) {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return "", false
		}
		return val, true
	}
	return "", false
}

// withoutQueryParam returns rawQuery without any name=... pair, other pairs untouched.
func withoutQueryParam(rawQuery, name string) string {
	var b strings.Builder
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, _, _ := strings.Cut(pair, "=")
		if pair == "" || queryKeyIs(k, name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}

func queryKeyIs(rawKey, name string) bool {
	if rawKey == name {
		return true
	}
	if !strings.ContainsAny(rawKey, "%+") {
		return false
	}
	k, err := url.QueryUnescape(rawKey)
	return err == nil && k == name
}

// defaultClient is used for outbound calls when policy.Env has no HTTPClient: it ignores
// proxy environment variables and gives up after 30 seconds.
var defaultClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
})

func clientOf(env policy.Env) *http.Client {
	if env.HTTPClient != nil {
		return env.HTTPClient
	}
	return defaultClient()
}

// limitedClient returns a copy of c whose response bodies fail after max bytes.
func limitedClient(c *http.Client, max int64) *http.Client {
	cc := *c
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	cc.Transport = limitedTransport{rt: rt, max: max}
	return &cc
}

type limitedTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	}
	return resp, err
}

var errBodyTooLarge = errors.New("response body too large")

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// safeURL returns u without user info, query or fragment, for messages and logs.
func safeURL(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// parseEndpoint checks that s is an absolute http(s) URL.
func parseEndpoint(field, s string) (*url.URL, error) {
	if s == "" {
		return nil, policy.Errorf(field, "is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, policy.Errorf(field, "must be an absolute http or https URL")
	}
	return u, nil
}

// durationSetting returns *d, def when d is nil; it refuses negative values and, when
// positive is set, zero.
func durationSetting(field string, d *policy.Duration, def time.Duration, positive bool) (time.Duration, error) {
	if d == nil {
		return def, nil
	}
	v := d.Std()
	if v < 0 || (positive && v == 0) {
		if positive {
			return 0, policy.Errorf(field, "must be positive")
		}
		return 0, policy.Errorf(field, "must not be negative")
	}
	return v, nil
}

// dropHeader removes name from r's header without touching the header map r shares with
// the request it was copied from. r must be a copy the policy made (policy.SetIdentity
// returns one).
func dropHeader(r *http.Request, name string) {
	if _, ok := r.Header[name]; !ok {
		return
	}
	h := r.Header.Clone()
	delete(h, name)
	r.Header = h
}
