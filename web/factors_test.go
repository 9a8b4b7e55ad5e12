package web_test

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// Second factors (CONTRACT §9) through the JSON API, on the harness's
// clock: a code is computed here as the user's app would.

// codeNow is the TOTP code of secret at the app's clock.
func codeNow(t *testing.T, a *testApp, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, a.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP sets up TOTP for c through the API and returns the secret and
// the recovery codes.
func enrolTOTP(t *testing.T, a *testApp, c *client) (string, []string) {
	t.Helper()
	begun := expectShape(t, "begin totp", expectJSON(t, c.json(http.MethodPost, "/api/v1/account/totp", nil), http.StatusOK),
		shape{"secret": "string", "otpauth_url": "string"})
	secret := begun["secret"].(string)
	done := expectJSON(t, c.json(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": codeNow(t, a, secret)}),
		http.StatusOK)
	var codes []string
	for _, c := range done["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

// TestAPITOTPEnrol: a user begins, confirms with a wrong code (400 naming
// it) and then the right one, gets ten recovery codes and a new session
// whose /me says aal2 with both factors; a second enrolment is a conflict;
// turning it off needs a recent password.
func TestAPITOTPEnrol(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.visitor()
	expectErrorCode(t, c.json(http.MethodPost, "/api/v1/account/totp", nil), http.StatusUnauthorized, "unauthenticated")
	expectStatus(t, apiLogin(c, "authorized_user", demoPassword), http.StatusCreated)
	me := apiGet(t, c, "/api/v1/me")
	if me["aal"] != "aal1" || !reflect.DeepEqual(me["factors"], []any{"password"}) {
		t.Fatalf("before: aal %v, factors %v", me["aal"], me["factors"])
	}
	before := c.token()
	begun := expectJSON(t, c.json(http.MethodPost, "/api/v1/account/totp", nil), http.StatusOK)
	secret := begun["secret"].(string)
	e := expectErrorCode(t, c.json(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": "12345"}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "code")
	expectErrorCode(t, c.json(http.MethodPost, "/api/v1/account/totp/confirm", map[string]any{}), http.StatusBadRequest, "bad_request")
	done := expectJSON(t, c.json(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": codeNow(t, a, secret)}),
		http.StatusOK)
	if n := len(done["recovery_codes"].([]any)); n != 10 {
		t.Fatalf("%d recovery codes, want 10", n)
	}
	if c.token() == before || c.token() == "" {
		t.Fatal("no new session after confirming")
	}
	expectTokenDead(t, a, before, "the session before confirming")
	me = apiGet(t, c, "/api/v1/me")
	if me["aal"] != "aal2" || !reflect.DeepEqual(me["factors"], []any{"password", "totp"}) {
		t.Fatalf("after: aal %v, factors %v", me["aal"], me["factors"])
	}
	expectErrorCode(t, c.json(http.MethodPost, "/api/v1/account/totp", nil), http.StatusConflict, "conflict")

	a.clock.Advance(10*time.Minute + time.Second)
	expectErrorCode(t, c.json(http.MethodDelete, "/api/v1/account/totp", nil), http.StatusForbidden, "reauthentication_required")
	expectStatus(t, c.json(http.MethodPost, "/api/v1/session/reauth", map[string]string{"password": demoPassword}), http.StatusNoContent)
	expectStatus(t, c.json(http.MethodDelete, "/api/v1/account/totp", nil), http.StatusNoContent)
	expectErrorCode(t, c.json(http.MethodDelete, "/api/v1/account/totp", nil), http.StatusNotFound, "not_found")
}

// pendingOf returns the pending cookie c holds, or "".
func pendingOf(c *client) string {
	for _, ck := range c.jar.Cookies(siteURL) {
		if ck.Name == "sesame_pending" {
			return ck.Value
		}
	}
	return ""
}

// TestAPISignInSecondFactor: an enrolled user's password answers 200 with
// the methods and only the pending cookie, which authenticates nothing
// (not as itself, not as a session cookie); the code then answers 201 with
// the login answer at aal2, a new session and the pending cookie cleared;
// a replayed code and a used recovery code are refused.
func TestAPISignInSecondFactor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	owner := a.visitor()
	expectStatus(t, apiLogin(owner, "authorized_user", demoPassword), http.StatusCreated)
	secret, codes := enrolTOTP(t, a, owner)
	a.clock.Advance(30 * time.Second)

	c := a.visitorFrom("192.0.2.77")
	res := apiLogin(c, "authorized_user", demoPassword)
	got := expectJSON(t, res, http.StatusOK)
	if got["second_factor_required"] != true || !reflect.DeepEqual(got["methods"], []any{"totp"}) {
		t.Fatalf("password step answered %v", got)
	}
	pending := pendingOf(c)
	if pending == "" || c.token() != "" {
		t.Fatalf("after the password: pending %q, session %q; want only the pending cookie", pending, c.token())
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "sesame_pending" && (!ck.HttpOnly || ck.MaxAge != 300 || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/") {
			t.Errorf("pending cookie %+v: want HttpOnly, Max-Age 300, SameSite=Lax, Path=/", ck)
		}
	}
	expectErrorCode(t, c.json(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	expectErrorCode(t, a.holding(pending).json(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	expectLoginRedirect(t, c.get("/account/sessions"), "/account/sessions")

	e := expectErrorCode(t, c.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{}), http.StatusBadRequest, "bad_request")
	expectFields(t, e, "code")
	expectErrorCode(t, c.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"code": "000000x"}),
		http.StatusBadRequest, "bad_request")
	code := codeNow(t, a, secret)
	me := expectJSON(t, c.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"code": code}), http.StatusCreated)
	expectShape(t, "second factor", me, meShape)
	if me["aal"] != "aal2" || !reflect.DeepEqual(me["factors"], []any{"password", "totp"}) || c.token() == "" || pendingOf(c) != "" {
		t.Fatalf("after the code: %v, session %q, pending %q", me, c.token(), pendingOf(c))
	}
	expectSignedInAs(t, c, "authorized_user", "after the code")

	// The same code again, at a new sign-in, in its window: a replay.
	d := a.visitorFrom("192.0.2.78")
	expectStatus(t, apiLogin(d, "authorized_user", demoPassword), http.StatusOK)
	expectErrorCode(t, d.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"code": code}),
		http.StatusUnauthorized, "unauthenticated")
	expectJSON(t, d.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"recovery_code": codes[0]}),
		http.StatusCreated)
	f := a.visitorFrom("192.0.2.79")
	expectStatus(t, apiLogin(f, "authorized_user", demoPassword), http.StatusOK)
	expectErrorCode(t, f.json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"recovery_code": codes[0]}),
		http.StatusUnauthorized, "unauthenticated")
	// Without a pending cookie there is nothing to finish.
	expectErrorCode(t, a.visitor().json(http.MethodPost, "/api/v1/session/second-factor", map[string]string{"code": codeNow(t, a, secret)}),
		http.StatusUnauthorized, "unauthenticated")
}

// TestPagesSignInSecondFactor: the login form sends an enrolled user to
// the second step with the way on, which then goes there; a wrong code
// shows the form again with 401; a recovery code works from its own form.
func TestPagesSignInSecondFactor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	owner := a.visitor()
	expectStatus(t, apiLogin(owner, "authorized_user", demoPassword), http.StatusCreated)
	secret, codes := enrolTOTP(t, a, owner)
	a.clock.Advance(30 * time.Second)

	c := a.visitorFrom("192.0.2.80")
	res := c.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}, "next": {"/orders"}})
	expectRedirect(t, res, "/login/second-factor?next=%2Forders")
	expectHTML(t, c.get("/login/second-factor?next=%2Forders"), http.StatusOK, `name="code"`, `value="/orders"`, "recovery code")
	expectHTML(t, c.postForm("/login/second-factor", url.Values{"code": {"000000"}, "next": {"/orders"}}), http.StatusUnauthorized,
		"Invalid code")
	expectRedirect(t, c.postForm("/login/second-factor", url.Values{"code": {codeNow(t, a, secret)}, "next": {"/orders"}}), "/orders")
	expectSignedInAs(t, c, "authorized_user", "after the second step")

	d := a.visitorFrom("192.0.2.81")
	expectRedirect(t, d.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}}), "/login/second-factor")
	expectHTML(t, d.get("/login/second-factor?recovery=1"), http.StatusOK, `name="recovery_code"`)
	expectRedirect(t, d.postForm("/login/second-factor", url.Values{"recovery_code": {codes[1]}}), "/products")
	expectSignedInAs(t, d, "authorized_user", "after a recovery code")

	// No pending sign-in: back to the password.
	expectRedirect(t, a.visitor().get("/login/second-factor"), "/login")
	expectRedirect(t, a.visitor().postForm("/login/second-factor", url.Values{"code": {"123456"}}), "/login")
}
