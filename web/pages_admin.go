package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
)

// The admin pages (CONTRACT §7), for the admin permission only: routes
// wraps each in require(PermAdmin), and the account service authorizes
// again. Three pages list (users, sessions, the audit trail); every change
// is a form posted to a route under the user or session it changes:
//
//	POST /admin/users                        create: username, password, roles (repeated)
//	POST /admin/users/{id}/roles             roles (repeated, at least one)
//	POST /admin/users/{id}/password          password
//	POST /admin/users/{id}/disable           (no field)
//	POST /admin/users/{id}/enable            (no field)
//	POST /admin/users/{id}/sessions/revoke   (no field): end every session of the user
//	POST /admin/sessions/{id}/revoke         (no field): end one session
//
// Each form may also carry back, the admin page (with its query) it was
// posted from, to return to. A change answers 303 back there; refused input
// shows that page again with the reason (400, or 404 for a user or session
// that is gone, 409 for a taken username); a password entered too long ago
// sends the admin to /reauth and back (nothing changed). The account
// service makes every change, with the rules of CONTRACT §6 (whose
// sessions end) and the audit event naming the admin and the user.

// The paths of the admin pages that list.
const (
	adminUsersPath    = "/admin/users"
	adminSessionsPath = "/admin/sessions"
	adminAuditPath    = "/admin/audit"
)

// adminUsersView is what the users page shows.
type adminUsersView struct {
	Users   []sesame.User
	Roles   []string // the roles a user may be given, by name
	NextURL string   // the next stretch of the list, or ""
	Back    string   // this page, for the forms' way back
	Create  createForm
	// Target is the user whose form was refused: their controls are shown
	// open, beside the reason.
	Target int64
	// Factors are the second factors of each user that has one.
	Factors map[int64]userFactors
}

// createForm is what the form to create a user keeps after a refusal (all
// but the password).
type createForm struct {
	Username string
	Roles    []string
}

// userFactors is what the users page shows of a user's second factors.
type userFactors struct{ TOTP, Passkey bool }

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) error {
	return h.usersPage(w, r, r.URL.RequestURI(), nil, createForm{Roles: []string{"customer"}}, 0)
}

// usersPage renders the users page at back (its path and query), after a
// refused form with the reason.
func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, back string, failure error, form createForm, target int64) error {
	status, p, err := formFailure(failure)
	if err != nil {
		return err
	}
	q := queryOf(back)
	pg, err := sesame.ParsePaging(q.Get("limit"), q.Get("cursor"))
	if err != nil {
		return err
	}
	users, next, err := h.accounts.Users(r.Context(), pg)
	if err != nil {
		return err
	}
	roles, err := h.accounts.Roles(r.Context())
	if err != nil {
		return err
	}
	factors, err := h.accounts.UserFactors(r.Context(), users)
	if err != nil {
		return err
	}
	v := adminUsersView{Users: users, NextURL: nextURL(adminUsersPath, q, next), Back: back, Create: form, Target: target,
		Factors: make(map[int64]userFactors, len(factors))}
	for id, fs := range factors {
		v.Factors[id] = userFactors{TOTP: slices.Contains(fs, sesame.FactorTOTP), Passkey: slices.Contains(fs, sesame.FactorPasskey)}
	}
	for _, role := range roles {
		v.Roles = append(v.Roles, role.Name)
	}
	h.render(w, r, status, "admin_users", "Users", v, p)
	return nil
}

func (h *Handler) adminCreateUser(w http.ResponseWriter, r *http.Request) error {
	back, err := h.adminForm(r, adminUsersPath)
	var form createForm
	if err == nil {
		form = createForm{Username: r.PostFormValue("username"), Roles: r.PostForm["roles"]}
		if err = someRoles(form.Roles); err == nil {
			_, err = h.accounts.CreateUser(r.Context(), form.Username, r.PostFormValue("password"), form.Roles)
		}
	}
	return h.adminAnswer(w, r, back, err, func() error { return h.usersPage(w, r, back, err, form, 0) })
}

func (h *Handler) adminSetRoles(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		roles := r.PostForm["roles"]
		if err := someRoles(roles); err != nil {
			return err
		}
		_, err := h.accounts.SetRoles(r.Context(), id, roles)
		return err
	})
}

func (h *Handler) adminResetPassword(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		return h.accounts.ResetPassword(r.Context(), id, r.PostFormValue("password"))
	})
}

func (h *Handler) adminDisable(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		_, err := h.accounts.SetDisabled(r.Context(), id, true)
		return err
	})
}

func (h *Handler) adminEnable(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		_, err := h.accounts.SetDisabled(r.Context(), id, false)
		return err
	})
}

// adminRevokeUserSessions ends every session of a user, from the users page
// or the sessions page.
func (h *Handler) adminRevokeUserSessions(w http.ResponseWriter, r *http.Request) error {
	return h.userChange(w, r, func(id int64) error {
		_, err := h.accounts.RevokeUserSessions(r.Context(), id)
		return err
	}, adminSessionsPath)
}

// userChange answers a form that changes user {id} with change, returning
// to the users page (or to one of also).
func (h *Handler) userChange(w http.ResponseWriter, r *http.Request, change func(id int64) error, also ...string) error {
	back, err := h.adminForm(r, adminUsersPath, also...)
	id, idErr := pathID(r, "id")
	if err == nil {
		err = idErr
	}
	if err == nil {
		err = change(id)
	}
	return h.adminAnswer(w, r, back, err, func() error {
		if pathOf(back) == adminSessionsPath {
			return h.sessionsPage(w, r, back, err)
		}
		return h.usersPage(w, r, back, err, createForm{Roles: []string{"customer"}}, id)
	})
}

// someRoles refuses an empty choice of roles: a user holds at least one
// (as on the command line).
func someRoles(roles []string) error {
	if len(roles) == 0 {
		return sesame.Invalid("roles", "must name at least one role")
	}
	return nil
}

// adminForm reads an admin form, whose fields are all single but roles,
// and returns the page to go back to: the form's back when it is one of
// the admin pages, page or one of also, else page.
func (h *Handler) adminForm(r *http.Request, page string, also ...string) (string, error) {
	if err := parseForm(r, "roles"); err != nil {
		return page, err
	}
	if back := h.safeNext(r.PostFormValue("back")); back != "" {
		if p := pathOf(back); p == page || slices.Contains(also, p) {
			return back, nil
		}
	}
	return page, nil
}

// adminAnswer answers an admin form after its change ended with err: on
// success 303 back (or to the login page, when the admin ended their own
// session with it); when the admin's password is too old, 303 to /reauth,
// which comes back; refused input shows the page again, by again; any
// other error goes to the error page.
func (h *Handler) adminAnswer(w http.ResponseWriter, r *http.Request, back string, err error, again func() error) error {
	switch {
	case err == nil:
		if _, live := h.sessions.FromContext(r.Context()); !live {
			signedOut(w)
			back = "/login"
		} else {
			h.flash(w, r, "admin-saved")
		}
		http.Redirect(w, r, back, http.StatusSeeOther) // #nosec G710 -- back is an admin page, checked by adminForm through safeNext
		return nil
	case errors.Is(err, sesame.ErrReauthenticationRequired):
		h.auditReauthRefusal(r, err)
		http.Redirect(w, r, "/reauth?next="+url.QueryEscape(back), http.StatusSeeOther)
		return nil
	}
	if _, p, ferr := formFailure(err); ferr != nil || p == nil {
		return err
	}
	return again()
}

// adminSessionsView is what the sessions page shows.
type adminSessionsView struct {
	Sessions []account.SessionInfo
	User     string // the ?user= filter, as given
	NextURL  string
	Back     string
}

func (h *Handler) adminSessions(w http.ResponseWriter, r *http.Request) error {
	return h.sessionsPage(w, r, r.URL.RequestURI(), nil)
}

// sessionsPage renders the sessions page at back (its path and query),
// after a refused form with the reason. A ?user= that names nobody answers
// 404 with the page, its filter named.
func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, back string, failure error) error {
	status, p, err := formFailure(failure)
	if err != nil {
		return err
	}
	q := queryOf(back)
	v := adminSessionsView{User: strings.TrimSpace(q.Get("user")), Back: back}
	pg, err := sesame.ParsePaging(q.Get("limit"), q.Get("cursor"))
	if err != nil {
		return err
	}
	var userID int64
	if v.User != "" {
		u, err := h.accounts.UserNamed(r.Context(), v.User)
		if errors.Is(err, sesame.ErrNotFound) {
			return h.noSuchUser(w, r, "admin_sessions", "Sessions", v.User, v)
		}
		if err != nil {
			return err
		}
		userID = u.ID
	}
	list, next, err := h.accounts.AllSessions(r.Context(), userID, pg)
	if err != nil {
		return err
	}
	v.Sessions, v.NextURL = list, nextURL(adminSessionsPath, q, next)
	h.render(w, r, status, "admin_sessions", "Sessions", v, p)
	return nil
}

// noSuchUser renders page, listing nothing, for a ?user= filter that names
// no user: 404, the filter named.
func (h *Handler) noSuchUser(w http.ResponseWriter, r *http.Request, page, title, name string, v any) error {
	p := problemFor(&sesame.UnknownError{Field: "user", What: "user"})
	p.Message = "No user is called " + strconv.Quote(name) + "."
	h.render(w, r, p.Status, page, title, v, &p)
	return nil
}

func (h *Handler) adminRevokeSession(w http.ResponseWriter, r *http.Request) error {
	back, err := h.adminForm(r, adminSessionsPath)
	if err == nil {
		err = h.accounts.RevokeSession(r.Context(), r.PathValue("id"))
	}
	return h.adminAnswer(w, r, back, err, func() error { return h.sessionsPage(w, r, back, err) })
}

// adminAuditView is what the audit page shows.
type adminAuditView struct {
	Events   []sesame.Event
	Actions  []sesame.Action
	Outcomes []sesame.Outcome
	// The filters as given.
	User, Action, Outcome string
	NextURL               string
}

// outcomes lists every outcome, for the audit filters.
var outcomes = []sesame.Outcome{sesame.OutcomeSuccess, sesame.OutcomeFailure, sesame.OutcomeDenied}

// adminAudit shows the whole trail, newest first, filtered by ?user= (a
// username), ?action= and ?outcome=; a refused filter shows the page with
// the reason and no events.
func (h *Handler) adminAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := adminAuditView{Actions: sesame.Actions, Outcomes: outcomes,
		User: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), Outcome: q.Get("outcome")}
	const page, title = "admin_audit", "Audit trail"
	aq, pg, err := auditFilters(q)
	if err != nil {
		status, p, err := formFailure(err)
		if err != nil {
			return err
		}
		h.render(w, r, status, page, title, v, p)
		return nil
	}
	if v.User != "" {
		u, err := h.accounts.UserNamed(r.Context(), v.User)
		if errors.Is(err, sesame.ErrNotFound) {
			return h.noSuchUser(w, r, page, title, v.User, v)
		}
		if err != nil {
			return err
		}
		aq.UserID = u.ID
	}
	events, next, err := h.audit.Search(r.Context(), aq, pg)
	if err != nil {
		return err
	}
	v.Events, v.NextURL = events, nextURL(adminAuditPath, q, next)
	h.render(w, r, http.StatusOK, page, title, v, nil)
	return nil
}

// auditFilters reads the filters of the trail but the user, which the
// pages name and the API numbers, and the paging: every refusal at once.
func auditFilters(q url.Values) (audit.Query, sesame.Paging, error) {
	inv := new(sesame.InvalidError)
	pg, err := sesame.ParsePaging(q.Get("limit"), q.Get("cursor"))
	var perr *sesame.InvalidError
	if errors.As(err, &perr) {
		for f, why := range perr.Fields {
			inv.Add(f, why)
		}
	}
	aq := audit.Query{Action: sesame.Action(q.Get("action")), Outcome: sesame.Outcome(q.Get("outcome"))}
	if aq.Action != "" && !slices.Contains(sesame.Actions, aq.Action) {
		inv.Add("action", "is not an action of the trail")
	}
	if aq.Outcome != "" && !slices.Contains(outcomes, aq.Outcome) {
		inv.Add("outcome", "must be success, failure or denied")
	}
	return aq, pg, inv.Err()
}

// nextURL is the link to the stretch of the list at path that starts at
// cursor, keeping the query q (the filters and the limit); "" at the end
// of the list.
func nextURL(path string, q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	keep := url.Values{}
	for k, vs := range q {
		if k != "cursor" && len(vs) > 0 && vs[0] != "" {
			keep.Set(k, vs[0])
		}
	}
	keep.Set("cursor", cursor)
	return path + "?" + keep.Encode()
}

// queryOf and pathOf return the query and the path of a local URI.
func queryOf(uri string) url.Values {
	u, err := url.Parse(uri)
	if err != nil {
		return url.Values{}
	}
	return u.Query()
}

func pathOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Path
}

// reauthView is what the re-authentication form keeps: where to go next.
type reauthView struct {
	Next string
}

// reauthForm asks the signed-in user for their password again, before a
// sensitive change (CONTRACT §7); next is where the change was asked.
func (h *Handler) reauthForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "reauth", "Confirm your password",
		reauthView{Next: h.safeNext(r.URL.Query().Get("next"))}, nil)
	return nil
}

// reauth checks the password and goes back to next (a page of this site,
// as after login), or home. A wrong password shows the form again (400);
// it counts as a failed login, so that it is throttled like one (429).
func (h *Handler) reauth(w http.ResponseWriter, r *http.Request) error {
	err := parseForm(r)
	var next string
	if err == nil {
		next = h.safeNext(r.PostFormValue("next"))
		err = h.accounts.Reauthenticate(r.Context(), r.PostFormValue("password"))
	}
	if err == nil {
		h.flash(w, r, "reauthenticated")
		http.Redirect(w, r, cmp.Or(next, "/"), http.StatusSeeOther) // #nosec G710 -- next comes from safeNext: a local page of this site or ""
		return nil
	}
	status, p, err := formFailure(err)
	if err != nil {
		return err
	}
	h.render(w, r, status, "reauth", "Confirm your password", reauthView{Next: next}, p)
	return nil
}
