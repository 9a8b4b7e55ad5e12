package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
)

// The session policies of CONTRACT §6 as sesame serves them: periodic
// renewal with a grace and reuse detection, the session limit, and
// remembered sessions. The session package tests each policy on its own;
// these show them through the pages and the API, with the audit trail.

// TestRenewalThroughTheSite: a browser used past the renewal interval gets
// a new token in an answer and stays signed in; the old token works for the
// grace minute, and presented later from elsewhere ends the session for
// both, recorded as token reuse with both addresses.
func TestRenewalThroughTheSite(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	user := loginFrom(t, a, "authorized_user", demoPassword, "laptop", "192.0.2.21")
	first := user.token()

	a.clock.Advance(16 * time.Minute)
	expectSignedInAs(t, user, "authorized_user", "after the renewal interval")
	renewed := user.token()
	if renewed == first {
		t.Fatal("no new token after the renewal interval")
	}
	thief := a.holding(first)
	expectSignedInAs(t, thief, "authorized_user", "the replaced token within its grace")

	a.clock.Advance(2 * time.Minute)
	expectTokenDead(t, a, first, "the replaced token after its grace")
	mustBeSignedOut(t, user) // the whole session ended: the new token too

	again := a.authorized()
	var found bool
	for _, e := range trailOf(t, again) {
		if e["action"] == "session.token_reuse" && e["outcome"] == "denied" {
			detail := e["detail"].(string)
			found = strings.Contains(detail, "203.0.113.66") && strings.Contains(detail, "192.0.2.21")
		}
	}
	if !found {
		t.Errorf("no session.token_reuse event naming both addresses in %v", trailOf(t, again))
	}
}

// TestRenewalOff: --renew-interval 0 renews tokens only at sign-in.
func TestRenewalOff(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *app.Config) { c.RenewInterval = 0 })
	user := a.authorized()
	token := user.token()
	for range 6 {
		a.clock.Advance(20 * time.Minute)
		expectSignedInAs(t, user, "authorized_user", "every 20 minutes")
	}
	if user.token() != token {
		t.Error("the token changed with renewal off")
	}
}

// TestSessionLimit: with --max-sessions 2 a third sign-in ends the least
// recently used session, which is in the trail as evicted.
func TestSessionLimit(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *app.Config) { c.MaxSessions = 2 })
	first := a.authorized()
	a.clock.Advance(time.Minute)
	second := a.authorized()
	a.clock.Advance(2 * time.Minute)
	mustBeSignedIn(t, first) // now second is the least recently used
	a.clock.Advance(time.Minute)
	third := a.authorized()

	mustBeSignedIn(t, first)
	mustBeSignedOut(t, second)
	mustBeSignedIn(t, third)
	if !hasEvent(t, third, "session.evicted", "success", "session limit") {
		t.Errorf("no session.evicted event: %v", trailOf(t, third))
	}
	if n := len(apiGet(t, third, "/api/v1/sessions")["sessions"].([]any)); n != 2 {
		t.Errorf("%d sessions listed, want 2", n)
	}
}

// TestRememberMe: the form's checkbox and the API's field give a session
// whose cookie has Max-Age (30 days), listed as remembered, that lives a
// week unused; an ordinary one has a cookie without Max-Age or Expires and
// ends after 30 minutes unused.
func TestRememberMe(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	form := a.visitor()
	res := form.postForm("/login", url.Values{"username": {"authorized_user"}, "password": {demoPassword}, "remember": {"1"}})
	expectStatus(t, res, http.StatusSeeOther, "remembered sign-in")
	if c := cookieNamed(res, "sesame_session"); c == nil || c.MaxAge != int((720*time.Hour).Seconds()) {
		t.Errorf("remembered cookie = %+v, want Max-Age of 30 days", c)
	}
	api := a.visitor()
	res = api.json(http.MethodPost, "/api/v1/session", map[string]any{"username": "authorized_user", "password": demoPassword, "remember": true})
	login := expectJSON(t, res, http.StatusCreated)
	if c := cookieNamed(res, "sesame_session"); c == nil || c.MaxAge <= 0 {
		t.Errorf("remembered API cookie = %+v, want Max-Age", c)
	}
	if s := login["session"].(map[string]any); s["remembered"] != true ||
		jsonTime(t, s["expires_at"]).Sub(jsonTime(t, s["created_at"])) != 720*time.Hour {
		t.Errorf("remembered session = %v, want remembered with 30 days' lifetime", s)
	}
	plain := a.visitor()
	res = formLogin(plain, "authorized_user", demoPassword)
	if c := cookieNamed(res, "sesame_session"); c == nil || c.MaxAge != 0 || c.RawExpires != "" {
		t.Errorf("ordinary cookie = %+v, want neither Max-Age nor Expires", c)
	}
	for _, s := range apiGet(t, plain, "/api/v1/sessions")["sessions"].([]any) {
		if s := s.(map[string]any); s["current"] == true && s["remembered"] != false {
			t.Errorf("the ordinary session is listed as remembered: %v", s)
		}
	}
	expectHTML(t, form.get("/account/sessions"), http.StatusOK, "kept signed in")

	a.clock.Advance(3 * 24 * time.Hour)
	mustBeSignedIn(t, form)
	mustBeSignedIn(t, api)
	mustBeSignedOut(t, plain)
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
