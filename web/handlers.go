package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// handlerFunc is a route's handler: it answers, or returns an error for the
// front end's error mapping to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts fn to http.Handler, answering its errors as HTML.
func (h *Handler) page(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.pageError(w, r, err)
		}
	})
}

// api adapts fn to http.Handler, answering its errors as JSON.
func (h *Handler) api(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.apiError(w, r, err)
		}
	})
}

// signedIn refuses fn to a visitor who is not signed in: a page sends them to
// the login page, the API answers 401.
func signedIn(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if sesame.ActorFrom(r.Context()).User == nil {
			return sesame.ErrUnauthenticated
		}
		return fn(w, r)
	}
}

// require returns a wrapper that refuses fn to a signed-in user without
// permission p; the refusal is audited by Authorize.
func (h *Handler) require(p sesame.Permission) func(handlerFunc) handlerFunc {
	return func(fn handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if err := h.auth.Authorize(r.Context(), p); err != nil {
				return err
			}
			return fn(w, r)
		}
	}
}

// signIn checks the credentials and, when they hold, starts a new session:
// always a new id, whatever session the request came with. The login is
// audited here, once the event can name the new session.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, username, password string) (*sesame.User, session.Session, error) {
	user, err := h.auth.Login(r.Context(), username, password)
	if err != nil {
		return nil, session.Session{}, err
	}
	s, err := h.sessions.Login(w, r, sessionUser(user.ID))
	if err != nil {
		return nil, session.Session{}, err
	}
	a := sesame.ActorFrom(r.Context())
	a.User, a.SessionID = user, s.ID
	h.audit.Record(r.Context(), sesame.Event{Action: sesame.ActionLogin, Outcome: sesame.OutcomeSuccess})
	return user, s, nil
}

// signOut ends the request's session on the server and tells the browser to
// forget its cookies.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, action sesame.Action) error {
	if err := h.sessions.Logout(w, r); err != nil {
		return err
	}
	// Recorded once it is true, while the actor still names the session.
	a := sesame.ActorFrom(r.Context())
	h.audit.Record(r.Context(), sesame.Event{Action: action, Outcome: sesame.OutcomeSuccess,
		Detail: "session " + a.SessionID})
	w.Header().Set("Clear-Site-Data", `"cookies"`)
	a.User, a.SessionID = nil, ""
	return nil
}

// endSession ends one of the signed-in user's sessions by public id and
// reports whether it was the request's own, which also signs the user out.
// Another user's session answers not found, as if it did not exist.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, id string) (current bool, err error) {
	a := sesame.ActorFrom(r.Context())
	if id == a.SessionID {
		return true, h.signOut(w, r, sesame.ActionSessionRevoke)
	}
	err = h.sessions.Revoke(r.Context(), sessionUser(a.User.ID), id)
	if errors.Is(err, session.ErrNotFound) {
		return false, fmt.Errorf("session %q: %w", id, sesame.ErrNotFound)
	}
	if err != nil {
		return false, err
	}
	h.audit.Record(r.Context(), sesame.Event{Action: sesame.ActionSessionRevoke,
		Outcome: sesame.OutcomeSuccess, Detail: "session " + id})
	return false, nil
}

// endOtherSessions ends every session of the signed-in user but this one.
func (h *Handler) endOtherSessions(r *http.Request) error {
	a := sesame.ActorFrom(r.Context())
	return h.endSessions(r.Context(), a.User.ID, a.SessionID, "")
}

// endSessions ends every session of user userID but the one with public id
// exceptID, and records the end of each, naming it (CONTRACT §6: each
// revocation with its public session id), with why when there is more to
// say. Those it ended are recorded even when it then fails.
func (h *Handler) endSessions(ctx context.Context, userID int64, exceptID, why string) error {
	gone, err := h.sessions.RevokeAll(ctx, sessionUser(userID), exceptID)
	for _, s := range gone {
		h.audit.Record(ctx, sesame.Event{Action: sesame.ActionSessionRevoke,
			Outcome: sesame.OutcomeSuccess, Detail: "session " + s.ID + why})
	}
	return err
}

// listSessions returns one page of the signed-in user's live sessions,
// newest first. A user has few sessions, so they are paged in memory; the
// cursor names the last one shown by time and id, so that revocations
// between pages skip nothing.
func (h *Handler) listSessions(r *http.Request, p sesame.Page) ([]session.Session, string, error) {
	a := sesame.ActorFrom(r.Context())
	all, err := h.sessions.List(r.Context(), sessionUser(a.User.ID))
	if err != nil {
		return nil, "", err
	}
	start := 0
	if p.Cursor != "" {
		ns, id, ok := strings.Cut(p.Cursor, ".")
		n, err := strconv.ParseInt(ns, 10, 64)
		if !ok || err != nil {
			return nil, "", sesame.Invalid("cursor", "is not a cursor this list gave out")
		}
		after := time.Unix(0, n)
		start = len(all)
		for i, s := range all {
			if cmp.Or(after.Compare(s.CreatedAt), strings.Compare(s.ID, id)) > 0 {
				start = i
				break
			}
		}
	}
	list := all[start:]
	if len(list) <= p.Limit {
		return list, "", nil
	}
	list = list[:p.Limit]
	last := list[len(list)-1]
	return list, strconv.FormatInt(last.CreatedAt.UnixNano(), 10) + "." + last.ID, nil
}

// changePasswordAndRotate changes the signed-in user's password, gives this
// session a new id and ends every other session of the user: whoever knew
// the old password, or held another session, is out. The other sessions end
// before the new password is stored, so that if that fails the password
// stays as it was; and once more after, for any session begun with the old
// password in between.
func (h *Handler) changePasswordAndRotate(w http.ResponseWriter, r *http.Request, current, next string) error {
	a := sesame.ActorFrom(r.Context())
	// Sessions ended here are revoked like any other (CONTRACT §6, audit).
	const why = ", on password change"
	endOthers := func(ctx context.Context) error { return h.endSessions(ctx, a.User.ID, a.SessionID, why) }
	if err := h.auth.ChangePassword(r.Context(), current, next, endOthers); err != nil {
		return err
	}
	s, err := h.sessions.Renew(w, r)
	if err != nil {
		return err
	}
	return h.endSessions(r.Context(), a.User.ID, s.ID, why)
}

// formFailure decides how a form's failure is shown. A refusal of the input
// (400, 404, 409, 429) re-renders the form's page with the reason, so the
// user can correct it; anything else is returned, for the error page.
func formFailure(failure error) (int, *problem, error) {
	if failure == nil {
		return http.StatusOK, nil, nil
	}
	p := problemFor(failure)
	switch p.Status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests:
		return p.Status, &p, nil
	}
	return 0, nil, failure
}

// parseForm reads a form body, refusing one that is too large or malformed.
//
// Like the JSON API, it takes each field once: with two values, which one
// counts would be a guess (net/http takes the first), so neither is taken.
// A body of another type than a URL-encoded form (a multipart one, say)
// answers 415 rather than look like a form with every field missing.
func parseForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return &mediaError{want: "application/x-www-form-urlencoded"}
		}
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return sesame.Invalid("body", "is not a valid form")
	}
	inv := new(sesame.InvalidError)
	for field, values := range r.PostForm {
		if len(values) > 1 {
			inv.Add(field, "is given more than once")
		}
	}
	return inv.Err()
}

// formInt reads an integer field of a form; empty means def.
func formInt(r *http.Request, field string, def int) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, sesame.Invalid(field, "must be a whole number")
	}
	// Past the range of int, n is the nearest bound: the service refuses it
	// and says what the range is.
	return n, nil
}

// formID reads a required id field of a form.
func formID(r *http.Request, field string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		if v == "" {
			return 0, sesame.Invalid(field, "is required")
		}
		return 0, sesame.Invalid(field, "must be a product id")
	}
	return id, nil
}

// pathID reads an id from the path. An id that cannot exist names nothing:
// not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, r.PathValue(name), sesame.ErrNotFound)
	}
	return id, nil
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(r *http.Request) (sesame.Page, error) {
	q := r.URL.Query()
	return sesame.ParsePage(q.Get("limit"), q.Get("cursor"))
}
