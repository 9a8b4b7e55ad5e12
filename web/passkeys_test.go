package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/internal/passkeytest"
)

// Passkeys (CONTRACT §9) through the JSON API, answered by a software
// authenticator (package passkeytest) as a browser would; every answer is
// checked by the server's real relying party.

// siteOrigin is the origin the tests' passkeys are made for: the harness's
// host, under https, as a browser needs it for anything but localhost.
const siteOrigin = "https://example.com"

// withPasskeys makes the harness's host the relying party.
func withPasskeys(c *app.Config) {
	c.PasskeyRPID, c.PasskeyOrigins = "example.com", []string{siteOrigin}
}

// options returns the body of a ceremony's options, answered 200.
func options(t *testing.T, c *client, path string) []byte {
	t.Helper()
	return []byte(expectStatus(t, c.json(http.MethodPost, path, nil), http.StatusOK, "POST "+path))
}

// addPasskey registers a passkey of dev, named name, for c, at from.
func addPasskey(t *testing.T, c *client, dev *passkeytest.Authenticator, from, name string) *http.Response {
	t.Helper()
	cred, err := dev.Create(options(t, c, "/api/v1/account/passkeys/options"), from)
	if err != nil {
		t.Fatalf("the authenticator refused: %v", err)
	}
	return c.json(http.MethodPost, "/api/v1/account/passkeys", map[string]any{"name": name, "credential": json.RawMessage(cred)})
}

// passkeyAnswer is dev's answer, at from, to the options of path.
func passkeyAnswer(t *testing.T, c *client, path string, dev *passkeytest.Authenticator, from string) json.RawMessage {
	t.Helper()
	answer, err := dev.Get(options(t, c, path), from)
	if err != nil {
		t.Fatalf("the authenticator refused: %v", err)
	}
	return answer
}

func passkeySignIn(c *client, answer json.RawMessage) *http.Response {
	return c.json(http.MethodPost, "/api/v1/session/passkey", map[string]any{"credential": answer})
}

var passkeyShape = shape{"id": "number", "name": "string", "created_at": "time", "last_used_at": "any"}

// TestAPIPasskeys: a user registers a passkey (a new session, at aal2),
// lists and renames it, signs in with it alone (aal2, the factor passkey),
// once per ceremony and only from the configured origin, and deletes it
// with a recent password, after which it signs nobody in.
func TestAPIPasskeys(t *testing.T) {
	t.Parallel()
	a := newApp(t, withPasskeys)
	c := a.visitor()
	expectStatus(t, apiLogin(c, "authorized_user", demoPassword), http.StatusCreated)
	list := expectJSON(t, c.json(http.MethodGet, "/api/v1/account/passkeys", nil), http.StatusOK)
	if !reflect.DeepEqual(list["passkeys"], []any{}) {
		t.Fatalf("passkeys before any: %v", list)
	}
	var opts struct {
		PublicKey struct {
			RP                     struct{ ID string }
			AuthenticatorSelection struct{ ResidentKey string } `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options(t, c, "/api/v1/account/passkeys/options"), &opts); err != nil ||
		opts.PublicKey.RP.ID != "example.com" || opts.PublicKey.AuthenticatorSelection.ResidentKey != "required" {
		t.Fatalf("registration options %+v, %v; want a discoverable credential for example.com", opts, err)
	}

	dev := passkeytest.New()
	before := c.token()
	e := expectErrorCode(t, addPasskey(t, c, dev, "https://evil.example.com", "laptop"), http.StatusBadRequest, "bad_request")
	expectFields(t, e, "credential")
	p := expectShape(t, "passkey", expectJSON(t, addPasskey(t, c, dev, siteOrigin, "laptop"), http.StatusCreated), passkeyShape)
	if p["name"] != "laptop" || p["last_used_at"] != nil || c.token() == before {
		t.Fatalf("registered %v (session renewed: %v)", p, c.token() != before)
	}
	expectTokenDead(t, a, before, "the session before the passkey")
	me := apiGet(t, c, "/api/v1/me")
	if me["aal"] != "aal2" || !reflect.DeepEqual(me["factors"], []any{"password", "passkey"}) {
		t.Errorf("after registering: aal %v, factors %v", me["aal"], me["factors"])
	}
	id := jsonInt(t, p["id"])
	renamed := expectJSON(t, c.json(http.MethodPatch, fmt.Sprintf("/api/v1/account/passkeys/%d", id), map[string]string{"name": "work laptop"}),
		http.StatusOK)
	if renamed["name"] != "work laptop" {
		t.Errorf("renamed: %v", renamed)
	}
	e = expectErrorCode(t, c.json(http.MethodPatch, fmt.Sprintf("/api/v1/account/passkeys/%d", id), map[string]string{"name": " "}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "name")

	d := a.visitorFrom("192.0.2.91")
	answer := passkeyAnswer(t, d, "/api/v1/session/passkey/options", dev, siteOrigin)
	me = expectShape(t, "passkey sign-in", expectJSON(t, passkeySignIn(d, answer), http.StatusCreated), meShape)
	if me["aal"] != "aal2" || !reflect.DeepEqual(me["factors"], []any{"passkey"}) {
		t.Errorf("signed in with a passkey: aal %v, factors %v", me["aal"], me["factors"])
	}
	expectSignedInAs(t, d, "authorized_user", "after the passkey")
	expectErrorCode(t, passkeySignIn(a.visitorFrom("192.0.2.92"), answer), http.StatusUnauthorized, "unauthenticated")
	phished := passkeyAnswer(t, a.visitorFrom("192.0.2.93"), "/api/v1/session/passkey/options", dev, "https://evil.example.com")
	expectErrorCode(t, passkeySignIn(a.visitorFrom("192.0.2.93"), phished), http.StatusUnauthorized, "unauthenticated")
	e = expectErrorCode(t, passkeySignIn(a.visitor(), json.RawMessage(`{"id":"x","rawId":"x","type":"public-key","response":{}}`)),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "credential")
	e = expectErrorCode(t, a.visitor().json(http.MethodPost, "/api/v1/session/passkey", map[string]any{}), http.StatusBadRequest, "bad_request")
	expectFields(t, e, "credential")

	a.clock.Advance(10*time.Minute + time.Second)
	expectErrorCode(t, c.json(http.MethodDelete, fmt.Sprintf("/api/v1/account/passkeys/%d", id), nil), http.StatusForbidden,
		"reauthentication_required")
	expectErrorCode(t, c.json(http.MethodPost, "/api/v1/account/passkeys/options", nil), http.StatusForbidden, "reauthentication_required")
	expectStatus(t, c.json(http.MethodPost, "/api/v1/session/reauth", map[string]string{"password": demoPassword}), http.StatusNoContent)
	expectStatus(t, c.json(http.MethodDelete, fmt.Sprintf("/api/v1/account/passkeys/%d", id), nil), http.StatusNoContent)
	expectErrorCode(t, c.json(http.MethodDelete, fmt.Sprintf("/api/v1/account/passkeys/%d", id), nil), http.StatusNotFound, "not_found")
	gone := passkeyAnswer(t, a.visitorFrom("192.0.2.94"), "/api/v1/session/passkey/options", dev, siteOrigin)
	expectErrorCode(t, passkeySignIn(a.visitorFrom("192.0.2.94"), gone), http.StatusUnauthorized, "unauthenticated")
}

// TestAPIPasskeySecondFactor: the password of a user with a passkey asks
// for it; the passkey then finishes the sign-in with both factors; one
// request cannot give both a code and a passkey; without a pending sign-in
// there are no options.
func TestAPIPasskeySecondFactor(t *testing.T) {
	t.Parallel()
	a := newApp(t, withPasskeys)
	owner := a.visitor()
	expectStatus(t, apiLogin(owner, "authorized_user", demoPassword), http.StatusCreated)
	dev := passkeytest.New()
	expectStatus(t, addPasskey(t, owner, dev, siteOrigin, "phone"), http.StatusCreated)

	expectErrorCode(t, a.visitor().json(http.MethodPost, "/api/v1/session/second-factor/options", nil), http.StatusUnauthorized,
		"unauthenticated")
	c := a.visitorFrom("192.0.2.95")
	got := expectJSON(t, apiLogin(c, "authorized_user", demoPassword), http.StatusOK)
	if !reflect.DeepEqual(got["methods"], []any{"passkey"}) || c.token() != "" {
		t.Fatalf("password step: %v, session %q", got, c.token())
	}
	answer := passkeyAnswer(t, c, "/api/v1/session/second-factor/options", dev, siteOrigin)
	e := expectErrorCode(t, c.json(http.MethodPost, "/api/v1/session/second-factor", map[string]any{"credential": answer, "code": "123456"}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "credential")
	me := expectJSON(t, c.json(http.MethodPost, "/api/v1/session/second-factor", map[string]any{"credential": answer}), http.StatusCreated)
	if me["aal"] != "aal2" || !reflect.DeepEqual(me["factors"], []any{"password", "passkey"}) || pendingOf(c) != "" {
		t.Errorf("after the passkey step: %v, pending %q", me, pendingOf(c))
	}
	expectSignedInAs(t, c, "authorized_user", "after the passkey step")
}

// TestAdminPasskeys: the admin's list of users shows who has passkeys, and
// the admin can remove them all (re-authentication, audited).
func TestAdminPasskeys(t *testing.T) {
	t.Parallel()
	a := newApp(t, withPasskeys)
	owner := a.visitor()
	expectStatus(t, apiLogin(owner, "authorized_user", demoPassword), http.StatusCreated)
	expectStatus(t, addPasskey(t, owner, passkeytest.New(), siteOrigin, "phone"), http.StatusCreated)
	expectStatus(t, addPasskey(t, owner, passkeytest.New(), siteOrigin, "key"), http.StatusCreated)
	id := jsonInt(t, apiGet(t, owner, "/api/v1/me")["user"].(map[string]any)["id"])

	admin := a.admin()
	var factors any
	for _, u := range apiGet(t, admin, "/api/v1/admin/users")["users"].([]any) {
		if u := u.(map[string]any); u["username"] == "authorized_user" {
			factors = u["factors"]
		}
	}
	if !reflect.DeepEqual(factors, []any{"passkey"}) {
		t.Errorf("factors of authorized_user in the admin's list: %v", factors)
	}
	path := fmt.Sprintf("/api/v1/admin/users/%d/passkeys", id)
	expectErrorCode(t, owner.json(http.MethodDelete, path, nil), http.StatusForbidden, "forbidden")
	got := expectJSON(t, admin.json(http.MethodDelete, path, nil), http.StatusOK)
	if jsonInt(t, got["removed"]) != 2 {
		t.Errorf("removed %v; want 2", got)
	}
	expectErrorCode(t, admin.json(http.MethodDelete, path, nil), http.StatusNotFound, "not_found")
	if len(apiGet(t, admin, "/api/v1/admin/audit?action=user.passkeys_remove")["events"].([]any)) != 1 {
		t.Error("the removal was not audited once")
	}
}

// TestRequireSecondFactorPasskey: a passkey meets --require-second-factor:
// a privileged user without a factor may register one (those routes are
// open to them), is then let in, and from then on signs in with the
// password and the passkey, or the passkey alone.
func TestRequireSecondFactorPasskey(t *testing.T) {
	t.Parallel()
	a := newApp(t, withPasskeys, func(c *app.Config) { c.RequireSecondFactor = []string{"privileged"} })
	c := a.visitor()
	expectStatus(t, apiLogin(c, "authorized_user", demoPassword), http.StatusCreated)
	expectErrorCode(t, c.json(http.MethodGet, "/api/v1/cart", nil), http.StatusForbidden, "second_factor_required")
	dev := passkeytest.New()
	expectStatus(t, addPasskey(t, c, dev, siteOrigin, "phone"), http.StatusCreated)
	expectStatus(t, c.json(http.MethodGet, "/api/v1/cart", nil), http.StatusOK, "the API after adding a passkey")

	d := a.visitorFrom("192.0.2.99")
	got := expectJSON(t, apiLogin(d, "authorized_user", demoPassword), http.StatusOK)
	if !reflect.DeepEqual(got["methods"], []any{"passkey"}) {
		t.Errorf("the password step: %v", got)
	}
	alone := a.visitorFrom("192.0.2.100")
	expectStatus(t, passkeySignIn(alone, passkeyAnswer(t, alone, "/api/v1/session/passkey/options", dev, siteOrigin)), http.StatusCreated)
	expectStatus(t, alone.json(http.MethodGet, "/api/v1/cart", nil), http.StatusOK, "after a passkey alone")
}
