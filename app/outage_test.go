package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesamehq/sesame/internal/testenv"
)

// These tests take a store away from a real server, over real HTTP, and
// check CONTRACT §8: while it is gone, what needs it answers 503
// (unavailable) and /readyz says not ready; nobody is signed in or out by
// mistake; nothing hangs past the store timeout; and once the store is
// back, the same server serves the same sessions without a restart.

// outageTimeout is the store timeout of these servers: short, so that a
// store that hangs costs each request little test time.
const outageTimeout = 500 * time.Millisecond

// down checks that, while a store is down or hung, the signed-in browser b
// is neither let in nor sent to sign in: the API and the pages answer 503,
// each within the store timeout (and a margin), and the probe says not
// ready.
func down(t *testing.T, r *running, b *browser, state string) {
	t.Helper()
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/me"},
		{http.MethodGet, "/api/v1/cart"},
		{http.MethodGet, "/products"},
		{http.MethodGet, "/account/sessions"},
		{http.MethodGet, "/readyz"},
	} {
		start := time.Now()
		status, body := b.do(c.method, r.url(c.path), nil)
		took := time.Since(start)
		if status != http.StatusServiceUnavailable {
			t.Errorf("%s: %s %s = %d, want 503: %.200s", state, c.method, c.path, status, body)
		}
		if strings.HasPrefix(c.path, "/api/") {
			var e struct{ Error struct{ Code string } }
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "unavailable" {
				t.Errorf("%s: %s %s: body %.200s, want the error code unavailable", state, c.method, c.path, body)
			}
		}
		// Two store calls at most before the answer, each bounded.
		if limit := 2*outageTimeout + time.Second; took > limit {
			t.Errorf("%s: %s %s took %v, past %v", state, c.method, c.path, took, limit)
		}
	}
	// A visitor without a session costs no store call: the sign-in page
	// is still served.
	if status, body := newBrowser(t).do(http.MethodGet, r.url("/login"), nil); status != http.StatusOK {
		t.Errorf("%s: GET /login without a session = %d, want 200: %.200s", state, status, body)
	}
	// A sign-in cannot be checked, and is not refused as if the password
	// were wrong.
	status, body := newBrowser(t).do(http.MethodPost, r.url("/api/v1/session"),
		map[string]string{"username": "authorized_user", "password": "password123"})
	if status != http.StatusServiceUnavailable {
		t.Errorf("%s: a sign-in = %d, want 503: %.200s", state, status, body)
	}
}

// up waits until the server serves b's session again, as it was.
func up(t *testing.T, r *running, b *browser, state string) {
	t.Helper()
	eventually(t, state+": the session works again", func() bool { return b.me(r) == http.StatusOK })
	if status, body := b.do(http.MethodGet, r.url("/readyz"), nil); status != http.StatusOK {
		t.Errorf("%s: readyz = %d: %s", state, status, body)
	}
	if status, body := b.do(http.MethodGet, r.url("/products"), nil); status != http.StatusOK {
		t.Errorf("%s: /products = %d: %.200s", state, status, body)
	}
}

// TestRedisOutage: sessions in a Redis of the test's own, which persists
// them as a production server would, frozen (it accepts connections and
// answers nothing) and then killed and started again.
func TestRedisOutage(t *testing.T) {
	srv := testenv.StartRedis(t, testenv.RedisOptions{Persist: true})
	cfg := testConfig(tempDB(t))
	cfg.Sessions = srv.URL() + "?prefix=outage:"
	cfg.StoreTimeout = outageTimeout
	r := start(t, cfg)
	b := newBrowser(t)
	b.login(r, "authorized_user", "password123")

	srv.Signal(syscall.SIGSTOP)
	down(t, r, b, "Redis frozen")
	srv.Signal(syscall.SIGCONT)
	up(t, r, b, "Redis thawed")

	srv.Stop()
	down(t, r, b, "Redis down")
	srv.Start()
	up(t, r, b, "Redis restarted")
}

// TestPostgresOutage: the app data and the sessions in one PostgreSQL
// database, reached through a proxy that the test cuts (the network or the
// server gone) and freezes (the server hung).
func TestPostgresOutage(t *testing.T) {
	url, proxy := testenv.PostgresProxy(t, testenv.Postgres(t))
	cfg := testConfig(tempDB(t))
	cfg.DB = url + "&pool_max_conns=4&pool_min_idle_conns=0"
	cfg.Demo = ptr(true)
	cfg.StoreTimeout = outageTimeout
	r := start(t, cfg)
	b := newBrowser(t)
	b.login(r, "authorized_user", "password123")

	proxy.Cut()
	down(t, r, b, "PostgreSQL cut off")
	proxy.Restore()
	up(t, r, b, "PostgreSQL reachable again")

	proxy.Freeze()
	down(t, r, b, "PostgreSQL frozen")
	proxy.Restore()
	up(t, r, b, "PostgreSQL thawed")
}
