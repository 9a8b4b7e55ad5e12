package account_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/session"
)

func TestNewRequires(t *testing.T) {
	e := newEnv(t, session.Config{})
	full := account.Config{Sessions: e.sessions, Auth: e.auth, Audit: e.log, Users: e.users}
	for name, spoil := range map[string]func(*account.Config){
		"no sessions":  func(c *account.Config) { c.Sessions = nil },
		"no auth":      func(c *account.Config) { c.Auth = nil },
		"no audit log": func(c *account.Config) { c.Audit = nil },
		"no users":     func(c *account.Config) { c.Users = nil },
	} {
		cfg := full
		spoil(&cfg)
		if _, err := account.New(cfg); err == nil {
			t.Errorf("account.New with %s succeeded; want an error", name)
		}
	}
	if _, err := account.New(full); err != nil {
		t.Errorf("account.New without Now and Logger: %v; want the defaults", err)
	}
}

// TestSignIn: a sign-in starts a new session, whatever the request came
// with (another user's, or the user's own), records what the requests
// need of the user in it, and is audited with the new session's id.
func TestSignIn(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	bob := e.user("bob", "customer")
	b := e.browser("192.0.2.1")
	before := b.mustSignIn("bob")

	for i, prev := range []struct {
		name string
		user *sesame.User
	}{{"over another user's session", bob}, {"over the user's own session", alice}} {
		_, old := b.whoami()
		e.clock.Advance(time.Minute)
		u, s, err := b.signIn("ALICE", password, false)
		if err != nil {
			t.Fatalf("%s: SignIn: %v", prev.name, err)
		}
		if s.ID == old || s.ID == "" {
			t.Errorf("%s: session id %q; want a new one, not %q", prev.name, s.ID, old)
		}
		if live := e.live(prev.user.ID); slices.Contains(live, old) {
			t.Errorf("%s: the session the request came with, %s, is still alive", prev.name, old)
		}
		if u.ID != alice.ID || u.Username != "alice" || u.PasswordHash != "" || !u.Can(sesame.PermCartEdit) ||
			!u.LastLoginAt.Equal(e.clock.Now()) {
			t.Errorf("%s: SignIn returned %+v", prev.name, u)
		}
		if s.UserID != strconv.FormatInt(alice.ID, 10) || s.Remember || !s.AuthenticatedAt.Equal(e.clock.Now()) {
			t.Errorf("%s: session %+v", prev.name, s)
		}
		if b.set == nil || b.set.MaxAge != 0 {
			t.Errorf("%s: cookie %v; want a session cookie, without Max-Age", prev.name, b.set)
		}
		got, sid := b.whoami()
		if got == nil || got.ID != alice.ID || sid != s.ID {
			t.Errorf("%s: the next request is %+v in %q; want alice in %s", prev.name, got, sid, s.ID)
		}
		logins := e.actions(alice.ID, sesame.ActionLogin)
		if len(logins) != i+1 {
			t.Fatalf("%s: %d logins audited; want %d", prev.name, len(logins), i+1)
		}
		if ev := logins[0]; ev.Outcome != sesame.OutcomeSuccess || ev.SessionID != s.ID || ev.UserID != alice.ID ||
			ev.Username != "alice" || ev.IP != "192.0.2.1" || ev.UserAgent != b.ua || ev.Detail != "" {
			t.Errorf("%s: login audited as %+v; want alice's success in session %s", prev.name, ev, s.ID)
		}
	}
	if live := e.live(bob.ID); slices.Contains(live, before.ID) {
		t.Error("bob's session lived on after alice signed in over it")
	}
}

// TestSignInRemembered: a remembered session has a cookie that outlives
// the browser, and the trail says so.
func TestSignInRemembered(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	_, s, err := b.signIn("alice", password, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Remember || b.set == nil || b.set.MaxAge < 29*24*3600 {
		t.Errorf("session %+v, cookie %v; want a remembered session and a cookie kept for 30 days", s, b.set)
	}
	if ev := e.actions(alice.ID, sesame.ActionLogin); len(ev) != 1 || ev[0].Detail != "remembered session" {
		t.Errorf("login audited as %+v; want it to say remembered session", ev)
	}
}

// TestSignInRefused: the answer of auth.Login, and no session.
func TestSignInRefused(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	carol := e.user("carol", "customer")
	if _, err := e.db.SetDisabled(context.Background(), carol.ID, true); err != nil {
		t.Fatal(err)
	}
	b := e.browser("192.0.2.1")
	for _, tc := range []struct{ name, username, password string }{
		{"wrong password", "alice", "wrong horse battery"},
		{"unknown user", "mallory", password},
		{"disabled user", "carol", password},
	} {
		u, s, err := b.signIn(tc.username, tc.password, false)
		if err != sesame.ErrBadCredentials || u != nil || s.ID != "" {
			t.Errorf("%s: SignIn = %v, %+v, %v; want ErrBadCredentials", tc.name, u, s, err)
		}
		b.signedIn(tc.name, nil)
	}
	if n := len(e.live(alice.ID)) + len(e.live(carol.ID)); n != 0 {
		t.Errorf("%d sessions begun by refused sign-ins", n)
	}
}

// TestSignInRaced: an admin's change to the account lands between the
// password check and the storing of the session, so the revocation it
// makes misses the new session. SignIn finds the Generation moved and
// ends the session again; the user signs in anew, as they now are.
func TestSignInRaced(t *testing.T) {
	const next = "a brand new passphrase"
	for _, tc := range []struct {
		name   string
		change func(e *env, id int64) error
		again  string // the password to sign in with afterwards; "" when refused
		roles  []string
	}{
		{"roles", func(e *env, id int64) error {
			_, err := e.acct.SetRoles(operator(), id, []string{"customer", "privileged"})
			return err
		}, password, []string{"customer", "privileged"}},
		{"password reset", func(e *env, id int64) error {
			return e.acct.ResetPassword(operator(), id, next)
		}, next, []string{"customer"}},
		{"disabled", func(e *env, id int64) error {
			_, err := e.acct.SetDisabled(operator(), id, true)
			return err
		}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, session.Config{})
			alice := e.user("alice", "customer")
			b := e.browser("192.0.2.1")
			e.store.BeforeNextCreate(func() {
				if err := tc.change(e, alice.ID); err != nil {
					t.Errorf("the change: %v", err)
				}
			})
			u, s, err := b.signIn("alice", password, false)
			if !errors.Is(err, account.ErrSignInRaced) || !errors.Is(err, sesame.ErrConflict) || u != nil || s.ID != "" {
				t.Fatalf("SignIn = %v, %+v, %v; want ErrSignInRaced", u, s, err)
			}
			if live := e.live(alice.ID); len(live) != 0 {
				t.Errorf("sessions %v alive after the raced sign-in; want none", live)
			}
			if b.set == nil || b.set.MaxAge >= 0 {
				t.Errorf("cookie %v; want it cleared", b.set)
			}
			b.signedIn("after the raced sign-in", nil)
			for _, ev := range e.actions(alice.ID, sesame.ActionLogin) {
				if ev.Outcome == sesame.OutcomeSuccess {
					t.Errorf("the raced sign-in was audited as %+v", ev)
				}
			}

			if tc.again == "" {
				if _, _, err := b.signIn("alice", password, false); err != sesame.ErrBadCredentials {
					t.Errorf("signing in again: %v; want ErrBadCredentials", err)
				}
				return
			}
			u, s, err = b.signIn("alice", tc.again, false)
			if err != nil {
				t.Fatalf("signing in again: %v", err)
			}
			snap, err := account.UserOf(s)
			if err != nil || !slices.Equal(snap.Roles, tc.roles) || snap.Generation != e.stored(alice.ID).Generation ||
				snap.Generation == alice.Generation {
				t.Errorf("the new session records %+v, %v; want roles %v at the new generation", snap, err, tc.roles)
			}
			b.signedIn("signed in again", u)
		})
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	s := b.mustSignIn("alice")
	kept := b.cookie
	if err := b.call(e.acct.SignOut); err != nil {
		t.Fatal(err)
	}
	if b.set == nil || b.set.MaxAge >= 0 {
		t.Errorf("cookie %v; want it cleared", b.set)
	}
	b.signedIn("after SignOut", nil)
	b.cookie = kept // replayed from before
	b.signedIn("the old cookie after SignOut", nil)
	if live := e.live(alice.ID); len(live) != 0 {
		t.Errorf("sessions %v alive after SignOut", live)
	}
	ev := e.actions(alice.ID, sesame.ActionLogout)
	if len(ev) != 1 || ev[0].SessionID != s.ID || ev[0].Detail != "session "+s.ID || ev[0].Outcome != sesame.OutcomeSuccess {
		t.Errorf("sign-out audited as %+v; want one logout of %s", ev, s.ID)
	}
}

// TestUserOf: what a session records of its user reads back as the user,
// without a hash; a session that records nothing, or cannot be read, says
// so.
func TestUserOf(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer", "privileged")
	nobody := e.user("nobody")
	b := e.browser("192.0.2.1")
	for _, want := range []*sesame.User{alice, nobody} {
		_, s, err := b.signIn(want.Username, password, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := account.UserOf(s)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Username != want.Username || got.PasswordHash != "" ||
			!slices.Equal(got.Roles, want.Roles) || !slices.Equal(got.Permissions, want.Permissions) ||
			got.Generation != want.Generation || got.Roles == nil || got.Permissions == nil {
			t.Errorf("UserOf = %+v; want %+v without its hash", got, want)
		}
	}
	for _, tc := range []struct {
		name   string
		s      session.Session
		noSnap bool
	}{
		{"nothing recorded", session.Session{ID: "s1", UserID: "1"}, true},
		{"not JSON", session.Session{ID: "s2", UserID: "1", Data: []byte("roles: admin")}, false},
		{"another version", session.Session{ID: "s3", UserID: "1", Data: []byte(`{"v":2,"u":"alice"}`)}, false},
		{"not a user id", session.Session{ID: "s4", UserID: "alice", Data: []byte(`{"v":1,"u":"alice"}`)}, false},
	} {
		u, err := account.UserOf(tc.s)
		if err == nil || u != nil || errors.Is(err, account.ErrNoSnapshot) != tc.noSnap {
			t.Errorf("%s: UserOf = %+v, %v; want an error (ErrNoSnapshot: %v)", tc.name, u, err, tc.noSnap)
		}
	}
}
