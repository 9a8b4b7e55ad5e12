package web

import (
	"cmp"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/sesamehq/sesame"
)

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "home", "Home", nil, nil)
	return nil
}

type loginView struct {
	Username string
	Next     string
	Remember bool
	Passkey  passkeyView
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "login", "Sign in", loginView{Next: h.safeNext(r.URL.Query().Get("next")), Passkey: h.passkeysHere(r)}, nil)
	return nil
}

// login signs in and sends the browser where it was going. Every failure
// shows the form again with one message, the same whether the username
// exists or not.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	next := h.safeNext(r.PostFormValue("next"))
	username := r.PostFormValue("username")
	if err == nil {
		_, _, err = h.accounts.SignIn(r.Context(), username, r.PostFormValue("password"), r.PostFormValue("remember") != "")
	}
	if err == nil {
		http.Redirect(w, r, cmp.Or(next, "/products"), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext: a local page of this site or "" (TestOpenRedirectThroughNext)
		return nil
	}
	if _, ok := h.secondFactorAsked(w, r, err); ok {
		http.Redirect(w, r, "/login/second-factor"+strings.TrimPrefix(loginPath(next), "/login"), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext
		return nil
	}
	p := problemFor(err)
	switch p.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		h.logProblem(r, p, err)
		h.render(w, r, p.Status, "login", "Sign in", loginView{Username: username, Next: next, Remember: r.PostFormValue("remember") != "",
			Passkey: h.passkeysHere(r)}, &p)
		return nil
	}
	return err
}

// safeNext returns next if it is a path of this site that a browser may be
// sent to after login, else "". Anything that a browser could read as
// another host (//host, /\host, a scheme, control characters that browsers
// strip) is refused: no open redirect. Both what was asked for and what the
// browser would be sent to are checked, because re-encoding can turn one
// into the other ("/%2Fhost" is the path "//host").
func (h *Handler) safeNext(next string) string {
	if !localPath(next) || len(next) > 2048 {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !h.routable(u.Path) {
		return ""
	}
	if target := u.RequestURI(); localPath(target) {
		return target
	}
	return ""
}

// localPath reports whether a browser reads s as a path on this site.
func localPath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.ContainsRune(s, '\\') &&
		!strings.ContainsFunc(s, unicode.IsControl)
}

func (h *Handler) logoutForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "logout", "Sign out", nil, nil)
	return nil
}

// logout ends the session and goes to the login page. It is a public
// route: a browser whose session has already ended (timed out, revoked
// elsewhere) that presses Sign out is where it wanted to be, signed out,
// and is told so, rather than sent to sign in on the way to /logout.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if sesame.ActorFrom(r.Context()).User == nil {
		h.endDeadSession(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	if err := h.accounts.SignOut(r.Context()); err != nil {
		return err
	}
	signedOut(w)
	h.flash(w, r, "signed-out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// deadCookie reports whether r came with a session cookie but without a
// live session: its session timed out, was revoked or signed out elsewhere,
// or never was.
func (h *Handler) deadCookie(r *http.Request) bool {
	if _, live := h.sessions.FromContext(r.Context()); live {
		return false
	}
	_, err := r.Cookie(h.sessions.CookieName())
	return err == nil
}

// endDeadSession clears a dead session cookie, so that the browser stops
// sending it, and has the next page say that the session ended. A request
// without one is left alone.
func (h *Handler) endDeadSession(w http.ResponseWriter, r *http.Request) {
	if !h.deadCookie(r) {
		return
	}
	// Without a session, Logout only clears the cookie; it fails only
	// outside the session Middleware, which every page is inside.
	if err := h.sessions.Logout(r.Context()); err != nil {
		h.log.WarnContext(r.Context(), "clearing a dead session cookie", "err", err)
	}
	h.flash(w, r, "session-ended")
}
