package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/app"
)

// keyOnPage is the TOTP key the security page shows.
var keyOnPage = regexp.MustCompile(`Key: <code>([A-Z2-7]+)</code>`)

// enrolOnPage sets up TOTP for c through the security page and returns the
// page that answers the confirmation.
func enrolOnPage(t *testing.T, a *testApp, c *client) string {
	t.Helper()
	expectRedirect(t, c.postForm("/account/security/totp", nil), "/account/security")
	page := expectHTML(t, c.get("/account/security"), http.StatusOK, `<img src="/account/security/totp.png"`)
	m := keyOnPage.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no key on the page: %s", pageExcerpt(page))
	}
	return expectHTML(t, c.postForm("/account/security/totp/confirm", url.Values{"code": {codeNow(t, a, m[1])}}), http.StatusOK,
		"Your recovery codes", "End every other session")
}

// TestSecurityPage: the page sets up an authenticator app with a QR code
// (a PNG of its own, under the CSP's img-src 'self'), refuses a wrong code
// naming the field, shows the recovery codes once, and turns the app off
// with a recent password, offering each time to end the other sessions.
func TestSecurityPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	expectHTML(t, c.get("/account/security"), http.StatusOK, "Set up an authenticator app")
	expectLoginRedirect(t, a.visitor().get("/account/security"), "/account/security")
	expectRedirect(t, c.postForm("/account/security/totp", nil), "/account/security")
	res := c.get("/account/security/totp.png")
	if got := body(res); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(got, "\x89PNG") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("QR code: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	expectHTML(t, c.postForm("/account/security/totp/confirm", url.Values{"code": {"12"}}), http.StatusBadRequest, "Code")
	page := enrolOnPage(t, a, c)
	codes := regexp.MustCompile(`<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>`).FindAllStringSubmatch(page, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes on the page, want 10", len(codes))
	}
	again := expectHTML(t, c.get("/account/security"), http.StatusOK, "10 of 10 recovery codes left")
	if strings.Contains(again, codes[0][1]) {
		t.Error("the recovery codes are shown again")
	}
	expectStatus(t, c.get("/account/security/totp.png"), http.StatusNotFound)

	stale(a)
	expectRedirect(t, c.postForm("/account/security/totp/disable", nil), "/reauth?next=%2Faccount%2Fsecurity")
	reauthPage(t, c, demoPassword, "/account/security")
	expectHTML(t, c.postForm("/account/security/totp/disable", nil), http.StatusOK, "was removed", "End every other session",
		"Set up an authenticator app")
}

// TestRequireSecondFactor: with --require-second-factor privileged, a
// privileged user without a factor is sent to the security page from
// every other page (the API: 403 second_factor_required), may still set
// one up, and is let in once they have; a customer is not held to it.
func TestRequireSecondFactor(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *app.Config) { c.RequireSecondFactor = []string{"privileged"} })
	c := a.authorized()
	expectRedirect(t, c.get("/products"), "/account/security")
	expectRedirect(t, c.get("/orders"), "/account/security")
	expectHTML(t, c.get("/account/security"), http.StatusOK, "Your role needs a second factor")
	expectErrorCode(t, c.json(http.MethodGet, "/api/v1/cart", nil), http.StatusForbidden, "second_factor_required")
	for _, path := range []string{"/api/v1/orders", "/api/v1/orders/1", "/api/v1/sessions", "/api/v1/activity"} {
		expectErrorCode(t, c.json(http.MethodGet, path, nil), http.StatusForbidden, "second_factor_required")
	}
	if me := apiGet(t, c, "/api/v1/me"); me["aal"] != "aal1" {
		t.Errorf("/me: %v", me)
	}
	expectStatus(t, a.unauthorized().get("/products"), http.StatusOK, "a customer")

	enrolOnPage(t, a, c)
	expectStatus(t, c.get("/products"), http.StatusOK, "after setting up")
	expectStatus(t, c.json(http.MethodGet, "/api/v1/cart", nil), http.StatusOK, "the API after setting up")
	// From now on the password alone is not enough.
	d := a.visitorFrom("192.0.2.90")
	expectRedirect(t, d.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}}), "/login/second-factor")
}

// TestAdminRemovesTOTP: the admin's list of users says who has an
// authenticator app; removing one needs a recent password, is audited
// with the user as target, and lets the user sign in with the password.
func TestAdminRemovesTOTP(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	user := a.authorized()
	enrolOnPage(t, a, user)
	admin := a.admin()
	var id int64
	for _, u := range apiGet(t, admin, "/api/v1/admin/users")["users"].([]any) {
		u := u.(map[string]any)
		has := len(u["factors"].([]any)) == 1
		if (u["username"] == "authorized_user") != has {
			t.Errorf("%v: factors %v", u["username"], u["factors"])
		}
		if u["username"] == "authorized_user" {
			id = jsonInt(t, u["id"])
		}
	}
	expectHTML(t, admin.get("/admin/users"), http.StatusOK, "authenticator app", "Remove the authenticator app of authorized_user")
	path := "/api/v1/admin/users/" + strconv.FormatInt(id, 10) + "/totp"
	expectErrorCode(t, user.json(http.MethodDelete, path, nil), http.StatusForbidden, "forbidden")
	stale(a)
	expectErrorCode(t, admin.json(http.MethodDelete, path, nil), http.StatusForbidden, "reauthentication_required")
	expectStatus(t, admin.json(http.MethodPost, "/api/v1/session/reauth", map[string]string{"password": a.adminPassword}), http.StatusNoContent)
	expectStatus(t, admin.json(http.MethodDelete, path, nil), http.StatusNoContent)
	expectErrorCode(t, admin.json(http.MethodDelete, path, nil), http.StatusNotFound, "not_found")
	trail := apiGet(t, admin, "/api/v1/admin/audit?action=user.totp_remove")["events"].([]any)
	if len(trail) != 1 {
		t.Errorf("audited %v; want one user.totp_remove", trail)
	}
	expectStatus(t, apiLogin(a.visitorFrom("192.0.2.91"), "authorized_user", demoPassword), http.StatusCreated)
}
