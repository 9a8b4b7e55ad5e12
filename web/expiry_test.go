package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestCleanupAuditsExpiry: a session that times out while nobody uses it is
// in its user's trail too, once the cleanup removes it (CONTRACT §6: the
// trail records every session that expired, not only those a request
// happened to present), with the address it was used from.
func TestCleanupAuditsExpiry(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	forgotten := a.visitorFrom("198.51.100.7")
	expectStatus(t, apiLogin(forgotten, "authorized_user", demoPassword), http.StatusCreated, "login")
	_, _, id := whoAmI(t, forgotten)

	a.clock.Advance(31 * time.Minute)
	n, err := a.srv.Services().Sessions.DeleteExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the one idle session", n, err)
	}
	if !hasEventWhere(t, a.authorized(), "session.expire", "success", "session_id", id) {
		t.Fatalf("no session.expire event for the session the cleanup removed")
	}
	if !hasEventWhere(t, a.authorized(), "session.expire", "success", "ip", "198.51.100.7") {
		t.Errorf("the expiry does not say where the session was used")
	}
}
