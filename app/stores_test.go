package app

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/sesamehq/sesame/internal/testenv"
)

// storeChoice is a pair of --db and --sessions over the networked stores.
type storeChoice struct {
	name         string
	db, sessions func(t *testing.T) string
}

// pgURL returns a PostgreSQL schema of t's own, with a small pool: the
// tests run servers in parallel on one test database.
func pgURL(t *testing.T) string {
	return testenv.Postgres(t) + "&pool_max_conns=4&pool_min_idle_conns=0"
}

// redisURL returns the test Redis with a key prefix of t's own.
func redisURL(t *testing.T) string {
	url, prefix := testenv.Redis(t)
	return url + "?prefix=" + prefix
}

var storeChoices = []storeChoice{
	{"PostgreSQL, sessions in the same pool", pgURL, func(*testing.T) string { return "" }},
	{"PostgreSQL, sessions in Redis", pgURL, redisURL},
	{"PostgreSQL, sessions in another PostgreSQL schema", pgURL, pgURL},
	{"SQLite, sessions in Redis", func(t *testing.T) string { return "sqlite:" + tempDB(t) }, redisURL},
}

// TestStoreChoices: CONTRACT §8 on each choice of networked stores, with
// two instances on the same stores and the command line beside them. A
// session made on one works on the other; a cart filled on one is seen on
// the other; a logout, a revocation by the command line and a role change
// by it are seen by both on the next request; a restarted instance keeps
// its sessions; sesame migrate works on the same stores.
func TestStoreChoices(t *testing.T) {
	for _, sc := range storeChoices {
		t.Run(sc.name, func(t *testing.T) {
			cfg := testConfig("")
			cfg.DB, cfg.Sessions = sc.db(t), sc.sessions(t)
			cfg.Demo = ptr(true) // an empty PostgreSQL database is not a new SQLite file
			flags := []string{"--db", cfg.DB, "--sessions", cfg.Sessions}
			a, b := start(t, cfg), start(t, cfg)

			if out := mustCLI(t, "", append([]string{"migrate"}, flags...)...); !regexp.MustCompile(`^schema version \d+\n$`).MatchString(out) {
				t.Errorf("migrate printed %q", out)
			}

			user := newBrowser(t)
			user.login(a, "authorized_user", "password123")
			if status := user.me(b); status != http.StatusOK {
				t.Fatalf("a session made on A, on B: status %d, want 200", status)
			}
			product := user.firstProduct(b)
			user.addToCart(b, product, 1)
			if got := user.cart(a); len(got) != 1 || got[0].ProductID != product {
				t.Errorf("cart filled on B, seen on A: %+v", got)
			}
			copyHolder := withCookies(t, user.cookies())
			if status, body := user.do(http.MethodDelete, b.url("/api/v1/session"), nil); status != http.StatusNoContent {
				t.Fatalf("logout on B: status %d: %s", status, body)
			}
			if status := copyHolder.me(a); status != http.StatusUnauthorized {
				t.Errorf("logged out on B, on A: status %d, want 401", status)
			}

			user.login(b, "authorized_user", "password123")
			mustCLI(t, "", append([]string{"sessions", "revoke", "--user", "authorized_user"}, flags...)...)
			for _, r := range []*running{a, b} {
				if status := user.me(r); status != http.StatusUnauthorized {
					t.Errorf("revoked by the command line: status %d, want 401", status)
				}
			}

			other := newBrowser(t)
			other.login(a, "unauthorized_user", "password123")
			if status, _ := other.do(http.MethodPost, b.url("/api/v1/checkout"), nil); status != http.StatusForbidden {
				t.Errorf("checkout without the permission: status %d, want 403", status)
			}
			mustCLI(t, "", append([]string{"user", "role", "unauthorized_user", "customer,privileged"}, flags...)...)
			if status := other.me(b); status != http.StatusUnauthorized {
				t.Errorf("after a role change by the command line: status %d, want 401", status)
			}
			other.login(b, "unauthorized_user", "password123")
			other.addToCart(a, product, 1)
			if status, body := other.do(http.MethodPost, a.url("/api/v1/checkout"), nil); status != http.StatusCreated {
				t.Errorf("checkout with the new role: status %d, want 201: %s", status, body)
			}

			a.stop(t)
			restarted := start(t, cfg)
			if status := other.me(restarted); status != http.StatusOK {
				t.Errorf("after a restart: status %d, want still signed in", status)
			}
		})
	}
}

// TestThrottleAcrossInstances: CONTRACT §6 and §8, login throttling counts
// across instances exactly as on one: a name's sixth wrong password, on
// whichever instance, is refused with 429; and of 25 wrong passwords sent
// at once from one address to three instances, exactly 20 are checked
// (401) and the rest refused (429), the 5 before them included.
func TestThrottleAcrossInstances(t *testing.T) {
	cfg := testConfig("")
	cfg.DB, cfg.Demo = pgURL(t), ptr(true)
	rs := []*running{start(t, cfg), start(t, cfg), start(t, cfg)}
	login := func(r *running, username, password string) int {
		status, _ := newBrowser(t).do(http.MethodPost, r.url("/api/v1/session"),
			map[string]string{"username": username, "password": password})
		return status
	}
	for i := range 5 {
		if status := login(rs[i%3], "authorized_user", "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d, want 401", i+1, status)
		}
	}
	for i, r := range rs {
		if status := login(r, "authorized_user", "password123"); status != http.StatusTooManyRequests {
			t.Errorf("after 5 failures, the right password on instance %d: status %d, want 429", i+1, status)
		}
	}

	statuses := make(chan int, 25)
	var wg sync.WaitGroup
	for i := range cap(statuses) {
		wg.Go(func() { statuses <- login(rs[i%3], fmt.Sprintf("nobody%d", i), "wrong password") })
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != 15 || count[http.StatusTooManyRequests] != 10 {
		t.Errorf("25 wrong passwords at once over 3 instances, after 5: %v; want 15 × 401 and 10 × 429", count)
	}
}
