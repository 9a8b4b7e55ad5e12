package app

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert writes a self-signed certificate for localhost and 127.0.0.1,
// made for this test only, and its key into dir, and returns their paths
// and a pool that trusts it.
func testCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// raw sends one request with the given headers (key, value, …) and JSON
// body (nil for none) through client, following no redirect and keeping
// no cookie: the test reads every Set-Cookie itself.
func raw(t *testing.T, client *http.Client, method, url string, body any, kv ...string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Add(kv[i], kv[i+1])
	}
	res, err := client.Transport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

var demoLogin = map[string]string{"username": "authorized_user", "password": "password123"}

// TestTLS: --tls-cert/--tls-key serve HTTPS only, TLS 1.2 and later, with
// the __Host- cookie, Secure, and HSTS (CONTRACT §7).
func TestTLS(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig(tempDB(t))
	certFile, keyFile, pool := testCert(t, t.TempDir())
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	r := start(t, cfg, func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	url := "https://" + r.Addr()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

	res := raw(t, client, "POST", url+"/api/v1/session", demoLogin)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("login over TLS: %d", res.StatusCode)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security %q", got)
	}
	cookies := res.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-sesame_session" || !cookies[0].Secure || cookies[0].Path != "/" || cookies[0].Domain != "" {
		t.Fatalf("cookies over TLS %v; want one __Host-sesame_session, Secure, Path=/, no Domain", cookies)
	}
	me := raw(t, client, "GET", url+"/api/v1/me", nil, "Cookie", cookies[0].Name+"="+cookies[0].Value)
	if me.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/me with the __Host- cookie: %d", me.StatusCode)
	}
	if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Errorf("connection state %+v", res.TLS)
	}

	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		conn, err := tls.Dial("tcp", r.Addr(), &tls.Config{RootCAs: pool, MinVersion: v, MaxVersion: v}) // #nosec G402 -- the test checks the server refuses old versions
		if err == nil {
			conn.Close()
			t.Errorf("a TLS %x handshake succeeded", v)
		}
	}
	plain := raw(t, &http.Client{Transport: &http.Transport{}}, "GET", "http://"+r.Addr()+"/healthz", nil)
	if plain.StatusCode == http.StatusOK {
		t.Errorf("plain HTTP on the TLS port answered 200")
	}
	if !strings.Contains(logs.String(), "url=https://127.0.0.1:") {
		t.Errorf("the log does not give the https URL:\n%s", logs.String())
	}
}

// TestTLSBadKeyChangesNothing: a certificate that cannot be loaded fails
// the start before the database is created or the admin password printed.
func TestTLSBadKeyChangesNothing(t *testing.T) {
	dir := t.TempDir()
	certFile, _, _ := testCert(t, dir)
	_, otherKey, _ := testCert(t, t.TempDir()) // a key of another certificate
	for name, key := range map[string]string{"missing": filepath.Join(dir, "none.pem"), "mismatched": otherKey} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(tempDB(t))
			cfg.TLSCert, cfg.TLSKey = certFile, key
			s, stdout := newServer(cfg)
			err := s.Open(t.Context())
			s.Close()
			if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
				t.Fatalf("Open = %v; want an error naming --tls-cert", err)
			}
			path := strings.TrimPrefix(cfg.DB, "sqlite:")
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the database was created (%v)", err)
			}
			if stdout.Len() > 0 {
				t.Errorf("printed %q", stdout)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:0", "http://127.0.0.1:" + port + "/"},
		{"0.0.0.0:5056", "http://localhost:" + port + "/"},
		{"[::]:5056", "http://localhost:" + port + "/"},
		{":5056", "http://localhost:" + port + "/"},
		{"localhost:5000", "http://localhost:" + port + "/"},
		{"[::1]:5000", "http://[::1]:" + port + "/"},
	} {
		if got := publicURL("http", tc.addr, l); got != tc.want {
			t.Errorf("publicURL(%q) = %q; want %q", tc.addr, got, tc.want)
		}
	}
}

// TestNoUsersHint: a start on a database without users says how to make
// the first one.
func TestNoUsersHint(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig(tempDB(t))
	no := false
	cfg.Demo = &no
	openServer(t, cfg, func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	if !strings.Contains(logs.String(), "sesame user add") {
		t.Errorf("no hint to create a user:\n%s", logs.String())
	}
	var seeded syncBuffer
	openServer(t, testConfig(tempDB(t)), func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&seeded, nil)) })
	if strings.Contains(seeded.String(), "sesame user add") {
		t.Errorf("a hint though there are users:\n%s", seeded.String())
	}
}
