package web

import (
	"errors"
	"net/http"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// The security page (CONTRACT §9): the user's second factors, setting up
// an authenticator app with a QR code drawn here, its recovery codes shown
// once, and turning it off. Each change needs a recent password; the
// change's answer offers to end every other session.

const securityPath = "/account/security"

// securityView is what the security page shows.
type securityView struct {
	Factors account.Factors
	// Enrolment is the enrolment under way, when it may be shown (the
	// password is recent); its QR code is at /account/security/totp.png.
	Enrolment *account.TOTPEnrolment
	// RecoveryCodes are shown once, on the answer to the confirmation.
	RecoveryCodes []string
	// Changed says that a factor was just added or removed, for the offer
	// to end the other sessions.
	Changed string
	// Required says that the user's role needs a second factor before
	// anything else (serve --require-second-factor).
	Required bool
	// Passkey says whether the page may offer to add a passkey; Recent,
	// whether the sign-in is recent enough to add one without being asked
	// for the password first.
	Passkey passkeyView
	Recent  bool
}

func (h *Handler) security(w http.ResponseWriter, r *http.Request) error {
	return h.securityPage(w, r, http.StatusOK, securityView{}, nil)
}

// securityPage renders the page with v, after a refused form with p.
func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, status int, v securityView, p *problem) error {
	f, err := h.accounts.MyFactors(r.Context())
	if err != nil {
		return err
	}
	v.Factors = f
	v.Required = h.accounts.SecondFactorRequired(r.Context()) != nil
	v.Passkey = h.passkeysHere(r)
	v.Recent = h.accounts.RequireRecentAuth(r.Context()) == nil
	if f.PendingTOTP && v.RecoveryCodes == nil {
		en, err := h.accounts.PendingTOTP(r.Context())
		switch {
		case err == nil:
			v.Enrolment = &en
		case !errors.Is(err, sesame.ErrReauthenticationRequired) && !errors.Is(err, sesame.ErrNotFound):
			return err
		}
	}
	h.render(w, r, status, "security", "Security", v, p)
	return nil
}

// securityChange answers a form of the page after its change ended with
// err: a stale password goes to /reauth and back; refused input shows the
// page again with the reason.
func (h *Handler) securityChange(w http.ResponseWriter, r *http.Request, err error, ok securityView) error {
	switch {
	case err == nil:
		return h.securityPage(w, r, http.StatusOK, ok, nil)
	case errors.Is(err, sesame.ErrReauthenticationRequired):
		h.auditReauthRefusal(r, err)
		http.Redirect(w, r, "/reauth?next=%2Faccount%2Fsecurity", http.StatusSeeOther)
		return nil
	}
	status, p, ferr := formFailure(err)
	if ferr != nil {
		return err
	}
	return h.securityPage(w, r, status, securityView{}, p)
}

func (h *Handler) beginTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if _, err := h.accounts.BeginTOTP(r.Context()); err != nil {
		return h.securityChange(w, r, err, securityView{})
	}
	// Post/redirect/get: the page shows the enrolment under way.
	http.Redirect(w, r, securityPath, http.StatusSeeOther)
	return nil
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	codes, err := h.accounts.ConfirmTOTP(r.Context(), r.PostFormValue("code"))
	return h.securityChange(w, r, err, securityView{RecoveryCodes: codes, Changed: "added"})
}

func (h *Handler) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	err := h.accounts.DisableTOTP(r.Context())
	return h.securityChange(w, r, err, securityView{Changed: "removed"})
}

// totpQRCode is the QR code of the enrolment under way, as a PNG of its
// own rather than a data: URL, which the Content-Security-Policy's
// img-src 'self' (by default-src) refuses.
func (h *Handler) totpQRCode(w http.ResponseWriter, r *http.Request) error {
	en, err := h.accounts.PendingTOTP(r.Context())
	if err != nil {
		return err
	}
	png, err := en.QRCode(256)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
	return nil
}

// adminRemoveTOTP removes a user's authenticator app, from the admin's
// users page.
func (h *Handler) adminRemoveTOTP(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error { return h.accounts.RemoveTOTP(r.Context(), id) })
}
