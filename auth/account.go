package auth

import (
	"context"
	"fmt"

	"github.com/sesamehq/sesame"
)

// ChangePassword replaces the signed-in actor's password with next, once
// current proves it is really them (a stolen session alone must not be
// enough to lock the owner out).
//
// It is throttled like a login for the actor's username and address, and a
// wrong current password counts as a failed login: otherwise a stolen
// session would be an unthrottled oracle for guessing the password.
//
// Its answers: sesame.ErrUnauthenticated without a signed-in user; a
// *sesame.RateLimitError when throttled (nothing checked or counted); a
// *sesame.InvalidError naming "current_password" when it is wrong and/or
// "new_password" when the policy (CheckNewPassword) refuses next or it
// equals current; nil once the new hash is stored. Success and failure are
// audited as password.change.
//
// beforeStore, when not nil, runs once every check has passed and just
// before the new hash is stored; if it fails, the password stays as it was.
// The HTTP layer ends the user's other sessions there (CONTRACT §6), so a
// failure cannot leave a new password beside an old session that whoever
// knew the old password may hold.
func (s *Service) ChangePassword(ctx context.Context, current, next string, beforeStore func(context.Context) error) error {
	a := sesame.ActorFrom(ctx)
	if a.User == nil {
		return sesame.ErrUnauthenticated
	}
	if current == "" {
		// No password is empty: this is a form left blank, not a guess, so
		// it is neither checked nor counted, only recorded.
		s.log.Record(ctx, sesame.Event{
			Action:  sesame.ActionPasswordChange,
			Outcome: sesame.OutcomeFailure,
			Detail:  "current password left blank",
		})
		inv := sesame.Invalid("current_password", "is required")
		if why := policyRefusal(current, next); why != "" {
			inv.Add("new_password", why)
		}
		return inv
	}
	key, ip := throttleKey(a.User.Username), ThrottleAddr(a.IP)
	unlock, err := s.attempts.lockAttempt(ctx, key, ip)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	defer unlock()
	now := s.now()
	if err := s.checkThrottle(ctx, key, ip, now); err != nil {
		return err
	}
	// The actor's copy was loaded without its hash; read the stored one.
	user, err := s.store.UserByID(ctx, a.User.ID)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}

	ok, _, err := s.verify(ctx, user, current)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	if !ok {
		err := s.countFailure(ctx, sesame.Event{
			Action:  sesame.ActionPasswordChange,
			Outcome: sesame.OutcomeFailure,
			Detail:  "wrong current password",
		}, key, ip, now)
		if err != nil {
			return err
		}
		inv := sesame.Invalid("current_password", "is not your current password")
		// Say what else is wrong with the form at once, so that the user
		// does not fix one field only to be refused for the other.
		if why := policyRefusal(current, next); why != "" {
			inv.Add("new_password", why)
		}
		return inv
	}
	// Proving the password is a success like a login: it clears the lock.
	if err := s.store.ResetLoginFailures(ctx, key); err != nil {
		return fmt.Errorf("auth: change password: reset failures: %w", err)
	}

	if why := policyRefusal(current, next); why != "" {
		s.log.Record(ctx, sesame.Event{
			Action:  sesame.ActionPasswordChange,
			Outcome: sesame.OutcomeFailure,
			Detail:  "new password refused: " + why,
		})
		return sesame.Invalid("new_password", why)
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	if beforeStore != nil {
		if err := beforeStore(ctx); err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
	}
	if err := s.store.SetPasswordHash(ctx, user.ID, hash); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	s.log.Record(ctx, sesame.Event{
		Action:  sesame.ActionPasswordChange,
		Outcome: sesame.OutcomeSuccess,
	})
	return nil
}

// policyRefusal returns why next may not replace current, or "".
func policyRefusal(current, next string) string {
	if why := passwordRefusal(next); why != "" {
		return why
	}
	if next == current {
		return "must differ from the current one"
	}
	return ""
}
