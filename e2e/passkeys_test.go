package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
)

// This file holds the passkeys of CONTRACT §9 in a real browser: every
// ceremony is the browser's own (navigator.credentials, run by
// /static/passkey.js or by the test in the page), answered by a virtual
// authenticator of the DevTools protocol (webauthn_test.go) and checked by
// the server's real relying party. Nothing is mocked but the user's touch.

// TestPasskeyJourney: the login page at 127.0.0.1 sends authorized_user to
// localhost, where they add a passkey from the security page (a fresh
// sign-in is the recent password it needs), are offered to end the other
// sessions, rename it, sign in with it alone (aal2, the passkey as the only
// factor), then with the password and the passkey as the second step, and
// delete it; the device still holds the key, but the site no longer
// accepts it.
func TestPasskeyJourney(t *testing.T) {
	t.Parallel()
	s := startPasskeySite(t)
	b := newBrowser(t, s, "authorized_user")
	device := b.addAuthenticator()

	// At 127.0.0.1 the browser would refuse passkeys: the page sends the
	// user to the name they work at.
	b.openWant("http://127.0.0.1:"+s.port+"/login", 200)
	b.see("Passkeys work at " + s.base + "/")
	if b.has(button("Sign in with a passkey")) {
		t.Error("the login page at 127.0.0.1 offers a passkey, which the browser would refuse there")
	}
	b.click(link(s.base + "/"))
	b.wantPage("/login", "Sign in")
	b.signInHere("authorized_user", demoPassword)
	b.wantPage("/products", "Products")

	b.click(navLink("Main", "Account"))
	b.click(navLink("Account", "Security"))
	b.wantPage("/account/security", "Security")
	b.see("None yet.")
	b.addPasskey("laptop")
	b.see("A second factor was added.")
	b.must(button("End every other session"))
	if got := b.value(field("Name")); got != "laptop" {
		t.Errorf("the passkey is listed as %q, want laptop", got)
	}
	b.see("not used yet")
	held := b.heldCredentials(device)
	if len(held) != 1 || !held[0].IsResidentCredential || held[0].RpID != "localhost" {
		t.Fatalf("after adding, the authenticator holds %d credentials (%+v), want one discoverable credential for localhost", len(held), held)
	}

	b.fill(field("Name"), "work laptop")
	b.click(buttonBeside("Name", "Rename"))
	if h := b.heading(); h != "Security" {
		t.Errorf("renaming led to %s (%q), want the security page", b.path(), h)
	}
	b.must(button("Delete “work laptop”"))
	if b.has(button("Delete “laptop”")) {
		t.Error("the old name is still listed after the rename")
	}

	// The passkey alone: the device verifies the user, which makes two
	// factors in one.
	b.signOut()
	b.ceremony(button("Sign in with a passkey"), 200)
	b.wantPage("/products", "Products")
	b.see("Signed in as authorized_user")
	if m := b.me(); m.User.Username != "authorized_user" || m.AAL != "aal2" || !slices.Equal(m.Factors, []string{"passkey"}) {
		t.Errorf("after signing in with the passkey alone, /api/v1/me says %+v, want authorized_user, aal2, [passkey]", m)
	}

	// The password leads to the second step, where the passkey is the
	// only way on: no authenticator app, so no code.
	b.signOut()
	b.signInHere("authorized_user", demoPassword)
	b.wantPage("/login/second-factor", "Second step")
	if b.has(field("Code")) {
		t.Error("the second step asks for a code from an authenticator app the user does not have")
	}
	b.ceremony(button("Use a passkey"), 200)
	b.wantPage("/products", "Products")
	if m := b.me(); m.AAL != "aal2" || !slices.Equal(m.Factors, []string{"password", "passkey"}) {
		t.Errorf("after the password and the passkey, /api/v1/me says %+v, want aal2, [password passkey]", m)
	}

	// Deleted, with the password of this sign-in as the recent one.
	b.click(navLink("Main", "Account"))
	b.click(navLink("Account", "Security"))
	b.wantPage("/account/security", "Security")
	b.notSee("not used yet")
	b.click(button("Delete “work laptop”"))
	if h := b.heading(); h != "Security" {
		t.Fatalf("deleting led to %s (%q), want the security page", b.path(), h)
	}
	b.see("A second factor was removed.")
	b.see("None yet.")

	// The device keeps its key (a site cannot delete it), and offers it;
	// the site refuses it.
	if n := len(b.heldCredentials(device)); n != 1 {
		t.Fatalf("after deleting, the authenticator holds %d credentials, want still 1", n)
	}
	b.signOut()
	b.ceremony(button("Sign in with a passkey"), 401)
	b.wantPage("/login/passkey", "Sign in")
	b.see("That passkey was not accepted.")
	b.notSee("Signed in as")
	b.open("/products")
	b.wantLogin("/products")
}

// TestPasskeyFromAnotherOrigin: a passkey offered from another origin is
// refused. A page of another origin, at the same host (so the same RP id:
// the authenticator signs for it, as it would for a look-alike site under
// the same domain), asks the browser for an assertion to a sign-in begun
// at the site; the browser writes that page's origin into what the key
// signs, and the site, handed that answer, refuses it: 401, and the user's
// trail says the origin was wrong. The same steps from a page of the site
// itself sign in, so nothing else in them is what was refused.
func TestPasskeyFromAnotherOrigin(t *testing.T) {
	t.Parallel()
	s := startPasskeySite(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><head><title>Another site</title></head><body><main><h1>Another site</h1></main></body></html>`)
	}))
	t.Cleanup(other.Close)
	_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
	otherOrigin := "http://localhost:" + port

	b := newBrowser(t, s, "authorized_user")
	b.addAuthenticator()
	b.signIn("authorized_user", demoPassword)
	b.open("/account/security")
	b.addPasskey("laptop")
	b.signOut()

	api := newAPIClient(t, s)
	attempts := []struct {
		what, page, origin string
		status             int
	}{
		{"from another origin", otherOrigin + "/", otherOrigin, http.StatusUnauthorized},
		{"from the site itself (the control)", s.url("/login"), s.base, http.StatusCreated},
	}
	for _, a := range attempts {
		b.openWant(a.page, 200)
		opts := api.signInOptions()
		cred := b.signWith(opts)
		var asked struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		}
		if err := json.Unmarshal(opts, &asked); err != nil {
			t.Fatalf("the options: %v: %s", err, opts)
		}
		if c := clientDataOf(t, cred); c.Type != "webauthn.get" || c.Origin != a.origin || c.Challenge != asked.Challenge {
			t.Fatalf("%s: the browser signed %+v, want webauthn.get at %s to the challenge %s", a.what, c, a.origin, asked.Challenge)
		}
		status, body := api.call(http.MethodPost, "/api/v1/session/passkey", map[string]any{"credential": cred})
		t.Logf("%s: an assertion signed at %s → %d %s", a.what, a.origin, status, body)
		if status != a.status {
			t.Fatalf("%s: POST /api/v1/session/passkey answered %d, want %d: %s", a.what, status, a.status, body)
		}
		if status == http.StatusCreated {
			var m meAnswer
			if err := json.Unmarshal(body, &m); err != nil || m.User.Username != "authorized_user" || m.AAL != "aal2" || !slices.Equal(m.Factors, []string{"passkey"}) {
				t.Errorf("%s: signed in as %+v (%v), want authorized_user, aal2, [passkey]", a.what, m, err)
			}
			continue
		}
		var e apiError
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "unauthenticated" || e.Error.Message != "That passkey was not accepted." {
			t.Errorf("%s: the refusal is %s (%v), want the code unauthenticated and \"That passkey was not accepted.\"", a.what, body, err)
		}
	}

	// Signed in by the control, the client reads the user's trail: the
	// refused sign-in is there, refused for its origin.
	status, body := api.call(http.MethodGet, "/api/v1/activity", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/activity answered %d: %s", status, body)
	}
	var trail struct {
		Events []struct {
			Action  sesame.Action  `json:"action"`
			Outcome sesame.Outcome `json:"outcome"`
			Detail  string         `json:"detail"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &trail); err != nil {
		t.Fatalf("the activity: %v: %s", err, body)
	}
	var refused []string
	for _, e := range trail.Events {
		if e.Action == sesame.ActionLogin && e.Outcome == sesame.OutcomeFailure {
			refused = append(refused, e.Detail)
		}
	}
	t.Logf("the failed sign-ins in the trail: %q", refused)
	if len(refused) != 1 || !strings.Contains(strings.ToLower(refused[0]), "origin") {
		t.Errorf("the trail has these failed sign-ins: %q, want one, refused for its origin", refused)
	}
}

// TestScreenshotsPasskeys saves, with TestScreenshots (whose -run pattern
// it matches) and into the same SESAME_SCREENSHOTS directory, the security
// page with a passkey listed, at desktop width.
func TestScreenshotsPasskeys(t *testing.T) {
	t.Parallel()
	dir := screenshotDir(t)
	s := startPasskeySite(t)
	b := newBrowser(t, s, "authorized_user")
	b.addAuthenticator()
	b.signIn("authorized_user", demoPassword)
	b.open("/account/security")
	b.addPasskey("laptop")
	b.open("/account/security")
	file := filepath.Join(dir, "desktop-security-passkeys.png")
	if err := os.WriteFile(file, b.screenshot(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the security page with a passkey in %s", file)
}
