package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Script injection through every field the server echoes: what a user typed
// at login, the next parameter, the User-Agent shown on the sessions page,
// form values, query parameters, paths that end up in the audit trail and
// JSON keys named in errors. No payload may come back unescaped in HTML, and
// JSON answers escape < > &.

var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'-alert(1)-'`,
}

// expectNoInjection fails if res carries payload unescaped: raw in an HTML
// answer, or <, > or & unescaped in a JSON one.
func expectNoInjection(t *testing.T, res *http.Response, payload, what string) {
	t.Helper()
	b := body(res)
	if res.StatusCode >= 500 {
		t.Errorf("%s: status %d", what, res.StatusCode)
	}
	ct := res.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		if strings.ContainsAny(b, "<>&") {
			t.Errorf("%s: JSON answer with < > or & unescaped: %.300s", what, b)
		}
	case strings.Contains(b, payload):
		t.Errorf("%s: %s answer carries %q unescaped:\n%s", what, ct, payload, b)
	}
}

func TestXSSInEchoedFields(t *testing.T) {
	t.Parallel()
	for _, p := range xssPayloads {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			check := func(res *http.Response, what string) {
				t.Helper()
				expectNoInjection(t, res, p, what)
			}
			q := url.QueryEscape(p)

			// What a visitor types or is given.
			v := a.visitorFrom("198.51.100.30")
			check(formLogin(v, p, "wrong"), "login form, username typed")
			check(formLogin(v, "authorized_user"+p, "wrong"), "login form, username with suffix")
			check(apiLogin(v, p, "wrong"), "API login, username typed")
			check(v.get("/login?next=/products?q="+q), "login form, next")
			check(v.get("/login?next="+q), "login form, next alone")
			check(v.postForm("/login", url.Values{"username": {p}, "password": {"wrong"}, "next": {"/cart?q=" + p}}), "login form, next posted")
			check(v.get("/orders?cursor="+q), "visitor sent to the login page")
			check(v.get("/"+url.PathEscape(p)), "visitor, unknown page")
			check(v.json("GET", "/api/v1/"+url.PathEscape(p), nil), "visitor, unknown API path")

			// A signed-in user whose browser sends the payload as its name.
			c := a.visitorFrom("198.51.100.31").withHeaders("User-Agent", p)
			expectStatus(t, formLogin(c, "authorized_user", demoPassword), http.StatusSeeOther, "login")
			// A path that a refusal writes into the trail.
			check(c.withHeaders("Sec-Fetch-Site", "cross-site").postForm("/cart/items/"+url.PathEscape(p)+"/delete", nil), "cross-site POST")
			check(c.json("POST", "/api/v1/cart/items", map[string]int{"product_id": 1, p: 1}), "API, unknown field named in the error")
			check(c.json("PUT", "/api/v1/cart/items/"+url.PathEscape(p), map[string]int{"quantity": 1}), "API, product id in the path")
			for _, path := range []string{
				"/", "/products", "/cart", "/checkout", "/orders", "/task", "/logout",
				"/account/sessions", "/account/activity", "/account/password",
				"/orders?cursor=" + q, "/orders?limit=" + q, "/orders/" + url.PathEscape(p),
				"/account/activity?cursor=" + q, "/account/activity?limit=" + q,
				"/account/sessions?cursor=" + q, "/account/sessions?limit=" + q,
				"/api/v1/me", "/api/v1/sessions", "/api/v1/activity", "/api/v1/cart",
				"/api/v1/orders?cursor=" + q, "/api/v1/orders?limit=" + q,
				"/api/v1/activity?cursor=" + q, "/api/v1/sessions?cursor=" + q, "/api/v1/sessions?limit=" + q,
				"/api/v1/products/" + url.PathEscape(p), "/api/v1/orders/" + url.PathEscape(p),
			} {
				check(c.get(path), "GET "+path)
			}
			forms := []struct {
				path string
				v    url.Values
			}{
				{"/cart/items", url.Values{"product_id": {p}}},
				{"/cart/items", url.Values{"product_id": {"1"}, "quantity": {p}}},
				{"/cart/items/1", url.Values{"quantity": {p}}},
				{"/cart/items/" + url.PathEscape(p), url.Values{"quantity": {"1"}}},
				{"/task", url.Values{"product_id": {p}, "quantity": {"5"}}},
				{"/task", url.Values{"product_id": {"1"}, "quantity": {p}}},
				{"/account/password", url.Values{"current_password": {demoPassword}, "new_password": {p}}},
				{"/account/sessions/" + url.PathEscape(p) + "/revoke", nil},
			}
			for _, f := range forms {
				check(c.postForm(f.path, f.v), "POST "+f.path+" "+f.v.Encode())
			}

			// The User-Agent is shown on the sessions page and kept in the
			// trail; the cross-site path is in the trail too.
			page := expectStatus(t, c.get("/account/sessions"), http.StatusOK, "sessions page")
			if !strings.Contains(page, `class="agent"`) || strings.Contains(page, p) {
				t.Errorf("sessions page does not show the browser escaped:\n%s", page)
			}
			if !hasEventWhere(t, c, "access.denied", "denied", "user_agent", p) {
				t.Errorf("the trail does not record the User-Agent as sent")
			}
		})
	}
}
