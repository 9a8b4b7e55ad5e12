package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The account pages of CONTRACT §4: sessions, revocation, password.

// TestSessionsPage: the user's sessions, with when, where and what browser,
// and one "this session" marker on the request's own.
func TestSessionsPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	laptop := loginFrom(t, a, "authorized_user", demoPassword, "Laptop/1.0", "198.51.100.7:5000")
	a.clock.Advance(5 * time.Minute)
	phone := loginFrom(t, a, "authorized_user", demoPassword, "Phone/2.0", "203.0.113.9:6000")
	a.unauthorized() // not theirs: never listed

	page := expectHTML(t, laptop.get("/account/sessions"), http.StatusOK,
		"Laptop/1.0", "198.51.100.7", "Phone/2.0", "203.0.113.9",
		"2026-03-04 10:00:00 UTC", "2026-03-04 10:05:00 UTC", // signed in
		"2026-03-04 22:00:00 UTC", // the laptop's absolute expiry
		`action="/account/sessions/`+sessionID(t, phone)+`/revoke"`)
	if n := strings.Count(page, "This device"); n != 1 {
		t.Errorf(`"This device" appears %d times`, n)
	}
	if n := strings.Count(page, "/revoke\""); n != 2 {
		t.Errorf("%d sessions listed, want 2", n)
	}
	if strings.Contains(page, "sesame-test") {
		t.Error("another user's session is listed")
	}
	// The marker is on the laptop's row, which has its browser.
	row := page[strings.Index(page, "This device"):]
	if row = row[:strings.Index(row, "</tr>")]; !strings.Contains(row, "Laptop/1.0") {
		t.Errorf("the marker is on the wrong row: %s", row)
	}
	if strings.Contains(page, laptop.token()) || strings.Contains(page, phone.token()) {
		t.Error("the sessions page shows a session token")
	}
}

// TestRevokeSessionPages: revoking another of one's sessions ends it at
// once; revoking all others leaves only this one; another user's session
// id is not found and lives on; revoking this session signs out.
func TestRevokeSessionPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c, second, third := a.authorized(), a.authorized(), a.authorized()
	stranger := a.unauthorized()

	expectRedirect(t, c.postForm("/account/sessions/"+sessionID(t, second)+"/revoke", nil), "/account/sessions")
	expectLoginRedirect(t, second.get("/cart"), "/cart")
	mustBeSignedIn(t, c)
	mustBeSignedIn(t, third)
	if !hasEvent(t, c, "session.revoke", "success", "session ") {
		t.Error("the revocation is not in the activity")
	}

	for _, id := range []string{sessionID(t, stranger), "no-such-session"} {
		expectHTML(t, c.postForm("/account/sessions/"+id+"/revoke", nil), http.StatusNotFound)
	}
	mustBeSignedIn(t, stranger)
	mustBeSignedIn(t, third)

	fourth := a.authorized()
	expectRedirect(t, c.postForm("/account/sessions/revoke-others", nil), "/account/sessions")
	mustBeSignedOut(t, third)
	mustBeSignedOut(t, fourth)
	mustBeSignedIn(t, stranger)
	page := expectHTML(t, c.get("/account/sessions"), http.StatusOK, "This device")
	if n := strings.Count(page, "/revoke\""); n != 1 {
		t.Errorf("%d sessions left after revoking the others, want 1", n)
	}

	res := c.postForm("/account/sessions/"+sessionID(t, c)+"/revoke", nil)
	expectRedirect(t, res, "/login")
	if res.Header.Get("Clear-Site-Data") != `"cookies"` {
		t.Errorf("Clear-Site-Data %q after revoking this session", res.Header.Get("Clear-Site-Data"))
	}
	mustBeSignedOut(t, c)
}

// TestPasswordPage: a wrong current password, or a new one too short or too
// common, is refused naming the field, with nothing changed; a change sends
// the browser to its sessions with a new session id, ends every other
// session and the old id, and only the new password signs in.
func TestPasswordPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c, other := a.authorized(), a.authorized()
	const newPassword = "correct horse battery"

	// The message names each field by its label, as the form shows it,
	// and is tied to the field it is about.
	refusals := []struct {
		name, current, next, label, id, why string
	}{
		{"wrong current", "not my password", newPassword, "Current password", "current-password-error", "is not your current password"},
		{"too short", demoPassword, "short", "New password", "new-password-error", "at least 8 characters"},
		{"too common", demoPassword, "qwertyuiop", "New password", "new-password-error", "too common"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			res := c.postForm("/account/password", url.Values{"current_password": {r.current}, "new_password": {r.next}})
			page := expectHTML(t, res, http.StatusBadRequest, "<strong>"+r.label+"</strong>: ", r.why, `name="new_password"`,
				`id="`+r.id+`"`, `aria-invalid="true"`)
			if strings.Contains(page, "_password</") {
				t.Error("the page names a field by its code")
			}
			mustBeSignedIn(t, c)
			mustBeSignedIn(t, other)
		})
	}
	a.login("authorized_user", demoPassword) // still the password

	old := c.token()
	res := c.postForm("/account/password", url.Values{"current_password": {demoPassword}, "new_password": {newPassword}})
	expectRedirect(t, res, "/account/sessions")
	if c.token() == "" || c.token() == old {
		t.Fatal("no new session id after a password change")
	}
	mustBeSignedIn(t, c)
	expectHTML(t, c.get("/account/sessions"), http.StatusOK, "This device")
	mustBeSignedOut(t, other)
	stale := a.visitor()
	stale.setToken(old)
	mustBeSignedOut(t, stale)
	if !hasEvent(t, c, "password.change", "success", "") {
		t.Error("the change is not in the activity")
	}

	expectHTML(t, formLogin(a.visitor(), "authorized_user", demoPassword),
		http.StatusUnauthorized, "Invalid username or password.")
	a.login("authorized_user", newPassword)
}
