package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// TestHTTPSCookie: with Config.HTTPS, a request its client made over HTTPS
// gets a Secure cookie with the __Host- prefix, which is the only one
// such a request is known by; a plain one gets the plain cookie.
func TestHTTPSCookie(t *testing.T) {
	m, err := session.New(session.Config{
		Store: memstore.New(),
		HTTPS: func(r *http.Request) bool { return r.Header.Get("X-Test-Scheme") == "https" },
	})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if _, err := m.Login(r.Context(), "alice", session.LoginOptions{}); err != nil {
				http.Error(w, err.Error(), 500)
			}
			return
		}
		if s, ok := m.FromContext(r.Context()); ok {
			w.Write([]byte(s.UserID))
			return
		}
		w.Write([]byte("anonymous"))
	}))
	do := func(method, scheme string, c *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/", nil)
		r.Header.Set("X-Test-Scheme", scheme)
		if c != nil {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		scheme, name string
		secure       bool
	}{
		{"https", "__Host-sesame_session", true},
		{"http", "sesame_session", false},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			res := do("POST", tc.scheme, nil).Result()
			cookies := res.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies %v; want one", cookies)
			}
			c := cookies[0]
			if c.Name != tc.name || c.Secure != tc.secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
				t.Errorf("cookie %s; want %s, Secure %v, Path=/, no Domain, HttpOnly", c, tc.name, tc.secure)
			}
			if got := m.CookieNameFor(httptest.NewRequest("GET", "/", nil)); got != "sesame_session" {
				t.Errorf("CookieNameFor(plain) = %q", got)
			}
			if got := do("GET", tc.scheme, c).Body.String(); got != "alice" {
				t.Errorf("the cookie over %s: %q; want alice", tc.scheme, got)
			}
			other := map[string]string{"https": "http", "http": "https"}[tc.scheme]
			if got := do("GET", other, c).Body.String(); got != "anonymous" {
				t.Errorf("the %s cookie over %s: %q; want anonymous", tc.scheme, other, got)
			}
		})
	}
}
