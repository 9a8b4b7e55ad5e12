package session

import (
	"net/http"
	"strings"
	"time"
)

// requestCookie returns the value of the cookie called name that r carries,
// and how many cookies of that name it carries (a request may carry several:
// see Middleware). It reads the Cookie headers in place, allocating
// nothing, since it runs on every request; net/http's parser builds a
// Cookie for every cookie of the request to find one.
//
// It takes a value as net/http would: without surrounding double quotes.
// A value that is not a token the Manager issued fails hashToken later,
// whatever it holds.
func requestCookie(r *http.Request, name string) (value string, n int) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " \t")
			k, v, ok := strings.Cut(part, "=")
			if !ok || strings.TrimRight(k, " \t") != name {
				continue
			}
			v = strings.TrimRight(v, " \t")
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			value, n = v, n+1
		}
	}
	return value, n
}

// CookieNameFor returns the name of the session cookie for r, as its
// scheme makes it (see Config.HTTPS).
func (m *Manager) CookieNameFor(r *http.Request) string {
	name, _ := m.cookieFor(r)
	return name
}

// cookieFor returns the name of the session cookie for r and whether it is
// Secure.
func (m *Manager) cookieFor(r *http.Request) (name string, secure bool) {
	if m.cfg.HTTPS == nil || !m.cfg.HTTPS(r) {
		return m.cfg.CookieName, m.cfg.Secure
	}
	if strings.HasPrefix(m.cfg.CookieName, "__Host-") || strings.HasPrefix(m.cfg.CookieName, "__Secure-") {
		return m.cfg.CookieName, true
	}
	return "__Host-" + m.cfg.CookieName, true
}

// cookie returns the session cookie carrying token for s. A remembered
// session's cookie lives as long as the session may (Max-Age), so it
// survives closing the browser; any other has neither Expires nor Max-Age,
// so the browser forgets it when it closes. Either way the server enforces
// both deadlines whatever the cookie says.
func (m *Manager) cookie(st *state, token string, s Session, now time.Time) *http.Cookie {
	c := &http.Cookie{ // #nosec G124 -- HttpOnly and SameSite=Lax always; Secure for every HTTPS request, off only for plain HTTP, and New refuses a __Host- name without it
		Name:     st.cookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   st.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if s.Remember {
		c.MaxAge = max(1, int(s.ExpiresAt.Sub(now)/time.Second))
	}
	return c
}

func (m *Manager) clearingCookie(st *state) *http.Cookie {
	return &http.Cookie{ // #nosec G124 -- the same attributes as the session cookie, so that the browser matches and drops it
		Name:     st.cookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   st.secure,
		SameSite: http.SameSiteLaxMode,
	}
}
