package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// This file shows the main pages at desktop and phone widths: TestPhoneWidth
// checks that none is wider than a phone (and audits them all again at that
// width), TestScreenshots saves a picture of each when asked to.

// tour walks through the main pages in the states a person sees them,
// calling look with a short name on each. A visitor first, then
// authorized_user with a full cart, an order and the task, then the page
// that refuses unauthorized_user.
func tour(t *testing.T, s *site, width int64, look func(b *browser, name string)) {
	t.Helper()
	b := newBrowser(t, s, fmt.Sprintf("a %dpx browser", width))
	b.setWidth(width)

	b.open("/")
	look(b, "home-visitor")
	b.open("/login")
	look(b, "login")
	b.fill(field("Username"), "authorized_user")
	b.fill(field("Password"), "wrong password")
	b.clickWant(button("Sign in"), 401)
	look(b, "login-failed")

	b.signInHere("authorized_user", demoPassword)
	look(b, "products")
	b.fill(field("Quantity of Sesame mug"), "2")
	b.click(buttonBeside("Quantity of Sesame mug", "Add to cart"))
	b.click(navLink("Main", "Products"))
	b.click(buttonBeside("Quantity of Cave lantern", "Add to cart"))
	look(b, "cart")
	b.click(link("Check out"))
	look(b, "checkout")
	b.click(button("Place the order"))
	look(b, "order")
	b.click(link("All your orders"))
	look(b, "orders")
	b.click(navLink("Main", "Cart"))
	look(b, "cart-empty")
	b.click(link("sesame"))
	look(b, "home")
	b.click(navLink("Main", "Task"))
	look(b, "task")
	b.click(navLink("Main", "Account"))
	look(b, "sessions")
	b.click(navLink("Account", "Activity"))
	look(b, "activity")
	b.click(navLink("Account", "Password"))
	look(b, "password")
	b.open("/logout")
	look(b, "logout")
	b.signOut()

	u := newBrowser(t, s, fmt.Sprintf("unauthorized_user's %dpx browser", width))
	u.setWidth(width)
	u.signIn("unauthorized_user", demoPassword)
	u.openWant("/checkout", 403)
	look(u, "forbidden")
}

// setWidth makes the tab a desktop window or, at phone width, a phone.
func (b *browser) setWidth(width int64) {
	b.t.Helper()
	b.width = width
	if width <= phoneWidth {
		b.do("emulating a phone", chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
		return
	}
	b.do("sizing the window", chromedp.EmulateViewport(width, 800))
}

// TestPhoneWidth: at 360 px, no page is wider than the screen (a person
// would have to scroll sideways), and axe-core finds nothing serious.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	tour(t, s, phoneWidth, func(b *browser, name string) {
		wide := eval[[]string](b, `(() => {
			const w = document.documentElement.clientWidth;
			if (document.documentElement.scrollWidth <= w) return [];
			return [...document.body.querySelectorAll('*')]
				.filter(el => el.getBoundingClientRect().right > w + 1 && getComputedStyle(el).position !== 'fixed')
				.filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > w + 1))
				.slice(0, 5).map(el => el.outerHTML.slice(0, 120));
		})()`)
		if len(wide) > 0 {
			t.Errorf("%s (%s) is wider than %dpx; these stick out:\n\t%s", name, b.path(), phoneWidth, strings.Join(wide, "\n\t"))
		}
	})
}

// TestScreenshots saves full-page PNGs of the main pages at desktop and
// phone widths into the directory SESAME_SCREENSHOTS, when it is set.
func TestScreenshots(t *testing.T) {
	t.Parallel()
	dir := screenshotDir(t)
	s := startSite(t)
	for _, w := range []struct {
		name  string
		width int64
	}{{"desktop", desktopWidth}, {"phone", phoneWidth}} {
		n := 0
		tour(t, s, w.width, func(b *browser, name string) {
			n++
			png := b.screenshot()
			file := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.png", w.name, n, name))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d %s screenshots in %s", n, w.name, dir)
	}
}

// screenshotDir returns the directory SESAME_SCREENSHOTS names, made if
// need be, and skips t when it is not set.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SESAME_SCREENSHOTS")
	if dir == "" {
		t.Skip("SESAME_SCREENSHOTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot is a PNG of the whole page shown.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("%s: screenshot of %s: %v", b.name, b.path(), err)
	}
	return png
}
