package web_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// The security tests: one test per attack of CONTRACT §6, each showing the
// attack refused. This file holds the attacks on the session itself:
// fixation and replay after logout, expiry and a password change. The
// others are in security_*_test.go; the helpers they share with the rest
// of the package are in helpers_*_test.go.

// madeUpToken is a well-formed token that the server never issued.
func madeUpToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clearsSessionCookie reports whether res tells the browser to drop the
// session cookie.
func clearsSessionCookie(res *http.Response) bool {
	for _, ck := range res.Cookies() {
		if ck.Name == "sesame_session" && ck.Value == "" && ck.MaxAge < 0 {
			return true
		}
	}
	return false
}

// A token planted in the victim's browser before they sign in — one made
// up, or the attacker's own live session — must not be what the victim
// holds afterwards, nor open the victim's account.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	plants := []struct {
		name  string
		plant func(t *testing.T, a *testApp) string
	}{
		{"made-up token", func(*testing.T, *testApp) string { return madeUpToken() }},
		{"malformed token", func(*testing.T, *testApp) string { return "attacker-chosen-session-id" }},
		{"attacker's own live session", func(t *testing.T, a *testApp) string {
			attacker := a.visitorFrom("203.0.113.66")
			expectStatus(t, formLogin(attacker, "unauthorized_user", demoPassword), http.StatusSeeOther, "attacker login")
			return attacker.token()
		}},
	}
	for _, p := range plants {
		for _, w := range loginWays {
			t.Run(p.name+"/"+w.name, func(t *testing.T) {
				t.Parallel()
				a := newApp(t)
				planted := p.plant(t, a)
				victim := a.visitor()
				victim.setToken(planted)
				w.succeeded(t, w.login(victim, "authorized_user", demoPassword), "victim login")
				got := victim.token()
				if got == "" || got == planted {
					t.Fatalf("after login the victim holds %q, the planted token was %q", got, planted)
				}
				expectSignedInAs(t, victim, "authorized_user", "victim")
				if status, user, _ := whoAmI(t, a.holding(planted)); status != http.StatusUnauthorized {
					t.Fatalf("planted token after the victim's login: %d as %q, want 401", status, user)
				}
			})
		}
	}
}

// Every login issues a new id and the one the browser held before is dead
// at once, whichever way either login came.
func TestLoginAlwaysIssuesNewID(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.visitor()
	steps := []struct {
		name   string
		login  func(*client, string, string) *http.Response
		user   string
		status int
	}{
		{"form", formLogin, "authorized_user", http.StatusSeeOther},
		{"form again", formLogin, "authorized_user", http.StatusSeeOther},
		{"api", apiLogin, "authorized_user", http.StatusCreated},
		{"api again", apiLogin, "authorized_user", http.StatusCreated},
		{"form as another user", formLogin, "unauthorized_user", http.StatusSeeOther},
	}
	seen := map[string]bool{}
	var previous string
	for _, s := range steps {
		expectStatus(t, s.login(c, s.user, demoPassword), s.status, s.name)
		tok := c.token()
		if tok == "" || seen[tok] {
			t.Fatalf("%s: token %q is not new", s.name, tok)
		}
		seen[tok] = true
		expectSignedInAs(t, c, s.user, s.name)
		if previous != "" {
			expectTokenDead(t, a, previous, s.name+": the id before it")
		}
		previous = tok
	}
}

// The four ways of ending one's own session: each answers Clear-Site-Data
// and clears the cookie, and the old token then answers like no session.
func TestReplayAfterLogout(t *testing.T) {
	t.Parallel()
	ends := []struct {
		name     string
		end      func(t *testing.T, c *client) *http.Response
		status   int
		location string
	}{
		{"form POST /logout", func(t *testing.T, c *client) *http.Response {
			return c.postForm("/logout", nil)
		}, http.StatusSeeOther, "/login"},
		{"API DELETE /api/v1/session", func(t *testing.T, c *client) *http.Response {
			return c.json(http.MethodDelete, "/api/v1/session", nil)
		}, http.StatusNoContent, ""},
		{"page revoke of the current session", func(t *testing.T, c *client) *http.Response {
			_, _, id := whoAmI(t, c)
			return c.postForm("/account/sessions/"+id+"/revoke", nil)
		}, http.StatusSeeOther, "/login"},
		{"API revoke of the current session", func(t *testing.T, c *client) *http.Response {
			_, _, id := whoAmI(t, c)
			return c.json(http.MethodDelete, "/api/v1/sessions/"+id, nil)
		}, http.StatusNoContent, ""},
	}
	for _, e := range ends {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.authorized()
			other := a.authorized() // the same user elsewhere: logout here ends only this one
			old := c.token()
			res := e.end(t, c)
			expectStatus(t, res, e.status, e.name)
			if e.location != "" && res.Header.Get("Location") != e.location {
				t.Errorf("Location %q, want %q", res.Header.Get("Location"), e.location)
			}
			if got := res.Header.Get("Clear-Site-Data"); got != `"cookies"` {
				t.Errorf("Clear-Site-Data %q, want %q", got, `"cookies"`)
			}
			if !clearsSessionCookie(res) {
				t.Errorf("the session cookie is not cleared: %q", res.Header.Values("Set-Cookie"))
			}
			if c.token() != "" {
				t.Errorf("the browser still holds a session cookie")
			}
			expectTokenDead(t, a, old, "after "+e.name)
			expectSignedInAs(t, other, "authorized_user", "the user's other session")
		})
	}
}

// A session unused for the idle timeout is dead, whatever the cookie says;
// use within it keeps it alive; the expiry is in the user's trail.
func TestReplayAfterIdleTimeout(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	for i := range 5 { // 2h25m in all, never 30m idle
		a.clock.Advance(29 * time.Minute)
		expectSignedInAs(t, c, "authorized_user", fmt.Sprintf("after %d×29m, never 30m idle", i+1))
	}
	_, _, id := whoAmI(t, c)
	token := c.token()
	a.clock.Advance(30*time.Minute + time.Second)
	expectTokenDead(t, a, token, "30m1s idle")

	again := a.authorized()
	if !hasEventWhere(t, again, "session.expire", "success", "session_id", id) {
		t.Errorf("no session.expire event for session %s in the trail: %v", id, trailOf(t, again))
	}
}

// However active, a session is dead at its absolute lifetime (12h).
func TestReplayAfterAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	_, _, id := whoAmI(t, c)
	for elapsed := 10 * time.Minute; elapsed < 12*time.Hour; elapsed += 10 * time.Minute {
		a.clock.Advance(10 * time.Minute)
		if status, _, _ := whoAmI(t, c); status != http.StatusOK {
			t.Fatalf("active session dead after %v: %d", elapsed, status)
		}
	}
	token := c.token()                // the latest: renewed every 15 minutes on the way
	a.clock.Advance(10 * time.Minute) // 12h exactly
	expectTokenDead(t, a, token, "at 12h")

	again := a.authorized()
	if !hasEventWhere(t, again, "session.expire", "success", "session_id", id) {
		t.Errorf("no session.expire event for session %s in the trail", id)
	}
}

// A password change ends every other session of the user and the
// pre-change id of the browser that made it; other users are untouched.
func TestReplayAfterPasswordChange(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	browser := a.authorized()
	laptop := a.authorized()
	script := a.visitorFrom("198.51.100.20")
	expectStatus(t, apiLogin(script, "authorized_user", demoPassword), http.StatusCreated, "API login")
	bystander := a.unauthorized()

	before := browser.token()
	res := browser.postForm("/account/password", url.Values{
		"current_password": {demoPassword}, "new_password": {"a-Quite-Unusual-Phrase-42"}})
	expectStatus(t, res, http.StatusSeeOther, "change password")
	if loc := res.Header.Get("Location"); loc != "/account/sessions" {
		t.Errorf("Location %q, want /account/sessions", loc)
	}
	after := browser.token()
	if after == "" || after == before {
		t.Fatalf("the browser's token did not change: %q", after)
	}
	expectSignedInAs(t, browser, "authorized_user", "the browser after the change")
	expectTokenDead(t, a, before, "the browser's pre-change token")
	expectTokenDead(t, a, laptop.token(), "another browser of the user")
	expectTokenDead(t, a, script.token(), "an API session of the user")
	expectSignedInAs(t, bystander, "unauthorized_user", "another user's session")
	// The sessions it ended are revoked sessions, which the trail records.
	if !hasEventWhere(t, browser, "session.revoke", "success", "", "") {
		t.Errorf("the sessions ended by the password change are not in the trail: %v", trailOf(t, browser))
	}
}
