package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStoreOutage: when the database goes away under a running server, a
// request that needs it is answered 503 in the shape of its front end,
// /readyz says so, and no internal text (driver errors, SQL) reaches the
// client. A signed-in user is not treated as signed out, which would hide
// the outage behind a login page.
func TestStoreOutage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	user := a.authorized()
	if err := a.srv.Close(); err != nil { // closes the SQLite handle
		t.Fatal(err)
	}

	res := a.visitor().get("/readyz")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %d, want 503", res.StatusCode)
	}
	api := user.get("/api/v1/me")
	if api.StatusCode != http.StatusServiceUnavailable || errorCode(t, api) != "unavailable" {
		t.Errorf("/api/v1/me: %d, want 503 unavailable", api.StatusCode)
	}
	page := user.get("/products")
	text := body(page)
	if page.StatusCode != http.StatusServiceUnavailable || !strings.Contains(text, "unavailable") {
		t.Errorf("/products: %d, want the 503 page", page.StatusCode)
	}
	for _, leak := range []string{"sql", "database is closed", "sqlitestore"} {
		if strings.Contains(strings.ToLower(text), leak) {
			t.Errorf("the 503 page shows internal text %q", leak)
		}
	}
	if strings.Contains(a.logs.String(), user.token()) {
		t.Error("the session token reached the log")
	}
}
