package account

import (
	"context"
	"fmt"

	"github.com/sesamehq/sesame"
)

// UserFactors returns the second factors of each of users that has one,
// by id, for an admin's list of users.
func (s *Service) UserFactors(ctx context.Context, users []sesame.User) (map[int64][]sesame.Factor, error) {
	if err := s.auth.Authorize(ctx, sesame.PermAdmin); err != nil {
		return nil, err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	totp, err := s.users.TOTPUsers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("account: factors of users: %w", err)
	}
	keys, err := s.users.PasskeyCounts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("account: factors of users: %w", err)
	}
	out := make(map[int64][]sesame.Factor)
	for _, id := range ids {
		if totp[id] {
			out[id] = append(out[id], sesame.FactorTOTP)
		}
		if keys[id] > 0 {
			out[id] = append(out[id], sesame.FactorPasskey)
		}
	}
	return out, nil
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

// RemovePasskeys removes every passkey of user id, for a user who lost
// their devices, as RemoveTOTP does their app, and returns how many went.
// A user without one matches sesame.ErrNotFound.
func (s *Service) RemovePasskeys(ctx context.Context, id int64) (int, error) {
	if err := s.adminChange(ctx); err != nil {
		return 0, err
	}
	u, err := s.user(ctx, id)
	if err != nil {
		return 0, err
	}
	n, err := s.users.DeletePasskeys(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("account: remove passkeys of user %d: %w", id, err)
	}
	if n == 0 {
		return 0, fmt.Errorf("account: user %d has no passkey: %w", id, sesame.ErrNotFound)
	}
	s.record(ctx, sesame.Event{Action: sesame.ActionUserPasskeysRemove, TargetID: u.ID, TargetName: u.Username,
		Detail: fmt.Sprintf("%d passkeys", n)})
	return n, nil
}
