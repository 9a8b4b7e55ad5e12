package web_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The JSON API of CONTRACT §5 for each kind of visitor of §3: who gets in,
// the sign-in answers, and the error shapes. The shop and account calls
// are in routes_api_shop_test.go and routes_api_account_test.go.

// The shapes of §5's objects. Keys beyond §5 are listed too, marked, so
// that an answer that grows a key (a hash, a token) fails here first.
var (
	userShape    = shape{"id": "number", "username": "string", "roles": "array", "permissions": "array"}
	sessionShape = shape{"id": "string", "created_at": "time", "last_seen_at": "time", "expires_at": "time",
		"idle_expires_at": "time", "ip": "string", "user_agent": "string", "current": "bool", "remembered": "bool"}
	productShape = shape{"id": "number", "sku": "string", "name": "string", "description": "string",
		"price_cents": "number", "stock": "number"}
	cartShape = shape{"items": "array", "total_cents": "number"}
	lineShape = shape{"product_id": "number", "name": "string", "quantity": "number",
		"unit_price_cents": "number", "line_total_cents": "number"}
	orderShape = shape{"id": "number", "total_cents": "number", "items": "array",
		"created_at": "time"} // beyond §5: created_at
	eventShape = shape{"time": "time", "action": "string", "outcome": "string", "session_id": "string",
		"ip": "string", "user_agent": "string", "detail": "string"}
)

// apiCalls are the calls of §5 that need a signed-in user, each with a body
// that a user allowed to make it would have accepted.
var apiCalls = []struct {
	method, path string
	body         any
}{
	{"DELETE", "/api/v1/session", nil},
	{"GET", "/api/v1/me", nil},
	{"GET", "/api/v1/products", nil},
	{"GET", "/api/v1/products/1", nil},
	{"GET", "/api/v1/cart", nil},
	{"POST", "/api/v1/cart/items", map[string]any{"product_id": 1, "quantity": 1}},
	{"PUT", "/api/v1/cart/items/1", map[string]any{"quantity": 2}},
	{"DELETE", "/api/v1/cart/items/1", nil},
	{"POST", "/api/v1/checkout", nil},
	{"GET", "/api/v1/orders", nil},
	{"GET", "/api/v1/orders/1", nil},
	{"POST", "/api/v1/task", map[string]any{"product_id": 6, "quantity": 10}},
	{"GET", "/api/v1/sessions", nil},
	{"DELETE", "/api/v1/sessions/abc", nil},
	{"GET", "/api/v1/activity", nil},
}

// TestAPIVisitor: without a session every call but signing in answers 401
// unauthenticated, and nothing changes.
func TestAPIVisitor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	v := a.visitor()
	for _, call := range apiCalls {
		t.Run(call.method+" "+call.path, func(t *testing.T) {
			expectAPIError(t, v.json(call.method, call.path, call.body), http.StatusUnauthorized, "unauthenticated")
			if v.token() != "" {
				t.Error("a visitor was given a session cookie")
			}
		})
	}
	u := a.authorized()
	if got := stockOf(t, u, 6); got != 3 {
		t.Errorf("stock of product 6 is %d after a visitor's task, want 3", got)
	}
}

// TestAPIForbidden: a user without the permission gets 403 forbidden for
// checkout and the task, audited, with nothing sold or restocked.
func TestAPIForbidden(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.unauthorized()
	lantern := productID(t, c, skuLantern)
	expectJSON(t, c.json("POST", "/api/v1/cart/items", map[string]any{"product_id": lantern}), http.StatusOK)

	e := expectAPIError(t, c.json("POST", "/api/v1/checkout", nil), http.StatusForbidden, "forbidden")
	if !strings.Contains(e["message"].(string), "check out") {
		t.Errorf("the refusal does not say what was refused: %v", e)
	}
	e = expectAPIError(t, c.json("POST", "/api/v1/task", map[string]any{"product_id": lantern, "quantity": 10}),
		http.StatusForbidden, "forbidden")
	if !strings.Contains(e["message"].(string), "perform the task") {
		t.Errorf("the refusal does not say what was refused: %v", e)
	}
	if !hasEvent(t, c, "access.denied", "denied", "checkout") || !hasEvent(t, c, "access.denied", "denied", "task.perform") {
		t.Error("the refusals are not in the activity")
	}
	mustHaveCart(t, c, skuLantern, 1)
	if orderCount(t, c) != 0 || stockOf(t, c, lantern) != 3 {
		t.Error("a refused call changed something")
	}
}

// TestAPIReads: each call that reads answers 200 in its shape to every
// signed-in user, with or without checkout and the task.
func TestAPIReads(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for _, c := range []*client{a.unauthorized(), a.authorized(), a.admin()} {
		me := expectShape(t, "me", apiGet(t, c, "/api/v1/me"), meShape)
		expectShape(t, "me.user", me["user"], userShape)
		expectShape(t, "me.session", me["session"], sessionShape)
		for _, p := range apiGet(t, c, "/api/v1/products")["products"].([]any) {
			expectShape(t, "product", p, productShape)
		}
		expectShape(t, "product 1", apiGet(t, c, "/api/v1/products/1"), productShape)
		expectShape(t, "cart", apiGet(t, c, "/api/v1/cart"), cartShape)
		for _, list := range []struct{ path, key string }{
			{"/api/v1/orders", "orders"}, {"/api/v1/sessions", "sessions"}, {"/api/v1/activity", "events"},
		} {
			v := expectShape(t, list.path, apiGet(t, c, list.path), shape{list.key: "array", "next_cursor": "cursor"})
			if v["next_cursor"] != nil {
				t.Errorf("%s: next_cursor %v on the only page", list.path, v["next_cursor"])
			}
		}
	}
}

// TestAPISignIn: signing in answers 201 with the user, the session and a
// cookie; /me answers the same; signing out answers 204 and the session is
// dead for every holder of its cookie.
func TestAPISignIn(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	// A clock off the whole millisecond: a time just made must be written
	// as it will be read back from the store.
	a.clock.Advance(123456789 * time.Nanosecond)
	c := a.visitor()
	res := apiLogin(c, "authorized_user", demoPassword)
	login := expectShape(t, "login", expectJSON(t, res, http.StatusCreated), meShape)
	user := expectShape(t, "login.user", login["user"], userShape)
	sess := expectShape(t, "login.session", login["session"], sessionShape)
	if c.token() == "" || !slices.ContainsFunc(res.Cookies(), func(ck *http.Cookie) bool { return ck.Name == "sesame_session" && ck.HttpOnly }) {
		t.Fatalf("no HttpOnly session cookie: %v", res.Cookies())
	}
	if user["username"] != "authorized_user" || !reflect.DeepEqual(user["roles"], []any{"customer", "privileged"}) {
		t.Errorf("user %v", user)
	}
	for _, p := range []any{"products.view", "cart.edit", "checkout", "task.perform"} {
		if !slices.Contains(user["permissions"].([]any), p) {
			t.Errorf("permissions %v lack %v", user["permissions"], p)
		}
	}
	if slices.Contains(user["permissions"].([]any), any("admin")) {
		t.Errorf("authorized_user has admin: %v", user["permissions"])
	}
	if sess["expires_at"] != "2026-03-04T22:00:00.123Z" || sess["idle_expires_at"] != "2026-03-04T10:30:00.123Z" {
		t.Errorf("session ends %v, idle %v; want 12h and 30m after 10:00Z", sess["expires_at"], sess["idle_expires_at"])
	}
	if strings.Contains(sess["id"].(string), c.token()) || strings.Contains(c.token(), sess["id"].(string)) {
		t.Error("the public session id is the token")
	}

	me := apiGet(t, c, "/api/v1/me")
	if !reflect.DeepEqual(me, login) {
		t.Errorf("/me %v differs from the login answer %v", me, login)
	}

	perms := apiGet(t, a.unauthorized(), "/api/v1/me")["user"].(map[string]any)["permissions"].([]any)
	if slices.Contains(perms, any("checkout")) || slices.Contains(perms, any("task.perform")) {
		t.Errorf("unauthorized_user may %v", perms)
	}

	copyHolder := a.visitor()
	copyHolder.setToken(c.token())
	res = c.json("DELETE", "/api/v1/session", nil)
	if b := expectStatus(t, res, http.StatusNoContent); b != "" {
		t.Errorf("204 with a body: %q", b)
	}
	expectAPIError(t, c.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	expectAPIError(t, copyHolder.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
}

// TestAPISignInRefused: wrong credentials answer 401; missing ones 400
// naming the fields.
func TestAPISignInRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.visitor()
	for _, creds := range []map[string]any{
		{"username": "authorized_user", "password": "wrong"},
		{"username": "nobody", "password": demoPassword},
	} {
		e := expectAPIError(t, c.json("POST", "/api/v1/session", creds), http.StatusUnauthorized, "unauthenticated")
		if e["message"] != "Invalid username or password." {
			t.Errorf("message %q", e["message"])
		}
	}
	e := expectAPIError(t, c.json("POST", "/api/v1/session", map[string]any{}), http.StatusBadRequest, "bad_request")
	expectFields(t, e, "username", "password")
	if c.token() != "" {
		t.Error("a refused sign-in set a cookie")
	}
}

// TestAPIListParameters: ?limit= from 1 to 500 and only a cursor the list
// gave out; anything else is 400 naming the parameter.
func TestAPIListParameters(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	for _, list := range []string{"/api/v1/orders", "/api/v1/activity", "/api/v1/sessions"} {
		for _, q := range []string{"limit=0", "limit=501", "limit=abc", "limit=-1", "limit=1.5"} {
			expectFields(t, expectAPIError(t, c.json("GET", list+"?"+q, nil), http.StatusBadRequest, "bad_request"), "limit")
		}
		for _, q := range []string{"cursor=garbage", "cursor=-5"} {
			expectFields(t, expectAPIError(t, c.json("GET", list+"?"+q, nil), http.StatusBadRequest, "bad_request"), "cursor")
		}
		for _, q := range []string{"limit=1", "limit=500", ""} {
			expectJSON(t, c.json("GET", list+"?"+q, nil), http.StatusOK)
		}
	}
}

// TestAPIUnknownRoutes: an unknown API path is a JSON 404, a wrong method
// a JSON 405 with Allow; a page path that does not exist is an HTML 404.
func TestAPIUnknownRoutes(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	for _, path := range []string{"/api/v1/nope", "/api/v2/products", "/api", "/api/v1/products/abc", "/api/v1/products/999999", "/api/v1/orders/0"} {
		expectAPIError(t, c.json("GET", path, nil), http.StatusNotFound, "not_found")
	}
	for _, call := range []struct{ method, path, allow string }{
		{"PATCH", "/api/v1/cart", "GET"},
		{"DELETE", "/api/v1/products", "GET"},
		{"GET", "/api/v1/checkout", "POST"},
		{"PUT", "/api/v1/session", "POST"},
	} {
		res := c.json(call.method, call.path, nil)
		expectAPIError(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
		if allow := res.Header.Get("Allow"); !strings.Contains(allow, call.allow) {
			t.Errorf("%s %s: Allow %q, want %s in it", call.method, call.path, allow, call.allow)
		}
	}
	expectHTML(t, c.get("/nope"), http.StatusNotFound, "Page not found")
}

// meShape is the shape of the sign-in answer and of /api/v1/me.
var meShape = shape{"user": "object", "session": "object", "aal": "string", "factors": "array"}
