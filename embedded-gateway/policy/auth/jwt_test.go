package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

const hsSecret = "0123456789abcdef0123456789abcdef" // 32 bytes: the HS256 minimum

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	ecKey1          = mustEC()
	ecKey2          = mustEC()
	edPub, edKey, _ = ed25519.GenerateKey(rand.Reader)
)

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func pemOf(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// sign returns a token over claims signed with key under method, with kid unless "".
func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claimsAt returns valid claims for a clock at now, with overrides applied (nil deletes).
func claimsAt(now time.Time, overrides map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": "https://idp.example",
		"aud": "petstore",
		"sub": "alice",
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"jti": "j-1",
	}
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func settingsJSON(t *testing.T, s map[string]any) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWT(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	env := policy.Env{API: "petstore", Consumers: testConsumers(t), Now: clock.Now}
	base := map[string]any{
		"issuer":    "https://idp.example",
		"audiences": []string{"petstore", "other"},
		"keys": []map[string]any{
			{"kid": "hs", "alg": "HS256", "secret": hsSecret},
			{"kid": "rs", "alg": "RS256", "publicKey": pemOf(t, &rsaKey().PublicKey)},
			{"kid": "es", "alg": "ES256", "publicKey": pemOf(t, &ecKey1.PublicKey)},
			{"kid": "ed", "alg": "EdDSA", "publicKey": pemOf(t, edPub)},
		},
	}
	with := func(extra map[string]any) string {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return settingsJSON(t, m)
	}
	hs := func(c jwt.MapClaims) string {
		return "Bearer " + sign(t, jwt.SigningMethodHS256, "hs", []byte(hsSecret), c)
	}
	good := claimsAt(now, nil)
	otherSecret := []byte("another-secret-another-secret-xx")
	rsaPEM := []byte(pemOf(t, &rsaKey().PublicKey))

	tests := []struct {
		name         string
		settings     string
		header       string // Authorization
		target       string
		otherHeader  [2]string
		wantStatus   int
		wantDetail   []string
		wantError    string // error_description in WWW-Authenticate; "" = no error attributes
		wantSubject  string
		wantConsumer string
	}{
		{name: "HS256", settings: with(nil), header: hs(good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "RS256", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodRS256, "rs", rsaKey(), good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "ES256", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodES256, "es", ecKey1, good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "EdDSA", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodEdDSA, "ed", edKey, good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "no kid tries keys of the algorithm", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodES256, "", ecKey1, good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "second audience", settings: with(nil), header: hs(claimsAt(now, map[string]any{"aud": []string{"x", "other"}})), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "subject without consumer", settings: with(nil), header: hs(claimsAt(now, map[string]any{"sub": "zed"})), wantStatus: 204, wantSubject: "zed"},
		{name: "custom consumer claim", settings: with(map[string]any{"consumerClaim": "azp"}), header: hs(claimsAt(now, map[string]any{"azp": "bob"})), wantStatus: 204, wantSubject: "bob", wantConsumer: "bob"},
		{name: "expired within clock skew", settings: with(nil), header: hs(claimsAt(now, map[string]any{"exp": now.Add(-20 * time.Second).Unix()})), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "custom header", settings: with(map[string]any{"header": "X-Token"}), otherHeader: [2]string{"X-Token", sign(t, jwt.SigningMethodHS256, "hs", []byte(hsSecret), good)}, wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "query parameter", settings: with(map[string]any{"query": "access_token"}), target: "/pets?access_token=" + sign(t, jwt.SigningMethodHS256, "hs", []byte(hsSecret), good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "required consumer present", settings: with(map[string]any{"requireConsumer": true}), header: hs(good), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},

		{name: "missing", settings: with(nil), wantStatus: 401, wantDetail: []string{"No bearer token"}},
		{name: "query ignored unless configured", settings: with(nil), target: "/pets?access_token=" + sign(t, jwt.SigningMethodHS256, "hs", []byte(hsSecret), good), wantStatus: 401, wantDetail: []string{"No bearer token"}},
		{name: "basic scheme", settings: with(nil), header: basic("alice", "wonderland"), wantStatus: 401, wantDetail: []string{"No bearer token"}},
		{name: "malformed", settings: with(nil), header: "Bearer not.a.jwt", wantStatus: 401, wantDetail: []string{"not a well-formed JWT"}, wantError: "malformed token"},
		{name: "two segments", settings: with(nil), header: "Bearer abc.def", wantStatus: 401, wantDetail: []string{"not a well-formed JWT"}, wantError: "malformed token"},
		{name: "expired", settings: with(nil), header: hs(claimsAt(now, map[string]any{"exp": now.Add(-time.Hour).Unix()})), wantStatus: 401, wantDetail: []string{"The token expired at " + now.Add(-time.Hour).UTC().Format(time.RFC3339)}, wantError: "token expired"},
		{name: "no exp", settings: with(nil), header: hs(claimsAt(now, map[string]any{"exp": nil})), wantStatus: 401, wantDetail: []string{"has no expiry (exp)"}, wantError: "invalid claims"},
		{name: "exp not a number", settings: with(nil), header: hs(claimsAt(now, map[string]any{"exp": "tomorrow"})), wantStatus: 401, wantDetail: []string{"not a number"}, wantError: "invalid claims"},
		{name: "not yet valid", settings: with(nil), header: hs(claimsAt(now, map[string]any{"nbf": now.Add(time.Hour).Unix()})), wantStatus: 401, wantDetail: []string{"not valid before " + now.Add(time.Hour).UTC().Format(time.RFC3339)}, wantError: "token not yet valid"},
		{name: "issued in the future", settings: with(nil), header: hs(claimsAt(now, map[string]any{"iat": now.Add(time.Hour).Unix()})), wantStatus: 401, wantDetail: []string{"issued in the future"}, wantError: "token not yet valid"},
		{name: "wrong issuer", settings: with(nil), header: hs(claimsAt(now, map[string]any{"iss": "https://evil.example"})), wantStatus: 401, wantDetail: []string{`has issuer "https://evil.example", expected "https://idp.example"`}, wantError: "wrong issuer"},
		{name: "no issuer", settings: with(nil), header: hs(claimsAt(now, map[string]any{"iss": nil})), wantStatus: 401, wantDetail: []string{"has no issuer (iss)"}, wantError: "invalid claims"},
		{name: "wrong audience", settings: with(nil), header: hs(claimsAt(now, map[string]any{"aud": "billing"})), wantStatus: 401, wantDetail: []string{`has audience ["billing"], expected one of ["petstore" "other"]`}, wantError: "wrong audience"},
		{name: "no audience", settings: with(nil), header: hs(claimsAt(now, map[string]any{"aud": nil})), wantStatus: 401, wantDetail: []string{"has no audience (aud)"}, wantError: "invalid claims"},
		{name: "several claim problems", settings: with(nil), header: hs(claimsAt(now, map[string]any{"iss": "x", "exp": now.Add(-time.Hour).Unix()})), wantStatus: 401, wantDetail: []string{"expired at", `has issuer "x"`}, wantError: "token expired"},
		{name: "bad signature", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodHS256, "hs", otherSecret, good), wantStatus: 401, wantDetail: []string{"The token's signature is invalid."}, wantError: "signature invalid"},
		{name: "bad signature hides claim problems", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodHS256, "hs", otherSecret, claimsAt(now, map[string]any{"iss": "x"})), wantStatus: 401, wantDetail: []string{"signature is invalid"}, wantError: "signature invalid"},
		{name: "signed by another ES key", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodES256, "es", ecKey2, good), wantStatus: 401, wantDetail: []string{"signature is invalid"}, wantError: "signature invalid"},
		{name: "alg none", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodNone, "hs", jwt.UnsafeAllowNoneSignatureType, good), wantStatus: 401, wantDetail: []string{`signed with "none", which is not accepted`}, wantError: "algorithm not allowed"},
		{name: "alg not in the list", settings: with(map[string]any{"algorithms": []string{"HS256", "RS256", "ES256", "EdDSA"}}), header: "Bearer " + sign(t, jwt.SigningMethodHS384, "hs", []byte(hsSecret+hsSecret), good), wantStatus: 401, wantDetail: []string{`"HS384", which is not accepted (accepted: HS256, RS256, ES256, EdDSA)`}, wantError: "algorithm not allowed"},
		{name: "HS256 signed with the RSA public key", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodHS256, "rs", rsaPEM, good), wantStatus: 401, wantDetail: []string{`The key "rs" is not for "HS256" tokens.`}, wantError: "algorithm mismatch"},
		{name: "unknown kid", settings: with(nil), header: "Bearer " + sign(t, jwt.SigningMethodHS256, "nope", []byte(hsSecret), good), wantStatus: 401, wantDetail: []string{`key ID (kid) "nope" is not known`}, wantError: "unknown key"},
		{name: "no key for the algorithm", settings: with(map[string]any{"algorithms": []string{"HS256", "HS512", "RS256", "ES256", "EdDSA"}}), header: "Bearer " + sign(t, jwt.SigningMethodHS512, "", []byte(hsSecret+hsSecret), good), wantStatus: 401, wantDetail: []string{`No key is configured for tokens signed with "HS512"`}, wantError: "unknown key"},
		{name: "unknown consumer required", settings: with(map[string]any{"requireConsumer": true}), header: hs(claimsAt(now, map[string]any{"sub": "zed"})), wantStatus: 401, wantDetail: []string{`"sub" claim "zed" names no configured consumer`}, wantError: "unknown consumer"},
		{name: "no consumer claim", settings: with(map[string]any{"requireConsumer": true}), header: hs(claimsAt(now, map[string]any{"sub": nil})), wantStatus: 401, wantDetail: []string{`no "sub" claim`}, wantError: "no consumer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got := build(t, NewJWT, tt.settings, env)
			target := tt.target
			if target == "" {
				target = "/pets"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.otherHeader[0] != "" {
				r.Header.Set(tt.otherHeader[0], tt.otherHeader[1])
			}
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				checkProblem(t, rec, tt.wantStatus, tt.wantDetail...)
				if strings.Contains(rec.Body.String(), hsSecret) {
					t.Error("secret in the problem")
				}
				wa := rec.Header().Get("WWW-Authenticate")
				want := `Bearer realm="petstore"`
				if tt.wantError != "" {
					want += `, error="invalid_token", error_description="` + tt.wantError + `"`
				}
				if wa != want {
					t.Errorf("WWW-Authenticate = %q, want %q", wa, want)
				}
				if got.called {
					t.Error("next handler called")
				}
				return
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := got.identity
			if id == nil || id.Method != "jwt" || id.Subject != tt.wantSubject {
				t.Fatalf("identity = %+v", id)
			}
			if (id.Consumer == nil) != (tt.wantConsumer == "") || (id.Consumer != nil && id.Consumer.Name != tt.wantConsumer) {
				t.Errorf("consumer = %+v, want %q", id.Consumer, tt.wantConsumer)
			}
			if !strings.Contains(id.Credential, "jti=j-1") || id.Claims["iss"] != "https://idp.example" {
				t.Errorf("credential %q, claims %v", id.Credential, id.Claims)
			}
		})
	}
}

func TestJWTSettings(t *testing.T) {
	hsKey := map[string]any{"kid": "a", "alg": "HS256", "secret": hsSecret}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(ecKey1)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	tests := []struct {
		name     string
		settings map[string]any
		env      policy.Env
		field    string
		msg      string
	}{
		{"no keys", map[string]any{}, policy.Env{}, "keys", "give inline keys, a jwksUrl, or both"},
		{"unknown setting", map[string]any{"keys": []any{hsKey}, "secret": "x"}, policy.Env{}, "secret", "unknown setting"},
		{"none in algorithms", map[string]any{"keys": []any{hsKey}, "algorithms": []string{"HS256", "none"}}, policy.Env{}, "algorithms.1", "never accepted"},
		{"empty algorithms", map[string]any{"keys": []any{hsKey}, "algorithms": []string{}}, policy.Env{}, "algorithms", "at least one"},
		{"unsupported algorithm", map[string]any{"keys": []any{hsKey}, "algorithms": []string{"XS1"}}, policy.Env{}, "algorithms.0", "not supported"},
		{"key alg not accepted", map[string]any{"keys": []any{hsKey}, "algorithms": []string{"RS256"}}, policy.Env{}, "keys.0.alg", "not one of the accepted"},
		{"key alg none", map[string]any{"keys": []any{map[string]any{"alg": "none"}}}, policy.Env{}, "keys.0.alg", "never accepted"},
		{"key alg missing", map[string]any{"keys": []any{map[string]any{"secret": hsSecret}}}, policy.Env{}, "keys.0.alg", "is required"},
		{"key alg unknown", map[string]any{"keys": []any{map[string]any{"alg": "HS1", "secret": hsSecret}}}, policy.Env{}, "keys.0.alg", "not supported"},
		{"short secret", map[string]any{"keys": []any{map[string]any{"alg": "HS256", "secret": "short"}}}, policy.Env{}, "keys.0.secret", "at least 32 bytes"},
		{"HS512 secret too short", map[string]any{"keys": []any{map[string]any{"alg": "HS512", "secret": hsSecret}}}, policy.Env{}, "keys.0.secret", "at least 64 bytes"},
		{"no secret", map[string]any{"keys": []any{map[string]any{"alg": "HS256"}}}, policy.Env{}, "keys.0.secret", "is required"},
		{"public key for HS", map[string]any{"keys": []any{map[string]any{"alg": "HS256", "publicKey": pemOf(t, &ecKey1.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "use secret"},
		{"secret for RS", map[string]any{"keys": []any{map[string]any{"alg": "RS256", "secret": hsSecret}}}, policy.Env{}, "keys.0.secret", "only for HS"},
		{"no public key", map[string]any{"keys": []any{map[string]any{"alg": "ES256"}}}, policy.Env{}, "keys.0.publicKey", "is required"},
		{"not PEM", map[string]any{"keys": []any{map[string]any{"alg": "ES256", "publicKey": "abc"}}}, policy.Env{}, "keys.0.publicKey", "not a PEM block"},
		{"private key", map[string]any{"keys": []any{map[string]any{"alg": "ES256", "publicKey": privPEM}}}, policy.Env{}, "keys.0.publicKey", "is a private key"},
		{"EC key for RS256", map[string]any{"keys": []any{map[string]any{"alg": "RS256", "publicKey": pemOf(t, &ecKey1.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "not an RSA key"},
		{"RSA key for ES256", map[string]any{"keys": []any{map[string]any{"alg": "ES256", "publicKey": pemOf(t, &small.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "not an ECDSA P-256 key"},
		{"P-256 key for ES384", map[string]any{"keys": []any{map[string]any{"alg": "ES384", "publicKey": pemOf(t, &ecKey1.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "not an ECDSA P-384 key"},
		{"EC key for EdDSA", map[string]any{"keys": []any{map[string]any{"alg": "EdDSA", "publicKey": pemOf(t, &ecKey1.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "not an Ed25519 key"},
		{"small RSA key", map[string]any{"keys": []any{map[string]any{"alg": "RS256", "publicKey": pemOf(t, &small.PublicKey)}}}, policy.Env{}, "keys.0.publicKey", "at least 2048 bits"},
		{"duplicate kid", map[string]any{"keys": []any{hsKey, hsKey}}, policy.Env{}, "keys.1.kid", "used by another key"},
		{"empty audience", map[string]any{"keys": []any{hsKey}, "audiences": []string{""}}, policy.Env{}, "audiences.0", "must not be empty"},
		{"relative jwksUrl", map[string]any{"jwksUrl": "/keys"}, policy.Env{}, "jwksUrl", "absolute http or https URL"},
		{"ftp jwksUrl", map[string]any{"jwksUrl": "ftp://idp/keys"}, policy.Env{}, "jwksUrl", "absolute http or https URL"},
		{"jwksRefresh too short", map[string]any{"keys": []any{hsKey}, "jwksRefresh": "1s"}, policy.Env{}, "jwksRefresh", "at least 10s"},
		{"jwksRefresh not a duration", map[string]any{"keys": []any{hsKey}, "jwksRefresh": "soon"}, policy.Env{}, "jwksRefresh", "duration"},
		{"negative clockSkew", map[string]any{"keys": []any{hsKey}, "clockSkew": "-1s"}, policy.Env{}, "clockSkew", "must not be negative"},
		{"requireConsumer without consumers", map[string]any{"keys": []any{hsKey}, "requireConsumer": true}, policy.Env{}, "requireConsumer", "no consumers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJWT([]byte(settingsJSON(t, tt.settings)), tt.env)
			checkFieldError(t, err, tt.field, tt.msg)
			if err != nil && strings.Contains(err.Error(), hsSecret) {
				t.Errorf("secret in error %q", err)
			}
		})
	}
}

// jwksServer serves a JWK Set that tests can replace, counting downloads.
type jwksServer struct {
	*httptest.Server
	body atomic.Pointer[[]byte]
	hits atomic.Int64
	down atomic.Bool
}

func newJWKSServer(t *testing.T, keys map[string]*ecdsa.PrivateKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.set(t, keys)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(t *testing.T, keys map[string]*ecdsa.PrivateKey) {
	t.Helper()
	st := jwkset.NewMemoryStorage()
	for kid, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(&k.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: jwkset.AlgES256, USE: jwkset.UseSig}})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.KeyWrite(context.Background(), jwk); err != nil {
			t.Fatal(err)
		}
	}
	b, err := st.JSONPublic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store((*[]byte)(&b))
}

func TestJWTWithJWKS(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	good := claimsAt(now, nil)
	tests := []struct {
		name       string
		keys       map[string]*ecdsa.PrivateKey // served at first
		rotateTo   map[string]*ecdsa.PrivateKey // served before the request, nil = unchanged
		down       bool
		token      string
		wantStatus int
		wantDetail string
		wantHits   int64 // downloads after the request
	}{
		{name: "known kid", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, token: sign(t, jwt.SigningMethodES256, "k1", ecKey1, good), wantStatus: 204, wantHits: 1},
		{name: "no kid", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, token: sign(t, jwt.SigningMethodES256, "", ecKey1, good), wantStatus: 204, wantHits: 1},
		{name: "wrong key", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, token: sign(t, jwt.SigningMethodES256, "k1", ecKey2, good), wantStatus: 401, wantDetail: "signature is invalid", wantHits: 1},
		{name: "unknown kid refreshes once, then refuses", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, token: sign(t, jwt.SigningMethodES256, "k9", ecKey2, good), wantStatus: 401, wantDetail: `key ID (kid) "k9" is not known`, wantHits: 2},
		{name: "rotation: new kid is fetched", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, rotateTo: map[string]*ecdsa.PrivateKey{"k2": ecKey2}, token: sign(t, jwt.SigningMethodES256, "k2", ecKey2, good), wantStatus: 204, wantHits: 2},
		{name: "HS token refused by default", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, token: sign(t, jwt.SigningMethodHS256, "k1", []byte(hsSecret), good), wantStatus: 401, wantDetail: `"HS256", which is not accepted`, wantHits: 1},
		{name: "JWKS down", keys: map[string]*ecdsa.PrivateKey{"k1": ecKey1}, down: true, token: sign(t, jwt.SigningMethodES256, "k1", ecKey1, good), wantStatus: 503, wantDetail: "could not be loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, tt.keys)
			srv.down.Store(tt.down)
			env := policy.Env{API: "petstore", Now: clock.Now, HTTPClient: srv.Client(), Shared: &policy.Shared{}}
			h, got := build(t, NewJWT, settingsJSON(t, map[string]any{"jwksUrl": srv.URL + "/jwks.json"}), env)
			if tt.rotateTo != nil {
				srv.set(t, tt.rotateTo)
			}
			r := httptest.NewRequest(http.MethodGet, "/pets", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				detail := checkProblem(t, rec, tt.wantStatus, tt.wantDetail)
				if tt.wantStatus == http.StatusServiceUnavailable && !strings.Contains(detail, srv.URL+"/jwks.json") {
					t.Errorf("detail %q does not name the JWKS URL", detail)
				}
			} else if rec.Code != tt.wantStatus || got.identity == nil || got.identity.Subject != "alice" {
				t.Fatalf("status %d, identity %+v: %s", rec.Code, got.identity, rec.Body)
			}
			if tt.wantHits != 0 {
				if n := srv.hits.Load(); n != tt.wantHits {
					t.Errorf("%d JWKS downloads, want %d", n, tt.wantHits)
				}
			}
		})
	}
}

func TestJWKSSharedAcrossReloads(t *testing.T) {
	srv := newJWKSServer(t, map[string]*ecdsa.PrivateKey{"k1": ecKey1})
	clock := newClock()
	env := policy.Env{Now: clock.Now, HTTPClient: srv.Client(), Shared: &policy.Shared{}}
	settings := settingsJSON(t, map[string]any{"jwksUrl": srv.URL})
	token := "Bearer " + sign(t, jwt.SigningMethodES256, "k1", ecKey1, claimsAt(clock.Now(), map[string]any{"aud": nil, "iss": nil}))
	for i := range 3 {
		h, _ := build(t, NewJWT, settings, env) // a reload builds the policy again
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", token)
		if rec := serve(h, r); rec.Code != http.StatusNoContent {
			t.Fatalf("build %d: status %d: %s", i, rec.Code, rec.Body)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d JWKS downloads for 3 builds, want 1", n)
	}
}

func TestJWKSRefreshStopsWhenUnused(t *testing.T) {
	srv := newJWKSServer(t, map[string]*ecdsa.PrivateKey{"k1": ecKey1})
	u, _ := url.Parse(srv.URL)
	// Without Shared, the cache lives as long as the policy holding it; here, this call.
	stopped := func() *atomic.Bool {
		c, err := jwksFor(policy.Env{HTTPClient: srv.Client()}, u, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if c.stopped.Load() {
			t.Fatal("stopped while in use")
		}
		return c.stopped
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !stopped.Load() {
		if time.Now().After(deadline) {
			t.Fatal("JWKS refresh still running after its cache was dropped")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestParsePublicKeyPEMForms(t *testing.T) {
	rk := &rsaKey().PublicKey
	tmpl := &x509.Certificate{SerialNumber: bigOne(), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey1.PublicKey, ecKey1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pem  string
		want any
	}{
		{"PKIX", pemOf(t, rk), rk},
		{"PKCS1", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rk)})), rk},
		{"certificate", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})), &ecKey1.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePublicKeyPEM(tt.pem)
			if err != nil {
				t.Fatal(err)
			}
			if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.want) {
				t.Errorf("key %T differs", got)
			}
		})
	}
}

// BenchmarkJWT measures the hot path for a valid HS256 token.
func BenchmarkJWT(b *testing.B) {
	mw, err := NewJWT([]byte(fmt.Sprintf(`{"keys":[{"kid":"hs","alg":"HS256","secret":%q}]}`, hsSecret)), policy.Env{})
	if err != nil {
		b.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "hs"
	s, _ := tok.SignedString([]byte(hsSecret))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+s)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
