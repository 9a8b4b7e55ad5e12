package account

import (
	"context"
	"fmt"

	"github.com/sesamehq/sesame"
)

// TOTPUsers returns which of users have an authenticator app set up, by
// id, for an admin's list of users.
func (s *Service) TOTPUsers(ctx context.Context, users []sesame.User) (map[int64]bool, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	m, err := s.users.TOTPUsers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("account: totp users: %w", err)
	}
	return m, nil
}

// RemoveTOTP removes the authenticator app and recovery codes of user id,
// for a user who lost both: an admin's change, so it needs a recent
// password and is audited with the user as its target. The user's
// sessions are left alone (end them with RevokeUserSessions when the
// phone may be in the wrong hands); their next sign-in needs the password
// only, or under --require-second-factor sends them to set up a new app.
// A user without one matches sesame.ErrNotFound.
func (s *Service) RemoveTOTP(ctx context.Context, id int64) error {
	if err := s.adminChange(ctx); err != nil {
		return err
	}
	u, err := s.user(ctx, id)
	if err != nil {
		return err
	}
	ok, err := s.users.DeleteTOTP(ctx, id)
	if err != nil {
		return fmt.Errorf("account: remove totp of user %d: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("account: user %d has no authenticator app: %w", id, sesame.ErrNotFound)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionUserTOTPRemove, TargetID: u.ID, TargetName: u.Username})
	return nil
}
