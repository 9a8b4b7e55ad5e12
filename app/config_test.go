package app

import (
	"bytes"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// env returns a getenv that reads m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseServeFlags(t *testing.T) {
	// with returns the default configuration changed by fn.
	with := func(fn func(*Config)) Config {
		c := DefaultConfig()
		fn(&c)
		return c
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want Config
	}{
		{"defaults (CONTRACT §1, §6)", nil, nil, Config{
			Addr:             "127.0.0.1:5000",
			DB:               "sqlite:sesame.db",
			Sessions:         "", // the same store as --db
			IdleTimeout:      30 * time.Minute,
			Lifetime:         12 * time.Hour,
			RenewInterval:    15 * time.Minute,
			RenewGrace:       time.Minute,
			MaxSessions:      0, // no limit
			RememberLifetime: 720 * time.Hour,
			RememberIdle:     168 * time.Hour,
			AuditRetention:   2160 * time.Hour,
			Demo:             nil, // true for a new SQLite file, else false
			LogFormat:        "text",
		}},
		{"--tls-cert and --tls-key", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, nil,
			with(func(c *Config) { c.TLSCert, c.TLSKey = "c.pem", "k.pem" })},
		{"--trust-proxy", []string{"--trust-proxy", "10.0.0.0/8,127.0.0.1"}, nil, with(func(c *Config) { c.TrustProxy = "10.0.0.0/8,127.0.0.1" })},
		{"SESAME_TRUST_PROXY", nil, map[string]string{"SESAME_TRUST_PROXY": "192.0.2.0/24"}, with(func(c *Config) { c.TrustProxy = "192.0.2.0/24" })},
		{"--metrics-addr", []string{"--metrics-addr", "127.0.0.1:9100"}, nil, with(func(c *Config) { c.MetricsAddr = "127.0.0.1:9100" })},
		{"--log-format json", []string{"--log-format", "json"}, nil, with(func(c *Config) { c.LogFormat = "json" })},
		{"--audit-retention 0", []string{"--audit-retention", "0"}, nil, with(func(c *Config) { c.AuditRetention = 0 })},
		{"--renew-interval 0", []string{"--renew-interval", "0"}, nil, with(func(c *Config) { c.RenewInterval = 0 })},
		{"--renew-grace", []string{"--renew-grace", "30s"}, nil, with(func(c *Config) { c.RenewGrace = 30 * time.Second })},
		{"--max-sessions", []string{"--max-sessions", "3"}, nil, with(func(c *Config) { c.MaxSessions = 3 })},
		{"--remember-lifetime", []string{"--remember-lifetime", "200h"}, nil, with(func(c *Config) { c.RememberLifetime = 200 * time.Hour })},
		{"--remember-idle-timeout", []string{"--remember-idle-timeout", "24h"}, nil, with(func(c *Config) { c.RememberIdle = 24 * time.Hour })},
		{"SESAME_MAX_SESSIONS", nil, map[string]string{"SESAME_MAX_SESSIONS": "5"}, with(func(c *Config) { c.MaxSessions = 5 })},
		{"--addr", []string{"--addr", "0.0.0.0:8080"}, nil, with(func(c *Config) { c.Addr = "0.0.0.0:8080" })},
		{"-addr=", []string{"-addr=:0"}, nil, with(func(c *Config) { c.Addr = ":0" })},
		{"--db", []string{"--db", "sqlite:/var/lib/sesame/app.db"}, nil, with(func(c *Config) { c.DB = "sqlite:/var/lib/sesame/app.db" })},
		{"--sessions sqlite", []string{"--sessions", "sqlite:sessions.db"}, nil, with(func(c *Config) { c.Sessions = "sqlite:sessions.db" })},
		{"--sessions memory", []string{"--sessions", "memory"}, nil, with(func(c *Config) { c.Sessions = "memory" })},
		{"--db postgres", []string{"--db", "postgres://sesame@db.internal/sesame"}, nil,
			with(func(c *Config) { c.DB = "postgres://sesame@db.internal/sesame" })},
		{"--db postgresql", []string{"--db", "postgresql://db/sesame?sslmode=verify-full"}, nil,
			with(func(c *Config) { c.DB = "postgresql://db/sesame?sslmode=verify-full" })},
		{"--sessions postgres", []string{"--sessions", "postgres://db/sessions"}, nil,
			with(func(c *Config) { c.Sessions = "postgres://db/sessions" })},
		{"--sessions redis", []string{"--sessions", "redis://cache:6379/0?prefix=shop:"}, nil,
			with(func(c *Config) { c.Sessions = "redis://cache:6379/0?prefix=shop:" })},
		{"--sessions rediss", []string{"--sessions", "rediss://:pw@cache:6380/1"}, nil,
			with(func(c *Config) { c.Sessions = "rediss://:pw@cache:6380/1" })},
		{"SESAME_DB postgres", nil, map[string]string{"SESAME_DB": "postgres://db/sesame"},
			with(func(c *Config) { c.DB = "postgres://db/sesame" })},
		{"--idle-timeout", []string{"--idle-timeout", "10m"}, nil, with(func(c *Config) { c.IdleTimeout = 10 * time.Minute })},
		{"--lifetime", []string{"--lifetime", "1h30m"}, nil, with(func(c *Config) { c.Lifetime = 90 * time.Minute })},
		{"--demo", []string{"--demo"}, nil, with(func(c *Config) { c.Demo = ptr(true) })},
		{"--demo=false", []string{"--demo=false"}, nil, with(func(c *Config) { c.Demo = ptr(false) })},
		{"--allow-demo-on-network", []string{"--allow-demo-on-network"}, nil, with(func(c *Config) { c.AllowDemoOnNetwork = true })},
		{"every flag at once", []string{
			"--addr", "[::1]:9000", "--db", "sqlite:a.db", "--sessions", "sqlite:b.db", "--idle-timeout", "5m",
			"--lifetime", "2h", "--demo=true", "--allow-demo-on-network",
		}, nil, with(func(c *Config) {
			c.Addr, c.DB, c.Sessions, c.IdleTimeout = "[::1]:9000", "sqlite:a.db", "sqlite:b.db", 5*time.Minute
			c.Lifetime, c.Demo, c.AllowDemoOnNetwork = 2*time.Hour, ptr(true), true
		})},

		{"SESAME_ADDR", nil, map[string]string{"SESAME_ADDR": "127.0.0.1:7000"}, with(func(c *Config) { c.Addr = "127.0.0.1:7000" })},
		{"SESAME_DB", nil, map[string]string{"SESAME_DB": "sqlite:env.db"}, with(func(c *Config) { c.DB = "sqlite:env.db" })},
		{"SESAME_SESSIONS", nil, map[string]string{"SESAME_SESSIONS": "memory"}, with(func(c *Config) { c.Sessions = "memory" })},
		{"SESAME_IDLE_TIMEOUT", nil, map[string]string{"SESAME_IDLE_TIMEOUT": "45s"}, with(func(c *Config) { c.IdleTimeout = 45 * time.Second })},
		{"SESAME_LIFETIME", nil, map[string]string{"SESAME_LIFETIME": "24h"}, with(func(c *Config) { c.Lifetime = 24 * time.Hour })},
		{"SESAME_DEMO", nil, map[string]string{"SESAME_DEMO": "false"}, with(func(c *Config) { c.Demo = ptr(false) })},
		{"SESAME_ALLOW_DEMO_ON_NETWORK", nil, map[string]string{"SESAME_ALLOW_DEMO_ON_NETWORK": "true"}, with(func(c *Config) { c.AllowDemoOnNetwork = true })},
		{"an empty variable is unset", nil, map[string]string{"SESAME_ADDR": "", "SESAME_DEMO": ""}, DefaultConfig()},

		{"flag wins over env", []string{"--addr", "127.0.0.1:1", "--idle-timeout", "1m", "--demo=false"}, map[string]string{
			"SESAME_ADDR": "127.0.0.1:2", "SESAME_IDLE_TIMEOUT": "2m", "SESAME_DEMO": "true", "SESAME_LIFETIME": "3h",
		}, with(func(c *Config) {
			c.Addr, c.IdleTimeout, c.Demo, c.Lifetime = "127.0.0.1:1", time.Minute, ptr(false), 3*time.Hour
		})},
		{"a flag hides a bad variable", []string{"--idle-timeout", "1m"}, map[string]string{"SESAME_IDLE_TIMEOUT": "soon"},
			with(func(c *Config) { c.IdleTimeout = time.Minute })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := ParseServeFlags(tt.args, env(tt.env), &out)
			if err != nil {
				t.Fatalf("error: %v (output %q)", err, out.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v (demo %v)\nwant %+v (demo %v)", got, deref(got.Demo), tt.want, deref(tt.want.Demo))
			}
		})
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestParseServeFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// want are fragments of the error message, or of what the flag
		// package printed (it reports its own errors, then usage).
		want []string
	}{
		{"bad duration", []string{"--idle-timeout", "soon"}, nil, []string{`invalid value "soon"`, "idle-timeout"}},
		{"duration without unit", []string{"--lifetime", "12"}, nil, []string{`invalid value "12"`, "lifetime"}},
		{"zero idle timeout", []string{"--idle-timeout", "0s"}, nil, []string{"--idle-timeout", "positive"}},
		{"negative lifetime", []string{"--lifetime", "-1h"}, nil, []string{"--lifetime", "positive"}},
		{"redis cannot keep the app data", []string{"--db", "redis://localhost:6379"}, nil,
			[]string{"--db", "Redis", "cannot be used here", "sqlite:PATH or postgres://"}},
		{"memory cannot keep the app data", []string{"--db", "memory"}, nil, []string{"--db", "memory", "cannot be used here"}},
		{"db without scheme", []string{"--db", "foo"}, nil, []string{"--db", `"foo"`, "sqlite:PATH", "postgres://"}},
		{"db with an empty path", []string{"--db", "sqlite:"}, nil, []string{"--db", "empty"}},
		{"addr without port", []string{"--addr", "localhost"}, nil, []string{"--addr", `"localhost"`, "missing port"}},
		{"empty addr", []string{"--addr", ""}, nil, []string{"--addr"}},
		{"stray argument", []string{"--addr", "127.0.0.1:1", "extra"}, nil, []string{`unexpected argument "extra"`}},
		{"--demo takes no separate value", []string{"--demo", "false"}, nil, []string{`unexpected argument "false"`}},
		{"bad --demo", []string{"--demo=maybe"}, nil, []string{`invalid boolean value "maybe"`, "demo"}},
		{"unknown flag", []string{"--port", "5000"}, nil, []string{"flag provided but not defined: -port", "Usage:"}},
		{"bad SESAME_DEMO", nil, map[string]string{"SESAME_DEMO": "maybe"}, []string{"SESAME_DEMO", `"maybe"`, "true or false"}},
		{"bad SESAME_IDLE_TIMEOUT", nil, map[string]string{"SESAME_IDLE_TIMEOUT": "soon"}, []string{"SESAME_IDLE_TIMEOUT", `"soon"`}},
		{"bad SESAME_ALLOW_DEMO_ON_NETWORK", nil, map[string]string{"SESAME_ALLOW_DEMO_ON_NETWORK": "yes please"}, []string{"SESAME_ALLOW_DEMO_ON_NETWORK"}},
		{"negative SESAME_LIFETIME", nil, map[string]string{"SESAME_LIFETIME": "-5m"}, []string{"--lifetime", "positive"}},
		{"SESAME_DB redis", nil, map[string]string{"SESAME_DB": "rediss://cache/0"}, []string{"--db", "Redis", "cannot be used here"}},
		{"SESAME_ADDR without port", nil, map[string]string{"SESAME_ADDR": "0.0.0.0"}, []string{"--addr", "missing port"}},
		{"idle timeout past the lifetime", []string{"--idle-timeout", "13h"}, nil, []string{"--idle-timeout", "--lifetime", "longer"}},
		{"remembered idle past the remembered lifetime", []string{"--remember-idle-timeout", "800h"}, nil, []string{"--remember-idle-timeout", "longer"}},
		{"negative renewal", []string{"--renew-interval", "-1m"}, nil, []string{"--renew-interval", "negative"}},
		{"negative session limit", []string{"--max-sessions", "-1"}, nil, []string{"--max-sessions", "negative"}},
		{"grace as long as the interval", []string{"--renew-interval", "1m", "--renew-grace", "1m"}, nil, []string{"--renew-grace", "shorter"}},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, []string{"--tls-cert", "--tls-key", "both"}},
		{"key without cert", []string{"--tls-key", "k.pem"}, nil, []string{"--tls-cert", "--tls-key", "both"}},
		{"bad --trust-proxy", []string{"--trust-proxy", "10.0.0.0/8,nginx"}, nil, []string{"--trust-proxy", `"nginx"`, "CIDR"}},
		{"--metrics-addr without port", []string{"--metrics-addr", "localhost"}, nil, []string{"--metrics-addr", "missing port"}},
		{"--metrics-addr is --addr", []string{"--addr", "127.0.0.1:7000", "--metrics-addr", "127.0.0.1:7000"}, nil, []string{"--metrics-addr", "own"}},
		{"bad --log-format", []string{"--log-format", "xml"}, nil, []string{"--log-format", `"xml"`, "text or json"}},
		{"sessions bogus", []string{"--sessions", "bogus"}, nil, []string{"--sessions", "sqlite:PATH", "postgres://", "redis://", "memory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := ParseServeFlags(tt.args, env(tt.env), &out)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, flag.ErrHelp) {
				t.Fatalf("error is ErrHelp: %v", err)
			}
			msg := err.Error() + "\n" + out.String()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message does not say %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestParseServeFlagsHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		t.Run(arg, func(t *testing.T) {
			var out bytes.Buffer
			_, err := ParseServeFlags([]string{arg}, env(nil), &out)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("error %v, want flag.ErrHelp", err)
			}
			for _, w := range []string{"Usage: sesame", "SESAME_", "-addr", "-db", "-sessions", "-idle-timeout", "-lifetime", "-demo", "-allow-demo-on-network",
				"--tls-cert", "--tls-key", "--trust-proxy", "--metrics-addr", "--log-format"} {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help does not mention %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"127.0.0.1:0", true},
		{"127.1.2.3:80", true},
		{"localhost:5000", true},
		{"[::1]:5000", true},
		{"0.0.0.0:5000", false},
		{":5000", false},
		{":0", false},
		{"[::]:5000", false},
		{"192.0.2.1:5000", false},
		{"[2001:db8::1]:5000", false},
		{"example.com:5000", false},
		{"localhost.example.com:5000", false},
		{"localhost", false}, // no port: not an address it can listen on
	}
	for _, tt := range tests {
		if got := loopback(tt.addr); got != tt.want {
			t.Errorf("loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
