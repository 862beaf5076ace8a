package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// JWTSettings configures jwt.
type JWTSettings struct {
	// Issuer is the required iss claim; "" means any issuer.
	Issuer string `json:"issuer"`
	// Audiences lists accepted aud values, one of which the token must carry; nil means
	// the audience is not checked.
	Audiences []string `json:"audiences"`
	// Algorithms lists the accepted signing algorithms; nil means the algorithms of Keys,
	// plus every asymmetric algorithm (RS*, PS*, ES*, EdDSA) when JWKSURL is set. "none"
	// is never accepted.
	Algorithms []string `json:"algorithms"`
	// Keys are keys configured inline; nil means keys come from JWKSURL only.
	Keys []JWTKey `json:"keys"`
	// JWKSURL is a JSON Web Key Set to fetch keys from; "" means inline Keys only. At
	// least one of Keys and JWKSURL is required. With policy.Env.Shared set, the
	// downloaded set is kept per URL across reloads, with the HTTP client, refresh
	// interval and logger of the first policy that used the URL.
	JWKSURL string `json:"jwksUrl"`
	// JWKSRefresh is how often the JWKS is downloaded again (a token with an unknown kid
	// also triggers a download, at most once a minute); nil means 1h.
	JWKSRefresh *policy.Duration `json:"jwksRefresh"`
	// ClockSkew is the leeway allowed when checking exp, nbf and iat; nil means 30s.
	ClockSkew *policy.Duration `json:"clockSkew"`
	// ConsumerClaim is the claim naming the consumer (the identity's subject); "" means
	// "sub".
	ConsumerClaim string `json:"consumerClaim"`
	// Header is the request header carrying the token; "" means Authorization, where
	// the Bearer scheme is required. In another header a "Bearer " prefix is optional.
	Header string `json:"header"`
	// Query is a query parameter carrying the token when the header is absent; "" means
	// tokens are not read from the query.
	Query string `json:"query"`
	// RequireConsumer refuses tokens whose consumer claim names no configured consumer;
	// false accepts them with no Consumer in the identity.
	RequireConsumer bool `json:"requireConsumer"`
}

// JWTKey is one inline verification key.
type JWTKey struct {
	// KID is the key ID tokens name in their kid header; "" means the key is tried for
	// tokens of its algorithm whose kid matches no other inline key.
	KID string `json:"kid"`
	// Alg is the key's algorithm: HS256, HS384, HS512, RS256, RS384, RS512, PS256,
	// PS384, PS512, ES256, ES384, ES512 or EdDSA; required.
	Alg string `json:"alg"`
	// Secret is the HMAC secret (its UTF-8 bytes) for HS algorithms, at least as long as
	// the hash (32, 48 or 64 bytes); "" for other algorithms.
	Secret string `json:"secret"`
	// PublicKey is a PEM public key (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE block)
	// for the other algorithms; "" for HS algorithms.
	PublicKey string `json:"publicKey"`
}

type algFamily int

const (
	famHMAC algFamily = iota
	famRSA
	famECDSA
	famEdDSA
)

type algInfo struct {
	family  algFamily
	minHMAC int            // HMAC: minimum secret length in bytes (RFC 7518 section 3.2)
	curve   elliptic.Curve // ECDSA: the curve the algorithm uses
}

var jwtAlgs = map[string]algInfo{
	"HS256": {family: famHMAC, minHMAC: 32},
	"HS384": {family: famHMAC, minHMAC: 48},
	"HS512": {family: famHMAC, minHMAC: 64},
	"RS256": {family: famRSA}, "RS384": {family: famRSA}, "RS512": {family: famRSA},
	"PS256": {family: famRSA}, "PS384": {family: famRSA}, "PS512": {family: famRSA},
	"ES256": {family: famECDSA, curve: elliptic.P256()},
	"ES384": {family: famECDSA, curve: elliptic.P384()},
	"ES512": {family: famECDSA, curve: elliptic.P521()},
	"EdDSA": {family: famEdDSA},
}

var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func supportedAlgs() string {
	names := make([]string, 0, len(jwtAlgs))
	for n := range jwtAlgs {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

type staticKey struct {
	alg string
	key any
}

type jwtAuth struct {
	parser        *jwt.Parser
	now           func() time.Time
	algs          []string
	byKID         map[string]staticKey
	byAlg         map[string]jwt.VerificationKeySet // all inline keys, per algorithm
	unnamedByAlg  map[string]jwt.VerificationKeySet // inline keys without kid, per algorithm
	jwks          *jwksCache
	issuer        string
	audiences     []string
	consumerClaim string
	header        string
	bearerOnly    bool
	query         string
	requireCons   bool
	consumers     policy.Consumers
	challenge     string // without error attributes
}

// NewJWT builds jwt: the request must carry a JSON Web Token (RFC 7519) signed by a
// configured or JWKS key, with valid iss, aud, exp, nbf and iat claims. exp is required.
func NewJWT(settings json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s JWTSettings
	if err := policy.Decode(settings, &s); err != nil {
		return nil, err
	}
	p := &jwtAuth{
		now:           env.Clock(),
		byKID:         map[string]staticKey{},
		byAlg:         map[string]jwt.VerificationKeySet{},
		unnamedByAlg:  map[string]jwt.VerificationKeySet{},
		issuer:        s.Issuer,
		audiences:     s.Audiences,
		consumerClaim: s.ConsumerClaim,
		query:         s.Query,
		requireCons:   s.RequireConsumer,
		consumers:     env.Consumers,
		challenge:     "Bearer realm=" + quote(realmOf("", env)),
	}
	if len(s.Keys) == 0 && s.JWKSURL == "" {
		return nil, policy.Errorf("keys", "give inline keys, a jwksUrl, or both")
	}
	for i, a := range s.Audiences {
		if a == "" {
			return nil, policy.Errorf(fmt.Sprintf("audiences.%d", i), "must not be empty")
		}
	}
	var keyAlgs []string
	for i, k := range s.Keys {
		sk, err := parseJWTKey(fmt.Sprintf("keys.%d", i), k)
		if err != nil {
			return nil, err
		}
		if k.KID != "" {
			if _, dup := p.byKID[k.KID]; dup {
				return nil, policy.Errorf(fmt.Sprintf("keys.%d.kid", i), "%q is used by another key", k.KID)
			}
			p.byKID[k.KID] = sk
		} else {
			set := p.unnamedByAlg[k.Alg]
			set.Keys = append(set.Keys, sk.key)
			p.unnamedByAlg[k.Alg] = set
		}
		set := p.byAlg[k.Alg]
		set.Keys = append(set.Keys, sk.key)
		p.byAlg[k.Alg] = set
		if !slices.Contains(keyAlgs, k.Alg) {
			keyAlgs = append(keyAlgs, k.Alg)
		}
	}
	if s.Algorithms != nil {
		if len(s.Algorithms) == 0 {
			return nil, policy.Errorf("algorithms", "must list at least one algorithm")
		}
		for i, a := range s.Algorithms {
			field := fmt.Sprintf("algorithms.%d", i)
			if strings.EqualFold(a, "none") {
				return nil, policy.Errorf(field, "\"none\" (unsigned tokens) is never accepted")
			}
			if _, ok := jwtAlgs[a]; !ok {
				return nil, policy.Errorf(field, "%q is not supported (supported: %s)", a, supportedAlgs())
			}
		}
		for i, k := range s.Keys {
			if !slices.Contains(s.Algorithms, k.Alg) {
				return nil, policy.Errorf(fmt.Sprintf("keys.%d.alg", i), "%q is not one of the accepted algorithms", k.Alg)
			}
		}
		p.algs = slices.Clone(s.Algorithms)
	} else {
		p.algs = keyAlgs
		if s.JWKSURL != "" {
			for _, a := range asymmetricAlgs {
				if !slices.Contains(p.algs, a) {
					p.algs = append(p.algs, a)
				}
			}
		}
	}
	refresh, err := durationSetting("jwksRefresh", s.JWKSRefresh, time.Hour, true)
	if err != nil {
		return nil, err
	}
	if refresh < 10*time.Second {
		return nil, policy.Errorf("jwksRefresh", "must be at least 10s")
	}
	skew, err := durationSetting("clockSkew", s.ClockSkew, 30*time.Second, false)
	if err != nil {
		return nil, err
	}
	if p.consumerClaim == "" {
		p.consumerClaim = "sub"
	}
	switch s.Header {
	case "", "Authorization", "authorization":
		p.header, p.bearerOnly = "Authorization", true
	default:
		p.header = textproto.CanonicalMIMEHeaderKey(s.Header)
		p.bearerOnly = p.header == "Authorization"
	}
	if s.RequireConsumer && env.Consumers == nil {
		return nil, policy.Errorf("requireConsumer", "no consumers are configured, so no token could name one")
	}
	if s.JWKSURL != "" {
		u, err := parseEndpoint("jwksUrl", s.JWKSURL)
		if err != nil {
			return nil, err
		}
		c, err := jwksFor(env, u, refresh)
		if err != nil {
			return nil, policy.Errorf("jwksUrl", "%v", err)
		}
		p.jwks = c
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(p.algs),
		jwt.WithLeeway(skew),
		jwt.WithTimeFunc(p.now),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
	}
	if s.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(s.Issuer))
	}
	if len(s.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(s.Audiences...))
	}
	p.parser = jwt.NewParser(opts...)
	return p.middleware, nil
}

func (p *jwtAuth) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := p.tokenOf(r)
		if !ok {
			// RFC 6750 section 3.1: no error code when the request carries no token.
			unauthorized(w, r, p.challenge, "No bearer token: send it with Authorization: Bearer.")
			return
		}
		claims := jwt.MapClaims{}
		ctx := r.Context()
		tok, err := p.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) { return p.key(ctx, t) })
		if err != nil {
			f := p.explain(tok, claims, err)
			if f.unavailable {
				unavailable(w, r, f.detail)
				return
			}
			p.reject(w, r, f.code, f.detail)
			return
		}
		subject := claimString(claims[p.consumerClaim])
		var c *policy.Consumer
		if subject != "" && p.consumers != nil {
			c, _ = p.consumers.ByName(subject)
		}
		if c == nil && p.requireCons {
			if subject == "" {
				p.reject(w, r, "no consumer", fmt.Sprintf("The token has no %q claim naming a consumer.", p.consumerClaim))
			} else {
				p.reject(w, r, "unknown consumer", fmt.Sprintf("The token's %q claim %q names no configured consumer.", p.consumerClaim, clip(subject)))
			}
			return
		}
		r = policy.SetIdentity(r, &policy.Identity{
			Consumer:   c,
			Subject:    subject,
			Method:     "jwt",
			Credential: tokenCredential(tok, claims),
			Claims:     claims,
		})
		next.ServeHTTP(w, r)
	})
}

// reject answers 401 with an RFC 6750 invalid_token challenge. desc goes into the
// header, so it is a fixed phrase, never a value from the token.
func (p *jwtAuth) reject(w http.ResponseWriter, r *http.Request, desc, detail string) {
	unauthorized(w, r, p.challenge+`, error="invalid_token", error_description=`+quote(desc), detail)
}

// tokenOf returns the raw token of r, from the header or else the query.
func (p *jwtAuth) tokenOf(r *http.Request) (string, bool) {
	if v := r.Header[p.header]; len(v) > 0 && v[0] != "" {
		if p.bearerOnly {
			if t, ok := parseBearer(v[0]); ok {
				return t, true
			}
		} else {
			t := strings.TrimSpace(v[0])
			if b, ok := cutScheme(t, "Bearer"); ok {
				t = b
			}
			if t != "" {
				return t, true
			}
		}
	}
	if p.query != "" {
		if t, ok := queryValue(r.URL.RawQuery, p.query); ok && t != "" {
			return t, true
		}
	}
	return "", false
}

var (
	errUnknownKID      = errors.New("unknown kid")
	errNoKey           = errors.New("no key for the algorithm")
	errKeyAlg          = errors.New("key algorithm mismatch")
	errBadKID          = errors.New("kid is not a string")
	errJWKSUnavailable = errors.New("JWKS unavailable")
)

// key finds the verification key(s) for t: the inline key its kid names, else the JWKS,
// else the inline keys without kid of its algorithm.
func (p *jwtAuth) key(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	kidVal, hasKID := t.Header["kid"]
	kid, isString := kidVal.(string)
	if hasKID && !isString {
		return nil, errBadKID
	}
	if !hasKID || kid == "" {
		if set := p.byAlg[alg]; len(set.Keys) > 0 {
			return set, nil
		}
		if p.jwks != nil {
			return p.jwks.keySet(ctx)
		}
		return nil, errNoKey
	}
	if k, ok := p.byKID[kid]; ok {
		if k.alg != alg {
			return nil, errKeyAlg
		}
		return k.key, nil
	}
	if p.jwks != nil {
		key, err := p.jwks.key(ctx, kid, alg)
		if !errors.Is(err, errUnknownKID) {
			return key, err
		}
	}
	if set := p.unnamedByAlg[alg]; len(set.Keys) > 0 {
		return set, nil
	}
	if p.jwks != nil && p.jwks.empty(ctx) {
		return nil, errJWKSUnavailable
	}
	return nil, errUnknownKID
}

// failure is why a token was refused.
type failure struct {
	code        string // RFC 6750 error_description: a fixed phrase
	detail      string // problem detail
	unavailable bool   // the keys could not be loaded: 503, not 401
}

// explain turns a parse error into a failure. Claim problems are only reported once the
// signature is known good (the parser checks it first).
func (p *jwtAuth) explain(tok *jwt.Token, claims jwt.MapClaims, err error) failure {
	alg := ""
	kid := ""
	if tok != nil {
		alg, _ = tok.Header["alg"].(string)
		kid, _ = tok.Header["kid"].(string)
	}
	allowed := strings.Join(p.algs, ", ")
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return failure{code: "malformed token", detail: "The bearer token is not a well-formed JWT (three base64url parts: header, claims, signature)."}
	case tok != nil && alg == "":
		return failure{code: "algorithm missing", detail: "The token's header names no signing algorithm (alg)."}
	case tok != nil && !slices.Contains(p.algs, alg):
		return failure{code: "algorithm not allowed", detail: fmt.Sprintf("The token is signed with %q, which is not accepted (accepted: %s).", clip(alg), allowed)}
	case errors.Is(err, errJWKSUnavailable):
		return failure{unavailable: true, detail: fmt.Sprintf("The signing keys at %s could not be loaded, so the token cannot be checked.", p.jwks.url)}
	case errors.Is(err, errUnknownKID):
		return failure{code: "unknown key", detail: fmt.Sprintf("The token's key ID (kid) %q is not known.", clip(kid))}
	case errors.Is(err, errBadKID):
		return failure{code: "malformed token", detail: "The token's key ID (kid) is not a string."}
	case errors.Is(err, errNoKey):
		return failure{code: "unknown key", detail: fmt.Sprintf("No key is configured for tokens signed with %q.", alg)}
	case errors.Is(err, errKeyAlg):
		return failure{code: "algorithm mismatch", detail: fmt.Sprintf("The key %q is not for %q tokens.", clip(kid), alg)}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return failure{code: "signature invalid", detail: "The token's signature is invalid."}
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return failure{code: "unverifiable token", detail: "The token cannot be verified."}
	}
	// The signature is good: say which claims are wrong.
	var msgs []string
	now := p.now()
	if errors.Is(err, jwt.ErrTokenExpired) {
		exp, _ := claims.GetExpirationTime()
		msgs = append(msgs, "expired at "+stamp(exp)+" (now "+now.UTC().Format(time.RFC3339)+")")
	}
	if errors.Is(err, jwt.ErrTokenNotValidYet) {
		nbf, _ := claims.GetNotBefore()
		msgs = append(msgs, "not valid before "+stamp(nbf))
	}
	if errors.Is(err, jwt.ErrTokenUsedBeforeIssued) {
		iat, _ := claims.GetIssuedAt()
		msgs = append(msgs, "issued in the future, at "+stamp(iat))
	}
	if errors.Is(err, jwt.ErrTokenInvalidIssuer) || (p.issuer != "" && errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims["iss"] == nil) {
		iss, _ := claims["iss"].(string)
		if iss == "" {
			msgs = append(msgs, fmt.Sprintf("has no issuer (iss), expected %q", p.issuer))
		} else {
			msgs = append(msgs, fmt.Sprintf("has issuer %q, expected %q", clip(iss), p.issuer))
		}
	}
	if errors.Is(err, jwt.ErrTokenInvalidAudience) || (len(p.audiences) > 0 && errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims["aud"] == nil) {
		aud, _ := claims.GetAudience()
		if len(aud) == 0 {
			msgs = append(msgs, fmt.Sprintf("has no audience (aud), expected one of %q", p.audiences))
		} else {
			if len(aud) > 5 {
				aud = aud[:5]
			}
			for i := range aud {
				aud[i] = clip(aud[i])
			}
			msgs = append(msgs, fmt.Sprintf("has audience %q, expected one of %q", []string(aud), p.audiences))
		}
	}
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims["exp"] == nil {
		msgs = append(msgs, "has no expiry (exp)")
	}
	if errors.Is(err, jwt.ErrInvalidType) {
		msgs = append(msgs, "has a time claim (exp, nbf or iat) that is not a number")
	}
	code := "invalid claims"
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		code = "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		code = "token not yet valid"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		code = "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		code = "wrong audience"
	}
	if len(msgs) == 0 {
		return failure{code: code, detail: "The token's claims are not valid."}
	}
	return failure{code: code, detail: "The token " + strings.Join(msgs, "; ") + "."}
}

func stamp(d *jwt.NumericDate) string {
	if d == nil {
		return "?"
	}
	return d.UTC().Format(time.RFC3339)
}

// claimString returns a string or numeric claim as text; "" for anything else.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

// tokenCredential names the token without revealing it: its kid and jti, if any.
func tokenCredential(tok *jwt.Token, claims jwt.MapClaims) string {
	kid, _ := tok.Header["kid"].(string)
	jti, _ := claims["jti"].(string)
	switch {
	case kid != "" && jti != "":
		return "kid=" + kid + " jti=" + jti
	case kid != "":
		return "kid=" + kid
	case jti != "":
		return "jti=" + jti
	}
	return ""
}

// parseJWTKey checks one inline key and returns it ready for verification.
func parseJWTKey(field string, k JWTKey) (staticKey, error) {
	info, ok := jwtAlgs[k.Alg]
	if !ok {
		if strings.EqualFold(k.Alg, "none") {
			return staticKey{}, policy.Errorf(field+".alg", "\"none\" (unsigned tokens) is never accepted")
		}
		if k.Alg == "" {
			return staticKey{}, policy.Errorf(field+".alg", "is required (one of %s)", supportedAlgs())
		}
		return staticKey{}, policy.Errorf(field+".alg", "%q is not supported (supported: %s)", k.Alg, supportedAlgs())
	}
	if info.family == famHMAC {
		if k.PublicKey != "" {
			return staticKey{}, policy.Errorf(field+".publicKey", "%s keys are secrets: use secret, not publicKey", k.Alg)
		}
		if k.Secret == "" {
			return staticKey{}, policy.Errorf(field+".secret", "is required for %s", k.Alg)
		}
		if len(k.Secret) < info.minHMAC {
			return staticKey{}, policy.Errorf(field+".secret", "must be at least %d bytes for %s (RFC 7518 section 3.2)", info.minHMAC, k.Alg)
		}
		return staticKey{alg: k.Alg, key: []byte(k.Secret)}, nil
	}
	if k.Secret != "" {
		return staticKey{}, policy.Errorf(field+".secret", "is only for HS algorithms; %s needs publicKey", k.Alg)
	}
	if k.PublicKey == "" {
		return staticKey{}, policy.Errorf(field+".publicKey", "is required for %s", k.Alg)
	}
	pub, err := parsePublicKeyPEM(k.PublicKey)
	if err != nil {
		return staticKey{}, policy.Errorf(field+".publicKey", "%v", err)
	}
	switch info.family {
	case famRSA:
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return staticKey{}, policy.Errorf(field+".publicKey", "is not an RSA key, which %s needs", k.Alg)
		}
		if rk.N.BitLen() < 2048 {
			return staticKey{}, policy.Errorf(field+".publicKey", "RSA keys must have at least 2048 bits, this one has %d", rk.N.BitLen())
		}
	case famECDSA:
		ek, ok := pub.(*ecdsa.PublicKey)
		if !ok || ek.Curve != info.curve {
			return staticKey{}, policy.Errorf(field+".publicKey", "is not an ECDSA %s key, which %s needs", info.curve.Params().Name, k.Alg)
		}
	case famEdDSA:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return staticKey{}, policy.Errorf(field+".publicKey", "is not an Ed25519 key, which EdDSA needs")
		}
	}
	return staticKey{alg: k.Alg, key: pub}, nil
}

func parsePublicKeyPEM(text string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("is not a PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, errors.New("is a private key: give the public key")
	}
	return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
}
