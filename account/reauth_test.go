package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/session"
)

// recent asks RequireRecentAuth in a request from b.
func (b *browser) recent() error {
	b.e.t.Helper()
	return b.call(b.e.acct.RequireRecentAuth)
}

// reauth re-authenticates with pw in a request from b.
func (b *browser) reauth(pw string) error {
	b.e.t.Helper()
	return b.call(func(ctx context.Context) error { return b.e.acct.Reauthenticate(ctx, pw) })
}

// TestRecentAuth: a password entered at sign-in counts for ReauthWindow;
// Reauthenticate, with the right password, starts the window again and
// renews the token; a wrong one is refused, counted and audited.
func TestRecentAuth(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	s := b.mustSignIn("alice")

	expired := func(what string) {
		t.Helper()
		if err := b.recent(); err != sesame.ErrReauthenticationRequired || !errors.Is(err, sesame.ErrForbidden) {
			t.Errorf("%s: RequireRecentAuth = %v; want ErrReauthenticationRequired", what, err)
		}
	}
	fresh := func(what string) {
		t.Helper()
		if err := b.recent(); err != nil {
			t.Errorf("%s: RequireRecentAuth = %v; want nil", what, err)
		}
	}
	fresh("just signed in")
	e.clock.Advance(account.ReauthWindow / 2)
	fresh("half the window later")
	e.clock.Advance(account.ReauthWindow / 2)
	fresh("at the end of the window")
	e.clock.Advance(time.Millisecond)
	expired("a millisecond past the window")

	wantInvalid(t, b.reauth("wrong horse battery"), map[string]string{"password": "is not your password"})
	wantInvalid(t, b.reauth(""), map[string]string{"password": "is required"})
	expired("after refused re-authentications")
	if f := e.failures("alice", "192.0.2.1"); f.IPFailures != 1 || f.UserFailures != 1 {
		t.Errorf("counters %+v; want the wrong password counted, the blank one not", f)
	}

	old := *b.cookie
	if err := b.reauth(password); err != nil {
		t.Fatalf("Reauthenticate: %v", err)
	}
	if b.set == nil || b.set.Value == old.Value {
		t.Errorf("cookie %v; want a new token", b.set)
	}
	replay := e.browser("192.0.2.1")
	replay.cookie = &old
	replay.signedIn("the token from before the re-authentication", nil)
	if _, sid := b.whoami(); sid != s.ID {
		t.Errorf("session %q after re-authenticating; want %s still", sid, s.ID)
	}
	fresh("just re-authenticated")
	if f := e.failures("alice", ""); f.UserFailures != 0 {
		t.Errorf("%d failures after the right password; want the run ended", f.UserFailures)
	}
	e.clock.Advance(account.ReauthWindow + time.Millisecond)
	expired("a window after re-authenticating")

	var got []string
	for _, ev := range e.actions(alice.ID, sesame.ActionReauth) {
		if ev.SessionID != s.ID {
			t.Errorf("re-authentication audited in session %q; want %s", ev.SessionID, s.ID)
		}
		got = append(got, string(ev.Outcome)+": "+ev.Detail)
	}
	if want := "success: ,failure: password left blank,failure: wrong password"; joined(got) != want {
		t.Errorf("re-authentications audited: %q; want %q (newest first)", joined(got), want)
	}
}

func joined(s []string) string { return strings.Join(s, ",") }

// TestRecentAuthOthers: an operator needs none; a visitor has none.
func TestRecentAuthOthers(t *testing.T) {
	e := newEnv(t, session.Config{})
	if err := e.acct.RequireRecentAuth(operator()); err != nil {
		t.Errorf("RequireRecentAuth for the operator = %v; want nil", err)
	}
	b := e.browser("192.0.2.1")
	if err := b.recent(); err != sesame.ErrUnauthenticated {
		t.Errorf("RequireRecentAuth for a visitor = %v; want ErrUnauthenticated", err)
	}
	if err := b.reauth(password); err != sesame.ErrUnauthenticated {
		t.Errorf("Reauthenticate for a visitor = %v; want ErrUnauthenticated", err)
	}
}

// TestReauthenticateThrottled: the password check is throttled like a
// login of the name.
func TestReauthenticateThrottled(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	b.mustSignIn("alice")
	for range 5 {
		if _, err := e.auth.Login(from("192.0.2.2"), "alice", "guess"); err != sesame.ErrBadCredentials {
			t.Fatal(err)
		}
	}
	wantRateLimited(t, b.reauth(password), time.Second)
	e.clock.Advance(time.Second)
	if err := b.reauth(password); err != nil {
		t.Errorf("Reauthenticate after the lock: %v", err)
	}
}
