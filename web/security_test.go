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
// attack refused. This file holds their shared helpers (all named sec…, so
// as not to clash with the harness or the route tests) and the attacks on
// the session itself: fixation and replay after logout, expiry and a
// password change. The others are in security_*_test.go.

// secPassword is the demo users' password (CONTRACT §2).
const secPassword = "password123"

// secAt returns a new visitor whose requests come from address addr, so
// that a test's throttling counters are its own.
func secAt(a *testApp, addr string) *client {
	c := a.visitor()
	c.RemoteAddr = addr + ":40000"
	return c
}

// secHolding returns a new browser whose only cookie is the session token
// token: an attacker replaying a token they got hold of.
func secHolding(a *testApp, token string) *client {
	c := a.visitor()
	c.RemoteAddr = "203.0.113.66:50000"
	c.setToken(token)
	return c
}

// secWith returns c with extra request headers (key, value, key, value…),
// sharing its cookies: the same browser, sending a different request.
func secWith(c *client, kv ...string) *client {
	cp := *c
	cp.Header = c.Header.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		cp.Header.Set(kv[i], kv[i+1])
	}
	return &cp
}

// secFormLogin submits the login form.
func secFormLogin(c *client, username, password string) *http.Response {
	c.t.Helper()
	return c.postForm("/login", url.Values{"username": {username}, "password": {password}})
}

// secAPILogin signs in through the API.
func secAPILogin(c *client, username, password string) *http.Response {
	c.t.Helper()
	return c.json(http.MethodPost, "/api/v1/session", map[string]string{"username": username, "password": password})
}

// secWant fails unless res answered status, and returns its body.
func secWant(t *testing.T, res *http.Response, status int, what string) string {
	t.Helper()
	b := body(res)
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body: %.300s", what, res.StatusCode, status, b)
	}
	return b
}

// secWantCode fails unless res is a JSON error with status and code.
func secWantCode(t *testing.T, res *http.Response, status int, code, what string) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body: %.300s", what, res.StatusCode, status, body(res))
	}
	v := decode(t, res)
	e, _ := v["error"].(map[string]any)
	if e == nil || e["code"] != code {
		t.Fatalf("%s: body %v, want error code %q", what, v, code)
	}
	return e
}

// secMe returns the status of GET /api/v1/me for c and, when signed in, the
// username and public session id.
func secMe(t *testing.T, c *client) (status int, username, sessionID string) {
	t.Helper()
	res := c.json(http.MethodGet, "/api/v1/me", nil)
	if res.StatusCode != http.StatusOK {
		body(res)
		return res.StatusCode, "", ""
	}
	v := decode(t, res)
	u, _ := v["user"].(map[string]any)
	s, _ := v["session"].(map[string]any)
	username, _ = u["username"].(string)
	sessionID, _ = s["id"].(string)
	return res.StatusCode, username, sessionID
}

// secAssertUser fails unless c is signed in as username.
func secAssertUser(t *testing.T, c *client, username, what string) {
	t.Helper()
	if status, got, _ := secMe(t, c); status != http.StatusOK || got != username {
		t.Fatalf("%s: /api/v1/me answered %d as %q, want 200 as %q", what, status, got, username)
	}
}

// secAssertDead fails unless token answers like no session at all: a page
// sends the browser to the login page, the API answers 401.
func secAssertDead(t *testing.T, a *testApp, token, what string) {
	t.Helper()
	if token == "" {
		t.Fatalf("%s: no token to replay", what)
	}
	c := secHolding(a, token)
	res := c.get("/cart")
	body(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fcart" {
		t.Fatalf("%s: replayed token: GET /cart answered %d to %q, want 303 to the login page",
			what, res.StatusCode, res.Header.Get("Location"))
	}
	secWantCode(t, secHolding(a, token).json(http.MethodGet, "/api/v1/me", nil),
		http.StatusUnauthorized, "unauthenticated", what+": replayed token: GET /api/v1/me")
}

// secActions returns the actions of c's own audit trail, with their
// public session ids, newest first.
func secActions(t *testing.T, c *client) []map[string]any {
	t.Helper()
	res := c.json(http.MethodGet, "/api/v1/activity?limit=500", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/activity: %d %s", res.StatusCode, body(res))
	}
	var out []map[string]any
	for _, e := range decode(t, res)["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// secHasEvent reports whether c's trail has an event with action and
// outcome whose field key equals value ("" for any).
func secHasEvent(t *testing.T, c *client, action, outcome, key, value string) bool {
	t.Helper()
	for _, e := range secActions(t, c) {
		if e["action"] == action && e["outcome"] == outcome && (key == "" || e[key] == value) {
			return true
		}
	}
	return false
}

// secMadeUpToken is a well-formed token that the server never issued.
func secMadeUpToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secCleared reports whether res tells the browser to drop the session
// cookie.
func secCleared(res *http.Response) bool {
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
		{"made-up token", func(*testing.T, *testApp) string { return secMadeUpToken() }},
		{"malformed token", func(*testing.T, *testApp) string { return "attacker-chosen-session-id" }},
		{"attacker's own live session", func(t *testing.T, a *testApp) string {
			attacker := secAt(a, "203.0.113.66")
			secWant(t, secFormLogin(attacker, "unauthorized_user", secPassword), http.StatusSeeOther, "attacker login")
			return attacker.token()
		}},
	}
	logins := []struct {
		name   string
		login  func(*client, string, string) *http.Response
		status int
	}{
		{"form", secFormLogin, http.StatusSeeOther},
		{"api", secAPILogin, http.StatusCreated},
	}
	for _, p := range plants {
		for _, l := range logins {
			t.Run(p.name+"/"+l.name, func(t *testing.T) {
				t.Parallel()
				a := newApp(t)
				planted := p.plant(t, a)
				victim := a.visitor()
				victim.setToken(planted)
				secWant(t, l.login(victim, "authorized_user", secPassword), l.status, "victim login")
				got := victim.token()
				if got == "" || got == planted {
					t.Fatalf("after login the victim holds %q, the planted token was %q", got, planted)
				}
				secAssertUser(t, victim, "authorized_user", "victim")
				if status, user, _ := secMe(t, secHolding(a, planted)); status != http.StatusUnauthorized {
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
		{"form", secFormLogin, "authorized_user", http.StatusSeeOther},
		{"form again", secFormLogin, "authorized_user", http.StatusSeeOther},
		{"api", secAPILogin, "authorized_user", http.StatusCreated},
		{"api again", secAPILogin, "authorized_user", http.StatusCreated},
		{"form as another user", secFormLogin, "unauthorized_user", http.StatusSeeOther},
	}
	seen := map[string]bool{}
	var previous string
	for _, s := range steps {
		secWant(t, s.login(c, s.user, secPassword), s.status, s.name)
		tok := c.token()
		if tok == "" || seen[tok] {
			t.Fatalf("%s: token %q is not new", s.name, tok)
		}
		seen[tok] = true
		secAssertUser(t, c, s.user, s.name)
		if previous != "" {
			secAssertDead(t, a, previous, s.name+": the id before it")
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
			_, _, id := secMe(t, c)
			return c.postForm("/account/sessions/"+id+"/revoke", nil)
		}, http.StatusSeeOther, "/login"},
		{"API revoke of the current session", func(t *testing.T, c *client) *http.Response {
			_, _, id := secMe(t, c)
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
			secWant(t, res, e.status, e.name)
			if e.location != "" && res.Header.Get("Location") != e.location {
				t.Errorf("Location %q, want %q", res.Header.Get("Location"), e.location)
			}
			if got := res.Header.Get("Clear-Site-Data"); got != `"cookies"` {
				t.Errorf("Clear-Site-Data %q, want %q", got, `"cookies"`)
			}
			if !secCleared(res) {
				t.Errorf("the session cookie is not cleared: %q", res.Header.Values("Set-Cookie"))
			}
			if c.token() != "" {
				t.Errorf("the browser still holds a session cookie")
			}
			secAssertDead(t, a, old, "after "+e.name)
			secAssertUser(t, other, "authorized_user", "the user's other session")
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
		secAssertUser(t, c, "authorized_user", fmt.Sprintf("after %d×29m, never 30m idle", i+1))
	}
	_, _, id := secMe(t, c)
	token := c.token()
	a.clock.Advance(30*time.Minute + time.Second)
	secAssertDead(t, a, token, "30m1s idle")

	again := a.authorized()
	if !secHasEvent(t, again, "session.expire", "success", "session_id", id) {
		t.Errorf("no session.expire event for session %s in the trail: %v", id, secActions(t, again))
	}
}

// However active, a session is dead at its absolute lifetime (12h).
func TestReplayAfterAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	_, _, id := secMe(t, c)
	token := c.token()
	for elapsed := 10 * time.Minute; elapsed < 12*time.Hour; elapsed += 10 * time.Minute {
		a.clock.Advance(10 * time.Minute)
		if status, _, _ := secMe(t, c); status != http.StatusOK {
			t.Fatalf("active session dead after %v: %d", elapsed, status)
		}
	}
	a.clock.Advance(10 * time.Minute) // 12h exactly
	secAssertDead(t, a, token, "at 12h")

	again := a.authorized()
	if !secHasEvent(t, again, "session.expire", "success", "session_id", id) {
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
	script := secAt(a, "198.51.100.20")
	secWant(t, secAPILogin(script, "authorized_user", secPassword), http.StatusCreated, "API login")
	bystander := a.unauthorized()

	before := browser.token()
	res := browser.postForm("/account/password", url.Values{
		"current_password": {secPassword}, "new_password": {"a-Quite-Unusual-Phrase-42"}})
	secWant(t, res, http.StatusSeeOther, "change password")
	if loc := res.Header.Get("Location"); loc != "/account/sessions" {
		t.Errorf("Location %q, want /account/sessions", loc)
	}
	after := browser.token()
	if after == "" || after == before {
		t.Fatalf("the browser's token did not change: %q", after)
	}
	secAssertUser(t, browser, "authorized_user", "the browser after the change")
	secAssertDead(t, a, before, "the browser's pre-change token")
	secAssertDead(t, a, laptop.token(), "another browser of the user")
	secAssertDead(t, a, script.token(), "an API session of the user")
	secAssertUser(t, bystander, "unauthorized_user", "another user's session")
	// The sessions it ended are revoked sessions, which the trail records.
	if !secHasEvent(t, browser, "session.revoke", "success", "", "") {
		t.Errorf("the sessions ended by the password change are not in the trail: %v", secActions(t, browser))
	}
}
