package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/internal/passkeytest"
	"github.com/sesamehq/sesame/session"
)

// secondStepAnswer begins the passkey step of the pending sign-in token at
// b and returns dev's answer to it, signed at from.
func (b *browser) secondStepAnswer(token string, dev *passkeytest.Authenticator, from string) []byte {
	b.e.t.Helper()
	var opts []byte
	if err := b.call(func(ctx context.Context) error {
		a, err := b.e.acct.BeginPasskeySecondFactor(ctx, token)
		if err == nil {
			opts, err = json.Marshal(a)
		}
		return err
	}); err != nil {
		b.e.t.Fatalf("BeginPasskeySecondFactor: %v", err)
	}
	answer, err := dev.Get(opts, from)
	if err != nil {
		b.e.t.Fatalf("the authenticator refused to sign: %v", err)
	}
	return answer
}

func (b *browser) secondStepPasskey(token string, answer []byte) (session.Session, error) {
	b.e.t.Helper()
	var s session.Session
	err := b.call(func(ctx context.Context) (err error) {
		_, s, err = b.e.acct.SignInSecondFactorPasskey(ctx, token, answer)
		return err
	})
	return s, err
}

// TestPasskeySecondFactor: a user with a passkey signs in with the
// password and then the passkey (no session before), at aal2 with both
// factors; a passkey that is not theirs, or an answer from another origin,
// is refused as a wrong second factor and leaves the pending sign-in for
// another try; five refusals throttle the step as wrong codes do.
func TestPasskeySecondFactor(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	e.user("bob", "customer")
	dev := e.mustRegister("alice", "laptop")
	bobs := e.mustRegister("bob", "phone")

	b := e.browser("192.0.2.1")
	_, _, err := b.signIn("alice", password, false)
	var sf *account.SecondFactorRequired
	if !errors.As(err, &sf) || !slices.Equal(sf.Methods, []sesame.Factor{sesame.FactorPasskey}) {
		t.Fatalf("the password of a user with a passkey: %v; want the passkey asked for", err)
	}
	b.signedIn("after the password alone", nil)
	if _, err := b.secondStepPasskey(sf.Token, b.secondStepAnswer(sf.Token, dev, "http://evil.localhost:5000")); !errors.Is(err, sesame.ErrBadSecondFactor) ||
		!errors.Is(err, sesame.ErrBadPasskey) {
		t.Errorf("an answer from another origin: %v; want a wrong second factor", err)
	}
	// Bob's device signs the options of alice's step with bob's passkey.
	opts := `{"publicKey":{"challenge":"bm90IGEgY2hhbGxlbmdlIG9mIHRoZSBzZXJ2ZXI","rpId":"localhost"}}`
	bobAnswer, err := bobs.Get([]byte(opts), origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.secondStepPasskey(sf.Token, bobAnswer); !errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("bob's passkey at alice's second step: %v; want a wrong second factor", err)
	}
	s, err := b.secondStepPasskey(sf.Token, b.secondStepAnswer(sf.Token, dev, origin))
	if err != nil {
		t.Fatalf("the passkey step: %v", err)
	}
	b.signedIn("after the passkey step", alice)
	if f := account.FactorsOf(s); !slices.Equal(f, []sesame.Factor{sesame.FactorPassword, sesame.FactorPasskey}) {
		t.Errorf("factors %v; want password and passkey", f)
	}

	c := e.browser("192.0.2.2")
	_, _, err = c.signIn("alice", password, false)
	if !errors.As(err, &sf) {
		t.Fatal(err)
	}
	for range 5 {
		_, _ = c.secondStepPasskey(sf.Token, c.secondStepAnswer(sf.Token, dev, "http://evil.localhost:5000"))
	}
	answer := c.secondStepAnswer(sf.Token, dev, origin)
	if _, err := c.secondStepPasskey(sf.Token, answer); !isRateLimited(err) {
		t.Errorf("after five refusals: %v; want the step throttled", err)
	}
}

func isRateLimited(err error) bool {
	var rl *sesame.RateLimitError
	return errors.As(err, &rl)
}

// TestPasskeyStoreFails: when the store cannot give a user's passkeys, a
// passkey sign-in, alone or as the second step, fails with that error (a
// 503, not a refusal): nobody is told their passkey is wrong, and no
// failed sign-in is audited or counted against them.
func TestPasskeyStoreFails(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	dev := e.mustRegister("alice", "laptop")
	b := e.browser("192.0.2.30")
	_, _, err := b.signIn("alice", password, false)
	var sf *account.SecondFactorRequired
	if !errors.As(err, &sf) {
		t.Fatal(err)
	}
	alone := b.passkeyAnswer(dev, origin)
	second := b.secondStepAnswer(sf.Token, dev, origin)
	before := len(e.actions(alice.ID, sesame.ActionLogin, sesame.ActionSecondFactor))

	down := errors.New("the disk is gone")
	e.users.FailPasskeys(down)
	if _, err := b.passkeySignIn(alone); !errors.Is(err, down) || errors.Is(err, sesame.ErrBadPasskey) {
		t.Errorf("sign-in with a passkey alone: %v; want the store's error", err)
	}
	if _, err := b.secondStepPasskey(sf.Token, second); !errors.Is(err, down) || errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("the passkey step: %v; want the store's error", err)
	}
	if got := e.actions(alice.ID, sesame.ActionLogin, sesame.ActionSecondFactor); len(got) != before {
		t.Errorf("audited %v during the outage; want nothing new", got[:len(got)-before])
	}
	e.users.FailPasskeys(nil)
	b.signedIn("after the outage", nil)
}
