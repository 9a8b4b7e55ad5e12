package web

import (
	"net/http"

	"github.com/sesamehq/sesame"
)

type credentialsJSON struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Remember *bool   `json:"remember"`
}

func (h *Handler) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in credentialsJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv := new(sesame.InvalidError)
	if in.Username == nil {
		inv.Add("username", "is required")
	}
	if in.Password == nil {
		inv.Add("password", "is required")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	user, s, err := h.accounts.SignIn(r.Context(), *in.Username, *in.Password, in.Remember != nil && *in.Remember)
	if sf, ok := h.secondFactorAsked(w, r, err); ok {
		writeJSON(w, http.StatusOK, map[string]any{"second_factor_required": true, "methods": sf.Methods})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toMe(user, s))
	return nil
}

func (h *Handler) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := h.accounts.SignOut(r.Context()); err != nil {
		return err
	}
	signedOut(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiMe(w http.ResponseWriter, r *http.Request) error {
	s, _ := h.sessions.FromContext(r.Context())
	writeJSON(w, http.StatusOK, toMe(sesame.ActorFrom(r.Context()).User, s))
	return nil
}

func (h *Handler) apiSessions(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	list, next, err := h.accounts.Sessions(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(list))
	for i, s := range list {
		out[i] = toSession(s.Session, s.Current)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out, "next_cursor": cursor(next)})
	return nil
}

func (h *Handler) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	current, err := h.accounts.EndSession(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if current {
		signedOut(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiRevokeOtherSessions ends every session of the user but this one, as
// the sessions page's button does.
func (h *Handler) apiRevokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := h.accounts.EndOtherSessions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

type passwordChangeJSON struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// apiChangePassword changes the password as the page does: the answer
// carries a new session cookie, and every other session of the user is
// over.
func (h *Handler) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordChangeJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv := new(sesame.InvalidError)
	if in.CurrentPassword == nil {
		inv.Add("current_password", "is required")
	}
	if in.NewPassword == nil {
		inv.Add("new_password", "is required")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	if err := h.accounts.ChangePassword(r.Context(), *in.CurrentPassword, *in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiActivity(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	events, next, err := h.audit.Events(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		out[i] = toEvent(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": cursor(next)})
	return nil
}
