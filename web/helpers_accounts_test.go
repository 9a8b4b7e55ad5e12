package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Helpers for accounts and their sessions: signing in, and telling whether
// a browser is still signed in, and as whom.

// loginFrom signs username in from a browser with user agent ua at addr.
func loginFrom(t *testing.T, a *testApp, username, password, ua, addr string) *client {
	t.Helper()
	c := a.visitor()
	c.Header.Set("User-Agent", ua)
	c.RemoteAddr = addr
	expectRedirect(t, c.postForm("/login", url.Values{"username": {username}, "password": {password}}), "/products")
	return c
}

// sessionID returns the public id of c's session.
func sessionID(t *testing.T, c *client) string {
	t.Helper()
	id, _ := apiGet(t, c, "/api/v1/me")["session"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatal("no public session id in /api/v1/me")
	}
	return id
}

// isSignedIn reports whether c's cookie still opens a session, by whether a
// private page lets it in.
func isSignedIn(t *testing.T, c *client) bool {
	t.Helper()
	res := c.get("/cart")
	body(res)
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("GET /cart: status %d", res.StatusCode)
	return false
}

// mustBeSignedIn fails, and goes on, unless c is still signed in: a session
// that should have outlived what a test did.
func mustBeSignedIn(t *testing.T, c *client) {
	t.Helper()
	if !isSignedIn(t, c) {
		t.Error("signed out, want still signed in")
	}
}

// mustBeSignedOut fails, and goes on, unless c's session is over: one that
// a test ended, or that ended with another.
func mustBeSignedOut(t *testing.T, c *client) {
	t.Helper()
	if isSignedIn(t, c) {
		t.Error("still signed in, want signed out")
	}
}
