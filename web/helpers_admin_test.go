package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Helpers for the admin pages and API (CONTRACT §7): users made through the
// admin API, their ids, and the state of a user as the admin sees it.

// newPassword is a password the policy accepts, for the users the admin
// tests create and reset.
const newPassword = "a fresh passphrase"

// reauthWindow is how recently the admin must have entered their password
// for a sensitive change (CONTRACT §7).
const reauthWindow = 10 * time.Minute

// createUser creates username with roles through the admin API, as admin,
// with newPassword, and returns the user's id.
func createUser(t *testing.T, admin *client, username string, roles ...string) int64 {
	t.Helper()
	res := admin.json(http.MethodPost, "/api/v1/admin/users",
		map[string]any{"username": username, "password": newPassword, "roles": roles})
	return jsonInt(t, expectJSON(t, res, http.StatusCreated)["id"])
}

// adminUser returns the user called username as GET /api/v1/admin/users
// shows them to admin, or nil.
func adminUser(t *testing.T, admin *client, username string) map[string]any {
	t.Helper()
	for _, u := range apiGet(t, admin, "/api/v1/admin/users?limit=500")["users"].([]any) {
		if u := u.(map[string]any); strings.EqualFold(u["username"].(string), username) {
			return u
		}
	}
	return nil
}

// userID returns the id of username, who must exist.
func userID(t *testing.T, admin *client, username string) int64 {
	t.Helper()
	u := adminUser(t, admin, username)
	if u == nil {
		t.Fatalf("no user %q", username)
	}
	return jsonInt(t, u["id"])
}

// userCount is how many users there are (up to 500).
func userCount(t *testing.T, admin *client) int {
	t.Helper()
	return len(apiGet(t, admin, "/api/v1/admin/users?limit=500")["users"].([]any))
}

// adminTrail returns the events of the whole trail that query (a query
// string, "" for all) selects, newest first, as the admin API gives them.
func adminTrail(t *testing.T, admin *client, query string) []map[string]any {
	t.Helper()
	v := apiGet(t, admin, "/api/v1/admin/audit?limit=500&"+query)
	var out []map[string]any
	for _, e := range v["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// hasAdminEvent reports whether the whole trail holds an event with action
// and outcome, done by actor to target ("" for none), whose detail holds
// detail.
func hasAdminEvent(t *testing.T, admin *client, action, outcome, actor, target, detail string) bool {
	t.Helper()
	for _, e := range adminTrail(t, admin, "action="+url.QueryEscape(action)) {
		name, _ := e["username"].(string)
		tname, _ := e["target_username"].(string)
		if e["outcome"] == outcome && name == actor && tname == target && strings.Contains(e["detail"].(string), detail) {
			return true
		}
	}
	return false
}

// stale makes the admin's password older than the re-authentication window
// allows: the admin of every client signed in before it must re-enter it.
func stale(a *testApp) { a.clock.Advance(reauthWindow + time.Second) }

// reauthPage re-authenticates c through the form, which must succeed, and
// returns where it sent c.
func reauthPage(t *testing.T, c *client, password, next string) string {
	t.Helper()
	res := c.postForm("/reauth", url.Values{"password": {password}, "next": {next}})
	expectStatus(t, res, http.StatusSeeOther, "POST /reauth")
	return res.Header.Get("Location")
}

// expectReauthRedirect fails unless res sends the browser to re-enter its
// password and then back to next.
func expectReauthRedirect(t *testing.T, res *http.Response, next string) {
	t.Helper()
	expectRedirect(t, res, "/reauth?next="+url.QueryEscape(next))
}
