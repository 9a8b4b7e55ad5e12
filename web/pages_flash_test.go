package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// These tests hold the word a page says after an action (the flash), and
// the frictions a new user met in a trial: no word after adding to the
// cart, restocking or changing the password; a refused task form that
// forgot what was typed; money in cents in the trail; a session that
// ended without a word, its dead cookie left behind; a sign-out with a dead
// cookie that led to /login?next=%2Flogout; an expiry in the trail that
// did not say which timeout ended it.

// flashCookieOf returns the flash cookie res sets, or nil.
func flashCookieOf(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == "sesame_flash" {
			return c
		}
	}
	return nil
}

// TestFlashAfterEachAction: every form that succeeds says so on the page
// it leads to, once: the message rides in a cookie (HttpOnly, short-lived),
// never in the URL, and the page that shows it clears it.
func TestFlashAfterEachAction(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	a.authorized() // another session, for "sign out elsewhere"
	mug, lantern := itoa64(productID(t, c, skuMug)), itoa64(productID(t, c, skuLantern))
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {lantern}}), "/cart")
	c.get("/cart") // shows that flash

	tests := []struct {
		name, path string
		form       url.Values
		to, says   string
	}{
		{"add to cart", "/cart/items", url.Values{"product_id": {mug}, "quantity": {"2"}}, "/cart", "Added 2 × Sesame mug to your cart."},
		{"set quantity", "/cart/items/" + mug, url.Values{"quantity": {"3"}}, "/cart", "Your cart now holds 3 × Sesame mug."},
		{"quantity 0", "/cart/items/" + lantern, url.Values{"quantity": {"0"}}, "/cart", "Removed Cave lantern from your cart."},
		{"remove", "/cart/items/" + mug + "/delete", nil, "/cart", "Removed Sesame mug from your cart."},
		{"restock", "/task", url.Values{"product_id": {lantern}, "quantity": {"5"}}, "/task", "Restocked Cave lantern: 8 now in stock."},
		{"sign out elsewhere", "/account/sessions/revoke-others", nil, "/account/sessions", "Signed out everywhere else: 1 other session ended."},
		{"password", "/account/password", url.Values{"current_password": {demoPassword}, "new_password": {"a fresh passphrase"}},
			"/account/sessions", "Password changed; your other sessions were signed out."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.postForm(tt.path, tt.form)
			expectRedirect(t, res, tt.to)
			fc := flashCookieOf(res)
			if fc == nil {
				t.Fatalf("POST %s set no flash cookie", tt.path)
			}
			if !fc.HttpOnly || fc.MaxAge <= 0 || fc.MaxAge > 60 || fc.Path != "/" || fc.SameSite != http.SameSiteLaxMode {
				t.Errorf("flash cookie %+v, want HttpOnly, SameSite=Lax, Path=/ and at most a minute", fc)
			}
			page := expectHTML(t, c.get(tt.to), http.StatusOK, `role="status"`, escaped(tt.says))
			if strings.Index(page, escaped(tt.says)) > strings.Index(page, "<h1>") {
				t.Error("the message comes after the page's heading, not before it")
			}
			if again := body(c.get(tt.to)); strings.Contains(again, escaped(tt.says)) {
				t.Error("the message is shown a second time")
			}
		})
	}
	// The order page says the order is placed.
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}}), "/cart")
	res := c.postForm("/checkout", nil)
	expectStatus(t, res, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	expectHTML(t, c.get(loc), http.StatusOK, "Thank you: order #"+strings.TrimPrefix(loc, "/orders/")+" is placed.")
}

// escaped is s as a template writes it into a page.
func escaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestFlashCookieFromElsewhere: a flash cookie that this server did not
// write (planted by another site on the host, or mangled) shows nothing
// but the shop's own messages, escaped, and is cleared all the same.
func TestFlashCookieFromElsewhere(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, value, want, notWant string
	}{
		{"markup in an argument", "cart-added." + enc("2") + "." + enc("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert"},
		{"unknown code", "you-won." + enc("a prize"), "", "a prize"},
		{"too few arguments", "cart-added." + enc("2"), "", "Added 2"},
		{"not base64", "cart-added.%%%.***", "", "Added"},
		{"too long", "cart-added." + enc("2") + "." + enc(strings.Repeat("x", 500)), "", "xxxxxxxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.authorized()
			c.jar.SetCookies(siteURL, []*http.Cookie{{Name: "sesame_flash", Value: tt.value, Path: "/"}})
			res := c.get("/products")
			page := expectHTML(t, res, http.StatusOK, tt.want)
			if strings.Contains(page, tt.notWant) {
				t.Errorf("the page shows %q", tt.notWant)
			}
			if fc := flashCookieOf(res); fc == nil || fc.MaxAge >= 0 {
				t.Errorf("the flash cookie was not cleared: %+v", fc)
			}
		})
	}
}

// TestRefusedTaskKeepsInput: a refused restock shows the form again with
// the product and quantity that were sent, each refusal tied to its field
// and named by its label.
func TestRefusedTaskKeepsInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	lantern := itoa64(productID(t, c, skuLantern))
	for _, quantity := range []string{"0", "1001", "lots"} {
		page := expectHTML(t, c.postForm("/task", url.Values{"product_id": {lantern}, "quantity": {quantity}}), http.StatusBadRequest,
			`<option value="`+lantern+`" selected>Cave lantern`, `value="`+quantity+`"`,
			`aria-invalid="true" aria-describedby="task-quantity-error"`, `id="task-quantity-error">Quantity: `,
			"<strong>Quantity</strong>: ")
		if strings.Contains(page, "<code>quantity</code>") {
			t.Errorf("quantity %s: the refusal names the field by its code", quantity)
		}
	}
	// A fresh form starts at 10 of the first product.
	page := expectHTML(t, c.get("/task"), http.StatusOK, `value="10"`)
	if strings.Contains(page, " selected>") {
		t.Error("a fresh task form has a product chosen")
	}
}

// TestActivityShowsMoney: the trail shows a checkout's total as money, as
// every other page does, never in cents.
func TestActivityShowsMoney(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug := itoa64(productID(t, c, skuMug))
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}, "quantity": {"2"}}), "/cart")
	expectStatus(t, c.postForm("/checkout", nil), http.StatusSeeOther)
	page := expectHTML(t, c.get("/account/activity"), http.StatusOK, "total $24.00")
	if strings.Contains(mainPart(page), "cents") {
		t.Errorf("the trail shows cents:\n%s", pageExcerpt(mainPart(page)))
	}
}

// TestSessionEndedNotice: a browser whose session timed out or was revoked
// is sent to sign in, told that its session ended, and its dead cookie is
// cleared; the trail then says which timeout ended it.
func TestSessionEndedNotice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		end   func(a *testApp, c *client)
		trail string // in the trail afterwards
	}{
		{"idle", func(a *testApp, c *client) { a.clock.Advance(31 * time.Minute) }, "idle timeout: the session was unused too long"},
		{"lifetime", func(a *testApp, c *client) {
			for range 12*3 - 1 { // active all along, up to 11h40m
				a.clock.Advance(20 * time.Minute)
				expectStatus(t, c.get("/cart"), http.StatusOK)
			}
			a.clock.Advance(20 * time.Minute) // 12h
		}, "absolute timeout: the session reached its maximum lifetime"},
		{"revoked", func(a *testApp, c *client) {
			expectRedirect(t, a.authorized().postForm("/account/sessions/revoke-others", nil), "/account/sessions")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.authorized()
			tt.end(a, c)
			res := c.get("/cart")
			expectLoginRedirect(t, res, "/cart")
			cleared := false
			for _, ck := range res.Cookies() {
				cleared = cleared || (ck.Name == "sesame_session" && ck.MaxAge < 0)
			}
			if !cleared {
				t.Errorf("the dead session cookie was not cleared: %v", res.Header.Values("Set-Cookie"))
			}
			expectHTML(t, c.get(res.Header.Get("Location")), http.StatusOK, "Your session ended")
			if page := body(c.get("/login")); strings.Contains(page, "Your session ended") {
				t.Error("the notice is shown a second time")
			}
			if tt.trail != "" {
				again := a.authorized()
				expectHTML(t, again.get("/account/activity"), http.StatusOK, tt.trail)
			}
		})
	}
}

// TestSignOutWithDeadCookie: pressing Sign out on a page whose session has
// already ended leads to the login page itself (not to sign in on the way
// to /logout), with the notice and the cookie cleared; a visitor with no
// cookie is simply sent there.
func TestSignOutWithDeadCookie(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	a.clock.Advance(31 * time.Minute)
	res := c.postForm("/logout", nil)
	expectRedirect(t, res, "/login")
	if c.token() != "" {
		t.Error("the dead session cookie is still held")
	}
	expectHTML(t, c.get("/login"), http.StatusOK, "Your session ended")

	v := a.visitor()
	res = v.postForm("/logout", nil)
	expectRedirect(t, res, "/login")
	if flashCookieOf(res) != nil {
		t.Error("a visitor who never signed in is told a session ended")
	}

	// A live session signs out as before, and says so.
	c = a.authorized()
	res = c.postForm("/logout", nil)
	expectRedirect(t, res, "/login")
	mustBeSignedOut(t, c)
}

// TestHeaderAndProducts: the header counts the cart's pieces; the product
// list shows stock running out and disables the form of a product sold
// out; the favicon is served to anyone.
func TestHeaderAndProducts(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug, lantern := itoa64(productID(t, c, skuMug)), itoa64(productID(t, c, skuLantern))
	expectHTML(t, c.get("/products"), http.StatusOK, "only 3 left")
	if strings.Contains(headerPart(body(c.get("/products"))), `class="badge"`) {
		t.Error("the header counts items in an empty cart")
	}
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {mug}, "quantity": {"2"}}), "/cart")
	expectRedirect(t, c.postForm("/cart/items", url.Values{"product_id": {lantern}, "quantity": {"3"}}), "/cart")
	for _, path := range []string{"/products", "/cart", "/orders"} {
		if h := headerPart(body(c.get(path))); !strings.Contains(h, `Cart<span class="visually-hidden">, </span><span class="badge">5</span><span class="visually-hidden"> items</span></a>`) {
			t.Errorf("%s: the header does not count 5 items:\n%s", path, h)
		}
	}
	expectStatus(t, c.postForm("/checkout", nil), http.StatusSeeOther)
	page := expectHTML(t, c.get("/products"), http.StatusOK, "sold out", "<fieldset disabled")
	card := between(page, `<li class="product sold-out">`, "</li>")
	if !strings.Contains(card, "Cave lantern") || !strings.Contains(card, "<fieldset disabled") {
		t.Errorf("the lantern's card is not sold out:\n%s", card)
	}
	if strings.Count(page, "<fieldset disabled") != 1 {
		t.Error("more than the sold-out product has its form disabled")
	}

	for _, who := range []*client{a.visitor(), c} {
		res := who.get("/favicon.ico")
		expectStatus(t, res, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "image/x-icon" {
			t.Errorf("favicon Content-Type %q", ct)
		}
	}
}

// TestFriendlyErrorPages: each error page says in plain words what
// happened and what to do next, and links on.
func TestFriendlyErrorPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	u := a.unauthorized()
	expectHTML(t, u.get("/checkout"), http.StatusForbidden, "<h1>Not allowed</h1>", "You are not allowed to check out.",
		"ask an administrator", `href="/products"`)
	expectHTML(t, u.get("/orders/999999"), http.StatusNotFound, "<h1>Page not found</h1>", "mistyped", `href="/products"`)
	expectHTML(t, u.postForm("/checkout", nil), http.StatusForbidden, "<h1>Not allowed</h1>")
	c := a.authorized()
	expectHTML(t, c.postForm("/checkout", nil), http.StatusConflict, "Your cart is empty.", `href="/cart"`)
}
