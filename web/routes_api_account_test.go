package web_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

// The account calls of the JSON API (CONTRACT §5): sessions and activity.

// TestAPISessions: the user's own sessions, the request's own flagged
// current, paged by a cursor; ending another of one's own answers 204 and
// ends it; another user's id answers 404 and ends nothing.
func TestAPISessions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	first := a.authorized()
	a.clock.Advance(time.Minute)
	second := a.authorized()
	a.clock.Advance(time.Minute)
	c := a.authorized()
	stranger := a.unauthorized()

	v := apiGet(t, c, "/api/v1/sessions")
	if v["next_cursor"] != nil {
		t.Errorf("next_cursor %v on the only page", v["next_cursor"])
	}
	var ids []string
	current := 0
	for _, s := range v["sessions"].([]any) {
		s := expectShape(t, "session", s, sessionShape)
		ids = append(ids, s["id"].(string))
		if s["current"] == true {
			current++
			if s["id"] != sessionID(t, c) {
				t.Errorf("session %v is flagged current, not %v", s["id"], sessionID(t, c))
			}
		}
		if s["ip"] != "192.0.2.10" || s["user_agent"] != "sesame-test" {
			t.Errorf("session from %v with %v", s["ip"], s["user_agent"])
		}
	}
	want := []string{sessionID(t, c), sessionID(t, second), sessionID(t, first)}
	if !reflect.DeepEqual(ids, want) || current != 1 {
		t.Fatalf("sessions %v (%d current), want %v newest first, one current", ids, current, want)
	}

	var paged []string
	path := "/api/v1/sessions?limit=1"
	for range 4 {
		v := apiGet(t, c, path)
		paged = append(paged, v["sessions"].([]any)[0].(map[string]any)["id"].(string))
		next, ok := v["next_cursor"].(string)
		if !ok {
			break
		}
		path = "/api/v1/sessions?limit=1&cursor=" + next
	}
	if !reflect.DeepEqual(paged, want) {
		t.Errorf("paged sessions %v, want %v", paged, want)
	}

	for _, id := range []string{sessionID(t, stranger), "no-such-session"} {
		expectAPIError(t, c.json("DELETE", "/api/v1/sessions/"+id, nil), http.StatusNotFound, "not_found")
	}
	mustBeSignedIn(t, stranger)

	expectStatus(t, c.json("DELETE", "/api/v1/sessions/"+sessionID(t, first), nil), http.StatusNoContent)
	expectAPIError(t, first.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	mustBeSignedIn(t, second)
	if n := len(apiGet(t, c, "/api/v1/sessions")["sessions"].([]any)); n != 2 {
		t.Errorf("%d sessions listed after ending one of 3", n)
	}

	res := c.json("DELETE", "/api/v1/sessions/"+sessionID(t, c), nil)
	expectStatus(t, res, http.StatusNoContent)
	if res.Header.Get("Clear-Site-Data") != `"cookies"` {
		t.Errorf("Clear-Site-Data %q after ending this session", res.Header.Get("Clear-Site-Data"))
	}
	expectAPIError(t, c.json("GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	mustBeSignedIn(t, second)
}

// TestAPIActivity: the user's own trail, newest first, each event with
// time, action, outcome, session and address.
func TestAPIActivity(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	sid := sessionID(t, c)
	mug := productID(t, c, skuMug)
	a.clock.Advance(time.Minute)
	expectJSON(t, c.json("POST", "/api/v1/cart/items", map[string]any{"product_id": mug}), 200)
	a.clock.Advance(time.Minute)
	expectJSON(t, c.json("POST", "/api/v1/checkout", nil), 201)
	a.unauthorized().json("POST", "/api/v1/checkout", nil) // another user's refusal

	v := apiGet(t, c, "/api/v1/activity")
	if v["next_cursor"] != nil {
		t.Errorf("next_cursor %v on the only page", v["next_cursor"])
	}
	var actions []string
	var last time.Time
	for i, e := range v["events"].([]any) {
		e := expectShape(t, "event", e, eventShape)
		actions = append(actions, e["action"].(string))
		when := jsonTime(t, e["time"])
		if i > 0 && when.After(last) {
			t.Errorf("event %d at %v is newer than the one before, at %v", i, when, last)
		}
		last = when
		if e["session_id"] != sid || e["ip"] != "192.0.2.10" || e["outcome"] != "success" {
			t.Errorf("event %v: want session %s from 192.0.2.10, success", e, sid)
		}
	}
	if want := []string{"checkout", "cart.add", "login"}; !reflect.DeepEqual(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
	first := v["events"].([]any)[0].(map[string]any)
	if !jsonTime(t, first["time"]).Equal(a.clock.Now()) {
		t.Errorf("the checkout is dated %v, want %v", first["time"], a.clock.Now())
	}

	p1 := apiGet(t, c, "/api/v1/activity?limit=2")
	next, _ := p1["next_cursor"].(string)
	if len(p1["events"].([]any)) != 2 || next == "" {
		t.Fatalf("first page of 2: %v", p1)
	}
	p2 := apiGet(t, c, "/api/v1/activity?limit=2&cursor="+next)
	if evs := p2["events"].([]any); len(evs) != 1 || evs[0].(map[string]any)["action"] != "login" || p2["next_cursor"] != nil {
		t.Errorf("second page: %v, want the login alone and no cursor", p2)
	}
}
