package web

import (
	"net/http"
	"strconv"

	"github.com/sesamehq/sesame/account"
)

type sessionsView struct {
	Sessions []account.SessionInfo
	Next     string
}

func (h *Handler) sessionList(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	list, next, err := h.accounts.Sessions(r.Context(), pg)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "sessions", "Your sessions", sessionsView{list, next}, nil)
	return nil
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) error {
	current, err := h.accounts.EndSession(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if current {
		signedOut(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	h.flash(w, r, "revoked")
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}

func (h *Handler) revokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := h.accounts.EndOtherSessions(r.Context())
	if err != nil {
		return err
	}
	ended := strconv.Itoa(n) + " other sessions ended"
	switch n {
	case 0:
		ended = "there was no other session"
	case 1:
		ended = "1 other session ended"
	}
	h.flash(w, r, "revoked-others", ended)
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}

// signedOut tells the browser to forget this site's cookies too (CONTRACT
// §6), once the request's session has ended: any other cookie it holds
// for the site goes with the session.
func signedOut(w http.ResponseWriter) {
	w.Header().Set("Clear-Site-Data", `"cookies"`)
}

type activityView struct {
	Events []eventRow
	Next   string
}

func (h *Handler) activity(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	events, next, err := h.audit.Events(r.Context(), pg)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "activity", "Your activity", activityView{eventRows(events), next}, nil)
	return nil
}

func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "password", "Your password", nil, nil)
	return nil
}

// changePassword answers the password form: on success the browser holds a
// new session id and every other session is over.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	if err == nil {
		err = h.accounts.ChangePassword(r.Context(), r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	}
	if err != nil {
		status, p, err := formFailure(err)
		if err != nil {
			return err
		}
		h.render(w, r, status, "password", "Your password", nil, p)
		return nil
	}
	h.flash(w, r, "password")
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}
