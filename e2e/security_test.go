package e2e

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/sesamehq/sesame"
)

// This file holds the security promises of CONTRACT §6 that only a browser
// can show. (The CSP promise, zero violations on every page, is kept by
// every test: the browser fails any test whose pages report one.)

// sessionCookie is the name of the session cookie over plain HTTP.
const sessionCookie = "sesame_session"

// TestSessionCookieIsHttpOnly: the session cookie is HttpOnly, SameSite=Lax,
// for the whole host only and for the browser session only. A script in the
// page can neither read nor replace it, yet the browser sends it: the
// session works, for pages and for the page's own API calls.
func TestSessionCookieIsHttpOnly(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)

	c := b.cookie(sessionCookie)
	if c == nil {
		t.Fatalf("no %s cookie after signing in", sessionCookie)
	}
	if !c.HTTPOnly {
		t.Errorf("%s is not HttpOnly", sessionCookie)
	}
	if c.SameSite != network.CookieSameSiteLax {
		t.Errorf("%s has SameSite %q, want Lax", sessionCookie, c.SameSite)
	}
	if c.Path != "/" || c.Domain != "127.0.0.1" {
		t.Errorf("%s is for %s%s, want the host 127.0.0.1 and the path /", sessionCookie, c.Domain, c.Path)
	}
	if !c.Session {
		t.Errorf("%s outlives the browser session (expires %v)", sessionCookie, c.Expires)
	}

	if got := eval[string](b, `document.cookie`); strings.Contains(got, sessionCookie) {
		t.Errorf("document.cookie shows the session cookie: %q", got)
	}
	eval[chromedp.Void](b, `void(document.cookie = '`+sessionCookie+`=chosen-by-a-script; path=/')`)
	if got := b.cookie(sessionCookie); got == nil || got.Value != c.Value || !got.HTTPOnly {
		t.Errorf("a script replaced the session cookie: now %+v", got)
	}

	me := eval[string](b, `fetch('/api/v1/me').then(r => r.ok ? r.json().then(j => j.user.username) : 'status ' + r.status)`)
	if me != "authorized_user" {
		t.Errorf("the page's own call to /api/v1/me: %s, want authorized_user", me)
	}
	b.click(navLink("Main", "Cart"))
	b.wantPage("/cart", "Your cart")
}

// cookie returns the browser's cookie name for the site, or nil.
func (b *browser) cookie(name string) *network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.site.url("/")}})
	if err != nil {
		b.t.Fatalf("%s: reading the cookies: %v", b.name, err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestBackAfterSignOutShowsNothingPrivate: after signing out, the Back
// button does not bring the cart or the products back from any cache: the
// pages are no-store, so the browser asks again and is sent to the login.
func TestBackAfterSignOutShowsNothingPrivate(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)
	b.click(buttonBeside("Quantity of Treasure chest", "Add to cart"))
	b.wantPage("/cart", "Your cart")
	b.see("Treasure chest")
	b.signOut()

	for _, was := range []string{"/cart", "/products"} {
		if status := b.back(); status != 200 {
			t.Errorf("back to %s: answered %d (0: from the back/forward cache), want the login page", was, status)
		}
		b.wantLogin(was)
		b.notSee("Treasure chest")
		b.notSee("Signed in as")
	}
}

// TestCrossOriginFormRefused: a page of another origin that posts a form to
// /cart/items as soon as it loads (CSRF) is refused with 403 and changes
// nothing. From 127.0.0.1 on another port the browser counts as the same
// site and sends the session cookie (SameSite=Lax lets it through), so only
// the server's origin check stands in the way; from localhost the browser
// keeps the cookie back too.
func TestCrossOriginFormRefused(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Win a mug</title>
<form method="post" action="%s"><input name="product_id" value="1"><input name="quantity" value="5"></form>
<script>document.forms[0].submit()</script>`, html.EscapeString(s.url("/cart/items")))
	}))
	t.Cleanup(evil.Close)
	_, port, _ := net.SplitHostPort(evil.Listener.Addr().String())

	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)
	for _, from := range []struct{ what, url string }{
		{"another port (same site)", "http://127.0.0.1:" + port + "/"},
		{"localhost (another site)", "http://localhost:" + port + "/"},
	} {
		ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
		target := s.url("/cart/items")
		b.follow(ctx, "visiting the page on "+from.what, startNavigation(from.url), func(u string) bool { return u == target })
		cancel()
		status := b.status(target)
		b.t.Logf("%s: the page on %s posted to /cart/items → %d", b.name, from.what, status)
		if status != http.StatusForbidden {
			t.Errorf("the form from %s answered %d, want 403", from.what, status)
		}
		b.see("This request came from another site and was refused.")
		b.settle()

		b.open("/cart")
		b.wantPage("/cart", "Your cart")
		b.see("Your cart is empty.")
	}
	// The first refusal came with the session: it is in the user's trail.
	b.open("/account/activity")
	b.see(string(sesame.ActionAccessDenied))
	b.notSee(string(sesame.ActionCartAdd))
}

// TestRevokedSessionSignedOut: the same user signed in on two browsers ends
// the laptop's session from the phone; the laptop is signed out at its next
// click, and the phone is not.
func TestRevokedSessionSignedOut(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	laptop := newBrowser(t, s, "authorized_user's laptop")
	phone := newBrowser(t, s, "authorized_user's phone")
	laptop.signIn("authorized_user", demoPassword)
	phone.signIn("authorized_user", demoPassword)

	phone.click(navLink("Main", "Account"))
	phone.wantPage("/account/sessions", "Your sessions")
	phone.click(button("Revoke")) // the other session; this one's says Sign out
	phone.wantPage("/account/sessions", "Your sessions")
	if phone.has(button("Revoke")) {
		t.Error("after revoking the other session, the list still offers to revoke one")
	}

	laptop.click(navLink("Main", "Cart"))
	laptop.wantLogin("/cart")
	laptop.notSee("Signed in as")

	phone.click(navLink("Main", "Cart"))
	phone.wantPage("/cart", "Your cart")
}
