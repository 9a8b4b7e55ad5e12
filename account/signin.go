package account

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
)

// ErrSignInRaced refuses a sign-in that ran while the account changed (its
// roles, password or disabled flag): the session it began was ended again,
// since it might carry what the change took away. Signing in again works.
var ErrSignInRaced = fmt.Errorf("%w: the account changed during sign-in; sign in again", sesame.ErrConflict)

// SignIn checks the credentials for the request whose context is ctx (it
// must have come through the session Manager's Middleware) and, when they
// hold, starts a new session: always a new id, whatever session the request
// came with. Remember asks for a remembered session. The sign-in is
// audited once the event can name the new session.
//
// A user with a second factor gets no session from a password alone: the
// answer is then a *SecondFactorRequired, whose token the front end gives
// the browser as the pending cookie, and SignInSecondFactor finishes.
//
// The user is read before the password is checked and the session is
// stored after, some tens of milliseconds later; a change to the account in
// between (roles taken away, the password reset, the account disabled) ends
// the user's sessions, but could miss the one being made. So the user is
// read once more afterwards, and if their Generation moved, the new session
// is ended again and the answer is ErrSignInRaced.
func (s *Service) SignIn(ctx context.Context, username, password string, remember bool) (*sesame.User, session.Session, error) {
	user, err := s.auth.Login(ctx, username, password)
	if err != nil {
		return nil, session.Session{}, err
	}
	if err := s.needSecondFactor(ctx, user, remember); err != nil {
		return nil, session.Session{}, err
	}
	return s.start(ctx, user, remember, []sesame.Factor{sesame.FactorPassword}, "")
}

// start begins a new session of user, who proved who they are with
// factors, and audits the sign-in; see SignIn for the race it closes.
func (s *Service) start(ctx context.Context, user *sesame.User, remember bool, factors []sesame.Factor,
	detail string) (*sesame.User, session.Session, error) {
	data, err := snapshot(user, factors)
	if err != nil {
		return nil, session.Session{}, err
	}
	sess, err := s.sessions.Login(ctx, sessionUser(user.ID), loginOptions(remember, data))
	if err != nil {
		return nil, session.Session{}, fmt.Errorf("account: sign in: %w", err)
	}
	now, err := s.users.UserByID(ctx, user.ID)
	if err != nil || now.Generation != user.Generation || now.Disabled {
		if lerr := s.sessions.Logout(ctx); lerr != nil {
			err = errors.Join(err, lerr)
		}
		if err != nil {
			return nil, session.Session{}, fmt.Errorf("account: sign in: %w", err)
		}
		return nil, session.Session{}, ErrSignInRaced
	}
	a := *sesame.ActorFrom(ctx)
	a.User, a.SessionID = user, sess.ID
	e := sesame.Event{Action: sesame.ActionLogin, Detail: detail}
	if remember {
		e.Detail = strings.TrimPrefix(e.Detail+", remembered session", ", ")
	}
	s.record(sesame.NewContext(ctx, &a), e)
	return user, sess, nil
}

// SignOut ends the request's session on the server; the Manager's
// Middleware clears the cookie. It is recorded with the session it ended.
func (s *Service) SignOut(ctx context.Context) error {
	return s.signOut(ctx, sesame.ActionLogout)
}

func (s *Service) signOut(ctx context.Context, action sesame.Action) error {
	if err := s.sessions.Logout(ctx); err != nil {
		return fmt.Errorf("account: sign out: %w", err)
	}
	// Recorded once it is true, with the actor that still names the session.
	s.record(ctx, sesame.Event{Action: action, Detail: "session " + sesame.ActorFrom(ctx).SessionID})
	return nil
}

// Reauthenticate checks the signed-in user's password again ("sudo mode")
// and, when it is right, records in the session that it was just entered
// and renews the session's token. A wrong password counts as a failed
// login (throttled, audited) and is an *sesame.InvalidError for "password".
func (s *Service) Reauthenticate(ctx context.Context, password string) error {
	if _, err := signedIn(ctx); err != nil {
		return err
	}
	err := s.auth.CheckPassword(ctx, "password", password, sesame.ActionReauth, "wrong password")
	if errors.Is(err, sesame.ErrBadCredentials) {
		return sesame.Invalid("password", "is not your password")
	}
	if err != nil {
		return err
	}
	if _, err := s.sessions.Reauthenticated(ctx); err != nil {
		return fmt.Errorf("account: reauthenticate: %w", err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionReauth})
	return nil
}

// RequireRecentAuth returns sesame.ErrReauthenticationRequired unless the
// signed-in user proved who they are in this session within ReauthWindow:
// they signed in then (with their password, or with a passkey alone,
// which is a full authentication), or entered their password again
// (Reauthenticate). An operator needs none.
func (s *Service) RequireRecentAuth(ctx context.Context) error {
	if sesame.ActorFrom(ctx).Operator != "" {
		return nil
	}
	if _, err := signedIn(ctx); err != nil {
		return err
	}
	sess, ok := s.sessions.FromContext(ctx)
	if !ok || s.now().Sub(sess.AuthenticatedAt) > ReauthWindow {
		return sesame.ErrReauthenticationRequired
	}
	return nil
}

// ChangePassword replaces the signed-in user's password with next, once
// current proves it is really them, renews this session's token and ends
// every other session of the user: whoever knew the old password, or held
// another session, is out (CONTRACT §6).
//
// Its answers: sesame.ErrUnauthenticated without a signed-in user; a
// *sesame.RateLimitError when throttled (nothing checked or counted); a
// *sesame.InvalidError naming "current_password" when it is blank or wrong
// and/or "new_password" when the policy refuses next or it equals current;
// nil once it is done. A wrong current password counts as a failed login.
// Success and failure are audited as password.change.
//
// The other sessions end before the new password is stored, so that if that
// fails the password stays as it was and no old session lives beside a new
// password; and once more after, for any session begun with the old
// password in between.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	user, err := signedIn(ctx)
	if err != nil {
		return err
	}
	if err := s.auth.CheckPassword(ctx, "current_password", current, sesame.ActionPasswordChange,
		"wrong current password"); err != nil {
		var inv *sesame.InvalidError
		switch {
		case errors.Is(err, sesame.ErrBadCredentials):
			inv = sesame.Invalid("current_password", "is not your current password")
		case !errors.As(err, &inv):
			return err
		}
		// Say what else is wrong with the form at once, so that the user
		// does not fix one field only to be refused for the other.
		if why := auth.PasswordRefusal(next, current); why != "" {
			inv.Add("new_password", why)
		}
		return inv
	}
	hash, err := s.auth.NewPasswordHash(ctx, "new_password", next, current)
	if err != nil {
		var inv *sesame.InvalidError
		if errors.As(err, &inv) {
			s.record(ctx, sesame.Event{Action: sesame.ActionPasswordChange, Outcome: sesame.OutcomeFailure,
				Detail: "new password refused: " + inv.Fields["new_password"]})
		}
		return err
	}
	const why = ", on password change"
	if err := s.endSessions(ctx, user.ID, user.Username, sesame.ActorFrom(ctx).SessionID, why); err != nil {
		return err
	}
	if err := s.users.SetPassword(ctx, user.ID, hash); err != nil {
		return fmt.Errorf("account: change password: %w", err)
	}
	sess, err := s.sessions.Renew(ctx)
	if err != nil {
		return fmt.Errorf("account: change password: %w", err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionPasswordChange})
	return s.endSessions(ctx, user.ID, user.Username, sess.ID, why)
}

// A session records, at sign-in, what every request needs to know of its
// user: name, roles, permissions and the generation of the account. It is
// read on every request, so it is a compact binary record rather than
// JSON, which cost more to decode than the rest of the session check: a
// version byte, the generation as a varint, then the name, the roles and
// the permissions as length-prefixed strings, each list after its length;
// from version 2 on, the factors the user signed in with (CONTRACT §9) as
// one more list. A version 1 record, from before second factors, stands
// for a password alone.
const (
	snapshotV1      = 1
	snapshotVersion = 2
)

func snapshot(u *sesame.User, factors []sesame.Factor) ([]byte, error) {
	b := make([]byte, 0, 80)
	b = append(b, snapshotVersion)
	b = binary.AppendVarint(b, u.Generation)
	b = appendString(b, u.Username)
	b = binary.AppendUvarint(b, uint64(len(u.Roles)))
	for _, r := range u.Roles {
		b = appendString(b, r)
	}
	b = binary.AppendUvarint(b, uint64(len(u.Permissions)))
	for _, p := range u.Permissions {
		b = appendString(b, string(p))
	}
	b = binary.AppendUvarint(b, uint64(len(factors)))
	for _, f := range factors {
		b = appendString(b, string(f))
	}
	if len(b) > session.MaxDataLen {
		return nil, fmt.Errorf("account: user %d: %d bytes of session data, at most %d", u.ID, len(b), session.MaxDataLen)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// snapshotReader reads a snapshot, remembering the first thing wrong.
type snapshotReader struct {
	b   []byte
	bad bool
}

func (r *snapshotReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapshotReader) string() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// list reads a count and that many strings, refusing a count that the rest
// of the record cannot hold.
func (r *snapshotReader) list() []string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, r.string())
	}
	return out
}

// ErrNoSnapshot says that a session records nothing of its user (it was
// begun by an earlier version of sesame): the caller loads the user from
// the store instead.
var ErrNoSnapshot = errors.New("account: the session records nothing of its user")

// UserOf returns the user of s as its session recorded them at sign-in,
// without a PasswordHash: what the front ends put in the request's actor.
// A session that records nothing is ErrNoSnapshot; one whose record cannot
// be read, an error.
func UserOf(s session.Session) (*sesame.User, error) {
	u, _, err := readSnapshot(s)
	return u, err
}

// FactorsOf returns the factors the user of s used to begin it, and so the
// session's assurance: sesame.AssuranceOf(FactorsOf(s)). A session that
// records none, or that cannot be read, stands for a password alone.
func FactorsOf(s session.Session) []sesame.Factor {
	_, f, err := readSnapshot(s)
	if err != nil || len(f) == 0 {
		return []sesame.Factor{sesame.FactorPassword}
	}
	return f
}

func readSnapshot(s session.Session) (*sesame.User, []sesame.Factor, error) {
	id, err := userID(s)
	if err != nil {
		return nil, nil, fmt.Errorf("account: session of user %q: %w", s.UserID, err)
	}
	if len(s.Data) == 0 {
		return nil, nil, ErrNoSnapshot
	}
	u := &sesame.User{ID: id}
	r := snapshotReader{b: s.Data[1:]}
	gen, n := binary.Varint(r.b)
	version := s.Data[0]
	if version != snapshotVersion && version != snapshotV1 || n <= 0 {
		return nil, nil, fmt.Errorf("account: session %s: unreadable record of its user", s.ID)
	}
	r.b = r.b[n:]
	u.Generation = gen
	u.Username = r.string()
	u.Roles = r.list()
	perms := r.list()
	factors := []sesame.Factor{sesame.FactorPassword}
	if version >= 2 {
		names := r.list()
		factors = make([]sesame.Factor, len(names))
		for i, f := range names {
			factors[i] = sesame.Factor(f)
		}
	}
	if r.bad || len(r.b) != 0 {
		return nil, nil, fmt.Errorf("account: session %s: unreadable record of its user", s.ID)
	}
	u.Permissions = make([]sesame.Permission, len(perms))
	for i, p := range perms {
		u.Permissions[i] = sesame.Permission(p)
	}
	return u, factors, nil
}

// loginOptions are the options of a new session.
func loginOptions(remember bool, data []byte) session.LoginOptions {
	return session.LoginOptions{Remember: remember, Data: data}
}
