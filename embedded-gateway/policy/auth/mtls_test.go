package auth

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/embedded-gateway/policy"
)

func bigOne() *big.Int { return big.NewInt(1) }

// testCA issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key := mustEC()
	tmpl := &x509.Certificate{
		SerialNumber:          bigOne(),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a client certificate (and its key) for cn and the SANs.
func (ca *testCA) issue(t *testing.T, cn string, dns, emails []string, uris []string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := mustEC()
	tmpl := &x509.Certificate{
		SerialNumber:   big.NewInt(time.Now().UnixNano()),
		Subject:        pkix.Name{CommonName: cn},
		NotBefore:      time.Now().Add(-time.Hour),
		NotAfter:       time.Now().Add(time.Hour),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:       dns,
		EmailAddresses: emails,
	}
	for _, u := range uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestMTLS(t *testing.T) {
	ca := newTestCA(t)
	consumers := testConsumers(t)
	aliceCN, _ := ca.issue(t, "alice", nil, nil, nil)
	zedCN, _ := ca.issue(t, "zed", nil, nil, nil)
	noCN, _ := ca.issue(t, "", nil, nil, nil)
	sans, _ := ca.issue(t, "ignored", []string{"svc.example"}, []string{"bob"}, []string{"spiffe://example/carol"})
	verified := func(c *x509.Certificate) *tls.ConnectionState {
		return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}, VerifiedChains: [][]*x509.Certificate{{c, ca.cert}}}
	}
	tests := []struct {
		name         string
		settings     string
		tls          *tls.ConnectionState
		wantStatus   int
		wantDetail   string
		wantSubject  string
		wantConsumer string
	}{
		{name: "cn names a consumer", settings: `{}`, tls: verified(aliceCN), wantStatus: 204, wantSubject: "alice", wantConsumer: "alice"},
		{name: "cn without consumer", settings: `{}`, tls: verified(zedCN), wantStatus: 204, wantSubject: "zed"},
		{name: "san: first that names a consumer", settings: `{"consumerFrom":"san"}`, tls: verified(sans), wantStatus: 204, wantSubject: "bob", wantConsumer: "bob"},
		{name: "san without consumers configured: first SAN", settings: `{"consumerFrom":"san"}`, tls: verified(zedCN), wantStatus: 204, wantSubject: ""},
		{name: "no TLS", settings: `{}`, wantStatus: 401, wantDetail: "did not come over TLS"},
		{name: "no certificate", settings: `{}`, tls: &tls.ConnectionState{}, wantStatus: 401, wantDetail: "presented none"},
		{name: "unverified certificate", settings: `{}`, tls: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{aliceCN}}, wantStatus: 401, wantDetail: "was not verified"},
		{name: "required consumer unknown", settings: `{"requireConsumer":true}`, tls: verified(zedCN), wantStatus: 401, wantDetail: `common name "zed" names no configured consumer`},
		{name: "required consumer, no name", settings: `{"requireConsumer":true}`, tls: verified(noCN), wantStatus: 401, wantDetail: "has no common name"},
		{name: "required consumer from SAN", settings: `{"requireConsumer":true,"consumerFrom":"san"}`, tls: verified(sans), wantStatus: 204, wantSubject: "bob", wantConsumer: "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := policy.Env{API: "petstore", Consumers: consumers}
			if strings.Contains(tt.name, "without consumers") {
				env.Consumers = nil
			}
			h, got := build(t, NewMTLS, tt.settings, env)
			r := httptest.NewRequest(http.MethodGet, "/pets", nil)
			r.TLS = tt.tls
			rec := serve(h, r)
			if tt.wantStatus != http.StatusNoContent {
				checkProblem(t, rec, tt.wantStatus, tt.wantDetail)
				if wa := rec.Header().Get("WWW-Authenticate"); wa != `MutualTLS realm="petstore"` {
					t.Errorf("WWW-Authenticate = %q", wa)
				}
				return
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			id := got.identity
			if id == nil || id.Method != "mtls" || id.Subject != tt.wantSubject || !strings.HasPrefix(id.Credential, "sha256:") {
				t.Fatalf("identity = %+v", id)
			}
			if (id.Consumer == nil) != (tt.wantConsumer == "") || (id.Consumer != nil && id.Consumer.Name != tt.wantConsumer) {
				t.Errorf("consumer = %+v, want %q", id.Consumer, tt.wantConsumer)
			}
		})
	}
}

// TestMTLSOverTLS runs the policy behind a real TLS listener that verifies client
// certificates.
func TestMTLSOverTLS(t *testing.T) {
	ca := newTestCA(t)
	cert, key := ca.issue(t, "alice", nil, nil, nil)
	h, got := build(t, NewMTLS, `{"requireConsumer":true}`, policy.Env{Consumers: testConsumers(t)})
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool}
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		name       string
		withCert   bool
		wantStatus int
	}{
		{"with a certificate", true, http.StatusNoContent},
		{"without a certificate", false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := srv.Client()
			tr := client.Transport.(*http.Transport).Clone()
			if tt.withCert {
				tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}}
			}
			client = &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			resp, err := client.Get(srv.URL + "/pets")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.withCert && (got.identity == nil || got.identity.Consumer == nil || got.identity.Consumer.Name != "alice") {
				t.Errorf("identity = %+v", got.identity)
			}
		})
	}
}

func TestMTLSSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		env      policy.Env
		field    string
		msg      string
	}{
		{"bad consumerFrom", `{"consumerFrom":"ou"}`, policy.Env{}, "consumerFrom", `"cn" or "san"`},
		{"unknown setting", `{"ca":"x"}`, policy.Env{}, "ca", "unknown setting"},
		{"requireConsumer without consumers", `{"requireConsumer":true}`, policy.Env{}, "requireConsumer", "no consumers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMTLS([]byte(tt.settings), tt.env)
			checkFieldError(t, err, tt.field, tt.msg)
		})
	}
}
