package session_test

import (
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// TestNewRefusesBadConfig: a configuration that cannot work is an error at
// start, not a surprise at the first sign-in.
func TestNewRefusesBadConfig(t *testing.T) {
	store := memstore.New()
	for _, tc := range []struct {
		name string
		cfg  session.Config
	}{
		{"no store", session.Config{}},
		{"negative idle timeout", session.Config{Store: store, IdleTimeout: -time.Second}},
		{"negative lifetime", session.Config{Store: store, Lifetime: -time.Second}},
		{"negative touch interval", session.Config{Store: store, TouchInterval: -time.Second}},
		{"negative renewal interval", session.Config{Store: store, RenewInterval: -time.Minute}},
		{"negative grace", session.Config{Store: store, RenewInterval: time.Minute, RenewGrace: -time.Second}},
		{"negative remembered lifetime", session.Config{Store: store, RememberLifetime: -time.Hour}},
		{"negative session limit", session.Config{Store: store, MaxSessions: -1}},
		{"idle timeout past lifetime", session.Config{Store: store, IdleTimeout: 2 * time.Hour, Lifetime: time.Hour}},
		{"remembered idle past remembered lifetime", session.Config{Store: store, RememberIdleTimeout: 40 * 24 * time.Hour}},
		{"grace as long as the interval", session.Config{Store: store, RenewInterval: time.Minute, RenewGrace: time.Minute}},
		{"__Host- without Secure", session.Config{Store: store, CookieName: "__Host-session"}},
		{"__Secure- without Secure", session.Config{Store: store, CookieName: "__Secure-session"}},
		{"a space in the name", session.Config{Store: store, CookieName: "my session"}},
		{"a semicolon in the name", session.Config{Store: store, CookieName: "a;b"}},
	} {
		if _, err := session.New(tc.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
	for _, tc := range []struct {
		name string
		cfg  session.Config
	}{
		{"defaults", session.Config{Store: store}},
		{"__Host- with Secure", session.Config{Store: store, CookieName: "__Host-session", Secure: true}},
		{"renewal with the default grace", session.Config{Store: store, RenewInterval: 15 * time.Minute}},
		{"idle equal to lifetime", session.Config{Store: store, IdleTimeout: time.Hour, Lifetime: time.Hour}},
	} {
		if _, err := session.New(tc.cfg); err != nil {
			t.Errorf("%s: New refused it: %v", tc.name, err)
		}
	}
}
