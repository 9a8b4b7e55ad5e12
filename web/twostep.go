package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// The second step of a sign-in (CONTRACT §9): after the right password of
// a user with a second factor, the browser holds only the pending cookie,
// which no route but these reads (the session Middleware knows nothing of
// it), so it authenticates nothing; the server keeps only its hash.

// pendingCookie is the pending cookie's name, "__Host-" prefixed under TLS
// as the session cookie is.
const pendingCookie = "sesame_pending"

// pendingName returns the pending cookie's name and whether it is Secure:
// whatever the session cookie is, so that the two cannot disagree.
func (h *Handler) pendingName(r *http.Request) (string, bool) {
	if strings.HasPrefix(h.sessions.CookieNameFor(r), "__Host-") {
		return "__Host-" + pendingCookie, true
	}
	return pendingCookie, false
}

// setPending gives the browser the pending cookie of sf.
func (h *Handler) setPending(w http.ResponseWriter, r *http.Request, sf *account.SecondFactorRequired) {
	name, secure := h.pendingName(r)
	// #nosec G124 -- HttpOnly and SameSite=Lax always; Secure exactly when the session cookie is (TLS), as its __Host- name needs
	http.SetCookie(w, &http.Cookie{Name: name, Value: sf.Token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(account.PendingLifetime.Seconds())})
}

// clearPending removes the pending cookie from the browser.
func (h *Handler) clearPending(w http.ResponseWriter, r *http.Request) {
	name, secure := h.pendingName(r)
	// #nosec G124 -- as in setPending
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// pendingToken is the pending cookie's value, or "".
func (h *Handler) pendingToken(r *http.Request) string {
	name, _ := h.pendingName(r)
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// secondFactorAsked reports whether err is a sign-in's call for a second
// factor, and if so gives the browser the pending cookie.
func (h *Handler) secondFactorAsked(w http.ResponseWriter, r *http.Request, err error) (*account.SecondFactorRequired, bool) {
	var sf *account.SecondFactorRequired
	if !errors.As(err, &sf) {
		return nil, false
	}
	h.setPending(w, r, sf)
	return sf, true
}

type secondFactorJSON struct {
	Code         *string `json:"code"`
	RecoveryCode *string `json:"recovery_code"`
}

// apiSecondFactor finishes a sign-in: 201 and the login answer, with a new
// session cookie.
func (h *Handler) apiSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var in secondFactorJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	user, s, err := h.accounts.SignInSecondFactor(r.Context(), h.pendingToken(r), deref(in.Code), deref(in.RecoveryCode))
	if err != nil {
		return err
	}
	h.clearPending(w, r)
	writeJSON(w, http.StatusCreated, toMe(user, s))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type secondFactorView struct {
	Next     string
	Recovery bool // the form for a recovery code, rather than a code
}

// secondFactorForm asks for the code, or with ?recovery=1 for a recovery
// code. Without a pending cookie there is nothing to finish: back to the
// password.
func (h *Handler) secondFactorForm(w http.ResponseWriter, r *http.Request) error {
	next := h.safeNext(r.URL.Query().Get("next"))
	if h.pendingToken(r) == "" {
		http.Redirect(w, r, loginPath(next), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext
		return nil
	}
	h.render(w, r, http.StatusOK, "login_second_factor", "Second step",
		secondFactorView{Next: next, Recovery: r.URL.Query().Get("recovery") != ""}, nil)
	return nil
}

// secondFactor finishes the sign-in and goes where the user was going. A
// wrong code shows the form again; a pending sign-in that is gone (expired,
// used, voided) sends the user back to the password.
func (h *Handler) secondFactor(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	next := h.safeNext(r.PostFormValue("next"))
	recovery := r.PostFormValue("recovery_code") != ""
	if err == nil {
		_, _, err = h.accounts.SignInSecondFactor(r.Context(), h.pendingToken(r), r.PostFormValue("code"),
			r.PostFormValue("recovery_code"))
	}
	switch {
	case err == nil:
		h.clearPending(w, r)
		http.Redirect(w, r, cmp.Or(next, "/products"), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext
		return nil
	case errors.Is(err, sesame.ErrUnauthenticated) && !errors.Is(err, sesame.ErrBadSecondFactor):
		h.clearPending(w, r)
		http.Redirect(w, r, loginPath(next), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext
		return nil
	}
	p := problemFor(err)
	switch p.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		h.logProblem(r, p, err)
		h.render(w, r, p.Status, "login_second_factor", "Second step", secondFactorView{Next: next, Recovery: recovery}, &p)
		return nil
	}
	return err
}

// loginPath is the login page that goes on to next.
func loginPath(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?" + url.Values{"next": {next}}.Encode()
}
