package account_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/session"
)

// passwordStep signs username in at b with the right password and returns
// the pending token, failing unless a second factor is asked for.
func (b *browser) passwordStep(username string) string {
	b.e.t.Helper()
	_, _, err := b.signIn(username, password, false)
	var sf *account.SecondFactorRequired
	if !errors.As(err, &sf) || sf.Token == "" || !slices.Equal(sf.Methods, []sesame.Factor{sesame.FactorTOTP}) {
		b.e.t.Fatalf("SignIn(%s) of an enrolled user = %v; want *SecondFactorRequired", username, err)
	}
	return sf.Token
}

// secondStep finishes a pending sign-in at b.
func (b *browser) secondStep(token, code, recovery string) (session.Session, error) {
	b.e.t.Helper()
	var s session.Session
	err := b.call(func(ctx context.Context) (err error) {
		_, s, err = b.e.acct.SignInSecondFactor(ctx, token, code, recovery)
		return err
	})
	return s, err
}

// TestSignInTwoSteps: for an enrolled user the password gives no session,
// only a pending sign-in; the code finishes it with a new session at aal2,
// once. A code already used (at confirmation, or at an earlier sign-in) is
// refused as a replay, within its window too; a wrong one is refused and
// leaves the pending sign-in for another try; a pending sign-in expires
// after five minutes.
func TestSignInTwoSteps(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	secret, _ := e.browser("192.0.2.1").enrol("alice")

	c := e.browser("192.0.2.2")
	token := c.passwordStep("alice")
	c.signedIn("after the password alone", nil)
	if _, err := c.secondStep(token, wrongCode(t, secret, e.clock.Now()), ""); !errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Fatalf("a wrong code: %v", err)
	}
	if _, err := c.secondStep(token, codeAt(t, secret, e.clock.Now()), ""); !errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Fatalf("the code used to confirm, replayed in its window: %v", err)
	}
	c.signedIn("after refused codes", nil)
	e.clock.Advance(30 * time.Second)
	code := codeAt(t, secret, e.clock.Now())
	s, err := c.secondStep(token, code, "")
	if err != nil {
		t.Fatalf("the next step's code: %v", err)
	}
	c.signedIn("after the code", alice)
	if f := account.FactorsOf(s); !slices.Equal(f, []sesame.Factor{sesame.FactorPassword, sesame.FactorTOTP}) {
		t.Errorf("factors %v", f)
	}
	if _, err := c.secondStep(token, code, ""); !errors.Is(err, sesame.ErrUnauthenticated) || errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("the pending sign-in used again: %v; want ErrUnauthenticated", err)
	}

	d := e.browser("192.0.2.3")
	token = d.passwordStep("alice")
	if _, err := d.secondStep(token, code, ""); !errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("a used code at another sign-in: %v; want it refused", err)
	}
	e.clock.Advance(account.PendingLifetime)
	if _, err := d.secondStep(token, codeAt(t, secret, e.clock.Now()), ""); !errors.Is(err, sesame.ErrUnauthenticated) ||
		errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("a pending sign-in five minutes old: %v; want ErrUnauthenticated", err)
	}
	d.signedIn("after the pending sign-in expired", nil)
	if n, err := e.acct.PrunePendingSignIns(t.Context()); err != nil || n != 1 {
		t.Errorf("PrunePendingSignIns = %d, %v; want the expired one", n, err)
	}
	if got := e.actions(alice.ID, sesame.ActionSecondFactor); len(got) != 3 {
		t.Errorf("audited %d failed second factors, want 3: %v", len(got), got)
	}
}

// TestSignInRecoveryCode: a recovery code, in any case and without its
// dashes, finishes a sign-in once, as its own factor; used again it is
// refused.
func TestSignInRecoveryCode(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	_, codes := e.browser("192.0.2.1").enrol("alice")
	c := e.browser("192.0.2.2")
	typed := "  " + codes[3][:9] + codes[3][10:] + " " // one dash dropped, spaces around
	s, err := c.secondStep(c.passwordStep("alice"), "", typed)
	if err != nil {
		t.Fatalf("a recovery code: %v", err)
	}
	c.signedIn("after a recovery code", alice)
	if f := account.FactorsOf(s); !slices.Equal(f, []sesame.Factor{sesame.FactorPassword, sesame.FactorRecoveryCode}) {
		t.Errorf("factors %v", f)
	}
	d := e.browser("192.0.2.3")
	if _, err := d.secondStep(d.passwordStep("alice"), "", codes[3]); !errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("a used recovery code: %v", err)
	}
	if n, _ := e.db.RecoveryCodesLeft(t.Context(), alice.ID); n != 9 {
		t.Errorf("%d recovery codes left, want 9", n)
	}
	for _, tc := range []struct {
		name, code, recovery string
		field                string
	}{
		{"neither", "", "", "code"},
		{"both", "123456", codes[4], "recovery_code"},
		{"not digits", "abcdef", "", "code"},
	} {
		_, err := d.secondStep("whatever", tc.code, tc.recovery)
		var inv *sesame.InvalidError
		if !errors.As(err, &inv) || inv.Fields[tc.field] == "" {
			t.Errorf("%s: %v; want *InvalidError for %s", tc.name, err, tc.field)
		}
	}
}

// TestSecondFactorThrottled: wrong codes are throttled like passwords, on
// a counter that the right password does not reset; and a change of the
// account between the steps voids the pending sign-in.
func TestSecondFactorThrottled(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	secret, _ := e.browser("192.0.2.1").enrol("alice")
	e.clock.Advance(30 * time.Second)
	c := e.browser("192.0.2.2")
	for range 5 {
		// A new password step each time: it must not reset the count.
		if _, err := c.secondStep(c.passwordStep("alice"), wrongCode(t, secret, e.clock.Now()), ""); !errors.Is(err, sesame.ErrBadSecondFactor) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	token := c.passwordStep("alice")
	_, err := c.secondStep(token, codeAt(t, secret, e.clock.Now()), "")
	wantRateLimited(t, err, time.Second)
	e.clock.Advance(time.Second)

	if _, err := e.acct.SetRoles(operator(), alice.ID, []string{"customer", "privileged"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.secondStep(token, codeAt(t, secret, e.clock.Now()), ""); !errors.Is(err, sesame.ErrUnauthenticated) ||
		errors.Is(err, sesame.ErrBadSecondFactor) {
		t.Errorf("a pending sign-in from before a change of roles: %v; want ErrUnauthenticated", err)
	}
	if _, err := c.secondStep(c.passwordStep("alice"), codeAt(t, secret, e.clock.Now()), ""); err != nil {
		t.Errorf("signing in again after the change: %v", err)
	}
}
