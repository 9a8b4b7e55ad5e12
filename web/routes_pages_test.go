package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The pages of CONTRACT §4 for each kind of visitor of §3. The shop and
// account flows through these pages are in routes_shop_test.go and
// routes_account_test.go.

// TestPagesVisitor: a visitor who is not signed in reaches the public pages
// and is sent to the login page, with the way back, from every other one,
// whatever the method; nothing changes.
func TestPagesVisitor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	v := a.visitor()

	public := []struct{ path, snippet string }{
		{"/", "Welcome to sesame"},
		{"/login", `name="username"`},
		{"/healthz", `"status":"ok"`},
		{"/readyz", `"status":"ok"`},
		{"/static/style.css", "{"},
	}
	for _, p := range public {
		if b := expectStatus(t, v.get(p.path), http.StatusOK); !strings.Contains(b, p.snippet) {
			t.Errorf("GET %s: body lacks %q", p.path, p.snippet)
		}
	}

	restricted := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/logout", nil},
		{"GET", "/products", nil},
		{"POST", "/cart/items", url.Values{"product_id": {"1"}, "quantity": {"1"}}},
		{"GET", "/cart", nil},
		{"POST", "/cart/items/1", url.Values{"quantity": {"2"}}},
		{"POST", "/cart/items/1/delete", nil},
		{"GET", "/checkout", nil},
		{"POST", "/checkout", nil},
		{"GET", "/orders", nil},
		{"GET", "/orders?limit=1", nil},
		{"GET", "/orders/1", nil},
		{"GET", "/task", nil},
		{"POST", "/task", url.Values{"product_id": {"6"}, "quantity": {"10"}}},
		{"GET", "/account/sessions", nil},
		{"POST", "/account/sessions/abc/revoke", nil},
		{"POST", "/account/sessions/revoke-others", nil},
		{"GET", "/account/activity", nil},
		{"GET", "/account/password", nil},
		{"POST", "/account/password", url.Values{"current_password": {demoPassword}, "new_password": {"a fresh passphrase"}}},
	}
	for _, r := range restricted {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			res := v.do(r.method, r.path, "application/x-www-form-urlencoded", strings.NewReader(r.form.Encode()))
			expectLoginRedirect(t, res, r.path)
			if v.token() != "" {
				t.Errorf("a visitor was given a session cookie")
			}
		})
	}

	// Nothing a visitor posted took effect.
	u := a.authorized()
	if got := stockOf(t, u, productID(t, u, skuLantern)); got != 3 {
		t.Errorf("lantern stock %d after a visitor's POST /task, want 3", got)
	}
}

// TestPagesLogin: the login form signs in with a new session, to next or
// /products; a failure answers 401 with the form and one generic message.
func TestPagesLogin(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	v := a.visitor()
	for _, creds := range []url.Values{
		{"username": {"authorized_user"}, "password": {"wrong password"}},
		{"username": {"nobody"}, "password": {demoPassword}},
	} {
		expectHTML(t, v.postForm("/login", creds), http.StatusUnauthorized,
			"Invalid username or password.", `name="password"`)
		if v.token() != "" {
			t.Fatal("a failed login set a session cookie")
		}
	}
	expectRedirect(t, formLogin(v, "authorized_user", demoPassword), "/products")
	first := v.token()
	if first == "" || !isSignedIn(t, v) {
		t.Fatal("no session after login")
	}
	expectRedirect(t, v.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword},
		"next": {"/orders?limit=1"}}), "/orders?limit=1")
	if v.token() == first {
		t.Error("a second login kept the session id")
	}
	old := a.visitor()
	old.setToken(first)
	if isSignedIn(t, old) {
		t.Error("the session id before login still works after it")
	}
}

// signedInPageRoutes are the pages of §4 for a signed-in user. Each runs on
// its own app, first as unauthorized_user, then as authorized_user. In path
// and form, {mug}, {lantern} and {session} stand for the mug's and the
// lantern's ids and the user's public session id.
var signedInPageRoutes = []struct {
	name         string
	method, path string
	form         url.Values
	prep         func(t *testing.T, c *client) // runs before the request
	unauthorized int                           // status for unauthorized_user
	authorized   int                           // status for authorized_user
	location     string                        // a 303's Location, a regexp
	snippet      string                        // what a 200 page says
	refusal      string                        // what a 403 page says
	denied       string                        // the permission a 403 audits
	after        func(t *testing.T, c *client, allowed bool)
}{
	{name: "home", method: "GET", path: "/", authorized: 200, unauthorized: 200, snippet: "You are signed in as"},
	{name: "login form", method: "GET", path: "/login", authorized: 200, unauthorized: 200, snippet: `name="username"`},
	{name: "logout form", method: "GET", path: "/logout", authorized: 200, unauthorized: 200, snippet: `action="/logout"`,
		after: func(t *testing.T, c *client, _ bool) { mustBeSignedIn(t, c) }},
	{name: "logout", method: "POST", path: "/logout", authorized: 303, unauthorized: 303, location: "/login",
		after: func(t *testing.T, c *client, _ bool) { mustBeSignedOut(t, c) }},
	{name: "products", method: "GET", path: "/products", authorized: 200, unauthorized: 200, snippet: "Cave lantern"},
	{name: "add to cart", method: "POST", path: "/cart/items", form: url.Values{"product_id": {"{mug}"}},
		authorized: 303, unauthorized: 303, location: "/cart",
		after: func(t *testing.T, c *client, _ bool) { mustHaveCart(t, c, skuMug, 1) }},
	{name: "cart", method: "GET", path: "/cart", authorized: 200, unauthorized: 200, snippet: "Your cart is empty"},
	{name: "set quantity", method: "POST", path: "/cart/items/{mug}", form: url.Values{"quantity": {"2"}},
		authorized: 303, unauthorized: 303, location: "/cart",
		after: func(t *testing.T, c *client, _ bool) { mustHaveCart(t, c, skuMug, 2) }},
	{name: "remove from cart", method: "POST", path: "/cart/items/{mug}/delete", prep: addMug,
		authorized: 303, unauthorized: 303, location: "/cart",
		after: func(t *testing.T, c *client, _ bool) { mustHaveCart(t, c, skuMug, 0) }},
	{name: "checkout review", method: "GET", path: "/checkout", prep: addMug,
		authorized: 200, unauthorized: 403, snippet: "Place the order",
		refusal: "You are not allowed to check out.", denied: "checkout"},
	{name: "checkout", method: "POST", path: "/checkout", prep: addMug,
		authorized: 303, unauthorized: 403, location: `/orders/[1-9][0-9]*`,
		refusal: "You are not allowed to check out.", denied: "checkout",
		after: func(t *testing.T, c *client, allowed bool) {
			mustHaveCart(t, c, skuMug, map[bool]int64{true: 0, false: 1}[allowed])
			if n := orderCount(t, c); n != map[bool]int{true: 1, false: 0}[allowed] {
				t.Errorf("%d orders after POST /checkout (allowed %v)", n, allowed)
			}
		}},
	{name: "orders", method: "GET", path: "/orders", authorized: 200, unauthorized: 200, snippet: "You have no orders yet."},
	{name: "task form", method: "GET", path: "/task", authorized: 200, unauthorized: 403, snippet: "Cave lantern (3 in stock)",
		refusal: "You are not allowed to perform the task.", denied: "task.perform"},
	{name: "task", method: "POST", path: "/task", form: url.Values{"product_id": {"{lantern}"}, "quantity": {"10"}},
		authorized: 303, unauthorized: 403, location: "/task",
		refusal: "You are not allowed to perform the task.", denied: "task.perform",
		after: func(t *testing.T, c *client, allowed bool) {
			// unauthorized_user runs first: their refusal leaves 3.
			want := map[bool]int64{true: 13, false: 3}[allowed]
			if got := stockOf(t, c, productID(t, c, skuLantern)); got != want {
				t.Errorf("lantern stock %d, want %d", got, want)
			}
		}},
	{name: "sessions", method: "GET", path: "/account/sessions", authorized: 200, unauthorized: 200, snippet: "This device"},
	{name: "revoke own session", method: "POST", path: "/account/sessions/{session}/revoke",
		authorized: 303, unauthorized: 303, location: "/login",
		after: func(t *testing.T, c *client, _ bool) { mustBeSignedOut(t, c) }},
	{name: "revoke others", method: "POST", path: "/account/sessions/revoke-others",
		authorized: 303, unauthorized: 303, location: "/account/sessions",
		after: func(t *testing.T, c *client, _ bool) { mustBeSignedIn(t, c) }},
	{name: "activity", method: "GET", path: "/account/activity", authorized: 200, unauthorized: 200, snippet: "<td>login</td>"},
	{name: "password form", method: "GET", path: "/account/password", authorized: 200, unauthorized: 200, snippet: `name="new_password"`},
	{name: "change password", method: "POST", path: "/account/password",
		form:       url.Values{"current_password": {demoPassword}, "new_password": {"a fresh passphrase"}},
		authorized: 303, unauthorized: 303, location: "/account/sessions",
		after: func(t *testing.T, c *client, _ bool) { mustBeSignedIn(t, c) }},
}

// TestPagesSignedIn: every page of §4 for a user without the permission
// (403, a page saying what was refused, an access.denied event in their
// activity, nothing changed) and with it (the page's success).
func TestPagesSignedIn(t *testing.T) {
	t.Parallel()
	for _, r := range signedInPageRoutes {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			for _, u := range []struct {
				name string
				want int
			}{{"unauthorized_user", r.unauthorized}, {"authorized_user", r.authorized}} {
				c := a.login(u.name, demoPassword)
				if r.prep != nil {
					r.prep(t, c)
				}
				sub := strings.NewReplacer(
					"{mug}", itoa64(productID(t, c, skuMug)),
					"{lantern}", itoa64(productID(t, c, skuLantern)),
					"{session}", sessionID(t, c))
				form := url.Values{}
				for k, vs := range r.form {
					form.Set(k, sub.Replace(vs[0]))
				}
				res := c.do(r.method, sub.Replace(r.path), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
				switch u.want {
				case http.StatusOK:
					expectHTML(t, res, u.want, r.snippet)
				case http.StatusSeeOther:
					expectStatus(t, res, u.want)
					if loc := res.Header.Get("Location"); !regexp.MustCompile(`^` + r.location + `$`).MatchString(loc) {
						t.Errorf("%s: Location %q, want %s", u.name, loc, r.location)
					}
				case http.StatusForbidden:
					expectHTML(t, res, u.want, r.refusal)
					expectHTML(t, c.get("/account/activity"), http.StatusOK,
						"<td>access.denied</td><td>denied</td>", "<td>"+r.denied+"</td>")
				default:
					t.Fatalf("no check for status %d", u.want)
				}
				if r.after != nil {
					r.after(t, c, u.want != http.StatusForbidden)
				}
			}
		})
	}
}

// TestOrderPagesOwnOnly: an order page shows one's own order; another
// user's answers 404 like a missing one, except to the admin (§3).
func TestOrderPagesOwnOnly(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	buyer := a.authorized()
	addMug(t, buyer)
	res := buyer.postForm("/checkout", nil)
	expectStatus(t, res, http.StatusSeeOther)
	path := res.Header.Get("Location")

	expectHTML(t, buyer.get(path), http.StatusOK, "Order #"+strings.TrimPrefix(path, "/orders/"), "Sesame mug", "$12.00")
	expectHTML(t, buyer.get("/orders"), http.StatusOK, `href="`+path+`"`)
	expectHTML(t, a.admin().get(path), http.StatusOK, "Sesame mug")

	other := a.unauthorized()
	expectHTML(t, other.get(path), http.StatusNotFound)
	if page := expectHTML(t, other.get("/orders"), http.StatusOK, "You have no orders yet."); strings.Contains(page, path) {
		t.Error("another user's order is listed")
	}
	for _, p := range []string{"/orders/999999", "/orders/0", "/orders/abc"} {
		expectHTML(t, buyer.get(p), http.StatusNotFound)
	}
}

// TestUnknownPage: a path with no page answers 404 in HTML, and a wrong
// method 405 with Allow, to a signed-in user. A visitor is sent to sign in
// instead, as from every page that is not public (CONTRACT §3), so that
// probing shows them nothing of what exists; public paths (/static/,
// /login) still answer 404 and 405.
func TestUnknownPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	user, visitor := a.authorized(), a.visitor()

	expectHTML(t, user.get("/no/such/page"), http.StatusNotFound, "<h1>Page not found</h1>", "There is nothing here.")
	expectAPIError(t, user.json("GET", "/api/v1/nope", nil), http.StatusNotFound, "not_found")
	res := user.do(http.MethodDelete, "/cart", "", nil)
	expectHTML(t, res, http.StatusMethodNotAllowed)
	if res.Header.Get("Allow") == "" {
		t.Error("405 without an Allow header")
	}

	for _, path := range []string{"/no/such/page", "/admin/users"} {
		res := visitor.get(path)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(path) {
			t.Errorf("visitor GET %s: %d to %q, want 303 to the login page", path, res.StatusCode, loc)
		}
	}
	if res := visitor.do(http.MethodDelete, "/cart", "", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor DELETE /cart: %d, want 303 to the login page", res.StatusCode)
	}
	expectAPIError(t, visitor.json("GET", "/api/v1/nope", nil), http.StatusUnauthorized, "unauthenticated")
	expectAPIError(t, visitor.json("PATCH", "/api/v1/cart", nil), http.StatusUnauthorized, "unauthenticated")
	expectHTML(t, visitor.get("/static/nope.css"), http.StatusNotFound)
	if res := visitor.do(http.MethodPut, "/login", "", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("visitor PUT /login: %d, want 405", res.StatusCode)
	}
	expectAPIError(t, visitor.json("GET", "/api/v1/session", nil), http.StatusMethodNotAllowed, "method_not_allowed")
}
