package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The admin pages of CONTRACT §7: who may see them, what they list, their
// forms and what each change does. The JSON calls are in
// routes_api_admin_test.go, re-authentication in reauth_test.go.

// adminPageRoutes are the admin pages and forms. In path, {user} stands for
// authorized_user's id and {session} for the public id of a session of
// theirs; ok is the admin's answer, and for a 303 where it leads.
var adminPageRoutes = []struct {
	method, path string
	form         url.Values
	ok           int
	location     string
}{
	{"GET", "/admin/users", nil, 200, ""},
	{"GET", "/admin/users?limit=2", nil, 200, ""},
	{"POST", "/admin/users", url.Values{"username": {"newcomer"}, "password": {newPassword}, "roles": {"customer"}}, 303, "/admin/users"},
	{"POST", "/admin/users/{user}/roles", url.Values{"roles": {"customer"}}, 303, "/admin/users"},
	{"POST", "/admin/users/{user}/password", url.Values{"password": {newPassword}}, 303, "/admin/users"},
	{"POST", "/admin/users/{user}/disable", nil, 303, "/admin/users"},
	{"POST", "/admin/users/{user}/enable", nil, 303, "/admin/users"},
	{"POST", "/admin/users/{user}/sessions/revoke", nil, 303, "/admin/users"},
	{"GET", "/admin/sessions", nil, 200, ""},
	{"GET", "/admin/sessions?user=authorized_user", nil, 200, ""},
	{"POST", "/admin/sessions/{session}/revoke", nil, 303, "/admin/sessions"},
	{"GET", "/admin/audit", nil, 200, ""},
	{"GET", "/admin/audit?action=login&outcome=success", nil, 200, ""},
}

// TestAdminPagesWhoMay: a visitor is sent to sign in from every admin page
// and form; a customer (unauthorized_user) and a privileged user
// (authorized_user) get the 403 page, which says what was refused, and the
// refusal is in their trail; nothing they posted took effect. The admin
// gets each page, and each form does what it says.
func TestAdminPagesWhoMay(t *testing.T) {
	t.Parallel()
	for _, r := range adminPageRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			admin := a.admin()
			target := a.authorized()
			path := strings.NewReplacer("{user}", itoa64(userID(t, admin, "authorized_user")),
				"{session}", sessionID(t, target)).Replace(r.path)
			send := func(c *client) *http.Response {
				return c.do(r.method, path, "application/x-www-form-urlencoded", strings.NewReader(r.form.Encode()))
			}
			refused := []*client{a.unauthorized(), a.authorized()}
			before := adminView(t, admin)

			v := a.visitor()
			expectLoginRedirect(t, send(v), path)
			for _, c := range refused {
				_, name, _ := whoAmI(t, c)
				expectHTML(t, send(c), http.StatusForbidden, "You are not allowed to use the admin pages.")
				if !hasEvent(t, c, "access.denied", "denied", "admin") {
					t.Errorf("%s: the refusal is not in their trail: %v", name, trailOf(t, c))
				}
			}
			mustBeSignedIn(t, target)
			if after := adminView(t, admin); after != before {
				t.Errorf("refused requests changed what the admin sees:\nbefore: %s\nafter:  %s", before, after)
			}

			res := send(admin)
			if r.ok == http.StatusOK {
				expectHTML(t, res, http.StatusOK, `aria-label="Admin"`)
				return
			}
			expectRedirect(t, res, r.location)
		})
	}
}

// adminView is what the admin API shows of the users and sessions, for a
// test that shows that a refused request changed nothing.
func adminView(t *testing.T, admin *client) string {
	t.Helper()
	users := expectStatus(t, admin.json("GET", "/api/v1/admin/users?limit=500", nil), http.StatusOK, "admin users")
	sessions := expectStatus(t, admin.json("GET", "/api/v1/admin/sessions?limit=500", nil), http.StatusOK, "admin sessions")
	// The admin's own session's last use moves with these very requests.
	lastSeen := regexp.MustCompile(`"last_seen_at":"[^"]*"`)
	return users + "\n" + lastSeen.ReplaceAllString(sessions, "")
}

// TestAdminUsersPage: the users page lists every user with their roles,
// status, creation and last sign-in, and the forms; the admin's link to it
// is in the nav; creating a user works, and the new user can sign in.
func TestAdminUsersPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	a.clock.Advance(time.Minute)
	page := expectHTML(t, admin.get("/admin/users"), http.StatusOK,
		"<h1>Users</h1>", "<td>authorized_user</td>", "<td>unauthorized_user</td>", "<td>admin</td>",
		"customer, privileged", "active", "never", // unauthorized_user has not signed in
		`action="/admin/users"`, `name="username"`, `type="checkbox" name="roles" value="admin"`,
		`type="checkbox" name="roles" value="privileged"`,
		"Set roles", "Reset password", "Disable authorized_user", "End all sessions of authorized_user",
		`<input type="hidden" name="back" value="/admin/users">`)
	if !strings.Contains(headerPart(page), `href="/admin/users" aria-current="page"`) {
		t.Errorf("the nav does not mark the admin section:\n%s", headerPart(page))
	}
	for _, c := range []*client{a.authorized(), a.unauthorized()} {
		if strings.Contains(headerPart(expectHTML(t, c.get("/products"), http.StatusOK)), `href="/admin/users"`) {
			t.Error("the nav offers the admin pages to a user who is not admin")
		}
	}
	if !strings.Contains(headerPart(expectHTML(t, admin.get("/products"), http.StatusOK)), `href="/admin/users"`) {
		t.Error("the nav offers no admin pages to the admin")
	}

	res := admin.postForm("/admin/users", url.Values{"username": {"carol"}, "password": {newPassword},
		"roles": {"customer", "privileged"}, "back": {"/admin/users?limit=2"}})
	expectRedirect(t, res, "/admin/users?limit=2")
	carol := a.login("carol", newPassword)
	expectSignedInAs(t, carol, "carol", "the new user")
	expectHTML(t, carol.get("/checkout"), http.StatusOK) // privileged
	expectHTML(t, admin.get("/admin/users"), http.StatusOK, "<td>carol</td>", "customer, privileged")
	if !hasAdminEvent(t, admin, "user.create", "success", "admin", "carol", "customer,privileged") {
		t.Errorf("no user.create event by admin for carol: %v", adminTrail(t, admin, "action=user.create"))
	}
	// A back that is not an admin page is not followed.
	res = admin.postForm("/admin/users", url.Values{"username": {"dave"}, "password": {newPassword},
		"roles": {"customer"}, "back": {"https://evil.example/"}})
	expectRedirect(t, res, "/admin/users")
}

// TestAdminFormsNameTheField: a refused form shows its page again with 400
// (409 for a taken username, 404 for a user that does not exist) and a
// message that names the field by its label; nothing changed.
func TestAdminFormsNameTheField(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	auth := itoa64(userID(t, admin, "authorized_user"))
	self := itoa64(userID(t, admin, "admin"))
	for _, tt := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		says   []string
	}{
		{"short username", "/admin/users", url.Values{"username": {"al"}, "password": {newPassword}, "roles": {"customer"}},
			400, []string{"<strong>Username</strong>: must be 3 to 64 characters"}},
		{"bad username", "/admin/users", url.Values{"username": {"al ice"}, "password": {newPassword}, "roles": {"customer"}},
			400, []string{"<strong>Username</strong>: may hold only letters"}},
		{"common password", "/admin/users", url.Values{"username": {"alice"}, "password": {"password123"}, "roles": {"customer"}},
			400, []string{"<strong>Password</strong>: is too common"}},
		{"short password and username", "/admin/users", url.Values{"username": {"x"}, "password": {"short"}, "roles": {"customer"}},
			400, []string{"<strong>Password</strong>: must be at least 8 characters", "<strong>Username</strong>:"}},
		{"no roles", "/admin/users", url.Values{"username": {"alice"}, "password": {newPassword}},
			400, []string{"<strong>Roles</strong>: must name at least one role"}},
		{"unknown role", "/admin/users", url.Values{"username": {"alice"}, "password": {newPassword}, "roles": {"customer", "root"}},
			400, []string{"<strong>Roles</strong>: there is no role &#34;root&#34;"}},
		{"taken username", "/admin/users", url.Values{"username": {"Authorized_User"}, "password": {newPassword}, "roles": {"customer"}},
			409, []string{"That username is taken.", "<strong>Username</strong>: is taken"}},
		{"username twice", "/admin/users", url.Values{"username": {"alice", "bob"}, "password": {newPassword}, "roles": {"customer"}},
			400, []string{"<strong>Username</strong>: is given more than once"}},
		{"no roles set", "/admin/users/" + auth + "/roles", url.Values{},
			400, []string{"<strong>Roles</strong>: must name at least one role", "<details open>"}},
		{"unknown role set", "/admin/users/" + auth + "/roles", url.Values{"roles": {"root"}},
			400, []string{"<strong>Roles</strong>: there is no role"}},
		{"common password reset", "/admin/users/" + auth + "/password", url.Values{"password": {"password123"}},
			400, []string{"<strong>Password</strong>: is too common", "<details open>"}},
		{"blank password reset", "/admin/users/" + auth + "/password", url.Values{"password": {""}},
			400, []string{"<strong>Password</strong>:"}},
		{"disable oneself", "/admin/users/" + self + "/disable", nil,
			400, []string{"<strong>Account</strong>: you cannot disable your own account"}},
		{"unknown user", "/admin/users/9999/roles", url.Values{"roles": {"customer"}}, 404, []string{"There is nothing here."}},
		{"not a user id", "/admin/users/abc/password", url.Values{"password": {newPassword}}, 404, []string{"There is nothing here."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := adminView(t, admin)
			res := admin.postForm(tt.path, tt.form)
			page := expectHTML(t, res, tt.status, append(tt.says, "<h1>Users</h1>", `class="problem"`)...)
			if len(tt.form["username"]) == 1 && tt.status != 404 {
				if name := tt.form.Get("username"); !strings.Contains(page, `name="username" value="`+name+`"`) {
					t.Errorf("the form forgot the username typed")
				}
			}
			if after := adminView(t, admin); after != before {
				t.Errorf("a refused form changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}
}

// TestAdminUsersPaging: 54 users come in a page of 50 and one of 4, each
// user once; a page of 2 keeps its limit in the link to the next.
func TestAdminUsersPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	addBuyers(t, a, overOnePage)
	admin := a.admin()
	const total = overOnePage + 3
	users := regexp.MustCompile(`<tr id="user-(\d+)">`)
	seen := map[string]bool{}
	var sizes []int
	path := "/admin/users"
	for range 10 {
		page := expectHTML(t, admin.get(path), http.StatusOK)
		rows := users.FindAllStringSubmatch(page, -1)
		sizes = append(sizes, len(rows))
		for _, m := range rows {
			seen[m[1]] = true
		}
		next := nextPageLink(page, "More users")
		if next == "" {
			break
		}
		path = next
	}
	expectPageSizes(t, "users page", sizes, 50, total-50)
	if len(seen) != total {
		t.Errorf("%d distinct users over the pages, want %d", len(seen), total)
	}
	page := expectHTML(t, admin.get("/admin/users?limit=2"), http.StatusOK)
	next, err := url.Parse(nextPageLink(page, "More users"))
	if err != nil || next.Path != "/admin/users" || next.Query().Get("limit") != "2" || next.Query().Get("cursor") == "" {
		t.Errorf("link to the next page %v, want /admin/users with limit=2 and a cursor", next)
	}
	expectHTML(t, admin.get("/admin/users?limit=0"), http.StatusBadRequest)
}

// nextPageLink returns the target of the page's link named text, or "".
func nextPageLink(page, text string) string {
	m := regexp.MustCompile(`<a href="([^"]*)">` + regexp.QuoteMeta(text) + `</a>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestAdminSessionsPage: every live session with its user, address,
// browser and times; the ?user= filter; revoking one and all of a user's,
// each back to the page as it was (filter kept), ending exactly those.
func TestAdminSessionsPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	laptop := loginFrom(t, a, "authorized_user", demoPassword, "laptop-browser", "198.51.100.1:1000")
	phone := loginFrom(t, a, "authorized_user", demoPassword, "phone-browser", "198.51.100.2:1000")
	other := loginFrom(t, a, "unauthorized_user", demoPassword, "other-browser", "198.51.100.3:1000")

	page := expectHTML(t, admin.get("/admin/sessions"), http.StatusOK, "<h1>Sessions</h1>",
		"laptop-browser", "phone-browser", "other-browser", "198.51.100.1", "198.51.100.3",
		">authorized_user</a>", ">unauthorized_user</a>", ">admin</a> <strong class=\"this-device\">This device</strong>",
		"End all of authorized_user", `action="/admin/sessions/`+sessionID(t, laptop)+`/revoke"`)
	_ = page
	filtered := expectHTML(t, admin.get("/admin/sessions?user=Authorized_User"), http.StatusOK, "laptop-browser", "phone-browser")
	if strings.Contains(filtered, "other-browser") || strings.Contains(filtered, "(this session)") {
		t.Errorf("the filter by authorized_user shows others' sessions:\n%s", pageExcerpt(filtered))
	}
	expectHTML(t, admin.get("/admin/sessions?user=nobody"), http.StatusNotFound,
		"No user is called &#34;nobody&#34;.", "<strong>User</strong>: is not a user")

	back := "/admin/sessions?user=authorized_user"
	res := admin.postForm("/admin/sessions/"+sessionID(t, laptop)+"/revoke", url.Values{"back": {back}})
	expectRedirect(t, res, back)
	mustBeSignedOut(t, laptop)
	mustBeSignedIn(t, phone)
	expectHTML(t, admin.postForm("/admin/sessions/no-such-session/revoke", nil), http.StatusNotFound,
		"<h1>Sessions</h1>", "There is nothing here.")

	res = admin.postForm("/admin/users/"+itoa64(userID(t, admin, "unauthorized_user"))+"/sessions/revoke",
		url.Values{"back": {"/admin/sessions"}})
	expectRedirect(t, res, "/admin/sessions")
	mustBeSignedOut(t, other)
	mustBeSignedIn(t, phone)
	if !hasAdminEvent(t, admin, "session.revoke", "success", "admin", "unauthorized_user", "session") {
		t.Errorf("the revocation is not in the trail with its target: %v", adminTrail(t, admin, "action=session.revoke"))
	}
	expectHTML(t, admin.get("/admin/sessions?user=unauthorized_user"), http.StatusOK, "No live sessions of unauthorized_user.")

	// Ending one's own session from the list signs the admin out.
	res = admin.postForm("/admin/sessions/"+sessionID(t, admin)+"/revoke", nil)
	expectRedirect(t, res, "/login")
	if res.Header.Get("Clear-Site-Data") != `"cookies"` {
		t.Errorf("Clear-Site-Data %q after ending one's own session", res.Header.Get("Clear-Site-Data"))
	}
	mustBeSignedOut(t, admin)
}

// TestAdminSessionsPaging: 51 sessions of one user and the admin's come in
// pages of 50 and 2; with the filter, 50 and 1, the filter kept in the link.
func TestAdminSessionsPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for range overOnePage {
		a.authorized()
	}
	admin := a.admin()
	revoke := regexp.MustCompile(`action="/admin/sessions/([^/"]+)/revoke"`)
	for _, tt := range []struct {
		path string
		want []int
	}{
		{"/admin/sessions", []int{50, 2}},
		{"/admin/sessions?user=authorized_user", []int{50, 1}},
	} {
		var sizes []int
		seen := map[string]bool{}
		path := tt.path
		for range 10 {
			page := expectHTML(t, admin.get(path), http.StatusOK)
			rows := revoke.FindAllStringSubmatch(page, -1)
			sizes = append(sizes, len(rows))
			for _, m := range rows {
				seen[m[1]] = true
			}
			next := nextPageLink(page, "More sessions")
			if next == "" {
				break
			}
			if strings.Contains(tt.path, "user=") && !strings.Contains(next, "user=authorized_user") {
				t.Errorf("the link to the next page %q drops the filter", next)
			}
			path = next
		}
		expectPageSizes(t, tt.path, sizes, tt.want...)
		if n := tt.want[0] + tt.want[1]; len(seen) != n {
			t.Errorf("%s: %d distinct sessions, want %d", tt.path, len(seen), n)
		}
	}
}

// TestAdminAuditPage: the whole trail, newest first, with who acted and on
// whom; the filters select, a refused one is named, and the link to older
// events keeps them.
func TestAdminAuditPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := a.admin()
	user := a.authorized()
	mug := productID(t, user, skuMug)
	for range overOnePage {
		a.clock.Advance(time.Second)
		expectJSON(t, user.json("POST", "/api/v1/cart/items", map[string]any{"product_id": mug}), http.StatusOK)
	}
	a.unauthorized().get("/task") // a refusal
	formLogin(a.visitor(), "authorized_user", "wrong password")
	a.clock.Advance(time.Second)
	expectRedirect(t, admin.postForm("/admin/users/"+itoa64(userID(t, admin, "unauthorized_user"))+"/disable", nil), "/admin/users")

	page := expectHTML(t, admin.get("/admin/audit"), http.StatusOK, "<h1>Audit trail</h1>",
		"<td>user.disable</td>", "<td>access.denied</td>", "<td>cart.add</td>",
		`<option value="session.token_reuse">`, `<option value="denied">`)
	if i, j := strings.Index(page, "user.disable"), strings.Index(page, "cart.add"); i < 0 || j < 0 || i > j {
		t.Error("the trail is not newest first")
	}
	if !strings.Contains(page, "<td>admin</td><td>unauthorized_user</td><td>user.disable</td>") {
		t.Errorf("the disable does not name the admin and its target:\n%s", pageExcerpt(page))
	}

	for _, tt := range []struct {
		query    string
		has, not []string
	}{
		{"action=access.denied", []string{"<td>access.denied</td>", `value="access.denied" selected`}, []string{"<td>cart.add</td>"}},
		{"outcome=failure", []string{"<td>login</td><td>failure</td>"}, []string{"<td>success</td>"}},
		{"user=unauthorized_user", []string{"<td>user.disable</td>", "<td>access.denied</td>"}, []string{"<td>cart.add</td>"}},
		{"user=admin&action=user.disable", []string{"<td>user.disable</td>"}, []string{"<td>login</td>"}},
	} {
		page := expectHTML(t, admin.get("/admin/audit?"+tt.query), http.StatusOK, tt.has...)
		for _, s := range tt.not {
			if strings.Contains(mainPart(page), s) {
				t.Errorf("%s: the page shows %s", tt.query, s)
			}
		}
	}
	for _, tt := range []struct {
		query  string
		status int
		says   string
	}{
		{"action=nonsense", 400, "<strong>Action</strong>: is not an action of the trail"},
		{"outcome=maybe", 400, "<strong>Outcome</strong>: must be success, failure or denied"},
		{"user=nobody", 404, "<strong>User</strong>: is not a user"},
		{"limit=501", 400, "<strong>Per page</strong>:"},
	} {
		expectHTML(t, admin.get("/admin/audit?"+tt.query), tt.status, tt.says, "<h1>Audit trail</h1>")
	}

	// 51 cart.add events of authorized_user: 50, then 1, the filters kept.
	path := "/admin/audit?user=authorized_user&action=cart.add"
	var sizes []int
	for range 5 {
		page := expectHTML(t, admin.get(path), http.StatusOK)
		sizes = append(sizes, strings.Count(page, "<td>cart.add</td>"))
		next := nextPageLink(page, "Older events")
		if next == "" {
			break
		}
		u, _ := url.Parse(next)
		if u.Query().Get("user") != "authorized_user" || u.Query().Get("action") != "cart.add" {
			t.Fatalf("the link to older events %q drops the filters", next)
		}
		path = next
	}
	expectPageSizes(t, "filtered trail", sizes, 50, 1)
}
