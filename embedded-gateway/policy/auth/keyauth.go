package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// KeyAuthSettings configures keyAuth.
type KeyAuthSettings struct {
	// In is where the key is sent: "header" or "query"; "" means "header".
	In string `json:"in"`
	// Name is the header or query parameter carrying the key; "" means "apikey".
	Name string `json:"name"`
	// HideCredentials removes the key before the request is forwarded; nil means true.
	HideCredentials *bool `json:"hideCredentials"`
}

// NewKeyAuth builds keyAuth: the request must carry an API key that env.Consumers knows.
func NewKeyAuth(settings json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s KeyAuthSettings
	if err := policy.Decode(settings, &s); err != nil {
		return nil, err
	}
	switch s.In {
	case "":
		s.In = "header"
	case "header", "query":
	default:
		return nil, policy.Errorf("in", "must be \"header\" or \"query\", not %q", s.In)
	}
	if s.Name == "" {
		s.Name = "apikey"
	}
	if env.Consumers == nil {
		return nil, policy.Errorf("", "no consumers are configured, so no API key could be accepted")
	}
	hide := s.HideCredentials == nil || *s.HideCredentials
	headerKey := textproto.CanonicalMIMEHeaderKey(s.Name)
	challenge := fmt.Sprintf("ApiKey realm=%s, in=%s, name=%s", quote(realmOf("", env)), quote(s.In), quote(s.Name))
	where := fmt.Sprintf("the %q %s", s.Name, s.In)
	if s.In == "query" {
		where += " parameter"
	}
	missing := "No API key: send it in " + where + "."
	invalid := "The API key in " + where + " is not valid."
	consumers := env.Consumers

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var key string
			if s.In == "header" {
				if v := r.Header[headerKey]; len(v) > 0 {
					key = v[0]
				}
			} else {
				key, _ = queryValue(r.URL.RawQuery, s.Name)
			}
			if key == "" {
				unauthorized(w, r, challenge, missing)
				return
			}
			c, ok := consumers.ByAPIKey(key)
			if !ok {
				unauthorized(w, r, challenge, invalid)
				return
			}
			r = policy.SetIdentity(r, &policy.Identity{
				Consumer:   c,
				Subject:    c.Name,
				Method:     "keyAuth",
				Credential: keyFingerprint(key),
			})
			if hide {
				if s.In == "header" {
					dropHeader(r, headerKey)
				} else {
					u := *r.URL
					u.RawQuery = withoutQueryParam(u.RawQuery, s.Name)
					r.URL = &u
				}
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// keyFingerprint names a key without revealing it: "sha256:" and 8 hex digits of its hash.
func keyFingerprint(key string) string {
	h := sha256.Sum256([]byte(key))
	return hashPrefix + hex.EncodeToString(h[:4])
}
