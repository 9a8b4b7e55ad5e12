package web

import (
	"errors"
	"net/http"

	"github.com/sesamehq/sesame"
)

// enrolRoutes are the routes a user held to a second factor who has none
// yet may still use (CONTRACT §9): the ones that set one up, with the
// re-authentication they need, signing out and who they are. Every other
// signed-in route sends them to /account/security first.
var enrolRoutes = map[string]bool{
	"GET /account/security":                 true,
	"GET /account/security/totp.png":        true,
	"POST /account/security/totp":           true,
	"POST /account/security/totp/confirm":   true,
	"POST /account/security/passkeys":       true,
	"GET /reauth":                           true,
	"POST /reauth":                          true,
	"GET /logout":                           true,
	"POST /logout":                          true,
	"GET /api/v1/me":                        true,
	"DELETE /api/v1/session":                true,
	"POST /api/v1/session/reauth":           true,
	"POST /api/v1/account/totp":             true,
	"POST /api/v1/account/totp/confirm":     true,
	"GET /api/v1/account/passkeys":          true,
	"POST /api/v1/account/passkeys/options": true,
	"POST /api/v1/account/passkeys":         true,
	"POST /account/sessions/revoke-others":  true,
	"DELETE /api/v1/sessions":               true,
}

// secondFactorGate refuses fn, the handler of pattern, to a user whose
// role needs a second factor in a session begun without one (see
// account.Service.SecondFactorRequired): a page sends them to the
// security page, the API answers 403 second_factor_required.
func (h *Handler) secondFactorGate(pattern string, fn handlerFunc) handlerFunc {
	if enrolRoutes[pattern] {
		return fn
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h.accounts.SecondFactorRequired(r.Context())
		switch {
		case err == nil:
			return fn(w, r)
		case errors.Is(err, sesame.ErrSecondFactorRequired) && !isAPI(r):
			http.Redirect(w, r, securityPath, http.StatusSeeOther)
			return nil
		}
		return err
	}
}
