package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/session"
)

// BeginPasskeySignIn begins a sign-in with a passkey alone: the options for
// the browser's navigator.credentials.get, which SignInWithPasskey answers
// within CeremonyLifetime. The browser offers whichever of this site's
// passkeys the user picks (a discoverable credential names its user), and
// the user must verify themselves to the device (a PIN or biometric): that
// and the device make two factors.
func (s *Service) BeginPasskeySignIn(ctx context.Context) (*protocol.CredentialAssertion, error) {
	if s.webauthn == nil {
		return nil, ErrNoPasskeys
	}
	assertion, sd, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("account: begin passkey sign-in: %w", err)
	}
	if err := s.beginCeremony(ctx, CeremonySignIn, 0, sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// SignInWithPasskey checks the browser's answer (the JSON of the
// PublicKeyCredential that navigator.credentials.get gave) to the sign-in
// that BeginPasskeySignIn began and, when it holds, starts a session as
// SignIn does: a new id, recording the passkey as its factor (aal2).
//
// An answer that is not one is an *sesame.InvalidError for "credential".
// One that answers no sign-in begun here, or that the checks refuse (an
// unknown passkey, another origin, no user verification, a signature that
// does not hold, a signature counter gone back as a cloned passkey's would)
// or a disabled user's, is sesame.ErrBadPasskey, audited as a failed
// login, and counted against the client's address (auth.
// CheckPasskeySignIn), which past its limit gets a *sesame.RateLimitError.
// Each sign-in begun is answered once.
func (s *Service) SignInWithPasskey(ctx context.Context, credential []byte, remember bool) (*sesame.User, session.Session, error) {
	if s.webauthn == nil {
		return nil, session.Session{}, ErrNoPasskeys
	}
	parsed, err := parseAssertion(credential)
	if err != nil {
		return nil, session.Session{}, err
	}
	var (
		wu  *waUser
		key *Passkey
		why string // of a refusal
	)
	ok, err := s.auth.CheckPasskeySignIn(ctx, func(ctx context.Context) (bool, error) {
		var err error
		wu, key, why, err = s.checkPasskeySignIn(ctx, parsed)
		return why == "", err
	})
	if err != nil && why == "" {
		return nil, session.Session{}, err
	}
	if !ok {
		e := sesame.Event{Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure, Detail: "passkey: " + why}
		if wu != nil {
			e.UserID, e.Username = wu.user.ID, wu.user.Username
		}
		s.record(ctx, e)
		return nil, session.Session{}, sesame.ErrBadPasskey
	}
	user := wu.user
	at, err := s.auth.SignedIn(ctx, user.ID)
	if err != nil {
		return nil, session.Session{}, err
	}
	user.LastLoginAt = at
	return s.start(ctx, user, remember, []sesame.Factor{sesame.FactorPasskey}, "with passkey "+key.Name)
}

// checkPasskeySignIn checks an answer to a sign-in with a passkey alone and,
// when it holds, records the passkey's use. It returns the user the answer
// names (when it names one) and the passkey, and why it is refused ("" when
// it is not); err is a failure of a store, apart from a refusal.
func (s *Service) checkPasskeySignIn(ctx context.Context, parsed *protocol.ParsedCredentialAssertionData) (*waUser, *Passkey, string, error) {
	sd, err := s.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, CeremonySignIn, 0)
	if errors.Is(err, errNoCeremony) {
		return nil, nil, err.Error(), nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	// The library asks for the user that the answer's user handle names;
	// a store's failure there is kept apart from a refusal.
	var wu *waUser
	var lookupErr error
	byHandle := func(_, handle []byte) (webauthn.User, error) {
		id, ok := userOfHandle(handle)
		if !ok {
			return nil, errors.New("the user handle names no user")
		}
		user, err := s.auth.User(ctx, id)
		if err != nil {
			if !errors.Is(err, sesame.ErrNotFound) {
				lookupErr = err
			}
			return nil, err
		}
		if wu, err = s.webAuthnUser(ctx, user); err != nil {
			lookupErr = err
			return nil, err
		}
		return wu, nil
	}
	_, cred, err := s.webauthn.ValidatePasskeyLogin(byHandle, *sd, parsed)
	switch {
	case lookupErr != nil:
		return nil, nil, "", lookupErr
	case err != nil:
		return wu, nil, refusal(err), nil
	case wu.user.Disabled:
		return wu, nil, "account disabled", nil
	}
	key, err := s.usePasskey(ctx, wu, cred)
	if errors.Is(err, errCopiedPasskey) {
		return wu, nil, err.Error(), nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	return wu, key, "", nil
}

// parseAssertion reads the browser's answer to a sign-in ceremony.
func parseAssertion(credential []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(credential) == 0 {
		return nil, noCredential()
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, sesame.Invalid("credential", "is not a passkey's answer: "+refusal(err))
	}
	return parsed, nil
}

// noCredential refuses a form whose credential the browser did not fill
// in.
func noCredential() error {
	return sesame.Invalid("credential", "is required: the browser gives it (passkeys need JavaScript)")
}

// errCopiedPasskey refuses a passkey whose signature counter did not go
// up (when it keeps one): a sign of a copy of the key.
var errCopiedPasskey = errors.New("its signature counter went back: a copy of the passkey?")

// usePasskey records that cred, checked, signed wu in: its new signature
// counter. A counter gone back is errCopiedPasskey (with the passkey's
// name), and nothing is
// recorded, so that the genuine key keeps working and the copy keeps
// failing.
func (s *Service) usePasskey(ctx context.Context, wu *waUser, cred *webauthn.Credential) (*Passkey, error) {
	key, ok := wu.passkey(cred.ID)
	if !ok { // the library checked that the user owns cred
		return nil, fmt.Errorf("account: passkey of user %d vanished: %w", wu.user.ID, sesame.ErrNotFound)
	}
	if cred.Authenticator.CloneWarning {
		return nil, fmt.Errorf("%q: %w", key.Name, errCopiedPasskey)
	}
	enc, err := encodeCredential(cred)
	if err != nil {
		return nil, err
	}
	if err := s.users.UsePasskey(ctx, key.ID, enc, s.now()); err != nil {
		return nil, fmt.Errorf("account: use passkey %d: %w", key.ID, err)
	}
	return key, nil
}

// BeginPasskeySecondFactor begins the second step, with a passkey, of the
// pending sign-in that token names: the options for the browser's
// navigator.credentials.get, offering the user's passkeys, which
// SignInSecondFactorPasskey answers. A token that names no live pending
// sign-in is sesame.ErrUnauthenticated; a user without passkeys matches
// sesame.ErrNotFound.
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, token string) (*protocol.CredentialAssertion, error) {
	if s.webauthn == nil {
		return nil, ErrNoPasskeys
	}
	user, _, err := s.pendingUser(ctx, token)
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(ctx, user)
	if err != nil {
		return nil, err
	}
	if len(wu.keys) == 0 {
		return nil, fmt.Errorf("account: user %d has no passkey: %w", user.ID, sesame.ErrNotFound)
	}
	// The password was the first factor: the device alone is the second,
	// so it need not ask for a PIN as well.
	assertion, sd, err := s.webauthn.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return nil, fmt.Errorf("account: begin passkey second factor: %w", err)
	}
	if err := s.beginCeremony(ctx, CeremonySecondFactor, user.ID, sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// SignInSecondFactorPasskey finishes the pending sign-in that token names
// with the browser's answer to BeginPasskeySecondFactor, as
// SignInSecondFactor does with a code: a refused answer is
// sesame.ErrBadSecondFactor, throttled and counted like a wrong code. The
// session records the password and the passkey (aal2).
func (s *Service) SignInSecondFactorPasskey(ctx context.Context, token string, credential []byte) (*sesame.User, session.Session, error) {
	if s.webauthn == nil {
		return nil, session.Session{}, ErrNoPasskeys
	}
	parsed, err := parseAssertion(credential)
	if err != nil {
		return nil, session.Session{}, err
	}
	user, sess, err := s.secondStep(ctx, token, sesame.FactorPasskey, func(ctx context.Context, user *sesame.User) (bool, error) {
		sd, err := s.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, CeremonySecondFactor, user.ID)
		if errors.Is(err, errNoCeremony) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		wu, err := s.webAuthnUser(ctx, user)
		if err != nil {
			return false, err
		}
		cred, err := s.webauthn.ValidateLogin(wu, *sd, parsed)
		if err != nil {
			return false, nil
		}
		if _, err := s.usePasskey(ctx, wu, cred); errors.Is(err, errCopiedPasskey) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		return true, nil
	})
	if errors.Is(err, sesame.ErrBadSecondFactor) {
		err = fmt.Errorf("%w (%w)", sesame.ErrBadPasskey, err)
	}
	return user, sess, err
}
