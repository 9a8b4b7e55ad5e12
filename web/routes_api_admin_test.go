package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The admin calls of the JSON API (CONTRACT §7).

var adminUserShape = shape{"id": "number", "username": "string", "roles": "array", "disabled": "bool",
	"created_at": "time", "last_login_at": "any"}

var adminSessionShape = shape{"id": "string", "created_at": "time", "last_seen_at": "time", "idle_expires_at": "time",
	"expires_at": "time", "ip": "string", "user_agent": "string", "current": "bool", "remembered": "bool",
	"user_id": "number", "username": "string"}

var adminEventShape = shape{"id": "number", "time": "time", "action": "string", "outcome": "string",
	"session_id": "string", "ip": "string", "user_agent": "string", "detail": "string",
	"user_id": "any", "username": "any", "target_user_id": "any", "target_username": "any"}

// adminAPIRoutes are the admin calls; {user} is authorized_user's id and
// {session} the public id of a session of theirs; ok is the admin's answer.
var adminAPIRoutes = []struct {
	method, path string
	body         any
	ok           int
}{
	{"GET", "/api/v1/admin/users", nil, 200},
	{"POST", "/api/v1/admin/users", map[string]any{"username": "carol", "password": newPassword, "roles": []string{"customer"}}, 201},
	{"PUT", "/api/v1/admin/users/{user}/roles", map[string]any{"roles": []string{"customer"}}, 200},
	{"PUT", "/api/v1/admin/users/{user}/password", map[string]any{"password": newPassword}, 204},
	{"PUT", "/api/v1/admin/users/{user}/disabled", map[string]any{"disabled": true}, 200},
	{"DELETE", "/api/v1/admin/users/{user}/sessions", nil, 200},
	{"GET", "/api/v1/admin/sessions", nil, 200},
	{"GET", "/api/v1/admin/sessions?user={user}", nil, 200},
	{"DELETE", "/api/v1/admin/sessions/{session}", nil, 204},
	{"GET", "/api/v1/admin/audit", nil, 200},
	{"GET", "/api/v1/admin/audit?user={user}&action=login&outcome=success", nil, 200},
}

// TestAPIAdminWhoMay: a visitor gets 401, a customer and a privileged user
// 403 (audited, nothing changed), the admin the call.
func TestAPIAdminWhoMay(t *testing.T) {
	t.Parallel()
	for _, r := range adminAPIRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			admin := a.admin()
			target := a.authorized()
			path := strings.NewReplacer("{user}", itoa64(userID(t, admin, "authorized_user")),
				"{session}", sessionID(t, target)).Replace(r.path)
			refused := []*client{a.unauthorized(), a.authorized()}
			before := adminView(t, admin)

			expectAPIError(t, a.visitor().json(r.method, path, r.body), http.StatusUnauthorized, "unauthenticated")
			for _, c := range refused {
				e := expectAPIError(t, c.json(r.method, path, r.body), http.StatusForbidden, "forbidden")
				if !strings.Contains(e["message"].(string), "admin") {
					t.Errorf("the refusal does not say what was refused: %v", e)
				}
				if !hasEvent(t, c, "access.denied", "denied", "admin") {
					t.Errorf("the refusal is not in the trail: %v", trailOf(t, c))
				}
			}
			mustBeSignedIn(t, target)
			if after := adminView(t, admin); after != before {
				t.Errorf("refused calls changed something:\nbefore: %s\nafter:  %s", before, after)
			}
			expectStatus(t, admin.json(r.method, path, r.body), r.ok, "the admin")
		})
	}
}

// TestAPIAdminUsers: the list and its paging; creating a user (201, 409 for
// a taken name in any case, 400 naming the fields); setting roles, the
// password and the disabled flag; unknown ids 404.
func TestAPIAdminUsers(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	v := apiGet(t, admin, "/api/v1/admin/users")
	if v["next_cursor"] != nil {
		t.Errorf("next_cursor %v on the only page", v["next_cursor"])
	}
	var names []string
	for _, u := range v["users"].([]any) {
		u := expectShape(t, "user", u, listedUserShape)
		names = append(names, u["username"].(string))
		if u["username"] == "unauthorized_user" && u["last_login_at"] != nil {
			t.Errorf("last_login_at %v for a user who never signed in", u["last_login_at"])
		}
		if u["username"] == "admin" && !jsonTime(t, u["last_login_at"]).Equal(a.clock.Now()) {
			t.Errorf("the admin's last sign-in %v, want %v", u["last_login_at"], a.clock.Now())
		}
	}
	if strings.Join(names, ",") != "authorized_user,unauthorized_user,admin" {
		t.Errorf("users %v, want the three demo users by id", names)
	}
	sizes, users := walkPages(t, admin, "/api/v1/admin/users?limit=1", "users")
	expectPageSizes(t, "limit=1", sizes, 1, 1, 1)
	expectDistinct(t, users, "id", 3)

	a.clock.Advance(time.Minute)
	res := admin.json("POST", "/api/v1/admin/users", map[string]any{"username": "carol", "password": newPassword,
		"roles": []string{"privileged", "customer", "customer"}})
	carol := expectShape(t, "created user", expectJSON(t, res, http.StatusCreated), adminUserShape)
	if carol["username"] != "carol" || carol["disabled"] != false || carol["last_login_at"] != nil ||
		!jsonTime(t, carol["created_at"]).Equal(a.clock.Now()) || len(carol["roles"].([]any)) != 2 {
		t.Errorf("created %v", carol)
	}
	id := itoa64(jsonInt(t, carol["id"]))
	expectSignedInAs(t, a.login("carol", newPassword), "carol", "the new user")

	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"taken", map[string]any{"username": "CAROL", "password": newPassword, "roles": []string{"customer"}}, 409, "conflict", []string{"username"}},
		{"empty", map[string]any{}, 400, "bad_request", []string{"username", "password", "roles"}},
		{"no roles", map[string]any{"username": "dave", "password": newPassword, "roles": []string{}}, 400, "bad_request", []string{"roles"}},
		{"unknown role", map[string]any{"username": "dave", "password": newPassword, "roles": []string{"root"}}, 400, "bad_request", []string{"roles"}},
		{"bad name and password", map[string]any{"username": "d", "password": "password123", "roles": []string{"customer"}}, 400, "bad_request", []string{"username", "password"}},
		{"unknown field", map[string]any{"username": "dave", "password": newPassword, "roles": []string{"customer"}, "admin": true}, 400, "bad_request", []string{"admin"}},
		{"wrong type", map[string]any{"username": "dave", "password": newPassword, "roles": "customer"}, 400, "bad_request", []string{"roles"}},
	} {
		e := expectAPIError(t, admin.json("POST", "/api/v1/admin/users", tt.body), tt.status, tt.code)
		expectFields(t, e, tt.fields...)
	}
	if n := userCount(t, admin); n != 4 {
		t.Errorf("%d users after refused creations, want 4", n)
	}

	res = admin.json("PUT", "/api/v1/admin/users/"+id+"/roles", map[string]any{"roles": []string{"customer"}})
	if u := expectJSON(t, res, http.StatusOK); len(u["roles"].([]any)) != 1 || u["roles"].([]any)[0] != "customer" {
		t.Errorf("after setting roles: %v", u)
	}
	e := expectAPIError(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/roles", map[string]any{"roles": []string{"customer", "root"}}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "roles")
	expectFields(t, expectAPIError(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/roles", map[string]any{}),
		http.StatusBadRequest, "bad_request"), "roles")

	expectStatus(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/password", map[string]any{"password": "another passphrase"}),
		http.StatusNoContent, "reset password")
	expectSignedInAs(t, a.login("carol", "another passphrase"), "carol", "with the new password")
	e = expectAPIError(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/password", map[string]any{"password": "password123"}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "password")

	res = admin.json("PUT", "/api/v1/admin/users/"+id+"/disabled", map[string]any{"disabled": true})
	if u := expectShape(t, "disabled user", expectJSON(t, res, http.StatusOK), adminUserShape); u["disabled"] != true {
		t.Errorf("after disabling: %v", u)
	}
	res = admin.json("PUT", "/api/v1/admin/users/"+id+"/disabled", map[string]any{"disabled": false})
	if u := expectJSON(t, res, http.StatusOK); u["disabled"] != false {
		t.Errorf("after enabling: %v", u)
	}
	self := itoa64(userID(t, admin, "admin"))
	e = expectAPIError(t, admin.json("PUT", "/api/v1/admin/users/"+self+"/disabled", map[string]any{"disabled": true}),
		http.StatusBadRequest, "bad_request")
	expectFields(t, e, "disabled")
	expectFields(t, expectAPIError(t, admin.json("PUT", "/api/v1/admin/users/"+id+"/disabled", map[string]any{"disabled": "yes"}),
		http.StatusBadRequest, "bad_request"), "disabled")

	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/v1/admin/users/9999/roles", map[string]any{"roles": []string{"customer"}}},
		{"PUT", "/api/v1/admin/users/9999/password", map[string]any{"password": newPassword}},
		{"PUT", "/api/v1/admin/users/9999/disabled", map[string]any{"disabled": true}},
		{"DELETE", "/api/v1/admin/users/9999/sessions", nil},
		{"PUT", "/api/v1/admin/users/abc/roles", map[string]any{"roles": []string{"customer"}}},
		{"DELETE", "/api/v1/admin/users/0/sessions", nil},
	} {
		expectAPIError(t, admin.json(r.method, r.path, r.body), http.StatusNotFound, "not_found")
	}
}

// TestAPIAdminSessions: every live session with its user; ?user={id}
// selects one user's (400 for what cannot be an id, 404 for an unknown
// one); ending one (204, 404 for an unknown id) and all of a user's
// (200 with how many).
func TestAPIAdminSessions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	first := loginFrom(t, a, "authorized_user", demoPassword, "first-browser", "198.51.100.5:1000")
	second := a.authorized()
	other := a.unauthorized()
	auth := itoa64(userID(t, admin, "authorized_user"))

	v := apiGet(t, admin, "/api/v1/admin/sessions")
	byUser := map[string]int{}
	for _, s := range v["sessions"].([]any) {
		s := expectShape(t, "session", s, adminSessionShape)
		byUser[s["username"].(string)]++
		if s["id"] == sessionID(t, first) && (s["ip"] != "198.51.100.5" || s["user_agent"] != "first-browser" ||
			itoa64(jsonInt(t, s["user_id"])) != auth) {
			t.Errorf("first session listed as %v", s)
		}
		if (s["current"] == true) != (s["username"] == "admin") {
			t.Errorf("session %v: current is the admin's own", s)
		}
	}
	if byUser["authorized_user"] != 2 || byUser["unauthorized_user"] != 1 || byUser["admin"] != 1 {
		t.Errorf("sessions by user %v", byUser)
	}
	v = apiGet(t, admin, "/api/v1/admin/sessions?user="+auth)
	if n := len(v["sessions"].([]any)); n != 2 {
		t.Errorf("%d sessions of authorized_user, want 2", n)
	}
	sizes, _ := walkPages(t, admin, "/api/v1/admin/sessions?limit=1&user="+auth, "sessions")
	expectPageSizes(t, "one user's, limit=1", sizes, 1, 1)
	expectFields(t, expectAPIError(t, admin.json("GET", "/api/v1/admin/sessions?user=abc", nil), http.StatusBadRequest, "bad_request"), "user")
	expectFields(t, expectAPIError(t, admin.json("GET", "/api/v1/admin/sessions?user=9999", nil), http.StatusNotFound, "not_found"), "user")

	expectStatus(t, admin.json("DELETE", "/api/v1/admin/sessions/"+sessionID(t, first), nil), http.StatusNoContent, "end one")
	mustBeSignedOut(t, first)
	mustBeSignedIn(t, second)
	expectAPIError(t, admin.json("DELETE", "/api/v1/admin/sessions/"+sessionID(t, other)+"x", nil), http.StatusNotFound, "not_found")

	v = expectJSON(t, admin.json("DELETE", "/api/v1/admin/users/"+auth+"/sessions", nil), http.StatusOK)
	expectShape(t, "revoked", v, shape{"revoked": "number"})
	if v["revoked"] != float64(1) {
		t.Errorf("revoked %v, want 1", v["revoked"])
	}
	mustBeSignedOut(t, second)
	mustBeSignedIn(t, other)
	if !hasAdminEvent(t, admin, "session.revoke", "success", "admin", "authorized_user", "session") {
		t.Errorf("no session.revoke naming its target: %v", adminTrail(t, admin, "action=session.revoke"))
	}

	// The admin ending all their own sessions is signed out, and told to
	// forget the cookies.
	res := admin.json("DELETE", "/api/v1/admin/users/"+itoa64(userID(t, admin, "admin"))+"/sessions", nil)
	expectJSON(t, res, http.StatusOK)
	if res.Header.Get("Clear-Site-Data") != `"cookies"` {
		t.Errorf("Clear-Site-Data %q", res.Header.Get("Clear-Site-Data"))
	}
	expectAPIError(t, admin.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
}

// TestAPIAdminAudit: the whole trail, newest first, events naming who acted
// and on whom; the filters; refused filters named; paging keeps them.
func TestAPIAdminAudit(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	user := a.authorized()
	mug := productID(t, user, skuMug)
	for range 3 {
		a.clock.Advance(time.Second)
		expectJSON(t, user.json("POST", "/api/v1/cart/items", map[string]any{"product_id": mug}), http.StatusOK)
	}
	a.clock.Advance(time.Second)
	un := itoa64(userID(t, admin, "unauthorized_user"))
	expectJSON(t, admin.json("PUT", "/api/v1/admin/users/"+un+"/roles", map[string]any{"roles": []string{"customer", "privileged"}}), http.StatusOK)

	events := adminTrail(t, admin, "")
	for i, e := range events {
		expectShape(t, "event", e, adminEventShape)
		if i > 0 && jsonTime(t, e["time"]).After(jsonTime(t, events[i-1]["time"])) {
			t.Fatalf("event %d is newer than the one before", i)
		}
	}
	if e := events[0]; e["action"] != "user.roles" || e["username"] != "admin" || e["target_username"] != "unauthorized_user" ||
		itoa64(jsonInt(t, e["target_user_id"])) != un || jsonInt(t, e["user_id"]) != userID(t, admin, "admin") {
		t.Errorf("the newest event %v, want admin's change of unauthorized_user's roles", e)
	}
	for _, tt := range []struct {
		query string
		want  func(e map[string]any) bool
	}{
		{"action=cart.add", func(e map[string]any) bool { return e["action"] == "cart.add" && e["username"] == "authorized_user" }},
		{"outcome=success&action=login", func(e map[string]any) bool { return e["action"] == "login" && e["outcome"] == "success" }},
		{"user=" + un, func(e map[string]any) bool {
			return e["username"] == "unauthorized_user" || e["target_username"] == "unauthorized_user"
		}},
	} {
		got := adminTrail(t, admin, tt.query)
		if len(got) == 0 {
			t.Errorf("%s: no events", tt.query)
		}
		for _, e := range got {
			if !tt.want(e) {
				t.Errorf("%s: %v", tt.query, e)
			}
		}
	}
	if n := len(adminTrail(t, admin, "action=cart.add")); n != 3 {
		t.Errorf("%d cart.add events, want 3", n)
	}
	sizes, _ := walkPages(t, admin, "/api/v1/admin/audit?action=cart.add&limit=2", "events")
	expectPageSizes(t, "cart.add, limit=2", sizes, 2, 1)

	for _, tt := range []struct {
		query  string
		status int
		fields []string
	}{
		{"action=nonsense", 400, []string{"action"}},
		{"outcome=maybe&action=nonsense", 400, []string{"action", "outcome"}},
		{"user=abc", 400, []string{"user"}},
		{"user=9999", 404, []string{"user"}},
		{"limit=0", 400, []string{"limit"}},
		{"cursor=zzz", 400, []string{"cursor"}},
	} {
		code := "bad_request"
		if tt.status == 404 {
			code = "not_found"
		}
		expectFields(t, expectAPIError(t, admin.json("GET", "/api/v1/admin/audit?"+tt.query, nil), tt.status, code), tt.fields...)
	}
}

// listedUserShape is a user in the admin's list: with their second factors.
var listedUserShape = func() shape {
	s := shape{"factors": "array"}
	for k, v := range adminUserShape {
		s[k] = v
	}
	return s
}()
