package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// PendingLifetime is how long the second step of a sign-in may wait after
// the password (CONTRACT §9).
const PendingLifetime = 5 * time.Minute

// SecondFactorRequired is SignIn's answer for a user with a second factor
// whose password was right: no session yet, only a pending sign-in that
// Token names and SignInSecondFactor finishes. Token authenticates
// nothing on its own; the server keeps only its hash. It matches nothing
// of sesame's errors, so a front end that does not know it fails closed.
type SecondFactorRequired struct {
	Token     string
	Methods   []sesame.Factor // what may finish it
	ExpiresAt time.Time
}

func (e *SecondFactorRequired) Error() string { return "account: a second factor is required" }

// pendingHash is the hash a pending token is kept and found by.
func pendingHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// needSecondFactor returns a *SecondFactorRequired, with a new pending
// sign-in stored for it, when user has a second factor; nil when a
// password is all they have.
func (s *Service) needSecondFactor(ctx context.Context, user *sesame.User, remember bool) error {
	methods, err := s.secondFactors(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("account: sign in: %w", err)
	}
	if len(methods) == 0 {
		return nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	p := PendingSignIn{Hash: pendingHash(token), UserID: user.ID, Generation: user.Generation, Remember: remember,
		ExpiresAt: s.now().Add(PendingLifetime)}
	if err := s.users.CreatePendingSignIn(ctx, p); err != nil {
		return fmt.Errorf("account: sign in: %w", err)
	}
	return &SecondFactorRequired{Token: token, Methods: methods, ExpiresAt: p.ExpiresAt}
}

// secondFactors returns the second factors of user id that can finish a
// sign-in here: a confirmed authenticator app, and passkeys when this
// server has a relying party to check them.
func (s *Service) secondFactors(ctx context.Context, userID int64) ([]sesame.Factor, error) {
	var out []sesame.Factor
	f, err := s.users.TOTP(ctx, userID)
	switch {
	case err == nil && f.Confirmed:
		out = append(out, sesame.FactorTOTP)
	case err != nil && !errors.Is(err, sesame.ErrNotFound):
		return nil, err
	}
	if s.webauthn != nil {
		n, err := s.users.PasskeyCounts(ctx, []int64{userID})
		if err != nil {
			return nil, err
		}
		if n[userID] > 0 {
			out = append(out, sesame.FactorPasskey)
		}
	}
	return out, nil
}

// SignInSecondFactor finishes the pending sign-in that token names with
// a code from the user's authenticator app, or one of their recovery codes
// (exactly one of the two), and starts the session as SignIn does: a new
// id, recording both factors (aal2).
//
// It answers the signed-in user and the new session. A token that names no live pending sign-in (never, expired, used, or
// voided by a change of the account since) is sesame.ErrUnauthenticated:
// sign in again. A wrong, replayed or used code is sesame.ErrBadSecondFactor,
// throttled and counted like a wrong password (auth.CheckSecondFactor),
// and leaves the pending sign-in for another try. Each code's time step
// is accepted once, across instances, and each recovery code once.
func (s *Service) SignInSecondFactor(ctx context.Context, token, code, recoveryCode string) (*sesame.User, session.Session, error) {
	inv := new(sesame.InvalidError)
	switch {
	case code == "" && recoveryCode == "":
		inv.Add("code", "is required (or a recovery_code)")
	case code != "" && recoveryCode != "":
		inv.Add("recovery_code", "give a code or a recovery code, not both")
	case code != "":
		var err error
		if code, err = totpCode("code", code); err != nil {
			return nil, session.Session{}, err
		}
	}
	if err := inv.Err(); err != nil {
		return nil, session.Session{}, err
	}
	factor := sesame.FactorTOTP
	if recoveryCode != "" {
		factor = sesame.FactorRecoveryCode
	}
	return s.secondStep(ctx, token, factor, func(ctx context.Context, user *sesame.User) (bool, error) {
		if factor == sesame.FactorRecoveryCode {
			return s.users.UseRecoveryCode(ctx, user.ID, recoveryHash(recoveryCode), s.now())
		}
		f, secret, err := s.totpSecret(ctx, user.ID)
		if errors.Is(err, sesame.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		step, ok := matchTOTP(secret, code, s.now())
		if !ok || !f.Confirmed {
			return false, nil
		}
		return s.users.UseTOTPStep(ctx, user.ID, step)
	})
}

// secondStep finishes the pending sign-in that token names when check,
// throttled and counted, accepts the user's factor.
func (s *Service) secondStep(ctx context.Context, token string, factor sesame.Factor,
	check func(ctx context.Context, user *sesame.User) (bool, error)) (*sesame.User, session.Session, error) {
	user, p, err := s.pendingUser(ctx, token)
	if err != nil {
		return nil, session.Session{}, err
	}
	a := *sesame.ActorFrom(ctx)
	a.User = user
	ctx = sesame.NewContext(ctx, &a)
	err = s.auth.CheckSecondFactor(ctx, user, sesame.ActionSecondFactor, "wrong, used or replayed "+string(factor),
		func(ctx context.Context) (bool, error) { return check(ctx, user) })
	if err != nil {
		return nil, session.Session{}, err
	}
	// Single use: of two requests that got this far with one pending
	// sign-in, only the one that deletes it goes on.
	if ok, err := s.users.DeletePendingSignIn(ctx, p.Hash); err != nil {
		return nil, session.Session{}, fmt.Errorf("account: second factor: %w", err)
	} else if !ok {
		return nil, session.Session{}, sesame.ErrUnauthenticated
	}
	return s.start(ctx, user, p.Remember, []sesame.Factor{sesame.FactorPassword, factor}, "with "+string(factor))
}

// pendingUser returns the live pending sign-in that token names and its
// user, or sesame.ErrUnauthenticated: none (never, expired, used), or one
// voided by a change of the account since, which it deletes.
func (s *Service) pendingUser(ctx context.Context, token string) (*sesame.User, *PendingSignIn, error) {
	if token == "" {
		return nil, nil, sesame.ErrUnauthenticated
	}
	hash := pendingHash(token)
	p, err := s.users.PendingSignIn(ctx, hash, s.now())
	if errors.Is(err, sesame.ErrNotFound) {
		return nil, nil, sesame.ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, fmt.Errorf("account: second factor: %w", err)
	}
	user, err := s.auth.User(ctx, p.UserID)
	if err != nil && !errors.Is(err, sesame.ErrNotFound) {
		return nil, nil, err
	}
	if err != nil || user.Disabled || user.Generation != p.Generation {
		// The account changed since the password was checked: roles,
		// password or disabled. Begin again from the password.
		if _, err := s.users.DeletePendingSignIn(ctx, hash); err != nil {
			return nil, nil, fmt.Errorf("account: second factor: %w", err)
		}
		return nil, nil, sesame.ErrUnauthenticated
	}
	return user, p, nil
}

// PrunePendingSignIns deletes the pending sign-ins that have expired, at
// the service's clock, and returns how many went.
func (s *Service) PrunePendingSignIns(ctx context.Context) (int, error) {
	n, err := s.users.DeleteExpiredPendingSignIns(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("account: prune pending sign-ins: %w", err)
	}
	return n, nil
}
