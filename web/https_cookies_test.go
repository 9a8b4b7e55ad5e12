package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sesamehq/sesame/app"
)

// TestHTTPSCookiesFollowTheSession: behind a trusted proxy that says the
// client came over HTTPS, the session cookie is __Host- and Secure, and so
// are the cookies that travel with it (the one-time message), decided per
// request as the session cookie is; over plain HTTP from the same proxy,
// none of them is.
func TestHTTPSCookiesFollowTheSession(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(c *app.Config) { c.TrustProxy = "192.0.2.0/24" })
	h := a.srv.Handler()
	send := func(method, path, proto, cookie string, form url.Values) *http.Response {
		r := httptest.NewRequest(method, origin+path, strings.NewReader(form.Encode()))
		r.RemoteAddr = "192.0.2.7:4000"
		r.Header.Set("X-Forwarded-For", "198.51.100.9")
		r.Header.Set("X-Forwarded-Proto", proto)
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	for _, tc := range []struct {
		proto, prefix string
		secure        bool
	}{
		{"https", "__Host-", true},
		{"http", "", false},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			res := send("POST", "/login", tc.proto, "", url.Values{"username": {"authorized_user"}, "password": {demoPassword}})
			session := cookieNamed(res, tc.prefix+"sesame_session")
			if res.StatusCode != http.StatusSeeOther || session == nil || session.Secure != tc.secure {
				t.Fatalf("login over %s: %d, session cookie %+v; want 303 and %ssesame_session, Secure %v", tc.proto, res.StatusCode, session, tc.prefix, tc.secure)
			}
			res = send("POST", "/cart/items", tc.proto, session.Name+"="+session.Value, url.Values{"product_id": {"1"}, "quantity": {"2"}})
			flash := cookieNamed(res, tc.prefix+"sesame_flash")
			if res.StatusCode != http.StatusSeeOther || flash == nil || flash.Secure != tc.secure {
				t.Fatalf("add to cart over %s: %d, message cookie %+v, all %v; want 303 and %ssesame_flash, Secure %v", tc.proto, res.StatusCode, flash, res.Cookies(), tc.prefix, tc.secure)
			}
		})
	}
}
