package web

import (
	"net/http"

	"github.com/sesamehq/sesame"
)

// The JSON API of second factors (CONTRACT §9); the rules are in package
// account.

type codeJSON struct {
	Code *string `json:"code"`
}

// apiBeginTOTP starts an enrolment: the secret and its otpauth URL, for
// the user's app.
func (h *Handler) apiBeginTOTP(w http.ResponseWriter, r *http.Request) error {
	en, err := h.accounts.BeginTOTP(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": en.Secret, "otpauth_url": en.URL})
	return nil
}

// apiConfirmTOTP completes it with a first code: the recovery codes, shown
// this once, and a new session cookie.
func (h *Handler) apiConfirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var in codeJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Code == nil {
		return sesame.Invalid("code", "is required")
	}
	codes, err := h.accounts.ConfirmTOTP(r.Context(), *in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
	return nil
}

func (h *Handler) apiDisableTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := h.accounts.DisableTOTP(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
