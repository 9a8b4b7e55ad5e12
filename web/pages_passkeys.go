package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// The passkey forms of the pages (CONTRACT §9). A browser makes a passkey,
// or signs with one, only when a script asks (navigator.credentials), so
// /static/passkey.js runs each ceremony: it fetches the options from the
// JSON API, hands them to the browser, and posts the browser's answer in
// the form's hidden "credential" field, so that the page flow (its
// redirects, its errors, its offer to end the other sessions) is the same
// as every other form's.

// passkeyView says whether a page may offer passkeys: On when the server
// checks them and the page is at an origin they are made for; else At, when
// not empty, names the origin where they work (a browser refuses a passkey
// of localhost to a page at 127.0.0.1).
type passkeyView struct {
	On bool
	At string
}

func (h *Handler) passkeysHere(r *http.Request) passkeyView {
	origins := h.accounts.PasskeyOrigins()
	if len(origins) == 0 {
		return passkeyView{}
	}
	scheme := "http://"
	if h.https(r) {
		scheme = "https://"
	}
	if slices.Contains(origins, scheme+strings.ToLower(r.Host)) {
		return passkeyView{On: true}
	}
	return passkeyView{At: origins[0] + "/"}
}

// addPasskey keeps the passkey that the script registered.
func (h *Handler) addPasskey(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	_, err := h.accounts.FinishPasskeyRegistration(r.Context(), r.PostFormValue("name"), []byte(r.PostFormValue("credential")))
	return h.securityChange(w, r, err, securityView{Changed: "added"})
}

func (h *Handler) renamePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	_, err = h.accounts.RenamePasskey(r.Context(), id, r.PostFormValue("name"))
	return h.securityChange(w, r, err, securityView{})
}

func (h *Handler) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	err = h.accounts.DeletePasskey(r.Context(), id)
	return h.securityChange(w, r, err, securityView{Changed: "removed"})
}

// passkeyLogin signs in with the passkey the script signed with, and goes
// where the user was going; a refusal shows the login page with the reason.
func (h *Handler) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	next := h.safeNext(r.PostFormValue("next"))
	remember := r.PostFormValue("remember") != ""
	if err == nil {
		_, _, err = h.accounts.SignInWithPasskey(r.Context(), []byte(r.PostFormValue("credential")), remember)
	}
	if err == nil {
		http.Redirect(w, r, cmp.Or(next, "/products"), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext
		return nil
	}
	p := problemFor(err)
	switch p.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge,
		http.StatusServiceUnavailable:
		h.logProblem(r, p, err)
		h.render(w, r, p.Status, "login", "Sign in", loginView{Next: next, Remember: remember, Passkey: h.passkeysHere(r)}, &p)
		return nil
	}
	return err
}

// adminRemovePasskeys removes every passkey of a user, from the admin's
// users page.
func (h *Handler) adminRemovePasskeys(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		_, err := h.accounts.RemovePasskeys(r.Context(), id)
		return err
	})
}
