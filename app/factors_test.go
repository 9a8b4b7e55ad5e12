package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
