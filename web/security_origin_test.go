package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Attacks from another origin (CONTRACT §6, unsafe methods), through the
// login's next parameter (§4, open redirect) and with another user's ids
// (§3).

// crossOriginHeaders are request headers by which a browser says a request
// came from another site.
var crossOriginHeaders = []struct {
	name string
	kv   []string
}{
	{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
	{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}},
	{"Origin of another host", []string{"Origin", "http://evil.example"}},
	{"Origin extending this host", []string{"Origin", "http://example.com.evil.example"}},
	{"Origin null", []string{"Origin", "null"}},
}

// forgedRequest is one unsafe request a cross-origin attacker would forge.
type forgedRequest struct {
	method, path string
	form         url.Values // a form body, for pages
	json         any        // a JSON body, for the API
}

func (u forgedRequest) send(c *client) *http.Response {
	c.t.Helper()
	if strings.HasPrefix(u.path, "/api/") {
		return c.json(u.method, u.path, u.json)
	}
	return c.do(u.method, u.path, "application/x-www-form-urlencoded", strings.NewReader(u.form.Encode()))
}

// Forged unsafe requests from another origin answer 403 on pages and API,
// change nothing (no cart change, no order, no restock, no logout), and are
// audited.
func TestCrossOriginUnsafeRequestsRefused(t *testing.T) {
	t.Parallel()
	forgeries := []forgedRequest{
		{method: "POST", path: "/cart/items", form: url.Values{"product_id": {"2"}, "quantity": {"3"}}},
		{method: "POST", path: "/cart/items/1", form: url.Values{"quantity": {"9"}}},
		{method: "POST", path: "/cart/items/1/delete"},
		{method: "POST", path: "/checkout"},
		{method: "POST", path: "/task", form: url.Values{"product_id": {"1"}, "quantity": {"5"}}},
		{method: "POST", path: "/account/sessions/revoke-others"},
		{method: "POST", path: "/account/password", form: url.Values{"current_password": {demoPassword}, "new_password": {"attacker-Chosen-Pass-77"}}},
		{method: "POST", path: "/logout"},
		{method: "POST", path: "/api/v1/cart/items", json: map[string]int{"product_id": 2, "quantity": 3}},
		{method: "PUT", path: "/api/v1/cart/items/1", json: map[string]int{"quantity": 9}},
		{method: "PATCH", path: "/api/v1/cart/items/1", json: map[string]int{"quantity": 9}},
		{method: "DELETE", path: "/api/v1/cart/items/1"},
		{method: "POST", path: "/api/v1/checkout"},
		{method: "POST", path: "/api/v1/task", json: map[string]int{"product_id": 1, "quantity": 5}},
		{method: "DELETE", path: "/api/v1/session"},
	}
	for _, h := range crossOriginHeaders {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			victim := a.authorized()
			elsewhere := a.authorized() // revoke-others must not end it
			expectStatus(t, victim.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 2}), http.StatusOK, "fill cart")
			before := accountState(t, victim)
			for _, f := range forgeries {
				what := f.method + " " + f.path
				res := f.send(victim.withHeaders(h.kv...))
				if strings.HasPrefix(f.path, "/api/") {
					expectErrorCode(t, res, http.StatusForbidden, "forbidden", what)
				} else {
					expectStatus(t, res, http.StatusForbidden, what)
					if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
						t.Errorf("%s: Content-Type %q, want an HTML page", what, ct)
					}
				}
				if after := accountState(t, victim); after != before {
					t.Fatalf("%s changed the account:\nbefore: %s\nafter:  %s", what, before, after)
				}
			}
			// Safe methods pass, but none of them acts: a cross-site link to
			// the logout or checkout page changes nothing.
			for _, path := range []string{"/logout", "/checkout", "/task", "/account/password", "/cart"} {
				expectStatus(t, victim.withHeaders(h.kv...).get(path), http.StatusOK, "cross-origin GET "+path)
			}
			if after := accountState(t, victim); after != before {
				t.Fatalf("a cross-origin GET changed the account:\nbefore: %s\nafter:  %s", before, after)
			}
			expectSignedInAs(t, elsewhere, "authorized_user", "the user's other session")
			for _, f := range forgeries {
				if !hasEventWhere(t, victim, "access.denied", "denied", "detail", "cross-origin "+f.method+" "+f.path) {
					t.Errorf("the refusal of %s %s is not in the trail", f.method, f.path)
				}
			}
		})
	}
}

// A forged login (login CSRF: signing the victim's browser into the
// attacker's account) is refused and issues no session.
func TestCrossOriginLoginRefused(t *testing.T) {
	t.Parallel()
	for _, h := range crossOriginHeaders {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			fresh := a.visitor().withHeaders(h.kv...)
			expectStatus(t, formLogin(fresh, "unauthorized_user", demoPassword), http.StatusForbidden, "form login")
			expectErrorCode(t, apiLogin(fresh, "unauthorized_user", demoPassword), http.StatusForbidden, "forbidden", "API login")
			if tok := fresh.token(); tok != "" {
				t.Fatalf("a refused login set a session cookie")
			}

			victim := a.authorized()
			forged := victim.withHeaders(h.kv...)
			expectStatus(t, formLogin(forged, "unauthorized_user", demoPassword), http.StatusForbidden, "form login over a session")
			expectErrorCode(t, apiLogin(forged, "unauthorized_user", demoPassword), http.StatusForbidden, "forbidden", "API login over a session")
			expectSignedInAs(t, victim, "authorized_user", "the victim after a forged login")
		})
	}
}

// What a browser sends for a same-origin request, and what non-browser
// clients send (nothing), passes.
func TestSameOriginUnsafeRequestsPass(t *testing.T) {
	t.Parallel()
	for _, kv := range [][]string{
		{"Sec-Fetch-Site", "same-origin"},
		{"Sec-Fetch-Site", "none"},
		{"Origin", "http://example.com"},
		nil,
	} {
		t.Run(strings.Join(append([]string{"headers"}, kv...), " "), func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.visitor().withHeaders(kv...)
			expectStatus(t, formLogin(c, "authorized_user", demoPassword), http.StatusSeeOther, "form login")
			expectStatus(t, c.postForm("/cart/items", url.Values{"product_id": {"1"}}), http.StatusSeeOther, "page add to cart")
			expectStatus(t, c.json("PUT", "/api/v1/cart/items/1", map[string]int{"quantity": 2}), http.StatusOK, "API set quantity")
			expectStatus(t, c.json("DELETE", "/api/v1/cart/items/1", nil), http.StatusOK, "API remove")
			expectStatus(t, c.json("DELETE", "/api/v1/session", nil), http.StatusNoContent, "API logout")
			expectStatus(t, apiLogin(c, "authorized_user", demoPassword), http.StatusCreated, "API login")
		})
	}
}

// staysOnSite reports whether a Location stays on this site: a path that
// starts with exactly one slash, which no browser reads as another host.
func staysOnSite(loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) ||
		strings.ContainsFunc(loc, unicode.IsControl) {
		return false
	}
	u, err := url.Parse(loc)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// The login's next never sends the browser to another site: hostile values
// fall back to /products, local paths are honoured.
func TestOpenRedirectThroughNext(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	cases := []struct{ next, want string }{
		{"//evil.example", "/products"},
		{"///evil.example", "/products"},
		{`/\evil.example`, "/products"},
		{`\/evil.example`, "/products"},
		{"https://evil.example", "/products"},
		{"https://evil.example/cart", "/products"},
		{"/%09/evil.example", "/products"},
		{`/%2Fevil.example"/products`, "/products"}, // decodes to //evil…, re-encodes as //evil.example%22/products
		{`/%2Fa".evil.example/cart`, "/products"},
		{"/%2F%2Fevil.example/cart", "/products"},
		{"/%5Cevil.example/cart", "/products"},
		{"/\t/evil.example", "/products"},
		{"/\r\nLocation: https://evil.example", "/products"},
		{"javascript:alert(1)", "/products"},
		{"http:/evil.example", "/products"},
		{"http:evil.example", "/products"},
		{" //evil.example", "/products"},
		{"evil.example", "/products"},
		{"/" + strings.Repeat("a", 10000), "/products"},
		{"/cart?" + strings.Repeat("x=1&", 2000), "/products"},
		{"", "/products"},
		{"/api/v1/me", "/products"}, // not pages
		{"/healthz", "/products"},
		{"/login", "/products"},
		{"/logout", "/products"},
		{"/static/style.css", "/products"},
		{"/cart", "/cart"},
		{"/orders?limit=5", "/orders?limit=5"},
		{"/account/sessions", "/account/sessions"},
	}
	for _, tc := range cases {
		c := a.visitor()
		res := c.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}, "next": {tc.next}})
		expectStatus(t, res, http.StatusSeeOther, "login with next "+strconv.Quote(tc.next))
		loc := res.Header.Get("Location")
		if !staysOnSite(loc) || loc != tc.want {
			t.Errorf("next %.60q: Location %.80q, want %q", tc.next, loc, tc.want)
		}
		// The form that carries next along must not carry a hostile one.
		page := expectStatus(t, a.visitor().get("/login?next="+url.QueryEscape(tc.next)), http.StatusOK, "login form")
		if tc.want == "/products" && tc.next != "" && strings.Contains(page, `name="next"`) {
			t.Errorf("next %.60q: the login form carries it on", tc.next)
		}
	}

	// The way back the login page is given when a visitor is sent there.
	c := a.visitor()
	res := c.get("/orders?limit=5")
	body(res)
	back, _ := url.Parse(res.Header.Get("Location"))
	res = c.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}, "next": {back.Query().Get("next")}})
	expectStatus(t, res, http.StatusSeeOther, "login with the way back")
	if loc := res.Header.Get("Location"); loc != "/orders?limit=5" {
		t.Errorf("Location %q, want /orders?limit=5", loc)
	}
}

// Another user's order or session answers 404, exactly as one that does
// not exist, and another user's session cannot be ended. The public session
// id is not a credential.
func TestOtherUsersIDs(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	owner := a.authorized()
	expectStatus(t, owner.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1}), http.StatusOK, "fill cart")
	order := decode(t, owner.json("POST", "/api/v1/checkout", nil))["order"].(map[string]any)
	orderID := strconv.FormatInt(int64(order["id"].(float64)), 10)
	_, _, ownerSession := whoAmI(t, owner)

	intruder := a.unauthorized()
	const missing = "987654"
	missingSession := "AAAAAAAAAAAAAAAAAAAAAA"

	// The page of another's order is the page of no order at all.
	theirs := expectStatus(t, intruder.get("/orders/"+orderID), http.StatusNotFound, "page of another's order")
	none := expectStatus(t, intruder.get("/orders/"+missing), http.StatusNotFound, "page of no order")
	if theirs != none || strings.Contains(theirs, "Sesame mug") {
		t.Errorf("another's order page differs from a missing one or leaks it:\n%s\n---\n%s", theirs, none)
	}
	theirs = expectStatus(t, intruder.json("GET", "/api/v1/orders/"+orderID, nil), http.StatusNotFound, "API order")
	none = expectStatus(t, intruder.json("GET", "/api/v1/orders/"+missing, nil), http.StatusNotFound, "API no order")
	if theirs != none || !strings.Contains(theirs, `"not_found"`) {
		t.Errorf("another's order in the API: %s, a missing one: %s", theirs, none)
	}

	theirs = expectStatus(t, intruder.postForm("/account/sessions/"+ownerSession+"/revoke", nil), http.StatusNotFound, "page revoke of another's session")
	none = expectStatus(t, intruder.postForm("/account/sessions/"+missingSession+"/revoke", nil), http.StatusNotFound, "page revoke of no session")
	if theirs != none {
		t.Errorf("revoking another's session answers differently from a missing one")
	}
	theirs = expectStatus(t, intruder.json("DELETE", "/api/v1/sessions/"+ownerSession, nil), http.StatusNotFound, "API revoke of another's session")
	none = expectStatus(t, intruder.json("DELETE", "/api/v1/sessions/"+missingSession, nil), http.StatusNotFound, "API revoke of no session")
	if theirs != none || !strings.Contains(theirs, `"not_found"`) {
		t.Errorf("API revoke of another's session: %s, of a missing one: %s", theirs, none)
	}
	expectSignedInAs(t, owner, "authorized_user", "the owner after the revoke attempts")
	expectSignedInAs(t, intruder, "unauthorized_user", "the intruder")

	// Public ids, as lists show them, open nothing.
	for _, id := range []string{ownerSession, sessionIDOnPage(t, owner)} {
		expectTokenDead(t, a, id, "a public session id used as a cookie")
	}
}
