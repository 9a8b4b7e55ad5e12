package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sesamehq/sesame"
)

// The admin calls of the JSON API (CONTRACT §7), for the admin permission
// only, and the re-authentication call, for anyone signed in. They call the
// account service as the admin pages do; the API names users by id where
// the pages name them by username.

// adminUserJSON is a user as the admin calls show them.
type adminUserJSON struct {
	ID        int64    `json:"id"`
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	Disabled  bool     `json:"disabled"`
	CreatedAt jsonTime `json:"created_at"`
	// LastLoginAt is null for a user who never signed in.
	LastLoginAt *jsonTime `json:"last_login_at"`
	// Factors are the user's second factors, in the list of users only.
	Factors *[]sesame.Factor `json:"factors,omitempty"`
}

func toAdminUser(u *sesame.User) adminUserJSON {
	out := adminUserJSON{ID: u.ID, Username: u.Username, Roles: nonNil(u.Roles), Disabled: u.Disabled,
		CreatedAt: jsonTime(u.CreatedAt)}
	if !u.LastLoginAt.IsZero() {
		t := jsonTime(u.LastLoginAt)
		out.LastLoginAt = &t
	}
	return out
}

// adminSessionJSON is a session with its user, for the admin.
type adminSessionJSON struct {
	sessionJSON
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// adminEventJSON is an event of the whole trail: an event of one's own
// trail, with who acted and whom it was done to. A field that names nobody
// (a visitor, the command line's user id, an event with no target) is null.
type adminEventJSON struct {
	ID int64 `json:"id"`
	eventJSON
	UserID         *int64  `json:"user_id"`
	Username       *string `json:"username"`
	TargetUserID   *int64  `json:"target_user_id"`
	TargetUsername *string `json:"target_username"`
}

func toAdminEvent(e sesame.Event) adminEventJSON {
	return adminEventJSON{ID: e.ID, eventJSON: toEvent(e),
		UserID: someID(e.UserID), Username: someName(e.Username),
		TargetUserID: someID(e.TargetID), TargetUsername: someName(e.TargetName)}
}

func someID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func someName(name string) *string {
	if name == "" {
		return nil
	}
	return &name
}

func (h *Handler) apiAdminUsers(w http.ResponseWriter, r *http.Request) error {
	pg, err := pagingOf(r)
	if err != nil {
		return err
	}
	users, next, err := h.accounts.Users(r.Context(), pg)
	if err != nil {
		return err
	}
	factors, err := h.accounts.UserFactors(r.Context(), users)
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(users))
	for i := range users {
		out[i] = toAdminUser(&users[i])
		f := nonNil(factors[users[i].ID])
		out[i].Factors = &f
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "next_cursor": cursor(next)})
	return nil
}

type newUserJSON struct {
	Username *string   `json:"username"`
	Password *string   `json:"password"`
	Roles    *[]string `json:"roles"`
}

func (h *Handler) apiAdminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in newUserJSON
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
	if in.Roles == nil {
		inv.Add("roles", "is required")
	} else if len(*in.Roles) == 0 {
		inv.Add("roles", "must name at least one role")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	u, err := h.accounts.CreateUser(r.Context(), *in.Username, *in.Password, *in.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAdminUser(u))
	return nil
}

type rolesJSON struct {
	Roles *[]string `json:"roles"`
}

func (h *Handler) apiAdminSetRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in rolesJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Roles == nil {
		return sesame.Invalid("roles", "is required")
	}
	if err := someRoles(*in.Roles); err != nil {
		return err
	}
	u, err := h.accounts.SetRoles(r.Context(), id, *in.Roles)
	if err != nil {
		return err
	}
	h.signedOutIfEnded(w, r)
	writeJSON(w, http.StatusOK, toAdminUser(u))
	return nil
}

type passwordJSON struct {
	Password *string `json:"password"`
}

func (h *Handler) apiAdminResetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in passwordJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Password == nil {
		return sesame.Invalid("password", "is required")
	}
	if err := h.accounts.ResetPassword(r.Context(), id, *in.Password); err != nil {
		return err
	}
	h.signedOutIfEnded(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type disabledJSON struct {
	Disabled *bool `json:"disabled"`
}

func (h *Handler) apiAdminSetDisabled(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in disabledJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Disabled == nil {
		return sesame.Invalid("disabled", "is required")
	}
	u, err := h.accounts.SetDisabled(r.Context(), id, *in.Disabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAdminUser(u))
	return nil
}

func (h *Handler) apiAdminRevokeUserSessions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := h.accounts.RevokeUserSessions(r.Context(), id)
	if err != nil {
		return err
	}
	h.signedOutIfEnded(w, r)
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

// apiAdminSessions lists every live session, or with ?user={id} that
// user's, newest first.
func (h *Handler) apiAdminSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg, err := sesame.ParsePaging(q.Get("limit"), q.Get("cursor"))
	if err != nil {
		return err
	}
	userID, err := h.userParam(r, q)
	if err != nil {
		return err
	}
	list, next, err := h.accounts.AllSessions(r.Context(), userID, pg)
	if err != nil {
		return err
	}
	out := make([]adminSessionJSON, len(list))
	for i, s := range list {
		uid, _ := strconv.ParseInt(s.UserID, 10, 64)
		out[i] = adminSessionJSON{sessionJSON: toSession(s.Session, s.Current), UserID: uid, Username: s.Username}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out, "next_cursor": cursor(next)})
	return nil
}

// userParam reads ?user={id}: 0 when absent, 400 when it cannot be an id,
// 404 when it names no user.
func (h *Handler) userParam(r *http.Request, q url.Values) (int64, error) {
	v := strings.TrimSpace(q.Get("user"))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, sesame.Invalid("user", "must be a user id")
	}
	if _, err := h.accounts.User(r.Context(), id); err != nil {
		if errors.Is(err, sesame.ErrNotFound) {
			return 0, &sesame.UnknownError{Field: "user", What: "user"}
		}
		return 0, err
	}
	return id, nil
}

func (h *Handler) apiAdminRevokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := h.accounts.RevokeSession(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	h.signedOutIfEnded(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAdminAudit returns the whole trail, newest first, filtered by
// ?user={id} (the events the user did or was the target of), ?action= and
// ?outcome=.
func (h *Handler) apiAdminAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq, pg, err := auditFilters(q)
	if err != nil {
		return err
	}
	if aq.UserID, err = h.userParam(r, q); err != nil {
		return err
	}
	events, next, err := h.audit.Search(r.Context(), aq, pg)
	if err != nil {
		return err
	}
	out := make([]adminEventJSON, len(events))
	for i, e := range events {
		out[i] = toAdminEvent(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": cursor(next)})
	return nil
}

// apiReauth checks the signed-in user's password again ("sudo mode",
// CONTRACT §7): 204 and a renewed session cookie; a wrong password is 400
// naming the field, and counts as a failed login (throttled: 429).
func (h *Handler) apiReauth(w http.ResponseWriter, r *http.Request) error {
	var in passwordJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Password == nil {
		return sesame.Invalid("password", "is required")
	}
	if err := h.accounts.Reauthenticate(r.Context(), *in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// signedOutIfEnded tells the browser to forget the site's cookies when the
// request's own session ended with what it did (an admin who ended their
// own sessions, or changed their own roles).
func (h *Handler) signedOutIfEnded(w http.ResponseWriter, r *http.Request) {
	if _, live := h.sessions.FromContext(r.Context()); !live {
		signedOut(w)
	}
}

// apiAdminRemoveTOTP removes a user's authenticator app (re-authentication,
// audited).
func (h *Handler) apiAdminRemoveTOTP(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.accounts.RemoveTOTP(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
