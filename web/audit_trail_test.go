package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// CONTRACT §6, audit trail: logout and every revocation of a session are in
// the user's trail, with the time, the public id of the session, the
// client's address and the outcome. Each test signs the acting browser in
// from an address and user agent of its own, so that an event carrying
// another request's address (say, the later sign-in that reads the trail)
// cannot pass for the right one.

// The acting browser of the audit tests.
const (
	auditIP = "198.51.100.23"
	auditUA = "AuditTest/1.0"
)

// auditActor signs authorized_user in from auditIP with auditUA.
func auditActor(t *testing.T, a *testApp) *client {
	t.Helper()
	return loginFrom(t, a, "authorized_user", demoPassword, auditUA, auditIP+":4000")
}

// auditEvents returns the events of authorized_user's trail with action,
// read through a new sign-in (the acting session may be over), newest first.
func auditEvents(t *testing.T, a *testApp, action string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range trailOf(t, a.authorized()) {
		if e["action"] == action {
			out = append(out, e)
		}
	}
	return out
}

// expectAuditEvent fails unless e is a success at when, from the acting
// browser, through the session with public id sid, naming the session
// ended in its detail.
func expectAuditEvent(t *testing.T, e map[string]any, when time.Time, sid, ended string) {
	t.Helper()
	if e["outcome"] != "success" || e["session_id"] != sid || e["ip"] != auditIP || e["user_agent"] != auditUA {
		t.Errorf("event %v: want a success through session %s from %s with %s", e, sid, auditIP, auditUA)
	}
	if got := jsonTime(t, e["time"]); !got.Equal(when) {
		t.Errorf("event %v is dated %v, want %v", e, got, when)
	}
	if d, _ := e["detail"].(string); !strings.Contains(d, ended) {
		t.Errorf("event %v: detail does not name the session ended, %s", e, ended)
	}
}

// TestLogoutAudited: signing out, by the page or by the API, leaves one
// logout event naming the session that ended, from the client's address.
func TestLogoutAudited(t *testing.T) {
	t.Parallel()
	ways := []struct {
		name   string
		logout func(t *testing.T, c *client)
	}{
		{"POST /logout", func(t *testing.T, c *client) {
			expectRedirect(t, c.withHeaders("Sec-Fetch-Site", "same-origin", "Origin", origin).postForm("/logout", nil), "/login")
		}},
		{"DELETE /api/v1/session", func(t *testing.T, c *client) {
			expectStatus(t, c.json(http.MethodDelete, "/api/v1/session", nil), http.StatusNoContent)
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := auditActor(t, a)
			sid := sessionID(t, c)
			a.clock.Advance(time.Minute) // the logout is dated apart from the login
			w.logout(t, c)
			mustBeSignedOut(t, c)
			when := a.clock.Now()
			a.clock.Advance(time.Minute)

			events := auditEvents(t, a, "logout")
			if len(events) != 1 {
				t.Fatalf("%d logout events, want 1: %v", len(events), events)
			}
			expectAuditEvent(t, events[0], when, sid, sid)
		})
	}
}

// TestRevocationsAudited: ending one session, another of one's own or the
// request's own, by the page or by the API, leaves one session.revoke event
// naming the session ended, made through the acting session from its
// address.
func TestRevocationsAudited(t *testing.T) {
	t.Parallel()
	ways := []struct {
		name string
		self bool // the acting session ends itself
		end  func(t *testing.T, c *client, id string)
	}{
		{"POST /account/sessions/{id}/revoke", false, func(t *testing.T, c *client, id string) {
			expectRedirect(t, c.postForm("/account/sessions/"+id+"/revoke", nil), "/account/sessions")
		}},
		{"DELETE /api/v1/sessions/{id}", false, func(t *testing.T, c *client, id string) {
			expectStatus(t, c.json(http.MethodDelete, "/api/v1/sessions/"+id, nil), http.StatusNoContent)
		}},
		{"POST /account/sessions/{own id}/revoke", true, func(t *testing.T, c *client, id string) {
			expectRedirect(t, c.postForm("/account/sessions/"+id+"/revoke", nil), "/login")
		}},
		{"DELETE /api/v1/sessions/{own id}", true, func(t *testing.T, c *client, id string) {
			expectStatus(t, c.json(http.MethodDelete, "/api/v1/sessions/"+id, nil), http.StatusNoContent)
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			victim := a.authorized() // from 192.0.2.10, not the actor's address
			bystander := a.authorized()
			c := auditActor(t, a)
			sid := sessionID(t, c)
			ended, gone := sessionID(t, victim), victim
			if w.self {
				ended, gone = sid, c
			}
			a.clock.Advance(time.Minute)
			w.end(t, c, ended)
			when := a.clock.Now()
			a.clock.Advance(time.Minute)

			mustBeSignedOut(t, gone)
			mustBeSignedIn(t, bystander)
			events := auditEvents(t, a, "session.revoke")
			if len(events) != 1 {
				t.Fatalf("%d session.revoke events, want 1: %v", len(events), events)
			}
			expectAuditEvent(t, events[0], when, sid, ended)
		})
	}
}

// TestRevokeOthersAudited: ending every other session from the sessions
// page is in the trail, through the acting session, from its address, one
// event per session ended, naming it (CONTRACT §6: each revocation with its
// public session id).
func TestRevokeOthersAudited(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	others := []*client{a.authorized(), a.authorized()}
	stranger := a.unauthorized()
	c := auditActor(t, a)
	sid := sessionID(t, c)
	var ended []string
	for _, o := range others {
		ended = append(ended, sessionID(t, o))
	}
	a.clock.Advance(time.Minute)
	expectRedirect(t, c.postForm("/account/sessions/revoke-others", nil), "/account/sessions")
	when := a.clock.Now()
	a.clock.Advance(time.Minute)

	for _, o := range others {
		mustBeSignedOut(t, o)
	}
	mustBeSignedIn(t, stranger)
	mustBeSignedIn(t, c)
	events := auditEvents(t, a, "session.revoke")
	if len(events) == 0 {
		t.Fatal("no session.revoke event after ending the other sessions")
	}
	for _, e := range events {
		expectAuditEvent(t, e, when, sid, "")
	}
	if len(events) != len(ended) {
		t.Errorf("%d session.revoke events, want one per ended session (%d)", len(events), len(ended))
	}
	for _, id := range ended {
		n := 0
		for _, e := range events {
			if strings.Contains(e["detail"].(string), id) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d session.revoke events name session %s, want 1", n, id)
		}
	}
}
