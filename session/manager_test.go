package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

func TestLoginCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		hs := newHarness(t, session.Config{Secure: secure})
		c := sessionCookie(t, hs.do("POST", "/login", ""))
		if c == nil {
			t.Fatal("no cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure != secure {
			t.Errorf("cookie attributes = %+v; want HttpOnly, SameSite=Lax, Path=/, no Domain, Secure=%v", c, secure)
		}
		raw, err := base64.RawURLEncoding.DecodeString(c.Value)
		if err != nil || len(raw) != 32 {
			t.Errorf("token %q is not 256 bits of base64url: %v", c.Value, err)
		}
		if got := hs.who(c.Value); got != "alice" {
			t.Errorf("after login: %q, want alice", got)
		}
	}
}

// TestStoreKeepsOnlyHash shows that the token never reaches the store: what
// it keeps is the SHA-256 of the token, and the public id is unrelated.
func TestStoreKeepsOnlyHash(t *testing.T) {
	hs := newHarness(t, session.Config{})
	token := hs.login()
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	rec, err := hs.store.Get(context.Background(), sha256.Sum256(raw))
	if err != nil {
		t.Fatalf("store has no record under the token's hash: %v", err)
	}
	if rec.ID == token || strings.Contains(rec.ID, token[:10]) {
		t.Errorf("public id %q is derived from the token", rec.ID)
	}
	if got := hs.who(rec.ID); got != "anonymous" {
		t.Errorf("the public id authenticated as %q", got)
	}
	if rec.IP != "192.0.2.7" || rec.UserAgent != "test-agent" {
		t.Errorf("client recorded as %q %q", rec.IP, rec.UserAgent)
	}
}

// TestBadCookies: a cookie that is not a live token authenticates nobody. A
// malformed one is cleared; a well-formed one the store does not know is
// left alone (see TestRenewRace).
func TestBadCookies(t *testing.T) {
	hs := newHarness(t, session.Config{})
	token := hs.login()
	// Another character of the alphabet at one place: still well-formed.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	flipped := []byte(token)
	flipped[5] = alphabet[(strings.IndexByte(alphabet, flipped[5])+1)%len(alphabet)]
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, tt := range []struct {
		name, value string
		cleared     bool
	}{
		{"tampered", string(flipped), false},
		{"unknown", unknown, false},
		{"truncated", token[:42], true},
		{"extended", token + "A", true},
		{"not base64", strings.Repeat("!", 43), true},
		{"non-canonical", nonCanonical(token), true},
		{"huge", strings.Repeat("a", 4000), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sessionCookie(t, hs.do("GET", "/", tt.value))
			if cleared := c != nil && c.MaxAge < 0; cleared != tt.cleared {
				t.Errorf("cookie cleared = %v, want %v (%+v)", cleared, tt.cleared, c)
			}
			if got := hs.who(tt.value); got != "anonymous" {
				t.Errorf("got %q, want anonymous", got)
			}
		})
	}
	if got := hs.who(token); got != "alice" {
		t.Errorf("the genuine token stopped working: %q", got)
	}
}

// TestShadowedCookie: a request with two session cookies (one planted by
// another service on the host, say, to shadow the real one) uses neither,
// in either order, and drops neither: each alone still works.
func TestShadowedCookie(t *testing.T) {
	hs := newHarness(t, session.Config{})
	real, planted := hs.login(), hs.login()
	for _, order := range [][2]string{{planted, real}, {real, planted}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "sesame_session", Value: order[0]})
		r.AddCookie(&http.Cookie{Name: "sesame_session", Value: order[1]})
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, r)
		if got := w.Body.String(); got != "anonymous" {
			t.Errorf("two session cookies: signed in as %q, want anonymous", got)
		}
		if c := sessionCookie(t, w.Result()); c != nil {
			t.Errorf("two session cookies: the answer set %+v", c)
		}
	}
	if hs.who(real) != "alice" || hs.who(planted) != "alice" {
		t.Error("a shadowed cookie's session was ended")
	}
}

// TestRenewRace: a request that still carries the token a concurrent request
// has just renewed finds no session, but must not tell the browser to drop
// its cookie, which by then holds the new token.
func TestRenewRace(t *testing.T) {
	hs := newHarness(t, session.Config{})
	old := hs.login()
	if c := sessionCookie(t, hs.do("POST", "/renew", old)); c == nil || c.Value == old {
		t.Fatal("renew sent no new token")
	}
	res := hs.do("GET", "/", old)
	if c := sessionCookie(t, res); c != nil {
		t.Errorf("the late request with the old token set the cookie: %+v", c)
	}
}

// nonCanonical returns another spelling of token that a lenient base64
// decoder reads as the same bytes: the unused low bits of its last character
// set. Only one spelling of a token may work.
func nonCanonical(token string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	return token[:len(token)-1] + string(alphabet[last|1])
}

func TestIdleTimeout(t *testing.T) {
	hs := newHarness(t, session.Config{IdleTimeout: 30 * time.Minute})
	token := hs.login()

	// Use within the idle timeout keeps the session alive past it.
	hs.clock.Advance(20 * time.Minute)
	if got := hs.who(token); got != "alice" {
		t.Fatalf("after 20m: %q", got)
	}
	hs.clock.Advance(20 * time.Minute)
	if got := hs.who(token); got != "alice" {
		t.Fatalf("40m after login, 20m after use: %q", got)
	}
	hs.clock.Advance(30 * time.Minute)
	if c := sessionCookie(t, hs.do("GET", "/", token)); c == nil || c.MaxAge >= 0 {
		t.Errorf("the timed-out cookie was not cleared: %+v", c)
	}
	if got := hs.who(token); got != "anonymous" {
		t.Fatalf("30m idle: %q, want anonymous", got)
	}
	if e := hs.endings(); len(e) != 1 || e[0].s.UserID != "alice" || e[0].why != session.EndIdle || e[0].ip == "" {
		t.Errorf("OnEnd calls = %+v, want one idle timeout of alice, with the request", e)
	}
	if list, _, _ := hs.m.List(context.Background(), session.ListOptions{UserID: "alice"}); len(list) != 0 {
		t.Errorf("expired session still listed: %+v", list)
	}
}

// TestDeleteExpiredReports: sessions that time out unseen are reported to
// OnEnd when DeleteExpired removes them, so an audit trail hears of every
// end, not only of those a request happened to find.
func TestDeleteExpiredReports(t *testing.T) {
	hs := newHarness(t, session.Config{IdleTimeout: 30 * time.Minute})
	hs.login()
	live := hs.login()
	hs.clock.Advance(20 * time.Minute)
	hs.who(live) // keeps it alive; the first one idles on
	hs.clock.Advance(15 * time.Minute)
	n, err := hs.m.DeleteExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if e := hs.endings(); len(e) != 1 || e[0].s.UserID != "alice" || e[0].why != session.EndIdle || e[0].ip != "" {
		t.Errorf("OnEnd calls = %+v, want one idle timeout, without a request", e)
	}
	if got := hs.who(live); got != "alice" {
		t.Errorf("the live session: %q", got)
	}
}

func TestAbsoluteLifetime(t *testing.T) {
	hs := newHarness(t, session.Config{IdleTimeout: 30 * time.Minute, Lifetime: 2 * time.Hour})
	token := hs.login()
	for range 11 { // active every 10 minutes up to 1h50m
		hs.clock.Advance(10 * time.Minute)
		if got := hs.who(token); got != "alice" {
			t.Fatalf("at %v: %q", hs.clock.Now(), got)
		}
	}
	hs.clock.Advance(10 * time.Minute)
	if got := hs.who(token); got != "anonymous" {
		t.Fatalf("at the absolute lifetime: %q, want anonymous", got)
	}
	if e := hs.endings(); len(e) != 1 || e[0].why != session.EndLifetime {
		t.Errorf("OnEnd calls = %+v, want one end of lifetime", e)
	}
}

// TestShortIdleTimeout: however short the idle timeout, use within it keeps
// the session alive, because the default touch interval shrinks with it.
func TestShortIdleTimeout(t *testing.T) {
	for _, idle := range []time.Duration{3 * time.Second, 30 * time.Second, 2 * time.Minute} {
		hs := newHarness(t, session.Config{IdleTimeout: idle, Lifetime: time.Hour})
		token := hs.login()
		step := idle * 2 / 3
		for i := range 10 {
			hs.clock.Advance(step)
			if got := hs.who(token); got != "alice" {
				t.Fatalf("idle %v: use %d, %v after the last one: %q, want alice", idle, i+1, step, got)
			}
		}
		hs.clock.Advance(idle)
		if got := hs.who(token); got != "anonymous" {
			t.Errorf("idle %v: unused for %v: %q, want anonymous", idle, idle, got)
		}
	}
}

// TestTouchInterval shows that renewal writes the store at most once per
// TouchInterval, and that the idle deadline never passes the absolute one.
func TestTouchInterval(t *testing.T) {
	hs := newHarness(t, session.Config{TouchInterval: time.Minute, IdleTimeout: 30 * time.Minute, Lifetime: 40 * time.Minute})
	token := hs.login()
	lastSeen := hs.current
	start := lastSeen().LastSeenAt

	hs.clock.Advance(59 * time.Second)
	hs.who(token)
	if got := lastSeen().LastSeenAt; !got.Equal(start) {
		t.Errorf("a request within the interval wrote last-seen %v", got)
	}
	hs.clock.Advance(time.Second)
	hs.who(token)
	if got := lastSeen(); !got.LastSeenAt.Equal(hs.clock.Now()) || !got.IdleExpiresAt.Equal(hs.clock.Now().Add(30*time.Minute)) {
		t.Errorf("after the interval: last seen %v, idle deadline %v", got.LastSeenAt, got.IdleExpiresAt)
	}
	hs.clock.Advance(20 * time.Minute)
	hs.who(token)
	if got := lastSeen(); !got.IdleExpiresAt.Equal(got.ExpiresAt) {
		t.Errorf("idle deadline %v runs past the absolute one %v", got.IdleExpiresAt, got.ExpiresAt)
	}
}

// TestLoginRotates is the session-fixation defence: signing in again ends the
// session the request came with.
func TestLoginRotates(t *testing.T) {
	hs := newHarness(t, session.Config{})
	old := hs.login()
	c := sessionCookie(t, hs.do("POST", "/login", old))
	if c == nil || c.Value == old {
		t.Fatalf("login kept the old token")
	}
	if got := hs.who(old); got != "anonymous" {
		t.Errorf("old token after a new login: %q", got)
	}
	if got := hs.who(c.Value); got != "alice" {
		t.Errorf("new token: %q", got)
	}
}

func TestRenew(t *testing.T) {
	hs := newHarness(t, session.Config{})
	old := hs.login()
	before := hs.current()
	c := sessionCookie(t, hs.do("POST", "/renew", old))
	if c == nil || c.Value == old {
		t.Fatal("renew sent no new token")
	}
	if got := hs.who(old); got != "anonymous" {
		t.Errorf("old token after renew: %q", got)
	}
	if got := hs.who(c.Value); got != "alice" {
		t.Errorf("new token: %q", got)
	}
	if after := hs.current(); after.ID != before.ID || !after.ExpiresAt.Equal(before.ExpiresAt) ||
		!after.CreatedAt.Equal(before.CreatedAt) || !after.AuthenticatedAt.Equal(before.AuthenticatedAt) {
		t.Errorf("renew changed the session: before %+v, after %+v", before, after)
	}
	if res := hs.do("POST", "/renew", ""); res.StatusCode != 500 {
		t.Errorf("renew without a session: %d, want an error", res.StatusCode)
	}
}

func TestLogout(t *testing.T) {
	hs := newHarness(t, session.Config{})
	token := hs.login()
	c := sessionCookie(t, hs.do("POST", "/logout", token))
	if c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout did not clear the cookie: %+v", c)
	}
	if got := hs.who(token); got != "anonymous" {
		t.Errorf("token replayed after logout: %q", got)
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	hs := newHarness(t, session.Config{})
	var tokens []string
	for range 3 {
		tokens = append(tokens, hs.login())
		hs.clock.Advance(time.Second)
	}
	a, b, c := tokens[0], tokens[1], tokens[2]
	list, _, err := hs.m.List(ctx, session.ListOptions{UserID: "alice"})
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := hs.m.Revoke(ctx, "mallory", list[0].ID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("revoking another user's session: %v, want ErrNotFound", err)
	}
	if err := hs.m.Revoke(ctx, "alice", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := hs.who(c); got != "anonymous" { // newest first: list[0] is c
		t.Errorf("revoked session: %q", got)
	}
	list, _, _ = hs.m.List(ctx, session.ListOptions{UserID: "alice"})
	gone, err := hs.m.RevokeAll(ctx, "alice", list[0].ID)
	if err != nil || len(gone) != 1 || gone[0].ID != list[1].ID {
		t.Fatalf("RevokeAll = %+v, %v; want the one other session %s", gone, err, list[1].ID)
	}
	if hs.who(b) != "alice" || hs.who(a) != "anonymous" {
		t.Errorf("RevokeAll kept the wrong session")
	}
}

func TestListNewestFirst(t *testing.T) {
	hs := newHarness(t, session.Config{})
	for range 3 {
		hs.login()
		hs.clock.Advance(time.Second)
	}
	list, _, err := hs.m.List(context.Background(), session.ListOptions{UserID: "alice"})
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %v, %v", list, err)
	}
	for i := 1; i < len(list); i++ {
		if !list[i-1].CreatedAt.After(list[i].CreatedAt) {
			t.Errorf("not newest first: %v then %v", list[i-1].CreatedAt, list[i].CreatedAt)
		}
	}
}

// failingStore is a store whose reads fail, standing for a database that is
// down.
type failingStore struct{ *memstore.Store }

func (failingStore) Get(context.Context, session.Hash) (session.Record, error) {
	return session.Record{}, errors.New("connection refused")
}

func TestStoreFailure(t *testing.T) {
	var handled error
	m, err := session.New(session.Config{
		Store: failingStore{memstore.New()},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			handled = err
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	called := false
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "sesame_session", Value: base64.RawURLEncoding.EncodeToString(make([]byte, 32))})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || handled == nil || called {
		t.Errorf("status %d, handled %v, next called %v; want 503 from ErrorHandler only", w.Code, handled, called)
	}
}

// TestCleanupWithoutInterval: an interval of zero or less means the
// default of 5 minutes, rather than a panic in time.NewTicker or a sweep
// that never comes. The bubble's fake clock lets the test wait the minutes.
func TestCleanupWithoutInterval(t *testing.T) {
	for _, interval := range []time.Duration{0, -time.Second} {
		synctest.Test(t, func(t *testing.T) {
			store := memstore.New()
			m, err := session.New(session.Config{Store: store, IdleTimeout: time.Minute, Lifetime: time.Hour,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			hs := &harness{t: t, m: m, h: m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m.Login(r.Context(), "alice", session.LoginOptions{})
			}))}
			hs.login() // dead a minute from now
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go m.Cleanup(ctx, interval)

			count := func() int { // every stored session, dead or alive
				list, _ := store.List(context.Background(), session.Query{Now: time.Unix(0, 0)})
				return len(list)
			}
			time.Sleep(5*time.Minute - time.Second)
			synctest.Wait()
			if count() != 1 {
				t.Fatalf("Cleanup(%v) swept before 5 minutes", interval)
			}
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if count() != 0 {
				t.Fatalf("Cleanup(%v) did not sweep after 5 minutes", interval)
			}
		})
	}
}
