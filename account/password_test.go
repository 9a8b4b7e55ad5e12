package account_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
)

const next = "a brand new passphrase"

// from is the context of a visitor at ip.
func from(ip string) context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{IP: ip, UserAgent: "test"})
}

// failures returns the throttle counters of username and ip now.
func (e *env) failures(username, ip string) auth.Failures {
	e.t.Helper()
	f, err := e.db.LoginFailures(context.Background(), username, ip, e.clock.Now().Add(-auth.IPWindow))
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// changePassword changes the password in a request from b.
func (b *browser) changePassword(current, next string) error {
	b.e.t.Helper()
	return b.call(func(ctx context.Context) error { return b.e.acct.ChangePassword(ctx, current, next) })
}

// canLogIn reports whether alice's password is pw.
func (e *env) canLogIn(username, pw string) bool {
	_, err := e.auth.Login(from("192.0.2.200"), username, pw)
	return err == nil
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name          string
		current, next string
		fields        map[string]string // nil = success
		counted       bool              // counts as a failed login
	}{
		{name: "success", current: password, next: next},
		{name: "wrong current", current: "wrong horse battery", next: next,
			fields: map[string]string{"current_password": "is not your current password"}, counted: true},
		{name: "wrong current and short new", current: "nope", next: "short",
			fields: map[string]string{
				"current_password": "is not your current password",
				"new_password":     "must be at least 8 characters",
			}, counted: true},
		{name: "current left blank", current: "", next: next,
			fields: map[string]string{"current_password": "is required"}},
		{name: "current left blank and new too common", current: "", next: "Password123",
			fields: map[string]string{"current_password": "is required", "new_password": "is too common: choose another"}},
		{name: "too short", current: password, next: "1234567",
			fields: map[string]string{"new_password": "must be at least 8 characters"}},
		{name: "too common", current: password, next: "Password123",
			fields: map[string]string{"new_password": "is too common: choose another"}},
		{name: "unchanged", current: password, next: password,
			fields: map[string]string{"new_password": "must differ from the current one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, session.Config{})
			alice := e.user("alice", "customer")
			b := e.browser("192.0.2.1")
			s := b.mustSignIn("alice")
			old := *b.cookie
			err := b.changePassword(tt.current, tt.next)

			wantPassword, outcome := password, sesame.OutcomeFailure
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("ChangePassword: %v", err)
				}
				wantPassword, outcome = tt.next, sesame.OutcomeSuccess
			} else {
				wantInvalid(t, err, tt.fields)
			}
			if !e.canLogIn("alice", wantPassword) {
				t.Errorf("login with %q afterwards failed", wantPassword)
			}
			if f := e.failures("alice", "192.0.2.1"); (f.IPFailures == 1) != tt.counted {
				t.Errorf("address failures = %d; counted should be %v", f.IPFailures, tt.counted)
			}
			events := e.actions(alice.ID, sesame.ActionPasswordChange)
			if len(events) != 1 || events[0].Outcome != outcome || events[0].SessionID != s.ID {
				t.Errorf("trail = %+v; want one password.change %s in session %s", events, outcome, s.ID)
			}

			// A change renews the session's token: same session, and the
			// cookie as it was before opens nothing. A refusal changes
			// neither.
			renewed := b.set != nil
			if renewed != (tt.fields == nil) {
				t.Errorf("a new cookie %v; want one only on success", b.set)
			}
			if _, sid := b.whoami(); sid != s.ID {
				t.Errorf("the browser is in session %q; want %s still", sid, s.ID)
			}
			replay := e.browser("192.0.2.1")
			replay.cookie = &old
			if tt.fields == nil {
				replay.signedIn("the cookie from before the change", nil)
			} else {
				replay.signedIn("the cookie after a refused change", alice)
			}
			if g := e.stored(alice.ID).Generation; (g != alice.Generation) != (tt.fields == nil) {
				t.Errorf("generation %d → %d; want it moved only on success", alice.Generation, g)
			}
		})
	}
}

// TestChangePasswordEndsOtherSessions: whoever held another session of the
// user, or knew the old password, is out; each ending is audited.
func TestChangePasswordEndsOtherSessions(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	bob := e.user("bob", "customer")
	b1, b2, b3, b4 := e.browser("192.0.2.1"), e.browser("192.0.2.2"), e.browser("192.0.2.3"), e.browser("198.51.100.1")
	s1 := b1.mustSignIn("alice")
	ended := []string{
		"session " + b2.mustSignIn("alice").ID + ", on password change",
		"session " + b3.mustSignIn("alice").ID + ", on password change",
	}
	b4.mustSignIn("bob")
	if err := b1.changePassword(password, next); err != nil {
		t.Fatal(err)
	}
	b1.signedIn("the session that changed the password", alice)
	b2.signedIn("another session", nil)
	b3.signedIn("another session", nil)
	b4.signedIn("another user's session", bob)
	if live := e.live(alice.ID); !slices.Equal(live, []string{s1.ID}) {
		t.Errorf("alice's live sessions: %v; want %s alone", live, s1.ID)
	}
	var details []string
	for _, ev := range e.actions(alice.ID, sesame.ActionSessionRevoke) {
		details = append(details, ev.Detail)
	}
	slices.Sort(details)
	slices.Sort(ended)
	if !slices.Equal(details, ended) {
		t.Errorf("revocations audited: %q; want %q", details, ended)
	}
	if e.canLogIn("alice", password) || !e.canLogIn("alice", next) {
		t.Error("the old password still works, or the new one does not")
	}
}

// TestChangePasswordSignInDuring: a session begun with the old password
// while the change runs (after the first round of revocations, before the
// new password is stored) is ended too.
func TestChangePasswordSignInDuring(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b1, b2 := e.browser("192.0.2.1"), e.browser("192.0.2.2")
	b1.mustSignIn("alice")
	var sneaked session.Session
	e.users.BeforeNextSetPassword(func() { sneaked = b2.mustSignIn("alice") })
	if err := b1.changePassword(password, next); err != nil {
		t.Fatal(err)
	}
	if sneaked.ID == "" {
		t.Fatal("the sign-in during the change did not happen")
	}
	b2.signedIn("a sign-in with the old password during the change", nil)
	b1.signedIn("the session that changed the password", alice)
}

// TestChangePasswordFailures: a change that cannot be completed leaves the
// old password in place; whatever of it could not happen did not happen
// half-way.
func TestChangePasswordFailures(t *testing.T) {
	down := errors.New("store down")
	for _, tc := range []struct {
		name        string
		fail        func(e *env)
		othersEnded bool // the other sessions ended before the failure
	}{
		{"the session store cannot end the others", func(e *env) { e.store.FailRevocations(down) }, false},
		{"the new password cannot be stored", func(e *env) { e.users.FailSetPassword(down) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, session.Config{})
			alice := e.user("alice", "customer")
			b1, b2 := e.browser("192.0.2.1"), e.browser("192.0.2.2")
			b1.mustSignIn("alice")
			b2.mustSignIn("alice")
			tc.fail(e)
			if err := b1.changePassword(password, next); !errors.Is(err, down) {
				t.Fatalf("ChangePassword = %v; want the store's error", err)
			}
			if b1.set != nil {
				t.Errorf("a failed change renewed the session: %v", b1.set)
			}
			e.store.FailRevocations(nil)
			e.users.FailSetPassword(nil)
			if !e.canLogIn("alice", password) || e.canLogIn("alice", next) {
				t.Error("after a failed change the old password does not work, or the new one does")
			}
			b1.signedIn("the session that tried", alice)
			if tc.othersEnded {
				b2.signedIn("another session, ended first", nil)
			} else {
				b2.signedIn("another session", alice)
			}
			for _, ev := range e.actions(alice.ID, sesame.ActionPasswordChange) {
				if ev.Outcome == sesame.OutcomeSuccess {
					t.Errorf("a failed change audited as %+v", ev)
				}
			}
		})
	}
}

func TestChangePasswordUnauthenticated(t *testing.T) {
	e := newEnv(t, session.Config{})
	if err := e.browser("192.0.2.1").changePassword("a", "b"); err != sesame.ErrUnauthenticated {
		t.Errorf("ChangePassword without a user = %v; want ErrUnauthenticated", err)
	}
}

func TestChangePasswordThrottled(t *testing.T) {
	e := newEnv(t, session.Config{})
	e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	b.mustSignIn("alice")
	// Guessing through a stolen session is throttled like guessing at
	// login, and the two share one counter.
	for range 3 {
		if err := b.changePassword("guess", next); err == nil {
			t.Fatal("wrong current password accepted")
		}
	}
	for range 2 {
		if _, err := e.auth.Login(from("192.0.2.2"), "alice", "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("Login: %v", err)
		}
	}
	wantRateLimited(t, b.changePassword(password, next), time.Second)
	if f := e.failures("alice", ""); f.UserFailures != 5 {
		t.Errorf("failures = %d; want 5 (the refusal is not counted)", f.UserFailures)
	}
	e.clock.Advance(time.Second)
	if err := b.changePassword(password, next); err != nil {
		t.Fatalf("ChangePassword after the lock: %v", err)
	}
	// The proof of the password reset the counter.
	if f := e.failures("alice", ""); f.UserFailures != 0 {
		t.Errorf("failures after success = %d; want 0", f.UserFailures)
	}
	if !e.canLogIn("alice", next) {
		t.Error("the new password does not work")
	}
}
