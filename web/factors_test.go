package web_test

import (
	"net/http"
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
