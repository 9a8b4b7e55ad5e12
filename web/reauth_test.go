package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Re-authentication ("sudo mode", CONTRACT §7): the sensitive admin changes
// need a password entered in this session within the last 10 minutes, at
// sign-in or through /reauth (pages) or POST /api/v1/session/reauth (API).
// The expiry is driven by the harness's clock.

// sensitivePageForms are the admin forms that need a recent password, each
// with the page it returns to. In path, {user} is authorized_user's id and
// {session} the public id of a session of theirs.
var sensitivePageForms = []struct {
	name, path string
	form       url.Values
	back       string
}{
	{"create a user", "/admin/users", url.Values{"username": {"carol"}, "password": {newPassword}, "roles": {"customer"}}, "/admin/users"},
	{"set roles", "/admin/users/{user}/roles", url.Values{"roles": {"customer"}}, "/admin/users"},
	{"reset the password", "/admin/users/{user}/password", url.Values{"password": {newPassword}}, "/admin/users"},
	{"disable", "/admin/users/{user}/disable", nil, "/admin/users"},
	{"end a user's sessions", "/admin/users/{user}/sessions/revoke", url.Values{"back": {"/admin/sessions?user=authorized_user"}},
		"/admin/sessions?user=authorized_user"},
	{"end one session", "/admin/sessions/{session}/revoke", nil, "/admin/sessions"},
}

// TestReauthPages: each sensitive change is allowed with the password of
// the sign-in fresh; past 10 minutes it answers 303 to /reauth with the way
// back, changes nothing and is audited as refused; the form takes the
// password, refuses a wrong one (400, the field named), and goes back; the
// change then works.
func TestReauthPages(t *testing.T) {
	t.Parallel()
	for _, f := range sensitivePageForms {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			admin := a.admin()
			target := a.authorized()
			path := strings.NewReplacer("{user}", itoa64(userID(t, admin, "authorized_user")),
				"{session}", sessionID(t, target)).Replace(f.path)

			stale(a)
			before := adminView(t, admin)
			expectReauthRedirect(t, admin.postForm(path, f.form), f.back)
			if after := adminView(t, admin); after != before {
				t.Fatalf("a change refused for re-authentication changed something:\nbefore: %s\nafter:  %s", before, after)
			}
			mustBeSignedIn(t, target)
			if !hasAdminEvent(t, admin, "access.denied", "denied", "admin", "", "re-authentication required: POST ") {
				t.Errorf("the refusal is not in the trail: %v", adminTrail(t, admin, "action=access.denied"))
			}

			form := expectHTML(t, admin.get("/reauth?next="+url.QueryEscape(f.back)), http.StatusOK,
				"<h1>Confirm your password</h1>", `name="password"`,
				`<input type="hidden" name="next" value="`+strings.ReplaceAll(f.back, "&", "&amp;")+`">`)
			_ = form
			res := admin.postForm("/reauth", url.Values{"password": {"not my password"}, "next": {f.back}})
			expectHTML(t, res, http.StatusBadRequest, "<strong>Password</strong>: is not your password", `name="next"`)
			if got := reauthPage(t, admin, a.adminPassword, f.back); got != f.back {
				t.Errorf("re-authentication sent the admin to %q, want back to %q", got, f.back)
			}
			if !hasAdminEvent(t, admin, "reauth", "success", "admin", "", "") ||
				!hasAdminEvent(t, admin, "reauth", "failure", "admin", "", "wrong password") {
				t.Errorf("re-authentications not in the trail: %v", adminTrail(t, admin, "action=reauth"))
			}

			res = admin.postForm(path, f.form)
			expectStatus(t, res, http.StatusSeeOther, "the change after re-authenticating")
			if loc := res.Header.Get("Location"); loc != f.back {
				t.Errorf("after the change: Location %q, want %q", loc, f.back)
			}
		})
	}
}

// TestReauthWindow: the password of the sign-in counts for 10 minutes;
// re-entering it starts 10 more; each change within them is allowed, and
// the first past them refused.
func TestReauthWindow(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	id := itoa64(userID(t, admin, "unauthorized_user"))
	setRoles := func(roles ...string) *http.Response {
		return admin.postForm("/admin/users/"+id+"/roles", url.Values{"roles": roles})
	}
	a.clock.Advance(9 * time.Minute)
	expectRedirect(t, setRoles("customer", "privileged"), "/admin/users") // fresh from the sign-in
	a.clock.Advance(time.Minute + time.Second)
	expectReauthRedirect(t, setRoles("customer"), "/admin/users")
	if roles := adminUser(t, admin, "unauthorized_user")["roles"]; len(roles.([]any)) != 2 {
		t.Errorf("roles %v after a refused change, want customer and privileged still", roles)
	}
	reauthPage(t, admin, a.adminPassword, "/admin/users")
	a.clock.Advance(reauthWindow)
	expectRedirect(t, setRoles("customer"), "/admin/users") // at the end of the renewed window
	a.clock.Advance(time.Second)
	expectReauthRedirect(t, setRoles("customer", "privileged"), "/admin/users")

	// Reading needs no recent password.
	expectHTML(t, admin.get("/admin/users"), http.StatusOK)
	expectHTML(t, admin.get("/admin/sessions"), http.StatusOK)
	expectHTML(t, admin.get("/admin/audit"), http.StatusOK)
}

// TestReauthForm: a visitor is sent to sign in; next is followed only to a
// page of this site; a blank password is named; the form is throttled like
// a login, and a wrong password there counts as a failed login.
func TestReauthForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	expectLoginRedirect(t, a.visitor().get("/reauth?next=/admin/users"), "/reauth?next=/admin/users")
	expectLoginRedirect(t, a.visitor().postForm("/reauth", url.Values{"password": {"x"}}), "/reauth")

	user := a.authorized() // any signed-in user may re-authenticate
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "/api/v1/me", ""} {
		if got := reauthPage(t, user, demoPassword, next); got != "/" {
			t.Errorf("next %q: sent to %q, want /", next, got)
		}
	}
	if got := reauthPage(t, user, demoPassword, "/orders?limit=1"); got != "/orders?limit=1" {
		t.Errorf("sent to %q, want /orders?limit=1", got)
	}
	expectHTML(t, user.postForm("/reauth", url.Values{"password": {""}}), http.StatusBadRequest,
		"<strong>Password</strong>: is required")

	for range 5 {
		expectHTML(t, user.postForm("/reauth", url.Values{"password": {"guess"}}), http.StatusBadRequest,
			"is not your password")
	}
	res := user.postForm("/reauth", url.Values{"password": {demoPassword}})
	expectHTML(t, res, http.StatusTooManyRequests, "Too many attempts")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// The failures counted for the username: its login is throttled too.
	loginWays[0].limited(t, formLogin(a.visitorFrom("198.51.100.99"), "authorized_user", demoPassword), "login after the failures")
	mustBeSignedIn(t, user)
}

// TestReauthAPI: past 10 minutes every sensitive admin call answers 403
// reauthentication_required and changes nothing; POST
// /api/v1/session/reauth takes the password (204, a new session cookie),
// refuses a wrong one (400 naming password), and the calls then work.
func TestReauthAPI(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.visitor()
	expectStatus(t, apiLogin(admin, "admin", a.adminPassword), http.StatusCreated, "admin API login")
	target := a.authorized()
	uid := itoa64(userID(t, admin, "authorized_user"))
	sid := sessionID(t, target)
	calls := []struct {
		method, path string
		body         any
		ok           int
	}{
		{"DELETE", "/api/v1/admin/sessions/" + sid, nil, 204}, // before the changes that end it
		{"POST", "/api/v1/admin/users", map[string]any{"username": "carol", "password": newPassword, "roles": []string{"customer"}}, 201},
		{"PUT", "/api/v1/admin/users/" + uid + "/roles", map[string]any{"roles": []string{"customer", "privileged"}}, 200},
		{"PUT", "/api/v1/admin/users/" + uid + "/password", map[string]any{"password": demoPassword + "!"}, 204},
		{"PUT", "/api/v1/admin/users/" + uid + "/disabled", map[string]any{"disabled": false}, 200},
		{"DELETE", "/api/v1/admin/users/" + uid + "/sessions", nil, 200},
	}
	stale(a)
	before := adminView(t, admin)
	for _, c := range calls {
		expectAPIError(t, admin.json(c.method, c.path, c.body), http.StatusForbidden, "reauthentication_required")
	}
	if after := adminView(t, admin); after != before {
		t.Fatalf("refused calls changed something:\nbefore: %s\nafter:  %s", before, after)
	}
	mustBeSignedIn(t, target)
	// Reading needs none.
	for _, path := range []string{"/api/v1/admin/users", "/api/v1/admin/sessions", "/api/v1/admin/audit"} {
		apiGet(t, admin, path)
	}

	e := expectAPIError(t, admin.json("POST", "/api/v1/session/reauth", map[string]string{"password": "wrong"}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "password")
	e = expectAPIError(t, admin.json("POST", "/api/v1/session/reauth", map[string]string{}), http.StatusBadRequest, "bad_request")
	expectFields(t, e, "password")
	old := admin.token()
	res := admin.json("POST", "/api/v1/session/reauth", map[string]string{"password": a.adminPassword})
	expectStatus(t, res, http.StatusNoContent, "reauth")
	if admin.token() == old {
		t.Error("re-authenticating kept the session token")
	}
	expectTokenDead(t, a, old, "the token from before the re-authentication")
	for _, c := range calls {
		expectStatus(t, admin.json(c.method, c.path, c.body), c.ok, c.method+" "+c.path)
	}
	mustBeSignedOut(t, target)

	expectAPIError(t, a.visitor().json("POST", "/api/v1/session/reauth", map[string]string{"password": "x"}),
		http.StatusUnauthorized, "unauthenticated")
	customer := a.unauthorized()
	expectStatus(t, customer.json("POST", "/api/v1/session/reauth", map[string]string{"password": demoPassword}),
		http.StatusNoContent, "a customer's re-authentication")
}
