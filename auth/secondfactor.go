package auth

import (
	"context"
	"fmt"

	"github.com/sesamehq/sesame"
)

// secondFactorKey is the throttle key of the second factor of username.
// It has a counter of its own, apart from the password's: a password
// success clears the password's run of failures, so sharing one would let
// whoever knows the password reset the code counter by signing in again
// between guesses. The prefix holds a ':', which no username may, so the
// key is no one's name.
func secondFactorKey(username string) string { return "2fa:" + throttleKey(username) }

// CheckSecondFactor throttles, counts and audits one try at a second factor
// (a one-time or recovery code) of user, for a client at the actor's
// address, exactly as Login treats passwords (CONTRACT §6, §9): a throttled
// try is a *sesame.RateLimitError and check is not called; otherwise the
// try is counted first, then check runs, and when it reports false the
// failure stays counted, is recorded as a failure of action with detail,
// and the answer is sesame.ErrBadSecondFactor. On success the user's run
// of second-factor failures ends. The six digits of a TOTP code are a
// million guesses; the lock after five wrong ones, doubling to 15 minutes,
// is what makes them too many.
func (s *Service) CheckSecondFactor(ctx context.Context, user *sesame.User, action sesame.Action, detail string,
	check func(ctx context.Context) (bool, error)) error {
	key := secondFactorKey(user.Username)
	unlock, err := s.attempts.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("auth: check second factor: %w", err)
	}
	defer unlock()
	attempt, _, err := s.beginKey(ctx, key)
	if err != nil {
		return err
	}
	ok, err := check(ctx)
	if err != nil {
		return fmt.Errorf("auth: check second factor: %w", err)
	}
	if !ok {
		s.log.Record(ctx, sesame.Event{Action: action, Outcome: sesame.OutcomeFailure, Detail: detail,
			UserID: user.ID, Username: user.Username})
		return sesame.ErrBadSecondFactor
	}
	if err := s.store.SucceedAttempt(ctx, attempt); err != nil {
		return fmt.Errorf("auth: check second factor: %w", err)
	}
	return nil
}

// passkeyKey is the throttle key of passkey sign-ins from the address ip:
// before the answer is checked it names no user, so the address is what a
// run of failures belongs to. Like secondFactorKey, it is no one's name.
func passkeyKey(ip string) string { return "passkey:" + ip }

// CheckPasskeySignIn throttles and counts one try at signing in with a
// passkey alone, for a client at the actor's address: a throttled try is a
// *sesame.RateLimitError and check is not called; otherwise the try is
// counted first, as a failure of the address (towards its limit of
// failures a minute, with passwords) and of a run of its own (5 free, then
// the back-off of a username), and check runs. When it reports false, the
// failure stays counted and the answer is false; the caller audits it, for
// only it knows why. On success the run ends. A signature cannot be
// guessed: what this bounds is the work and the audit lines that a flood
// of made-up answers costs.
func (s *Service) CheckPasskeySignIn(ctx context.Context, check func(ctx context.Context) (bool, error)) (bool, error) {
	key := passkeyKey(ThrottleAddr(sesame.ActorFrom(ctx).IP))
	unlock, err := s.attempts.lock(ctx, key)
	if err != nil {
		return false, fmt.Errorf("auth: check passkey: %w", err)
	}
	defer unlock()
	attempt, _, err := s.beginKey(ctx, key)
	if err != nil {
		return false, err
	}
	ok, err := check(ctx)
	if err != nil || !ok {
		return false, err
	}
	if err := s.store.SucceedAttempt(ctx, attempt); err != nil {
		return false, fmt.Errorf("auth: check passkey: %w", err)
	}
	return true, nil
}
