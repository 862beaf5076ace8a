// Package ca is the local certificate authority of Gantry's intercept proxy: a CA key pair
// created on first use and kept on disk, and short-lived leaf certificates issued from it
// for each host the proxy intercepts.
//
// Every installation has its own CA. The private key never leaves the machine and is stored
// readable by its owner only; Load refuses a key file that others may read.
package ca

import (
	"container/list"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// File names inside a CA directory.
const (
	// CertFile holds the CA certificate (PEM), the file clients are told to trust.
	CertFile = "gantry-ca.pem"
	// KeyFile holds the CA private key (PEM, PKCS #8), readable by its owner only.
	KeyFile = "gantry-ca-key.pem"
)

// EnvDir is the environment variable that, when set, overrides DefaultDir.
const EnvDir = "GANTRY_CA_DIR"

// CommonName is the subject common name of the CA certificates Load creates.
const CommonName = "Gantry Local CA"

// Validity periods.
const (
	// CAValidity is how long a newly created CA certificate is valid: 10 years.
	CAValidity = 10 * 365 * 24 * time.Hour
	// LeafValidity is how long an issued leaf certificate is valid: 7 days. Short enough
	// that a leaf key that leaks matters little, long enough that a long-running session
	// never sees one expire (a cached leaf is replaced a day before it expires), and far
	// below the lifetimes browsers accept.
	LeafValidity = 7 * 24 * time.Hour
	// leafRenewBefore is how long before expiry a cached leaf is replaced.
	leafRenewBefore = 24 * time.Hour
	// clockSkew backdates NotBefore so that clients with a slow clock accept new certificates.
	clockSkew = time.Hour
)

// DefaultCacheSize is how many leaf certificates a CA keeps before evicting the least
// recently used.
const DefaultCacheSize = 1024

// CA is a loaded certificate authority. Its methods are safe for concurrent use.
type CA struct {
	dir     string
	created bool
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer

	now    func() time.Time // the clock; replaced in tests
	leaves leafCache
}

// DefaultDir returns the directory where Gantry keeps its CA: $GANTRY_CA_DIR if set, else
// a "gantry" folder in the user's configuration directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the CA directory (set %s to choose one): %w", EnvDir, err)
	}
	return filepath.Join(cfg, "gantry"), nil
}

// errNoCA means neither CA file exists; errPartial means only one does.
var (
	errNoCA    = errors.New("no CA yet")
	errPartial = errors.New("incomplete CA")
)

// Load loads the CA kept in dir, creating the directory (mode 0700) and a new CA (an ECDSA
// P-256 key in KeyFile, mode 0600, and a self-signed certificate in CertFile valid for
// CAValidity) if neither file exists. It refuses a key file that group or others may read,
// a certificate without its key (or the reverse), a key that does not match the certificate
// and an expired CA, with an error that says how to fix it.
func Load(dir string) (*CA, error) {
	if dir == "" {
		return nil, errors.New("loading CA: no directory given")
	}
	for attempt := 0; ; attempt++ {
		c, err := load(dir)
		switch {
		case errors.Is(err, errNoCA):
			c, err = create(dir)
			if errors.Is(err, fs.ErrExist) && attempt < 20 {
				// Another process is creating the CA right now: load what it writes.
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return c, err
		case errors.Is(err, errPartial) && attempt < 20:
			// Possibly another process between writing the key and the certificate.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		return c, err
	}
}

func newCA(dir string, cert *x509.Certificate, key crypto.Signer) *CA {
	return &CA{
		dir:     dir,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		key:     key,
		now:     time.Now,
		leaves:  leafCache{max: DefaultCacheSize, items: map[string]*list.Element{}, ll: list.New()},
	}
}

// load reads an existing CA from dir.
func load(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyInfo, keyErr := os.Stat(keyPath)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return nil, errNoCA
	case errors.Is(certErr, fs.ErrNotExist) && keyErr == nil:
		return nil, fmt.Errorf("%w: found the CA key %s but not its certificate %s: restore the certificate, "+
			"or delete the key to create a new CA (clients will then have to trust the new one)", errPartial, keyPath, certPath)
	case certErr == nil && errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: found the CA certificate %s but not its key %s: restore the key, "+
			"or delete the certificate to create a new CA (clients will then have to trust the new one)", errPartial, certPath, keyPath)
	case certErr != nil:
		return nil, fmt.Errorf("reading CA certificate: %w", certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("reading CA key: %w", keyErr)
	}
	if err := checkKeyMode(keyPath, keyInfo.Mode()); err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading CA key: %w", err)
	}

	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", certPath, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA key %s: %w", keyPath, err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("CA key %s does not belong to the certificate %s: restore the matching pair, "+
			"or delete both files to create a new CA", keyPath, certPath)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid || (cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0) {
		return nil, fmt.Errorf("%s is not a CA certificate (it cannot sign certificates)", certPath)
	}
	if now := time.Now(); now.After(cert.NotAfter) {
		return nil, fmt.Errorf("CA certificate %s expired on %s: delete %s and %s to create a new CA "+
			"(clients will then have to trust the new one)", certPath, cert.NotAfter.Format(time.DateOnly), certPath, keyPath)
	}
	return newCA(dir, cert, key), nil
}

// checkKeyMode refuses a key file that users other than its owner may access. Windows has
// no such mode bits; there the file's ACL is left to the user.
func checkKeyMode(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		return fmt.Errorf("CA key %s may be read by other users (mode %04o): it lets anyone intercept "+
			"your TLS traffic; fix it with `chmod 600 %s`", path, perm, path)
	}
	return nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// parseKey reads a PKCS #8, SEC 1 (EC) or PKCS #1 (RSA) private key.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM private key block")
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", k)
		}
		return s, nil
	}
}

// create makes a new CA in dir. It writes each file with O_EXCL, so a concurrent creator
// makes one of the two fail with fs.ErrExist instead of mixing two key pairs.
func create(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating CA directory: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CommonName, Organization: []string{"Gantry"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, fmt.Errorf("writing CA key: %w", err)
	}
	c := newCA(dir, cert, key)
	if err := writeNew(certPath, c.certPEM, 0o644); err != nil {
		os.Remove(keyPath) // start afresh next time rather than keep a key without a certificate
		return nil, fmt.Errorf("writing CA certificate: %w", err)
	}
	c.created = true
	return c, nil
}

// writeNew writes data to a file that must not exist yet, with mode perm.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}

// Dir returns the directory the CA was loaded from.
func (c *CA) Dir() string { return c.dir }

// CertPath returns the path of the CA certificate, the file clients must trust.
func (c *CA) CertPath() string { return filepath.Join(c.dir, CertFile) }

// Created reports whether Load created this CA (rather than loading an existing one).
func (c *CA) Created() bool { return c.created }

// PEM returns the CA certificate in PEM form.
func (c *CA) PEM() []byte { return append([]byte(nil), c.certPEM...) }

// Certificate returns the parsed CA certificate. The caller must not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// Pool returns a new certificate pool holding only the CA certificate.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.cert)
	return p
}

// TLSConfigForHost returns a server TLS configuration presenting a leaf certificate for
// host (a DNS name or IP address, optionally with a port, which is ignored) issued by the
// CA. If the client asks for another name through SNI, a leaf for that name is issued
// instead. Leaves are valid for LeafValidity and cached (at most DefaultCacheSize, least
// recently used evicted first), so repeated calls for one host are cheap.
func (c *CA) TLSConfigForHost(host string) (*tls.Config, error) {
	name, err := normalizeHost(host)
	if err != nil {
		return nil, err
	}
	leaf, err := c.leaf(name)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*leaf},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sni, err := normalizeHost(hello.ServerName)
			if err != nil || sni == name {
				return nil, nil // no usable SNI: serve the leaf for host
			}
			return c.leaf(sni)
		},
	}, nil
}

// normalizeHost strips a port and IPv6 brackets, lower-cases DNS names and drops a
// trailing dot.
func normalizeHost(host string) (string, error) {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, " \t\r\n/\\@:") {
		return "", fmt.Errorf("cannot issue a certificate for host %q", host)
	}
	return h, nil
}

// leaf returns a fresh leaf certificate for the normalized name, from the cache or newly
// issued. Concurrent callers for the same name share one issuance.
func (c *CA) leaf(name string) (*tls.Certificate, error) {
	now := c.now()
	lc := &c.leaves
	lc.mu.Lock()
	if el, ok := lc.items[name]; ok {
		e := el.Value.(*leafEntry)
		select {
		case <-e.ready:
			if e.err == nil && now.Before(e.cert.Leaf.NotAfter.Add(-leafRenewBefore)) {
				lc.ll.MoveToFront(el)
				lc.mu.Unlock()
				return e.cert, nil
			}
			lc.remove(el) // about to expire: issue a new one below
		default:
			lc.ll.MoveToFront(el)
			lc.mu.Unlock()
			<-e.ready // being issued by another caller
			return e.cert, e.err
		}
	}
	e := &leafEntry{name: name, ready: make(chan struct{})}
	lc.items[name] = lc.ll.PushFront(e)
	for lc.ll.Len() > lc.max {
		lc.remove(lc.ll.Back())
	}
	lc.mu.Unlock()

	e.cert, e.err = c.issue(name, now)
	if e.err != nil {
		lc.mu.Lock()
		if el, ok := lc.items[name]; ok && el.Value == e {
			lc.remove(el) // let the next caller try again
		}
		lc.mu.Unlock()
	}
	close(e.ready)
	return e.cert, e.err
}

// issue signs a new leaf certificate for name with a fresh ECDSA P-256 key.
func (c *CA) issue(name string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key for %s: %w", name, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(LeafValidity)
	if notAfter.After(c.cert.NotAfter) {
		notAfter = c.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Gantry intercept"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if len(name) <= 64 {
		tmpl.Subject.CommonName = name
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, fmt.Errorf("issuing certificate for %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// leafCache is a bounded LRU of issued leaves, keyed by normalized host name.
type leafCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // of *leafEntry, most recently used first
	items map[string]*list.Element
}

// leafEntry is one cached (or being issued) leaf. cert and err are set before ready closes.
type leafEntry struct {
	name  string
	ready chan struct{}
	cert  *tls.Certificate
	err   error
}

// remove drops el; lc.mu must be held.
func (lc *leafCache) remove(el *list.Element) {
	lc.ll.Remove(el)
	delete(lc.items, el.Value.(*leafEntry).name)
}
