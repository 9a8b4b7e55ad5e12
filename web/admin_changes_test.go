package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// CONTRACT §6, last bullet: a change of a user's roles or password by
// anyone but themselves, and disabling them, end every session of that
// user at once, from the pages and from the API alike; a disabled user
// cannot sign in, and is told exactly what a wrong password is told.

// adminWays are the two front ends of an admin's changes to user id.
var adminWays = []struct {
	name    string
	roles   func(t *testing.T, admin *client, id string, roles ...string)
	reset   func(t *testing.T, admin *client, id, password string)
	disable func(t *testing.T, admin *client, id string, disabled bool)
}{
	{"pages",
		func(t *testing.T, admin *client, id string, roles ...string) {
			expectRedirect(t, admin.postForm("/admin/users/"+id+"/roles", url.Values{"roles": roles}), "/admin/users")
		},
		func(t *testing.T, admin *client, id, password string) {
			expectRedirect(t, admin.postForm("/admin/users/"+id+"/password", url.Values{"password": {password}}), "/admin/users")
		},
		func(t *testing.T, admin *client, id string, disabled bool) {
			action := map[bool]string{true: "disable", false: "enable"}[disabled]
			expectRedirect(t, admin.postForm("/admin/users/"+id+"/"+action, nil), "/admin/users")
		},
	},
	{"api",
		func(t *testing.T, admin *client, id string, roles ...string) {
			expectJSON(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/roles", map[string]any{"roles": roles}), http.StatusOK)
		},
		func(t *testing.T, admin *client, id, password string) {
			expectStatus(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/password", map[string]any{"password": password}),
				http.StatusNoContent, "reset password")
		},
		func(t *testing.T, admin *client, id string, disabled bool) {
			expectJSON(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/disabled", map[string]any{"disabled": disabled}), http.StatusOK)
		},
	},
}

// TestAdminChangesEndSessions: after each change, a browser and an API
// client signed in as the target are signed out on their next request, and
// their tokens are dead; another user's session goes on; the target signs
// in again with a new session that has what the change gave.
func TestAdminChangesEndSessions(t *testing.T) {
	t.Parallel()
	for _, way := range adminWays {
		for _, change := range []string{"roles", "password", "disable"} {
			t.Run(way.name+" "+change, func(t *testing.T) {
				t.Parallel()
				a := newApp(t)
				admin := a.admin()
				id := itoa64(createUser(t, admin, "carol", "customer"))
				browser := a.login("carol", newPassword)
				api := a.visitor()
				expectStatus(t, apiLogin(api, "carol", newPassword), http.StatusCreated, "carol's API login")
				tokens := []string{browser.token(), api.token()}
				bystander := a.authorized()

				password := newPassword
				switch change {
				case "roles":
					way.roles(t, admin, id, "customer", "privileged")
				case "password":
					password = "another passphrase"
					way.reset(t, admin, id, password)
				case "disable":
					way.disable(t, admin, id, true)
				}

				mustBeSignedOut(t, browser)
				expectAPIError(t, api.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
				for _, tok := range tokens {
					expectTokenDead(t, a, tok, "carol's token after the change")
				}
				mustBeSignedIn(t, bystander)
				expectSignedInAs(t, admin, "admin", "the admin")
				if !hasAdminEvent(t, admin, "session.revoke", "success", "admin", "carol", "session") {
					t.Errorf("the ended sessions are not in the trail with their target: %v", adminTrail(t, admin, "action=session.revoke"))
				}

				if change == "disable" {
					expectDisabledLogin(t, a, "carol", password)
					way.disable(t, admin, id, false)
				}
				again := a.login("carol", password)
				expectSignedInAs(t, again, "carol", "signed in again")
				if again.token() == tokens[0] {
					t.Error("signed in again with the old token")
				}
				if change == "roles" {
					expectHTML(t, again.get("/checkout"), http.StatusOK) // privileged now
				}
			})
		}
	}
}

// expectDisabledLogin fails unless signing in as the disabled username with
// their right password answers exactly as a wrong password does, by the
// form and by the API: the same status and the same body. (Four failures,
// one short of the lock of the username.)
func expectDisabledLogin(t *testing.T, a *testApp, username, password string) {
	t.Helper()
	for _, w := range loginWays {
		c := a.visitorFrom("198.51.100.200")
		disabled := w.login(c, username, password)
		wrong := w.login(c, username, password+"-wrong")
		if disabled.StatusCode != http.StatusUnauthorized || wrong.StatusCode != disabled.StatusCode {
			t.Errorf("%s: a disabled user's login answers %d, a wrong password %d; want 401 both",
				w.name, disabled.StatusCode, wrong.StatusCode)
		}
		if d, wr := body(disabled), body(wrong); d != wr {
			t.Errorf("%s: a disabled user's login differs from a wrong password's:\n%s\n----\n%s", w.name, pageExcerpt(d), pageExcerpt(wr))
		}
		if c.token() != "" {
			t.Errorf("%s: a disabled user was given a session cookie", w.name)
		}
	}
}
