package app

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// siteURL is where the test browsers' cookies live: every test server is on
// 127.0.0.1, and cookies do not depend on the port.
var siteURL = &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/"}

// cookies returns the browser's cookies, to replay them later.
func (b *browser) cookies() []*http.Cookie { return b.c.Jar.Cookies(siteURL) }

// withCookies returns a new browser that sends cookies, as someone holding a
// copy of an old session cookie would.
func withCookies(t *testing.T, cookies []*http.Cookie) *browser {
	t.Helper()
	b := newBrowser(t)
	b.c.Jar.SetCookies(siteURL, cookies)
	return b
}

// firstProduct returns the id of a product of the catalogue on r.
func (b *browser) firstProduct(r *running) int64 {
	b.t.Helper()
	status, body := b.do(http.MethodGet, r.url("/api/v1/products"), nil)
	var list struct{ Products []struct{ ID int64 } }
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil || len(list.Products) == 0 {
		b.t.Fatalf("products: status %d, %v: %s", status, err, body)
	}
	return list.Products[0].ID
}

// addToCart puts quantity of product id into the cart through r.
func (b *browser) addToCart(r *running, id int64, quantity int) {
	b.t.Helper()
	status, body := b.do(http.MethodPost, r.url("/api/v1/cart/items"), map[string]any{"product_id": id, "quantity": quantity})
	if status != http.StatusOK {
		b.t.Fatalf("add to cart: status %d: %s", status, body)
	}
}

// TestRestart: CONTRACT §6, sessions and carts survive a restart of the
// server, the memory session store aside (its sessions die, carts do not).
func TestRestart(t *testing.T) {
	tests := []struct {
		name         string
		sessions     func(dir string) string
		wantSignedIn bool
	}{
		{"sessions in the app database", func(string) string { return "" }, true},
		{"sessions in a file of their own", func(dir string) string { return "sqlite:" + filepath.Join(dir, "sessions.db") }, true},
		{"sessions in memory", func(string) string { return "memory" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(filepath.Join(dir, "sesame.db"))
			cfg.Sessions = tt.sessions(dir)

			first := start(t, cfg)
			b := newBrowser(t)
			b.login(first, "authorized_user", "password123")
			product := b.firstProduct(first)
			b.addToCart(first, product, 2)
			first.stop(t)

			second := start(t, cfg)
			if status := b.me(second); (status == http.StatusOK) != tt.wantSignedIn {
				t.Fatalf("after the restart, /api/v1/me answers %d; want signed in: %v", status, tt.wantSignedIn)
			}
			if !tt.wantSignedIn {
				b.login(second, "authorized_user", "password123")
			}
			want := []cartItem{{ProductID: product, Quantity: 2}}
			if got := b.cart(second); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("cart after the restart: %+v, want %+v", got, want)
			}
		})
	}
}

// TestTwoInstances: CONTRACT §6, several processes on one database agree at
// once. A session made on one instance works on the other; ended on one, it
// is dead on both on the very next request.
func TestTwoInstances(t *testing.T) {
	tests := []struct {
		name string
		end  func(t *testing.T, victim *browser, on *running) // ends victim's session through on
	}{
		{"DELETE /api/v1/session", func(t *testing.T, victim *browser, on *running) {
			if status, body := victim.do(http.MethodDelete, on.url("/api/v1/session"), nil); status != http.StatusNoContent {
				t.Fatalf("api logout: status %d: %s", status, body)
			}
		}},
		{"POST /logout", func(t *testing.T, victim *browser, on *running) {
			if status, body := victim.do(http.MethodPost, on.url("/logout"), ""); status != http.StatusSeeOther {
				t.Fatalf("logout: status %d: %s", status, body)
			}
		}},
		{"revoked from another session", func(t *testing.T, victim *browser, on *running) {
			other := newBrowser(t)
			other.login(on, "authorized_user", "password123")
			status, body := other.do(http.MethodGet, on.url("/api/v1/sessions"), nil)
			var list struct {
				Sessions []struct {
					ID      string `json:"id"`
					Current bool   `json:"current"`
				}
			}
			if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil || len(list.Sessions) != 2 {
				t.Fatalf("sessions: status %d, %v: %s", status, err, body)
			}
			for _, s := range list.Sessions {
				if !s.Current {
					if status, body := other.do(http.MethodDelete, on.url("/api/v1/sessions/"+s.ID), nil); status != http.StatusNoContent {
						t.Fatalf("revoke: status %d: %s", status, body)
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tempDB(t))
			a := start(t, cfg)
			b := start(t, cfg)

			user := newBrowser(t)
			user.login(a, "authorized_user", "password123")
			if status := user.me(b); status != http.StatusOK {
				t.Fatalf("a session made on A, on B: status %d, want 200", status)
			}
			product := user.firstProduct(a)
			user.addToCart(b, product, 1)
			if got := user.cart(a); len(got) != 1 || got[0].ProductID != product {
				t.Errorf("cart filled on B, seen on A: %+v", got)
			}

			copyHolder := withCookies(t, user.cookies())
			if status := copyHolder.me(a); status != http.StatusOK {
				t.Fatalf("a copy of the session cookie, before the end: status %d, want 200", status)
			}
			tt.end(t, user, b)
			if status := copyHolder.me(a); status != http.StatusUnauthorized {
				t.Errorf("the session ended on B, on A: status %d, want 401", status)
			}
			if status := copyHolder.me(b); status != http.StatusUnauthorized {
				t.Errorf("the session ended on B, on B: status %d, want 401", status)
			}
		})
	}
}

// TestPasswordChangeTwoInstances: CONTRACT §6, a password change takes
// effect on every instance at once. The user changes it on B: their session
// on A answers as signed out at its next request, on either instance, and so
// does the old cookie of the session that made the change; that session
// carries on, on both instances, with the new cookie B gave it.
func TestPasswordChangeTwoInstances(t *testing.T) {
	const newPassword = "correct horse battery"
	cfg := testConfig(tempDB(t))
	a := start(t, cfg)
	b := start(t, cfg)

	onA := newBrowser(t)
	onA.login(a, "authorized_user", "password123")
	changer := newBrowser(t)
	changer.login(b, "authorized_user", "password123")
	before := withCookies(t, changer.cookies())
	for _, r := range []*running{a, b} {
		if status := onA.me(r); status != http.StatusOK {
			t.Fatalf("the session made on A, before the change: status %d, want 200", status)
		}
	}

	form := url.Values{"current_password": {"password123"}, "new_password": {newPassword}}.Encode()
	if status, body := changer.do(http.MethodPost, b.url("/account/password"), form); status != http.StatusSeeOther {
		t.Fatalf("change the password on B: status %d, want 303: %s", status, body)
	}
	if fmt.Sprint(changer.cookies()) == fmt.Sprint(before.cookies()) {
		t.Fatal("the change did not give its session a new cookie")
	}

	for _, on := range []struct {
		name string
		r    *running
	}{{"A", a}, {"B", b}} {
		if status := onA.me(on.r); status != http.StatusUnauthorized {
			t.Errorf("the other session, on %s after the change: status %d, want 401", on.name, status)
		}
		if status := before.me(on.r); status != http.StatusUnauthorized {
			t.Errorf("the old cookie of the changing session, on %s: status %d, want 401", on.name, status)
		}
		if status := changer.me(on.r); status != http.StatusOK {
			t.Errorf("the changing session with its new cookie, on %s: status %d, want 200", on.name, status)
		}
	}
	if status := handlerLogin(t, a.Server, "authorized_user", "password123"); status != http.StatusUnauthorized {
		t.Errorf("the old password on A: status %d, want 401", status)
	}
	if status := handlerLogin(t, a.Server, "authorized_user", newPassword); status != http.StatusCreated {
		t.Errorf("the new password on A: status %d, want 201", status)
	}
}

// TestSessionsFile: --sessions sqlite:OTHER keeps the sessions in OTHER and
// nowhere else; without it they live in the app database.
func TestSessionsFile(t *testing.T) {
	tests := []struct {
		name              string
		separate          bool
		wantApp, wantSess int // session rows after one login
	}{
		{"--sessions sqlite:OTHER", true, 0, 1},
		{"--sessions unset", false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			appDB, sessDB := filepath.Join(dir, "sesame.db"), filepath.Join(dir, "sessions.db")
			cfg := testConfig(appDB)
			if tt.separate {
				cfg.Sessions = "sqlite:" + sessDB
			}
			r := start(t, cfg)
			b := newBrowser(t)
			b.login(r, "unauthorized_user", "password123")
			if status := b.me(r); status != http.StatusOK {
				t.Fatalf("me: status %d", status)
			}
			if got := countSessions(t, appDB); got != tt.wantApp {
				t.Errorf("%d sessions in the app database, want %d", got, tt.wantApp)
			}
			if got := countSessions(t, sessDB); got != tt.wantSess {
				t.Errorf("%d sessions in the sessions file, want %d", got, tt.wantSess)
			}
		})
	}
}

// countSessions returns the number of rows in the table sessions of the
// SQLite file path: 0 when there is no such file or table.
func countSessions(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables, n int
	err = db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sessions'`).Scan(&tables)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if tables == 0 {
		return 0
	}
	if err := db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}
