package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/session"
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
	Code         *string         `json:"code"`
	RecoveryCode *string         `json:"recovery_code"`
	Credential   json.RawMessage `json:"credential"`
}

// apiSecondFactor finishes a sign-in: 201 and the login answer, with a new
// session cookie.
func (h *Handler) apiSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var in secondFactorJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	user, s, err := h.finishSecondFactor(r, deref(in.Code), deref(in.RecoveryCode), in.Credential)
	if err != nil {
		return err
	}
	h.clearPending(w, r)
	writeJSON(w, http.StatusCreated, toMe(user, s))
	return nil
}

// finishSecondFactor finishes the request's pending sign-in with what it
// gives: a passkey's credential, or else a code or a recovery code.
func (h *Handler) finishSecondFactor(r *http.Request, code, recoveryCode string, credential []byte) (*sesame.User, session.Session, error) {
	if !given(credential) {
		return h.accounts.SignInSecondFactor(r.Context(), h.pendingToken(r), code, recoveryCode)
	}
	if code != "" || recoveryCode != "" {
		return nil, session.Session{}, sesame.Invalid("credential", "give a passkey, a code or a recovery code: one of them")
	}
	return h.accounts.SignInSecondFactorPasskey(r.Context(), h.pendingToken(r), credential)
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
	// TOTP and Passkey say which factors the user has; Here whether the
	// page may offer the passkey.
	TOTP, Passkey bool
	Here          passkeyView
}

// secondFactorPage renders the second step's form with v, after a refused
// try with p: the forms of the factors the pending sign-in's user has.
func (h *Handler) secondFactorPage(w http.ResponseWriter, r *http.Request, status int, v secondFactorView, p *problem) error {
	methods, err := h.accounts.PendingMethods(r.Context(), h.pendingToken(r))
	if err != nil && !errors.Is(err, sesame.ErrUnauthenticated) {
		return err
	}
	v.TOTP = slices.Contains(methods, sesame.FactorTOTP)
	v.Passkey = slices.Contains(methods, sesame.FactorPasskey)
	v.Here = h.passkeysHere(r)
	h.render(w, r, status, "login_second_factor", "Second step", v, p)
	return nil
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
	return h.secondFactorPage(w, r, http.StatusOK, secondFactorView{Next: next, Recovery: r.URL.Query().Get("recovery") != ""}, nil)
}

// secondFactor finishes the sign-in and goes where the user was going. A
// wrong code shows the form again; a pending sign-in that is gone (expired,
// used, voided) sends the user back to the password.
func (h *Handler) secondFactor(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	next := h.safeNext(r.PostFormValue("next"))
	recovery := r.PostFormValue("recovery_code") != ""
	if err == nil {
		_, _, err = h.finishSecondFactor(r, r.PostFormValue("code"), r.PostFormValue("recovery_code"),
			[]byte(r.PostFormValue("credential")))
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
		return h.secondFactorPage(w, r, p.Status, secondFactorView{Next: next, Recovery: recovery}, &p)
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
