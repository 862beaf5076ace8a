package ca

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustLoad(t *testing.T, dir string) *CA {
	t.Helper()
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadCreatesCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "ca")
	c := mustLoad(t, dir)
	if !c.Created() {
		t.Error("Created() = false for a new CA")
	}
	if c.CertPath() != filepath.Join(dir, CertFile) || c.Dir() != dir {
		t.Errorf("CertPath %q Dir %q", c.CertPath(), c.Dir())
	}
	cert := c.Certificate()
	if cert.Subject.CommonName != CommonName || !cert.IsCA || !cert.BasicConstraintsValid {
		t.Errorf("subject %v IsCA %v", cert.Subject, cert.IsCA)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %v is not random-looking", cert.SerialNumber)
	}
	if d := time.Until(cert.NotAfter); d < CAValidity-2*time.Hour || d > CAValidity {
		t.Errorf("CA valid for %v more, want about %v", d, CAValidity)
	}
	if cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v", cert.PublicKeyAlgorithm)
	}
	onDisk, err := os.ReadFile(c.CertPath())
	if err != nil || !bytes.Equal(onDisk, c.PEM()) || !bytes.HasPrefix(onDisk, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("certificate file differs from PEM(): %v", err)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode %04o, want %04o", filepath.Base(path), got, want)
			}
		}
	}
}

func TestReloadGivesSameCA(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, dir)
	second := mustLoad(t, dir)
	if second.Created() {
		t.Error("Created() = true when loading an existing CA")
	}
	if !bytes.Equal(first.PEM(), second.PEM()) {
		t.Fatal("reloading produced a different certificate")
	}
	// A leaf from the reloaded CA verifies against the first one's pool: same key.
	cfg, err := second.TLSConfigForHost("example.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Certificates[0].Leaf.Verify(x509.VerifyOptions{Roots: first.Pool(), DNSName: "example.test"}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name    string
		skip    bool
		prepare func(t *testing.T, dir string)
		want    []string
	}{
		{
			name: "key readable by group and others",
			skip: runtime.GOOS == "windows",
			prepare: func(t *testing.T, dir string) {
				if err := os.Chmod(filepath.Join(dir, KeyFile), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{KeyFile, "0644", "chmod 600"},
		},
		{
			name: "key readable by group",
			skip: runtime.GOOS == "windows",
			prepare: func(t *testing.T, dir string) {
				if err := os.Chmod(filepath.Join(dir, KeyFile), 0o640); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{KeyFile, "chmod 600"},
		},
		{
			name:    "certificate without key",
			prepare: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, KeyFile)) },
			want:    []string{"not its key", KeyFile},
		},
		{
			name:    "key without certificate",
			prepare: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, CertFile)) },
			want:    []string{"not its certificate", CertFile},
		},
		{
			name: "key of another CA",
			prepare: func(t *testing.T, dir string) {
				other := t.TempDir()
				mustLoad(t, other)
				key, err := os.ReadFile(filepath.Join(other, KeyFile))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, KeyFile), key, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"does not belong"},
		},
		{
			name: "garbage certificate",
			prepare: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, CertFile), []byte("hello"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{CertFile, "no PEM"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("no POSIX permissions here")
			}
			dir := t.TempDir()
			mustLoad(t, dir)
			tt.prepare(t, dir)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadNoDir(t *testing.T) {
	if _, err := Load(""); err == nil {
		t.Fatal("Load(\"\") succeeded")
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(EnvDir, "/somewhere/else")
	if d, err := DefaultDir(); err != nil || d != "/somewhere/else" {
		t.Errorf("DefaultDir = %q, %v with %s set", d, err, EnvDir)
	}
	t.Setenv(EnvDir, "")
	if cfg, err := os.UserConfigDir(); err == nil {
		if d, err := DefaultDir(); err != nil || d != filepath.Join(cfg, "gantry") {
			t.Errorf("DefaultDir = %q, %v", d, err)
		}
	}
}

func TestLeafVerifies(t *testing.T) {
	c := mustLoad(t, t.TempDir())
	tests := []struct {
		name   string
		host   string
		verify x509.VerifyOptions
	}{
		{"dns name", "api.example.com", x509.VerifyOptions{DNSName: "api.example.com"}},
		{"dns name with port", "api.example.com:8443", x509.VerifyOptions{DNSName: "api.example.com"}},
		{"upper case", "API.Example.COM", x509.VerifyOptions{DNSName: "api.example.com"}},
		{"ipv4", "127.0.0.1", x509.VerifyOptions{DNSName: "127.0.0.1"}},
		{"ipv4 with port", "127.0.0.1:443", x509.VerifyOptions{DNSName: "127.0.0.1"}},
		{"ipv6 with port", "[::1]:443", x509.VerifyOptions{DNSName: "::1"}},
		{"localhost", "localhost", x509.VerifyOptions{DNSName: "localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := c.TLSConfigForHost(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			leaf := cfg.Certificates[0].Leaf
			tt.verify.Roots = c.Pool()
			tt.verify.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			if _, err := leaf.Verify(tt.verify); err != nil {
				t.Fatal(err)
			}
			if d := time.Until(leaf.NotAfter); d > LeafValidity || d < LeafValidity-time.Minute {
				t.Errorf("leaf valid for %v more, want %v", d, LeafValidity)
			}
			if cfg.MinVersion < tls.VersionTLS12 {
				t.Errorf("MinVersion %x", cfg.MinVersion)
			}
		})
	}
	for _, bad := range []string{"", ":443", "a b", "x/y"} {
		if _, err := c.TLSConfigForHost(bad); err == nil {
			t.Errorf("TLSConfigForHost(%q) succeeded", bad)
		}
	}
}

// TestTLSHandshake serves with the config and checks that a client trusting only the CA
// accepts it, for the configured host and for another name asked through SNI.
func TestTLSHandshake(t *testing.T) {
	c := mustLoad(t, t.TempDir())
	cfg, err := c.TLSConfigForHost("first.test:443")
	if err != nil {
		t.Fatal(err)
	}
	for _, sni := range []string{"first.test", "second.test"} {
		t.Run(sni, func(t *testing.T) {
			server, client := net.Pipe()
			defer client.Close()
			go func() {
				defer server.Close()
				_ = tls.Server(server, cfg).Handshake()
			}()
			conn := tls.Client(client, &tls.Config{ServerName: sni, RootCAs: c.Pool()})
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if err := conn.Handshake(); err != nil {
				t.Fatal(err)
			}
			if got := conn.ConnectionState().PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != sni {
				t.Errorf("served a leaf for %v", got)
			}
		})
	}
}

func TestLeafCacheConcurrent(t *testing.T) {
	c := mustLoad(t, t.TempDir())
	const workers, hosts = 16, 8
	got := make([][]*tls.Certificate, workers)
	var wg sync.WaitGroup
	for w := range workers {
		got[w] = make([]*tls.Certificate, hosts)
		wg.Go(func() {
			for h := range hosts {
				cfg, err := c.TLSConfigForHost(string(rune('a'+h)) + ".test")
				if err != nil {
					t.Error(err)
					return
				}
				got[w][h] = &cfg.Certificates[0]
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for h := range hosts {
		serial := got[0][h].Leaf.SerialNumber
		for w := 1; w < workers; w++ {
			if got[w][h].Leaf.SerialNumber.Cmp(serial) != 0 {
				t.Fatalf("host %d: worker %d got another leaf: issued more than once", h, w)
			}
		}
	}
	if n := c.leaves.ll.Len(); n != hosts {
		t.Errorf("cache holds %d leaves, want %d", n, hosts)
	}
}

func TestLeafCacheBoundedAndRenewed(t *testing.T) {
	c := mustLoad(t, t.TempDir())
	c.leaves.max = 3
	for _, h := range []string{"a.test", "b.test", "c.test", "d.test"} {
		if _, err := c.TLSConfigForHost(h); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.leaves.ll.Len(); n != 3 || c.leaves.items["a.test"] != nil {
		t.Fatalf("cache: %d entries, oldest kept: %v", n, c.leaves.items["a.test"] != nil)
	}

	first, _ := c.leaf("b.test")
	again, _ := c.leaf("b.test")
	if first != again {
		t.Fatal("a fresh cached leaf was not reused")
	}
	c.now = func() time.Time { return time.Now().Add(LeafValidity - time.Hour) }
	renewed, err := c.leaf("b.test")
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first || !renewed.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Fatal("a leaf about to expire was served from the cache")
	}
}

func BenchmarkTLSConfigForHostCached(b *testing.B) {
	c, err := Load(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.TLSConfigForHost("api.example.com:443"); err != nil {
			b.Fatal(err)
		}
	}
}
