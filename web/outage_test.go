package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/app"
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

// TestDataStoreOutage: with the sessions kept elsewhere, an outage of the
// app database alone is still answered 503, by pages and API alike, for
// reads and writes: it is not a bug of ours (500) nor the user's (4xx).
func TestDataStoreOutage(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *app.Config) { c.Sessions = "memory" })
	user := a.authorized()
	if err := a.srv.Close(); err != nil {
		t.Fatal(err)
	}

	if res := user.get("/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz with a session cookie: %d, want 200: the process is alive", res.StatusCode)
	}
	if res := user.get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with a session cookie: %d, want 503", res.StatusCode)
	}
	for _, tc := range []struct {
		name string
		do   func() *http.Response
	}{
		{"API read", func() *http.Response { return user.get("/api/v1/cart") }},
		{"API write", func() *http.Response {
			return user.json(http.MethodPost, "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1})
		}},
		{"page write", func() *http.Response {
			return user.postForm("/cart/items", url.Values{"product_id": {"1"}})
		}},
		{"login", func() *http.Response {
			return apiLogin(a.visitor(), "authorized_user", demoPassword)
		}},
	} {
		res := tc.do()
		text := body(res)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503: %.200s", tc.name, res.StatusCode, text)
		}
		if strings.Contains(strings.ToLower(text), "sql") {
			t.Errorf("%s: the answer shows internal text: %.200s", tc.name, text)
		}
	}
}
