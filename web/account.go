package web

import (
	"net/http"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// sessionView is a session as the account pages and the API show it.
type sessionView struct {
	session.Session
	Current bool
}

type sessionsView struct {
	Sessions []sessionView
	Next     string
}

func (h *Handler) sessionList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	v, err := h.sessionsOf(r, page)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "sessions", "Your sessions", v, nil)
	return nil
}

// sessionsOf returns a page of the signed-in user's sessions, the request's
// own marked.
func (h *Handler) sessionsOf(r *http.Request, page sesame.Page) (sessionsView, error) {
	list, next, err := h.listSessions(r, page)
	if err != nil {
		return sessionsView{}, err
	}
	current := sesame.ActorFrom(r.Context()).SessionID
	v := sessionsView{Sessions: make([]sessionView, len(list)), Next: next}
	for i, s := range list {
		v.Sessions[i] = sessionView{Session: s, Current: s.ID == current}
	}
	return v, nil
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) error {
	current, err := h.endSession(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if current {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}

func (h *Handler) revokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	if err := h.endOtherSessions(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}

type activityView struct {
	Events []sesame.Event
	Next   string
}

func (h *Handler) activity(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	events, next, err := h.audit.Events(r.Context(), page)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "activity", "Your activity", activityView{events, next}, nil)
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
		err = h.changePasswordAndRotate(w, r, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	}
	if err != nil {
		status, p, err := formFailure(err)
		if err != nil {
			return err
		}
		h.render(w, r, status, "password", "Your password", nil, p)
		return nil
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
	return nil
}
