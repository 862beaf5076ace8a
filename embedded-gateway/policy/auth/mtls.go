package auth

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

// MTLSSettings configures mtls.
type MTLSSettings struct {
	// ConsumerFrom is the part of the client certificate naming the consumer: "cn" (the
	// subject's common name) or "san" (a subject alternative name: DNS names, then email
	// addresses, then URIs; with consumers configured, the first that names one); ""
	// means "cn".
	ConsumerFrom string `json:"consumerFrom"`
	// RequireConsumer refuses certificates that name no configured consumer; false
	// accepts them with no Consumer in the identity.
	RequireConsumer bool `json:"requireConsumer"`
}

// NewMTLS builds mtls: the request must come over TLS with a client certificate the
// listener verified (the listener's tls.Config does the verification).
func NewMTLS(settings json.RawMessage, env policy.Env) (policy.Middleware, error) {
	var s MTLSSettings
	if err := policy.Decode(settings, &s); err != nil {
		return nil, err
	}
	switch s.ConsumerFrom {
	case "":
		s.ConsumerFrom = "cn"
	case "cn", "san":
	default:
		return nil, policy.Errorf("consumerFrom", "must be \"cn\" or \"san\", not %q", s.ConsumerFrom)
	}
	if s.RequireConsumer && env.Consumers == nil {
		return nil, policy.Errorf("requireConsumer", "no consumers are configured, so no certificate could name one")
	}
	challenge := "MutualTLS realm=" + quote(realmOf("", env))
	consumers := env.Consumers
	const (
		noTLS      = "A client certificate is required, and the request did not come over TLS."
		noCert     = "A client certificate is required: the connection presented none."
		unverified = "The client certificate was not verified against the trusted certificate authorities."
	)

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.TLS == nil:
				unauthorized(w, r, challenge, noTLS)
				return
			case len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0:
				if len(r.TLS.PeerCertificates) == 0 {
					unauthorized(w, r, challenge, noCert)
				} else {
					unauthorized(w, r, challenge, unverified)
				}
				return
			}
			leaf := r.TLS.VerifiedChains[0][0]
			subject, c := certSubject(leaf, s.ConsumerFrom, consumers)
			if c == nil && s.RequireConsumer {
				if subject == "" {
					unauthorized(w, r, challenge, fmt.Sprintf("The client certificate has no %s naming a consumer.", partName(s.ConsumerFrom)))
				} else {
					unauthorized(w, r, challenge, fmt.Sprintf("The client certificate's %s %q names no configured consumer.", partName(s.ConsumerFrom), clip(subject)))
				}
				return
			}
			r = policy.SetIdentity(r, &policy.Identity{
				Consumer:   c,
				Subject:    subject,
				Method:     "mtls",
				Credential: certFingerprint(leaf),
			})
			next.ServeHTTP(w, r)
		})
	}, nil
}

func partName(from string) string {
	if from == "san" {
		return "subject alternative name"
	}
	return "common name"
}

// certSubject returns the name the certificate gives and the consumer it names, if any.
func certSubject(cert *x509.Certificate, from string, consumers policy.Consumers) (string, *policy.Consumer) {
	if from == "cn" {
		name := cert.Subject.CommonName
		if name != "" && consumers != nil {
			if c, ok := consumers.ByName(name); ok {
				return name, c
			}
		}
		return name, nil
	}
	first := ""
	try := func(name string) *policy.Consumer {
		if name == "" {
			return nil
		}
		if first == "" {
			first = name
		}
		if consumers == nil {
			return nil
		}
		c, _ := consumers.ByName(name)
		return c
	}
	for _, n := range cert.DNSNames {
		if c := try(n); c != nil {
			return n, c
		}
	}
	for _, n := range cert.EmailAddresses {
		if c := try(n); c != nil {
			return n, c
		}
	}
	for _, u := range cert.URIs {
		n := u.String()
		if c := try(n); c != nil {
			return n, c
		}
	}
	return first, nil
}

// certFingerprint names the certificate: "sha256:" and 16 hex digits of its hash.
func certFingerprint(cert *x509.Certificate) string {
	h := sha256.Sum256(cert.Raw)
	return hashPrefix + hex.EncodeToString(h[:8])
}
