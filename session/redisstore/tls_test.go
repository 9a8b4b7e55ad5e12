package redisstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session/redisstore"
)

// TestTLS: a rediss:// URL, read by redis.ParseURL, speaks TLS and
// verifies the server's certificate: the store works with the CA that
// signed it, and a client that does not trust it cannot connect.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certificate(t, nil, nil, "test CA")
	cert, key := certificate(t, ca, caKey, "127.0.0.1")
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", cert.Raw)
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "key.pem"), "EC PRIVATE KEY", der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	srv := testenv.StartRedis(t, testenv.RedisOptions{
		TLS: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"},
		Args: []string{"--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"),
			"--tls-ca-cert-file", filepath.Join(dir, "ca.pem"), "--tls-auth-clients", "no"},
	})
	url := srv.URL()

	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.TLSConfig.RootCAs = roots
	client := redis.NewClient(opts)
	defer client.Close()
	s, err := redisstore.New(client, redisstore.Options{Prefix: "tls:"})
	if err != nil {
		t.Fatal(err)
	}
	r := record("u")
	create(t, s, r)
	if got, err := s.Get(t.Context(), r.Hash); err != nil || got.ID != r.ID {
		t.Fatalf("Get over TLS = %v, %v", got.ID, err)
	}

	// The system's roots do not include the test CA.
	opts, err = redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries, opts.DialerRetries = -1, 1
	untrusting := redis.NewClient(opts)
	defer untrusting.Close()
	var unverified *tls.CertificateVerificationError
	if err := untrusting.Ping(t.Context()).Err(); !errors.As(err, &unverified) {
		t.Errorf("a client that does not trust the server's CA: %v, want a certificate verification error", err)
	}
	plain := newClient(t, fmt.Sprintf("redis://127.0.0.1:%d/0?max_retries=-1&read_timeout=1s", srv.Port()))
	if err := plain.Ping(t.Context()).Err(); err == nil {
		t.Error("a plain-text client got an answer from the TLS port")
	}
}

// certificate returns a certificate for name, signed by parent, or a CA
// certificate signing itself when parent is nil.
func certificate(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP(name)}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
