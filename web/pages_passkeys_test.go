package web_test

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/sesamehq/sesame/internal/passkeytest"
)

// The passkey forms of the pages, sent as /static/passkey.js sends them:
// the browser's answer in the hidden credential field. (The script itself
// runs in Chromium, in package e2e.)

// TestPagesPasskeyOffered: the pages offer passkeys only at an origin they
// are made for; elsewhere (127.0.0.1, which no browser accepts for a
// passkey) they name where they work.
func TestPagesPasskeyOffered(t *testing.T) {
	t.Parallel()
	a := newApp(t) // on loopback: passkeys for http://localhost:PORT
	_, port, _ := net.SplitHostPort(a.srv.Addr())
	here := "http://localhost:" + port
	c := a.visitor()
	expectHTML(t, c.get(here+"/login"), http.StatusOK, `data-passkey="sign-in"`, `<script src="/static/passkey.js" defer></script>`,
		"Sign in with a passkey")
	page := expectHTML(t, c.get("http://127.0.0.1:"+port+"/login"), http.StatusOK, `Passkeys work at <a href="`+here+`/login">`)
	if regexp.MustCompile(`data-passkey=`).MatchString(page) {
		t.Error("the login page at 127.0.0.1 offers a passkey the browser would refuse")
	}

	// Signed in, the security page offers the ceremony; with a stale
	// sign-in it asks for the password first, rather than let the script
	// begin a ceremony to be refused.
	u := a.authorized()
	expectHTML(t, u.get(here+"/account/security"), http.StatusOK, `data-passkey="register"`)
	a.clock.Advance(10*time.Minute + time.Second)
	page = expectHTML(t, u.get(here+"/account/security"), http.StatusOK, `<form class="stack" method="get" action="/reauth">`)
	if regexp.MustCompile(`data-passkey="register"`).MatchString(page) {
		t.Error("a stale sign-in is offered the ceremony")
	}

	res := c.get("/static/passkey.js")
	expectStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("passkey.js served as %q", ct)
	}
}

// TestPagesPasskeys: from the security page a user adds a passkey (the
// answer offers to end the other sessions), renames and deletes it; the
// login page signs in with it and goes where the user was going; a form
// without the browser's answer is refused with the reason.
func TestPagesPasskeys(t *testing.T) {
	t.Parallel()
	a := newApp(t, withPasskeys)
	c := a.authorized()
	dev := passkeytest.New()
	cred, err := dev.Create(options(t, c, "/api/v1/account/passkeys/options"), siteOrigin)
	if err != nil {
		t.Fatal(err)
	}
	expectHTML(t, c.postForm("/account/security/passkeys", url.Values{"name": {"laptop"}, "credential": {string(cred)}}),
		http.StatusOK, "A second factor was added", "End every other session", `value="laptop"`)
	page := expectHTML(t, c.postForm("/account/security/passkeys", url.Values{"name": {"again"}}), http.StatusBadRequest)
	if !regexp.MustCompile(`passkeys need JavaScript`).MatchString(page) {
		t.Errorf("a form without the answer: %s", pageExcerpt(page))
	}
	id := regexp.MustCompile(`/account/security/passkeys/(\d+)/rename`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no rename form on %s", pageExcerpt(page))
	}
	expectHTML(t, c.postForm("/account/security/passkeys/"+id[1]+"/rename", url.Values{"name": {"work laptop"}}), http.StatusOK,
		`value="work laptop"`)

	v := a.visitorFrom("192.0.2.96")
	answer := passkeyAnswer(t, v, "/api/v1/session/passkey/options", dev, siteOrigin)
	form := url.Values{"credential": {string(answer)}, "next": {"/cart"}, "remember": {"1"}}
	res := v.postForm("/login/passkey", form)
	expectRedirect(t, res, "/cart")
	for _, ck := range res.Cookies() {
		if ck.Name == "sesame_session" && ck.MaxAge <= 0 {
			t.Errorf("a remembered passkey sign-in set %+v; want Max-Age", ck)
		}
	}
	expectSignedInAs(t, v, "authorized_user", "after the passkey form")
	expectHTML(t, a.visitorFrom("192.0.2.98").postForm("/login/passkey", form), http.StatusUnauthorized, "That passkey was not accepted.",
		`name="next" value="/cart"`)
	expectHTML(t, a.visitor().postForm("/login/passkey", url.Values{}), http.StatusBadRequest, "passkeys need JavaScript")

	expectHTML(t, c.postForm("/account/security/passkeys/"+id[1]+"/delete", nil), http.StatusOK, "A second factor was removed", "None yet.")

	a.clock.Advance(10*time.Minute + time.Second)
	expectRedirect(t, c.postForm("/account/security/passkeys", url.Values{"credential": {string(cred)}}), "/reauth?next=%2Faccount%2Fsecurity")
}

// TestPagesPasskeySecondStep: the second step of a user with only a
// passkey offers the passkey and no code; the passkey finishes it. The
// pages are asked for at the relying party's origin, http://localhost:PORT
// by default on loopback.
func TestPagesPasskeySecondStep(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, port, _ := net.SplitHostPort(a.srv.Addr())
	here := "http://localhost:" + port
	owner := a.visitor()
	expectStatus(t, apiLogin(owner, "authorized_user", demoPassword), http.StatusCreated)
	dev := passkeytest.New()
	expectStatus(t, addPasskey(t, owner, dev, here, "phone"), http.StatusCreated)

	c := a.visitorFrom("192.0.2.97")
	expectRedirect(t, formLogin(c, "authorized_user", demoPassword), "/login/second-factor")
	page := expectHTML(t, c.get(here+"/login/second-factor"), http.StatusOK, `data-passkey="second-factor"`, "Use a passkey")
	if regexp.MustCompile(`name="code"`).MatchString(page) {
		t.Error("the second step offers a code to a user without an authenticator app")
	}
	answer := passkeyAnswer(t, c, "/api/v1/session/second-factor/options", dev, here)
	expectRedirect(t, c.postForm(here+"/login/second-factor", url.Values{"credential": {string(answer)}}), "/products")
	expectSignedInAs(t, c, "authorized_user", "after the passkey step")
}
