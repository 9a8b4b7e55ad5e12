package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestSecretKeyFile: the first start makes sesame.key, mode 0600, beside a
// SQLite database, and later starts read the same; a key file others may
// read, or a --require-second-factor naming no role, stops the start.
func TestSecretKeyFile(t *testing.T) {
	db := tempDB(t)
	s := start(t, testConfig(db))
	s.Close()
	path := filepath.Join(filepath.Dir(db), "sesame.key")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", info, err)
	}
	first, _ := os.ReadFile(path)
	start(t, testConfig(db)).Close()
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Fatal("a second start changed the key")
	}

	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"unknown role", func(c *Config) { c.RequireSecondFactor = []string{"admin", "nosuch"} }, `no role "nosuch"`},
		{"readable key", func(c *Config) {
			c.SecretKeyFile = filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(c.SecretKeyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "chmod 600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tempDB(t))
			tc.change(&cfg)
			s, _ := newServer(cfg)
			err := s.Open(context.Background())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestSecretKeyPath: the key file is --secret-key-file, else sesame.key
// beside a SQLite database; PostgreSQL has no default (every instance must
// be given the same key).
func TestSecretKeyPath(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{DB: "sqlite:/var/lib/sesame/shop.db"}, "/var/lib/sesame/sesame.key"},
		{Config{DB: "sqlite:shop.db"}, "sesame.key"},
		{Config{DB: "postgres://db/sesame"}, ""},
		{Config{DB: "postgres://db/sesame", SecretKeyFile: "/etc/sesame/key"}, "/etc/sesame/key"},
	} {
		if got := tc.cfg.secretKeyPath(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.cfg, got, tc.want)
		}
	}
	c, err := ParseServeFlags([]string{"--require-second-factor", "admin, privileged", "--secret-key-file", "/k"}, func(string) string { return "" }, nil)
	if err != nil || strings.Join(c.RequireSecondFactor, "|") != "admin|privileged" || c.SecretKeyFile != "/k" {
		t.Errorf("flags: %+v, %v", c, err)
	}
}

// TestSecondFactorAcrossInstances: two instances on one database (and so
// one key file) share the second factors: a pending sign-in begun on one
// finishes on the other, and a code accepted by one is refused as a replay
// by the other within its window.
func TestSecondFactorAcrossInstances(t *testing.T) {
	cfg := testConfig(tempDB(t))
	a, b := start(t, cfg), start(t, cfg)
	owner := newBrowser(t)
	owner.login(a, "authorized_user", "password123")
	status, body := owner.do(http.MethodPost, a.url("/api/v1/account/totp"), nil)
	var begun struct{ Secret string }
	if err := json.Unmarshal(body, &begun); status != http.StatusOK || err != nil {
		t.Fatalf("begin: %d %s", status, body)
	}
	code, _ := totp.GenerateCode(begun.Secret, time.Now())
	if status, body := owner.do(http.MethodPost, b.url("/api/v1/account/totp/confirm"), map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("confirm on B: %d %s", status, body)
	}

	passwordStep := func(on *running) *browser {
		t.Helper()
		c := newBrowser(t)
		if status, body := c.do(http.MethodPost, on.url("/api/v1/session"),
			map[string]string{"username": "authorized_user", "password": "password123"}); status != http.StatusOK {
			t.Fatalf("password step: %d %s", status, body)
		}
		return c
	}
	next, _ := totp.GenerateCode(begun.Secret, time.Now().Add(30*time.Second))
	first := passwordStep(a)
	if status, body := first.do(http.MethodPost, b.url("/api/v1/session/second-factor"), map[string]string{"code": next}); status != http.StatusCreated {
		t.Fatalf("password on A, code on B: %d %s", status, body)
	}
	if status := first.me(a); status != http.StatusOK {
		t.Errorf("the session, on A: %d", status)
	}
	replay := passwordStep(b)
	if status, body := replay.do(http.MethodPost, a.url("/api/v1/session/second-factor"), map[string]string{"code": next}); status != http.StatusUnauthorized {
		t.Errorf("the same code again, on A: %d %s; want 401", status, body)
	}
}
