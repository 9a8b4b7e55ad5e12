package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Helpers for accounts and their sessions: signing in by either front end,
// and telling whether a browser or a token is still signed in, and as whom.

// formLogin submits the login form. It judges nothing: what the answer
// must be is the test's (a success, a refusal, a lock).
func formLogin(c *client, username, password string) *http.Response {
	c.t.Helper()
	return c.postForm("/login", url.Values{"username": {username}, "password": {password}})
}

// apiLogin signs in through the API, judging nothing, as formLogin.
func apiLogin(c *client, username, password string) *http.Response {
	c.t.Helper()
	return c.json(http.MethodPost, "/api/v1/session", map[string]string{"username": username, "password": password})
}

// loginWay is one front end's login, so that a test of signing in runs
// against the form and the API alike.
type loginWay struct {
	name  string
	login func(c *client, username, password string) *http.Response
	ok    int // the status of a successful login
}

var loginWays = []loginWay{
	{"form", formLogin, http.StatusSeeOther},
	{"api", apiLogin, http.StatusCreated},
}

// failed fails unless res is a refused login: 401, the same generic
// answer whatever was wrong.
func (w loginWay) failed(t *testing.T, res *http.Response, what string) string {
	t.Helper()
	if w.name == "api" {
		expectErrorCode(t, res, http.StatusUnauthorized, "unauthenticated", what)
		return ""
	}
	return expectStatus(t, res, http.StatusUnauthorized, what)
}

// limited fails unless res is a throttled login, 429 with a Retry-After of
// at least one second, and returns that wait in seconds.
func (w loginWay) limited(t *testing.T, res *http.Response, what string) int {
	t.Helper()
	ra := res.Header.Get("Retry-After")
	if w.name == "api" {
		expectErrorCode(t, res, http.StatusTooManyRequests, "rate_limited", what)
	} else {
		expectStatus(t, res, http.StatusTooManyRequests, what)
	}
	n, err := strconv.Atoi(ra)
	if err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q, want whole seconds ≥ 1", what, ra)
	}
	return n
}

// succeeded fails unless res is a successful login.
func (w loginWay) succeeded(t *testing.T, res *http.Response, what string) {
	t.Helper()
	expectStatus(t, res, w.ok, what)
}

// loginFrom signs username in from a browser with user agent ua at addr,
// for a test that looks for that browser in a list or a trail.
func loginFrom(t *testing.T, a *testApp, username, password, ua, addr string) *client {
	t.Helper()
	c := a.visitor()
	c.Header.Set("User-Agent", ua)
	c.RemoteAddr = addr
	expectRedirect(t, formLogin(c, username, password), "/products")
	return c
}

// whoAmI asks GET /api/v1/me who c is: the status and, when signed in, the
// username and public session id. Unlike sessionID and expectSignedInAs it
// does not fail for nobody, so that a test can ask it of a token that
// should be dead.
func whoAmI(t *testing.T, c *client) (status int, username, id string) {
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
	id, _ = s["id"].(string)
	return res.StatusCode, username, id
}

// sessionID returns the public id of c's session, which must be signed in.
func sessionID(t *testing.T, c *client) string {
	t.Helper()
	id, _ := apiGet(t, c, "/api/v1/me")["session"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatal("no public session id in /api/v1/me")
	}
	return id
}

// sessionIDOnPage returns the first public session id on c's sessions
// page: the id as a user sees it, which must open nothing.
func sessionIDOnPage(t *testing.T, c *client) string {
	t.Helper()
	page := expectStatus(t, c.get("/account/sessions"), http.StatusOK, "sessions page")
	_, rest, ok := strings.Cut(page, `action="/account/sessions/`)
	id, _, ok2 := strings.Cut(rest, "/revoke")
	if !ok || !ok2 || id == "" {
		t.Fatalf("no session id on the sessions page:\n%s", page)
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

// expectSignedInAs fails unless c is signed in as username. It asks the API
// who c is, rather than whether a page lets it in as mustBeSignedIn does,
// since any session would: an attack that swaps sessions shows only here.
func expectSignedInAs(t *testing.T, c *client, username, what string) {
	t.Helper()
	if status, got, _ := whoAmI(t, c); status != http.StatusOK || got != username {
		t.Fatalf("%s: /api/v1/me answered %d as %q, want 200 as %q", what, status, got, username)
	}
}

// expectTokenDead fails unless token, replayed from another browser,
// answers like no session at all on both front ends: a page sends the
// browser to the login page, the API answers 401. Unlike mustBeSignedOut it
// judges the token, which is all an attacker who stole it holds.
func expectTokenDead(t *testing.T, a *testApp, token, what string) {
	t.Helper()
	if token == "" {
		t.Fatalf("%s: no token to replay", what)
	}
	res := a.holding(token).get("/cart")
	body(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fcart" {
		t.Fatalf("%s: replayed token: GET /cart answered %d to %q, want 303 to the login page",
			what, res.StatusCode, res.Header.Get("Location"))
	}
	expectErrorCode(t, a.holding(token).json(http.MethodGet, "/api/v1/me", nil),
		http.StatusUnauthorized, "unauthenticated", what+": replayed token: GET /api/v1/me")
}

// accountState is what c's account looks like through the API (who it is,
// its cart, orders and sessions, a product's stock), so that a test can
// show that a refused request changed none of it.
func accountState(t *testing.T, c *client) string {
	t.Helper()
	status, user, id := whoAmI(t, c)
	cart := expectStatus(t, c.json(http.MethodGet, "/api/v1/cart", nil), http.StatusOK, "cart")
	orders := expectStatus(t, c.json(http.MethodGet, "/api/v1/orders", nil), http.StatusOK, "orders")
	product := expectStatus(t, c.json(http.MethodGet, "/api/v1/products/1", nil), http.StatusOK, "product")
	sessions := expectStatus(t, c.json(http.MethodGet, "/api/v1/sessions", nil), http.StatusOK, "sessions")
	return strings.Join([]string{strconv.Itoa(status), user, id, cart, orders, product, sessions}, "\n")
}
