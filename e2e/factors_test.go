package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestSecondFactorJourney: a user sets up an authenticator app from the
// security page (its QR code is an image the page may show under its CSP),
// saves the recovery codes, signs in with a code from the app, then, phone
// lost, with a recovery code (CONTRACT §9). Codes are computed here as the
// app would, on the real clock.
func TestSecondFactorJourney(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	b := newBrowser(t, s, "authorized_user")
	b.signIn("authorized_user", demoPassword)

	b.click(navLink("Main", "Account"))
	b.click(navLink("Account", "Security"))
	b.wantPage("/account/security", "Security")
	b.click(button("Set up an authenticator app"))
	b.wantPage("/account/security", "Security")
	if w := eval[int](b, `document.querySelector('img[alt^="QR code"]').naturalWidth`); w != 256 {
		t.Fatalf("the QR code shows %d pixels wide, want 256: the image did not load", w)
	}
	key := eval[string](b, `document.querySelector('p code').textContent`)
	code, err := totp.GenerateCode(key, time.Now())
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	b.fill(field("Code"), code)
	b.click(button("Turn on"))
	b.see("Your recovery codes")
	b.must(button("End every other session"))
	codes := strings.Fields(eval[string](b, `[...document.querySelectorAll('ol.codes code')].map(c => c.textContent).join(' ')`))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes on the page, want 10", len(codes))
	}

	// The password alone now leads to the second step. The code of the
	// next 30-second step counts, and was not used to confirm.
	b.signOut()
	b.signInHere("authorized_user", demoPassword)
	b.wantPage("/login/second-factor", "Second step")
	b.fill(field("Code"), "000000")
	b.clickWant(button("Sign in"), 401)
	b.see("Invalid code.")
	next, err := totp.GenerateCode(key, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.fill(field("Code"), next)
	b.click(button("Sign in"))
	b.wantPage("/products", "Products")

	// Phone lost: a recovery code, once.
	b.signOut()
	b.signInHere("authorized_user", demoPassword)
	b.click(link("Lost your phone? Use a recovery code"))
	b.fill(field("Recovery code"), codes[0])
	b.click(button("Sign in"))
	b.wantPage("/products", "Products")
	b.open("/account/security")
	b.see("9 of 10 recovery codes left")
	b.signOut()
}
