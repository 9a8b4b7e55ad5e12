package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/clip"
)

// The changes an admin makes to other users are sensitive (CONTRACT §7):
// each needs the admin permission and a password entered within
// ReauthWindow, and each is audited with the admin as actor and the user as
// target. Those that change what a user may do (roles, password, disabled)
// end every session of the user at once (CONTRACT §6), so that the user
// signs in again with a new id and what they now may do. The command line
// makes the same changes as an operator (sesame.OperatorCLI).

// adminChange allows a sensitive admin change: the admin permission, then
// a recent password.
func (s *Service) adminChange(ctx context.Context) error {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return err
	}
	return s.RequireRecentAuth(ctx)
}

// Users returns every user, by id, for an admin or an operator, and the
// cursor of what follows.
func (s *Service) Users(ctx context.Context, p sesame.Paging) ([]sesame.User, string, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, "", err
	}
	users, next, err := s.users.Users(ctx, p.Bounded())
	if err != nil {
		return nil, "", fmt.Errorf("account: users: %w", err)
	}
	for i := range users {
		users[i].PasswordHash = ""
	}
	return users, next, nil
}

// User returns user id, for an admin or an operator.
func (s *Service) User(ctx context.Context, id int64) (*sesame.User, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, err
	}
	return s.user(ctx, id)
}

// UserNamed returns the user called username (in any case), for an admin or
// an operator.
func (s *Service) UserNamed(ctx context.Context, username string) (*sesame.User, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, err
	}
	u, err := s.users.UserByUsername(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("account: user %q: %w", username, err)
	}
	u.PasswordHash = ""
	return u, nil
}

func (s *Service) user(ctx context.Context, id int64) (*sesame.User, error) {
	u, err := s.users.UserByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("account: user %d: %w", id, err)
	}
	u.PasswordHash = ""
	return u, nil
}

// Roles returns the roles a user may be given, by name.
func (s *Service) Roles(ctx context.Context) ([]sesame.Role, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, err
	}
	roles, err := s.users.Roles(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: roles: %w", err)
	}
	return roles, nil
}

// CreateUser adds a user with password and roles. The username is 3 to 64
// letters, digits, dots, dashes and underscores, starting with a letter or
// digit; a taken one (in any case) is sesame.ErrConflict. The password
// follows the policy; every role must exist.
func (s *Service) CreateUser(ctx context.Context, username, password string, roles []string) (*sesame.User, error) {
	if err := s.adminChange(ctx); err != nil {
		return nil, err
	}
	inv := new(sesame.InvalidError)
	if why := usernameRefusal(username); why != "" {
		inv.Add("username", why)
	}
	if why := auth.PasswordRefusal(password, ""); why != "" {
		inv.Add("password", why)
	}
	roles, err := s.checkRoles(ctx, inv, roles)
	if err != nil {
		return nil, err
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	hash, err := s.auth.NewPasswordHash(ctx, "password", password, "")
	if err != nil {
		return nil, err
	}
	u, err := s.users.CreateUser(ctx, username, hash, roles, s.now())
	if errors.Is(err, sesame.ErrConflict) {
		return nil, fmt.Errorf("username %q: %w", username, ErrUsernameTaken)
	}
	if err != nil {
		return nil, fmt.Errorf("account: create user: %w", err)
	}
	u.PasswordHash = ""
	s.record(ctx, sesame.Event{Action: sesame.ActionUserCreate, TargetID: u.ID, TargetName: u.Username,
		Detail: "roles " + strings.Join(u.Roles, ",")})
	return u, nil
}

// ErrUsernameTaken refuses a new user whose name another has, in any case.
var ErrUsernameTaken = fmt.Errorf("%w: that username is taken", sesame.ErrConflict)

// SetRoles replaces the roles of user id and ends every session of theirs.
func (s *Service) SetRoles(ctx context.Context, id int64, roles []string) (*sesame.User, error) {
	if err := s.adminChange(ctx); err != nil {
		return nil, err
	}
	inv := new(sesame.InvalidError)
	roles, err := s.checkRoles(ctx, inv, roles)
	if err != nil {
		return nil, err
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	before, err := s.user(ctx, id)
	if err != nil {
		return nil, err
	}
	u, err := s.users.SetRoles(ctx, id, roles)
	if err != nil {
		return nil, fmt.Errorf("account: set roles of user %d: %w", id, err)
	}
	u.PasswordHash = ""
	s.record(ctx, sesame.Event{Action: sesame.ActionUserRoles, TargetID: u.ID, TargetName: u.Username,
		Detail: fmt.Sprintf("roles %s → %s", strings.Join(before.Roles, ","), strings.Join(u.Roles, ","))})
	if _, err := s.endAllOf(ctx, u, ", on a change of roles"); err != nil {
		return nil, err
	}
	return u, nil
}

// ResetPassword gives user id a new password and ends every session of
// theirs. The sessions end before the new password is stored as well as
// after, as in ChangePassword.
func (s *Service) ResetPassword(ctx context.Context, id int64, password string) error {
	if err := s.adminChange(ctx); err != nil {
		return err
	}
	u, err := s.user(ctx, id)
	if err != nil {
		return err
	}
	hash, err := s.auth.NewPasswordHash(ctx, "password", password, "")
	if err != nil {
		return err
	}
	const why = ", on a password reset"
	if _, err := s.endAllOf(ctx, u, why); err != nil {
		return err
	}
	if err := s.users.SetPassword(ctx, id, hash); err != nil {
		return fmt.Errorf("account: reset password of user %d: %w", id, err)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionUserPassword, TargetID: u.ID, TargetName: u.Username})
	_, err = s.endAllOf(ctx, u, why)
	return err
}

// SetDisabled disables user id, ending every session of theirs, or enables
// them again. An admin cannot disable themselves: nobody could undo it from
// the pages.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) (*sesame.User, error) {
	if err := s.adminChange(ctx); err != nil {
		return nil, err
	}
	if me := sesame.ActorFrom(ctx).User; disabled && me != nil && me.ID == id {
		return nil, sesame.Invalid("disabled", "you cannot disable your own account")
	}
	u, err := s.users.SetDisabled(ctx, id, disabled)
	if err != nil {
		return nil, fmt.Errorf("account: set disabled of user %d: %w", id, err)
	}
	u.PasswordHash = ""
	action := sesame.ActionUserEnable
	if disabled {
		action = sesame.ActionUserDisable
	}
	s.record(ctx, sesame.Event{Action: action, TargetID: u.ID, TargetName: u.Username})
	if disabled {
		if _, err := s.endAllOf(ctx, u, ", on disabling the account"); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// checkRoles refuses, in inv, roles that are missing or unknown, and
// returns them sorted and without repeats.
func (s *Service) checkRoles(ctx context.Context, inv *sesame.InvalidError, roles []string) ([]string, error) {
	known, err := s.users.Roles(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: roles: %w", err)
	}
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	for _, r := range roles {
		if !slices.ContainsFunc(known, func(k sesame.Role) bool { return k.Name == r }) {
			inv.Add("roles", fmt.Sprintf("there is no role %q", clip.String(r, 64)))
		}
	}
	return roles, nil
}

// usernameRefusal returns why name cannot be a new username, or "".
func usernameRefusal(name string) string {
	switch {
	case len(name) < 3 || len(name) > clip.Username:
		return fmt.Sprintf("must be 3 to %d characters", clip.Username)
	case strings.EqualFold(name, sesame.OperatorCLI):
		return "is reserved"
	case !isAlnum(name[0]):
		return "must start with a letter or a digit"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '-' && c != '_' {
			return "may hold only letters, digits, dots, dashes and underscores"
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
