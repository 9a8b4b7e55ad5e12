package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/internal/passkeytest"
	"github.com/sesamehq/sesame/session"
)

// Passkeys are driven by a software authenticator (package passkeytest)
// that answers the service's options as a browser and a device would; the
// checks of every answer are go-webauthn's own, as in production.

// register adds a passkey named name, made by dev at from, for the user
// signed in at b, and returns the error of the registration's finish.
func (b *browser) register(dev *passkeytest.Authenticator, from, name string) (account.PasskeyInfo, error) {
	b.e.t.Helper()
	var opts []byte
	if err := b.call(func(ctx context.Context) error {
		c, err := b.e.acct.BeginPasskeyRegistration(ctx)
		if err == nil {
			opts, err = json.Marshal(c)
		}
		return err
	}); err != nil {
		return account.PasskeyInfo{}, err
	}
	cred, err := dev.Create(opts, from)
	if err != nil {
		b.e.t.Fatalf("the authenticator refused to register: %v", err)
	}
	var p account.PasskeyInfo
	err = b.call(func(ctx context.Context) (err error) {
		p, err = b.e.acct.FinishPasskeyRegistration(ctx, name, cred)
		return err
	})
	return p, err
}

// mustRegister signs username in at a new browser and registers a passkey
// on a new device, which it returns.
func (e *env) mustRegister(username, name string) *passkeytest.Authenticator {
	e.t.Helper()
	b := e.browser("198.51.100.1")
	b.mustSignIn(username)
	dev := passkeytest.New()
	if _, err := b.register(dev, origin, name); err != nil {
		e.t.Fatalf("registering a passkey of %s: %v", username, err)
	}
	return dev
}

// passkeyAnswer begins a passkey sign-in at b and returns dev's answer to
// it, signed at from.
func (b *browser) passkeyAnswer(dev *passkeytest.Authenticator, from string) []byte {
	b.e.t.Helper()
	var opts []byte
	if err := b.call(func(ctx context.Context) error {
		a, err := b.e.acct.BeginPasskeySignIn(ctx)
		if err == nil {
			opts, err = json.Marshal(a)
		}
		return err
	}); err != nil {
		b.e.t.Fatalf("BeginPasskeySignIn: %v", err)
	}
	answer, err := dev.Get(opts, from)
	if err != nil {
		b.e.t.Fatalf("the authenticator refused to sign: %v", err)
	}
	return answer
}

func (b *browser) passkeySignIn(answer []byte) (session.Session, error) {
	b.e.t.Helper()
	var s session.Session
	err := b.call(func(ctx context.Context) (err error) {
		_, s, err = b.e.acct.SignInWithPasskey(ctx, answer, false)
		return err
	})
	return s, err
}

// TestPasskeyRegisterAndSignIn: a registered passkey is the user's, it
// begins their session again as one that used it, and it signs them in
// alone, at aal2, once per ceremony.
func TestPasskeyRegisterAndSignIn(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	before := b.mustSignIn("alice")
	dev := passkeytest.New()
	p, err := b.register(dev, origin, "  laptop ")
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if p.Name != "laptop" || p.ID == 0 || !p.LastUsedAt.IsZero() {
		t.Errorf("registered %+v; want laptop, never used", p)
	}
	_, sid := b.whoami()
	if sid == before.ID {
		t.Error("the session kept its id when it gained a factor")
	}
	if got := e.live(alice.ID); len(got) != 1 || got[0] != sid {
		t.Errorf("live sessions %v; want only the new one %s", got, sid)
	}
	if len(e.actions(alice.ID, sesame.ActionPasskeyAdd)) != 1 {
		t.Error("the registration was not audited")
	}

	c := e.browser("192.0.2.2")
	answer := c.passkeyAnswer(dev, origin)
	s, err := c.passkeySignIn(answer)
	if err != nil {
		t.Fatalf("sign in with the passkey: %v", err)
	}
	c.signedIn("after the passkey", alice)
	if f := account.FactorsOf(s); !slices.Equal(f, []sesame.Factor{sesame.FactorPasskey}) || sesame.AssuranceOf(f) != sesame.AAL2 {
		t.Errorf("factors %v; want passkey alone at aal2", f)
	}
	if _, err := e.browser("192.0.2.3").passkeySignIn(answer); !errors.Is(err, sesame.ErrBadPasskey) {
		t.Errorf("the same answer again: %v; want ErrBadPasskey", err)
	}
	var keys []account.PasskeyInfo
	_ = c.call(func(ctx context.Context) (err error) { keys, err = e.acct.MyPasskeys(ctx); return err })
	if len(keys) != 1 || !keys[0].LastUsedAt.Equal(e.clock.Now()) {
		t.Errorf("passkeys %+v; want one, used now", keys)
	}
	if u := e.stored(alice.ID); !u.LastLoginAt.Equal(e.clock.Now()) {
		t.Errorf("last sign-in %v; want now", u.LastLoginAt)
	}
}

// TestPasskeySignInRefused: every answer that must not sign anyone in is
// refused as ErrBadPasskey and audited as a failed login, and the genuine
// passkey still works after each.
func TestPasskeySignInRefused(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	dev := e.mustRegister("alice", "laptop")
	stolen := dev.Clone()
	e.user("bob", "customer")
	_ = e.mustRegister("bob", "phone")

	// An answer to no ceremony is refused before it names a user: the
	// failure is audited, but without one.
	tests := []struct {
		name      string
		answer    func(b *browser) []byte
		anonymous bool
	}{
		{"from another origin", func(b *browser) []byte { return b.passkeyAnswer(dev, "http://evil.localhost:5000") }, false},
		{"without user verification", func(b *browser) []byte {
			dev.UserVerified = false
			defer func() { dev.UserVerified = true }()
			return b.passkeyAnswer(dev, origin)
		}, false},
		{"a copy whose counter is behind", func(b *browser) []byte {
			owner := e.browser("192.0.2.8") // the genuine key signs first
			if _, err := owner.passkeySignIn(owner.passkeyAnswer(dev, origin)); err != nil {
				t.Fatal(err)
			}
			return b.passkeyAnswer(stolen, origin)
		}, false},
		{"for a ceremony that expired", func(b *browser) []byte {
			a := b.passkeyAnswer(dev, origin)
			e.clock.Advance(account.CeremonyLifetime)
			return a
		}, true},
		{"for a ceremony never begun", func(*browser) []byte {
			out, err := dev.Get([]byte(`{"publicKey":{"challenge":"bWFkZSB1cCBieSB0aGUgY2xpZW50IGl0c2VsZg","rpId":"localhost"}}`), origin)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser("192.0.2.9")
			failures := len(e.actions(alice.ID, sesame.ActionLogin))
			if _, err := b.passkeySignIn(tt.answer(b)); !errors.Is(err, sesame.ErrBadPasskey) {
				t.Fatalf("SignInWithPasskey: %v; want ErrBadPasskey", err)
			}
			b.signedIn("after the refusal", nil)
			if !tt.anonymous && len(e.actions(alice.ID, sesame.ActionLogin)) == failures {
				t.Error("the refusal was not audited")
			}
			if _, err := b.passkeySignIn(b.passkeyAnswer(dev, origin)); err != nil {
				t.Errorf("the genuine passkey afterwards: %v", err)
			}
		})
	}

	t.Run("not an answer", func(t *testing.T) {
		_, err := e.browser("192.0.2.11").passkeySignIn([]byte(`{"id":"x"}`))
		var inv *sesame.InvalidError
		if !errors.As(err, &inv) || !strings.HasPrefix(inv.Fields["credential"], "is not a passkey's answer") {
			t.Errorf("SignInWithPasskey(garbage): %v; want an InvalidError for credential", err)
		}
	})
}

// TestPasskeyDisabledUser: a disabled user's passkey signs nobody in, as
// their password does not.
func TestPasskeyDisabledUser(t *testing.T) {
	e := newEnv(t, session.Config{})
	bob := e.user("bob", "customer")
	dev := e.mustRegister("bob", "phone")
	if _, err := e.acct.SetDisabled(operator(), bob.ID, true); err != nil {
		t.Fatal(err)
	}
	b := e.browser("192.0.2.1")
	if _, err := b.passkeySignIn(b.passkeyAnswer(dev, origin)); !errors.Is(err, sesame.ErrBadPasskey) {
		t.Fatalf("a disabled user's passkey: %v; want ErrBadPasskey", err)
	}
	evs := e.actions(bob.ID, sesame.ActionLogin)
	if len(evs) == 0 || evs[0].Outcome != sesame.OutcomeFailure || !strings.Contains(evs[0].Detail, "disabled") {
		t.Errorf("audit %v; want a failed login, account disabled", evs)
	}
}

// TestPasskeyRegistrationRules: adding a passkey needs a recent password;
// an answer from another origin, for another user's ceremony, or given
// twice is refused; a device is not registered twice; names are checked;
// a user has at most MaxPasskeys; one user cannot rename or delete
// another's.
func TestPasskeyRegistrationRules(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.user("alice", "customer")
	e.user("bob", "customer")
	b := e.browser("192.0.2.1")
	b.mustSignIn("alice")
	dev := passkeytest.New()

	if _, err := b.register(dev, "http://evil.localhost:5000", ""); err == nil || !hasField(err, "credential") {
		t.Errorf("a registration from another origin: %v; want it refused", err)
	}
	p, err := b.register(dev, origin, "")
	if err != nil || p.Name != "Passkey" {
		t.Fatalf("register with a blank name = %+v, %v; want Passkey", p, err)
	}
	var opts []byte
	_ = b.call(func(ctx context.Context) error {
		c, err := e.acct.BeginPasskeyRegistration(ctx)
		opts, _ = json.Marshal(c)
		return err
	})
	if _, err := dev.Create(opts, origin); err == nil || !strings.Contains(err.Error(), "InvalidStateError") {
		t.Errorf("the same device again: %v; want the browser to refuse (excludeCredentials)", err)
	}
	answer, err := passkeytest.New().Create(opts, origin)
	if err != nil {
		t.Fatal(err)
	}
	other := e.browser("192.0.2.2")
	other.mustSignIn("bob")
	if err := other.call(func(ctx context.Context) error {
		_, err := e.acct.FinishPasskeyRegistration(ctx, "", answer)
		return err
	}); !hasField(err, "credential") {
		t.Errorf("bob finishing alice's registration: %v; want it refused", err)
	}
	if err := b.call(func(ctx context.Context) error {
		_, err := e.acct.FinishPasskeyRegistration(ctx, strings.Repeat("x", 65), answer)
		return err
	}); !hasField(err, "name") {
		t.Errorf("a name of 65 characters: %v; want it refused", err)
	}

	for i := 2; i <= account.MaxPasskeys; i++ {
		if _, err := b.register(passkeytest.New(), origin, ""); err != nil {
			t.Fatalf("passkey %d: %v", i, err)
		}
	}
	if _, err := b.register(passkeytest.New(), origin, ""); !errors.Is(err, account.ErrPasskeyLimit) {
		t.Errorf("passkey %d: %v; want ErrPasskeyLimit", account.MaxPasskeys+1, err)
	}

	if err := other.call(func(ctx context.Context) error {
		_, err := e.acct.RenamePasskey(ctx, p.ID, "mine now")
		return err
	}); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("bob renaming alice's passkey: %v; want ErrNotFound", err)
	}
	e.clock.Advance(account.ReauthWindow + time.Second)
	if err := b.call(func(ctx context.Context) error { return e.acct.DeletePasskey(ctx, p.ID) }); !errors.Is(err, sesame.ErrReauthenticationRequired) {
		t.Errorf("delete with a stale password: %v; want ErrReauthenticationRequired", err)
	}
	if _, err := b.register(passkeytest.New(), origin, ""); !errors.Is(err, sesame.ErrReauthenticationRequired) {
		t.Errorf("register with a stale password: %v; want ErrReauthenticationRequired", err)
	}
	if err := b.call(func(ctx context.Context) error {
		_, err := e.acct.RenamePasskey(ctx, p.ID, "laptop")
		return err
	}); err != nil {
		t.Errorf("rename needs no recent password: %v", err)
	}
	if err := other.call(func(ctx context.Context) error { return e.acct.Reauthenticate(ctx, password) }); err != nil {
		t.Fatal(err)
	}
	if err := other.call(func(ctx context.Context) error { return e.acct.DeletePasskey(ctx, p.ID) }); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("bob deleting alice's passkey: %v; want ErrNotFound", err)
	}
}

func hasField(err error, field string) bool {
	var inv *sesame.InvalidError
	return errors.As(err, &inv) && inv.Fields[field] != ""
}

// TestPasskeySignInThrottled: refused passkey answers from one address are
// throttled as failed passwords are, after five, even for a right answer
// after them; another address is not held up.
func TestPasskeySignInThrottled(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.user("alice", "customer")
	dev := e.mustRegister("alice", "laptop")
	b := e.browser("192.0.2.20")
	for i := range 5 {
		if _, err := b.passkeySignIn(b.passkeyAnswer(dev, "http://evil.localhost:5000")); !errors.Is(err, sesame.ErrBadPasskey) {
			t.Fatalf("refusal %d: %v", i+1, err)
		}
	}
	if _, err := b.passkeySignIn(b.passkeyAnswer(dev, origin)); !isRateLimited(err) {
		t.Errorf("a right answer after five refusals: %v; want it throttled", err)
	}
	other := e.browser("192.0.2.21")
	if _, err := other.passkeySignIn(other.passkeyAnswer(dev, origin)); err != nil {
		t.Errorf("from another address: %v", err)
	}
}
