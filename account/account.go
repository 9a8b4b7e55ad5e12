// Package account holds the rules of sessions and accounts that every front
// end shares: signing in and out, ending one, all or the other sessions,
// changing a password and renewing the session with it, re-authentication
// for sensitive changes, and an admin's (or the command line's) changes to
// other users, each of which ends that user's sessions.
//
// It sits over the session Manager, the auth service and the audit log. The
// pages, the JSON API, the admin pages and the command line all call it, so
// that none of them can forget a rule; they keep only what needs a request
// and a response (the Manager's Middleware sends the cookies).
//
// What a session needs to know of its user on every request (name, roles,
// permissions) is recorded in the session at sign-in (UserOf reads it back),
// so that a request costs one read of the session store and none of the
// user store. That record cannot go stale: every change of roles, of the
// password or of the disabled flag ends the user's sessions, and a sign-in
// that raced such a change is undone (see SignIn).
package account

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/secretbox"
	"github.com/sesamehq/sesame/session"
)

// ReauthWindow is how recently a user must have entered their password for
// a sensitive change (CONTRACT §7): at sign-in or through Reauthenticate.
const ReauthWindow = 10 * time.Minute

// Store is what the account service needs of the user data. The sqlite and
// postgres packages implement it, and package datatest checks them.
//
// Every change that ends a user's sessions (SetRoles, SetPassword, and
// SetDisabled when it disables) increments the user's Generation in the
// same write; enabling ends no session and keeps it. Usernames compare
// without regard to ASCII case only (Unicode case folding differs between
// databases). Writes to an unknown user id, and roles that do not exist,
// match sesame.ErrNotFound. Lists are never nil; times come back in UTC.
type Store interface {
	// UserByID and UserByUsername return the user with their roles and
	// permissions, or an error matching sesame.ErrNotFound. Usernames are
	// compared without regard to case.
	UserByID(ctx context.Context, id int64) (*sesame.User, error)
	UserByUsername(ctx context.Context, username string) (*sesame.User, error)
	// Users returns every user, by id, at most p.Limit after p.Cursor, and
	// the cursor of what follows ("" at the end).
	Users(ctx context.Context, p sesame.Paging) ([]sesame.User, string, error)
	// CreateUser adds a user holding roles, created at at, all or nothing,
	// and returns it. A taken username (in any case) matches
	// sesame.ErrConflict.
	CreateUser(ctx context.Context, username, passwordHash string, roles []string, at time.Time) (*sesame.User, error)
	// SetRoles replaces the roles of user id and returns the user.
	SetRoles(ctx context.Context, id int64, roles []string) (*sesame.User, error)
	// SetPassword replaces the password hash of user id.
	SetPassword(ctx context.Context, id int64, passwordHash string) error
	// SetDisabled disables or enables user id and returns the user.
	SetDisabled(ctx context.Context, id int64, disabled bool) (*sesame.User, error)
	// Roles returns every role with its permissions, by name.
	Roles(ctx context.Context) ([]sesame.Role, error)

	FactorStore
}

// Config is what a Service is built from. Every field but Now and Logger is
// required.
type Config struct {
	Sessions *session.Manager
	Auth     *auth.Service
	Audit    *audit.Log
	Users    Store
	// Now is the clock that judges re-authentication; nil means time.Now.
	Now func() time.Time
	// Logger receives failures that stop nothing; nil means slog.Default().
	Logger *slog.Logger
	// Secrets seals the TOTP secrets at rest; nil turns TOTP off (see
	// ErrNoSecretKey).
	Secrets *secretbox.Box
	// WebAuthn is the relying party that checks passkeys: its id and the
	// origins it accepts answers from. Nil turns passkeys off (see
	// ErrNoPasskeys).
	WebAuthn *webauthn.WebAuthn
	// RequireSecondFactor names the roles whose users must use a second
	// factor (see SecondFactorRequired); it needs Secrets or WebAuthn.
	RequireSecondFactor []string
}

// Service applies the rules. It is safe for concurrent use. Build it with
// New.
type Service struct {
	sessions *session.Manager
	auth     *auth.Service
	audit    *audit.Log
	users    Store
	now      func() time.Time
	logger   *slog.Logger
	secrets  *secretbox.Box
	webauthn *webauthn.WebAuthn

	requireRoles []string
}

// New returns the Service of cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Sessions == nil || cfg.Auth == nil || cfg.Audit == nil || cfg.Users == nil {
		return nil, errors.New("account: Config.Sessions, Auth, Audit and Users are required")
	}
	if len(cfg.RequireSecondFactor) > 0 && cfg.Secrets == nil && cfg.WebAuthn == nil {
		return nil, errors.New("account: Config.RequireSecondFactor needs Secrets or WebAuthn: no second factor works without them")
	}
	s := &Service{sessions: cfg.Sessions, auth: cfg.Auth, audit: cfg.Audit, users: cfg.Users, now: cfg.Now, logger: cfg.Logger,
		secrets: cfg.Secrets, webauthn: cfg.WebAuthn, requireRoles: cfg.RequireSecondFactor}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s, nil
}

// signedIn returns the signed-in actor's user, or sesame.ErrUnauthenticated.
func signedIn(ctx context.Context) (*sesame.User, error) {
	if u := sesame.ActorFrom(ctx).User; u != nil {
		return u, nil
	}
	return nil, sesame.ErrUnauthenticated
}

// sessionUser and userID convert between the user ids of the domain and
// the opaque strings by which the session package knows users.
func sessionUser(id int64) string { return strconv.FormatInt(id, 10) }

func userID(s session.Session) (int64, error) { return strconv.ParseInt(s.UserID, 10, 64) }

// record audits e in ctx.
func (s *Service) record(ctx context.Context, e sesame.Event) {
	if e.Outcome == "" {
		e.Outcome = sesame.OutcomeSuccess
	}
	s.audit.Record(ctx, e)
}
