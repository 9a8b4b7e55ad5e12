package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// This file holds what the pages promise a person in the browser beyond
// the journeys: the word after an action, shown once and never in the
// address bar; the notice when a session has ended; stock on the product
// list; a keyboard's way in.

// TestMessagesShownOnce: after adding to the cart the cart page says what
// was added, with nothing in the address bar; the message is gone on
// reload, and no script can read the cookie that carried it.
func TestMessagesShownOnce(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)

	b.fill(field("Quantity of Sesame mug"), "2")
	b.click(buttonBeside("Quantity of Sesame mug", "Add to cart"))
	b.wantPage("/cart", "Your cart")
	b.see("Added 2 × Sesame mug to your cart.")
	if role := eval[string](b, `[...document.querySelectorAll('[role=status]')].map(e => e.innerText).join('|')`); !strings.Contains(role, "Added 2") {
		t.Errorf("the message is not in a status region (read out by screen readers): %q", role)
	}
	if got := eval[string](b, `document.cookie`); strings.Contains(got, "flash") {
		t.Errorf("document.cookie shows the flash cookie: %q", got)
	}
	if !b.has(navLink("Main", "Cart")) || !strings.Contains(eval[string](b, `document.querySelector('nav a[href="/cart"]').innerText`), "2") {
		t.Error("the header does not count the 2 mugs")
	}

	b.open("/cart")
	b.notSee("Added 2 × Sesame mug")

	b.click(navLink("Main", "Account"))
	b.click(navLink("Account", "Password"))
	b.fill(field("Current password"), "not my password")
	b.fill(field("New password"), "a fresh passphrase")
	b.clickWant(button("Change password"), 400)
	b.see("Current password: is not your current password")
	if got := eval[string](b, `document.querySelector('[aria-invalid=true]')?.getAttribute('aria-describedby') ?? ''`); got == "" {
		t.Error("the refused field is not tied to its message")
	}
	b.fill(field("Current password"), demoPassword)
	b.fill(field("New password"), "a fresh passphrase")
	b.click(button("Change password"))
	b.wantPage("/account/sessions", "Your sessions")
	b.see("Password changed; your other sessions were signed out.")
	b.signOut()
}

// TestSessionEndedNotice: a session revoked from another browser is told,
// at its next click, that it ended; its cookie is gone. Pressing Sign out
// on a page whose session has ended leads to the login page itself.
func TestSessionEndedNotice(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	laptop := newBrowser(t, s, "authorized_user's laptop")
	phone := newBrowser(t, s, "authorized_user's phone")
	laptop.signIn("authorized_user", demoPassword)
	phone.signIn("authorized_user", demoPassword)

	phone.click(navLink("Main", "Account"))
	phone.click(button("Sign out everywhere else"))
	phone.see("Signed out everywhere else: 1 other session ended.")

	laptop.click(navLink("Main", "Orders"))
	laptop.wantLogin("/orders")
	laptop.see("Your session ended")
	if c := laptop.cookie(sessionCookie); c != nil {
		t.Errorf("the dead session cookie is still in the browser: %+v", c)
	}

	// The laptop signs in again; the phone ends it again while the laptop
	// shows a page with the Sign out button, which it then presses.
	laptop.signInHere("authorized_user", demoPassword)
	laptop.wantPage("/orders", "Your orders")
	phone.open("/account/sessions")
	phone.click(button("Sign out everywhere else"))
	laptop.click(buttonIn("/logout", "Sign out"))
	laptop.wantPage("/login", "Sign in")
	laptop.see("Your session ended")
}

// TestSoldOut: once the last lanterns are sold, the product list says
// "sold out" and its form cannot be sent; before, it warned that few were
// left.
func TestSoldOut(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)
	b.see("only 3 left")
	b.fill(field("Quantity of Cave lantern"), "3")
	b.click(buttonBeside("Quantity of Cave lantern", "Add to cart"))
	b.click(link("Check out"))
	b.click(button("Place the order"))
	b.see("is placed.")
	b.click(navLink("Main", "Products"))
	b.see("sold out")
	disabled := eval[bool](b, lib(`named(document, fields, 'Quantity of Cave lantern').closest('form').querySelector('button').matches(':disabled')`))
	if !disabled {
		t.Error("the sold-out lantern can still be added to the cart")
	}
	if eval[bool](b, lib(`named(document, fields, 'Quantity of Sesame mug').closest('form').querySelector('button').matches(':disabled')`)) {
		t.Error("the mug, in stock, cannot be added")
	}
}

// TestKeyboard: the first Tab reaches the skip link, visibly; following it
// puts the focus on the page's content, past the header.
func TestKeyboard(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)
	b.do("pressing Tab", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement.innerText`); got != "Skip to the content" {
		t.Fatalf("the first Tab reaches %q, want the skip link", got)
	}
	if outline := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Error("the focused skip link has no visible outline")
	}
	if top := eval[float64](b, `document.activeElement.getBoundingClientRect().top`); top < 0 {
		t.Error("the focused skip link is off screen")
	}
	b.do("pressing Enter", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](b, `document.activeElement.id`); got != "content" {
		t.Errorf("following the skip link focused %q, want the main content", got)
	}
	b.do("pressing Tab", chromedp.KeyEvent(kb.Tab))
	if inHeader := eval[bool](b, `!!document.activeElement.closest('header')`); inHeader {
		t.Error("after the skip link, Tab goes back into the header")
	}
}
