package auth

import (
	"encoding/json"
	"net/http"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// BasicAuthSettings configures basicAuth.
type BasicAuthSettings struct {
	// Realm is named in the challenge; "" means the API's name.
	Realm string `json:"realm"`
	// HideCredentials removes the Authorization header before the request is forwarded;
	// nil means true.
	HideCredentials *bool `json:"hideCredentials"`
}

// NewBasicAuth builds basicAuth: the request must carry RFC 7617 Basic credentials that
// env.Consumers knows.
func NewBasicAuth(settings json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s BasicAuthSettings
	if err := policy.Decode(settings, &s); err != nil {
		return nil, err
	}
	if env.Consumers == nil {
		return nil, policy.Errorf("", "no consumers are configured, so no credentials could be accepted")
	}
	hide := s.HideCredentials == nil || *s.HideCredentials
	challenge := "Basic realm=" + quote(realmOf(s.Realm, env)) + `, charset="UTF-8"`
	const (
		missing   = "No credentials: send a username and password with Authorization: Basic."
		malformed = "The Authorization header does not hold valid Basic credentials (base64 of username:password)."
		invalid   = "The username or password is not valid."
	)
	consumers := env.Consumers

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := r.Header["Authorization"]
			if len(v) == 0 || v[0] == "" {
				unauthorized(w, r, challenge, missing)
				return
			}
			user, password, ok := parseBasic(v[0])
			if !ok {
				unauthorized(w, r, challenge, malformed)
				return
			}
			c, ok := consumers.ByBasic(user, password)
			if !ok {
				unauthorized(w, r, challenge, invalid)
				return
			}
			r = policy.SetIdentity(r, &policy.Identity{
				Consumer:   c,
				Subject:    c.Name,
				Method:     "basicAuth",
				Credential: user,
			})
			if hide {
				dropHeader(r, "Authorization")
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}
