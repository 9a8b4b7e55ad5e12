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

// admins is an env with an admin signed in (just now, so recently
// authenticated) and carol, a customer, signed in at two browsers.
type admins struct {
	*env
	root, carol *sesame.User
	rb          *browser   // root's
	cb          []*browser // carol's
}

func newAdmins(t *testing.T) *admins {
	t.Helper()
	a := &admins{env: newEnv(t, session.Config{})}
	a.root = a.user("root", "admin")
	a.carol = a.user("carol", "customer")
	a.rb = a.browser("203.0.113.1")
	a.rb.mustSignIn("root")
	a.cb = []*browser{a.browser("192.0.2.1"), a.browser("192.0.2.2")}
	for _, b := range a.cb {
		b.mustSignIn("carol")
	}
	return a
}

// as runs fn in a request of root's.
func (a *admins) as(fn func(ctx context.Context) error) error {
	a.t.Helper()
	return a.rb.call(fn)
}

// carolSignedIn fails unless each of carol's browsers is signed in (or not).
func (a *admins) carolSignedIn(what string, in bool) {
	a.t.Helper()
	for _, b := range a.cb {
		if in {
			b.signedIn(what, a.carol)
		} else {
			b.signedIn(what, nil)
		}
	}
}

// changes are the admin's changes, each a valid one of carol's, for the
// tables of who may make them, in an order in which each can succeed.
func (a *admins) changes() []struct {
	name string
	do   func(ctx context.Context) error
} {
	_, sid := a.cb[0].whoami()
	return []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"CreateUser", func(ctx context.Context) error {
			_, err := a.acct.CreateUser(ctx, "dave", next, []string{"customer"})
			return err
		}},
		{"RevokeSession", func(ctx context.Context) error { return a.acct.RevokeSession(ctx, sid) }},
		{"RevokeUserSessions", func(ctx context.Context) error {
			_, err := a.acct.RevokeUserSessions(ctx, a.carol.ID)
			return err
		}},
		{"SetRoles", func(ctx context.Context) error {
			_, err := a.acct.SetRoles(ctx, a.carol.ID, []string{"privileged"})
			return err
		}},
		{"ResetPassword", func(ctx context.Context) error { return a.acct.ResetPassword(ctx, a.carol.ID, next) }},
		{"SetDisabled", func(ctx context.Context) error {
			_, err := a.acct.SetDisabled(ctx, a.carol.ID, true)
			return err
		}},
	}
}

// reads are the admin's reads, which need no recent password.
func (a *admins) reads() []struct {
	name string
	do   func(ctx context.Context) error
} {
	return []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"Users", func(ctx context.Context) error { _, _, err := a.acct.Users(ctx, sesame.Paging{}); return err }},
		{"User", func(ctx context.Context) error { _, err := a.acct.User(ctx, a.carol.ID); return err }},
		{"UserNamed", func(ctx context.Context) error { _, err := a.acct.UserNamed(ctx, "CAROL"); return err }},
		{"Roles", func(ctx context.Context) error { _, err := a.acct.Roles(ctx); return err }},
		{"AllSessions", func(ctx context.Context) error {
			_, _, err := a.acct.AllSessions(ctx, 0, sesame.Paging{})
			return err
		}},
	}
}

// TestAdminOnly: every admin method refuses a visitor and a user without
// the admin permission (audited), and changes nothing.
func TestAdminOnly(t *testing.T) {
	a := newAdmins(t)
	calls := append(a.changes(), a.reads()...)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.do(from("192.0.2.9")); err != sesame.ErrUnauthenticated {
				t.Errorf("as a visitor: %v; want ErrUnauthenticated", err)
			}
			var pe *sesame.PermissionError
			if err := a.cb[0].call(c.do); !errors.As(err, &pe) || pe.Permission != sesame.PermAdmin {
				t.Errorf("as a customer: %v; want a PermissionError for admin", err)
			}
			if ev := a.trail(a.carol.ID)[0]; ev.Action != sesame.ActionAccessDenied || ev.Detail != "admin" {
				t.Errorf("the refusal audited as %+v; want access.denied admin", ev)
			}
		})
	}
	a.carolSignedIn("after the refusals", true)
	if n, err := a.db.CountUsers(context.Background()); err != nil || n != 2 {
		t.Errorf("%d users, %v; want no new one", n, err)
	}
	if u := a.stored(a.carol.ID); u.Generation != a.carol.Generation || u.Disabled {
		t.Errorf("carol after the refusals: %+v", u)
	}
	for _, c := range a.reads() {
		if err := a.as(c.do); err != nil {
			t.Errorf("%s as the admin: %v", c.name, err)
		}
		if err := c.do(operator()); err != nil {
			t.Errorf("%s as the operator: %v", c.name, err)
		}
	}
}

// TestAdminNeedsRecentAuth: an admin's changes need a password entered in
// the last ReauthWindow; reads do not. Refused, nothing changes; after
// Reauthenticate, the change goes through.
func TestAdminNeedsRecentAuth(t *testing.T) {
	a := newAdmins(t)
	a.clock.Advance(account.ReauthWindow + time.Second)
	for _, c := range a.changes() {
		if err := a.as(c.do); err != sesame.ErrReauthenticationRequired {
			t.Errorf("%s without a recent password: %v; want ErrReauthenticationRequired", c.name, err)
		}
	}
	a.carolSignedIn("after the refusals", true)
	if u := a.stored(a.carol.ID); u.Generation != a.carol.Generation || u.Disabled || !slices.Equal(u.Roles, a.carol.Roles) {
		t.Errorf("carol after the refusals: %+v", u)
	}
	if n, err := a.db.CountUsers(context.Background()); err != nil || n != 2 {
		t.Errorf("%d users, %v; want no new one", n, err)
	}
	for _, c := range a.reads() {
		if err := a.as(c.do); err != nil {
			t.Errorf("%s without a recent password: %v; want it allowed", c.name, err)
		}
	}
	if err := a.rb.reauth(password); err != nil {
		t.Fatal(err)
	}
	if _, err := a.acct.SetRoles(context.Background(), a.carol.ID, nil); err != sesame.ErrUnauthenticated {
		t.Errorf("SetRoles of a visitor: %v", err)
	}
	for _, c := range a.changes() {
		if err := a.as(c.do); err != nil {
			t.Errorf("%s after re-authenticating: %v", c.name, err)
		}
	}
}

// revocations returns the details of the revocations of user id's
// sessions that someone else made, sorted, failing unless each names the
// user as target and actor.
func (a *admins) revocations(id int64, actor *sesame.User) []string {
	a.t.Helper()
	var out []string
	for _, ev := range a.actions(id, sesame.ActionSessionRevoke) {
		if ev.TargetID != id || ev.UserID != actor.ID {
			a.t.Errorf("revocation audited as %+v; want %s acting on user %d", ev, actor.Username, id)
		}
		out = append(out, ev.Detail)
	}
	slices.Sort(out)
	return out
}

// carolsSessions returns the details that the revocation of carol's two
// sessions records, with why.
func (a *admins) carolsSessions(why string) []string {
	a.t.Helper()
	var out []string
	for _, b := range a.cb {
		_, sid := b.whoami()
		out = append(out, "session "+sid+why)
	}
	slices.Sort(out)
	return out
}

// wantChange fails unless user id's newest event of action is root's
// change of them, with detail.
func (a *admins) wantChange(id int64, action sesame.Action, detail string) {
	a.t.Helper()
	evs := a.actions(id, action)
	if len(evs) == 0 {
		a.t.Fatalf("no %s in the trail of user %d", action, id)
	}
	_, sid := a.rb.whoami()
	if ev := evs[0]; ev.UserID != a.root.ID || ev.Username != "root" || ev.TargetID != id ||
		ev.Outcome != sesame.OutcomeSuccess || ev.Detail != detail || ev.SessionID != sid {
		a.t.Errorf("%s audited as %+v; want root's in %s, target %d, %q", action, ev, sid, id, detail)
	}
}

func TestAdminRevokeSessions(t *testing.T) {
	a := newAdmins(t)
	_, sid := a.cb[0].whoami()
	if err := a.as(func(ctx context.Context) error { return a.acct.RevokeSession(ctx, sid) }); err != nil {
		t.Fatal(err)
	}
	a.cb[0].signedIn("its session revoked", nil)
	a.cb[1].signedIn("another session", a.carol)
	if got := a.revocations(a.carol.ID, a.root); !slices.Equal(got, []string{"session " + sid}) {
		t.Errorf("revocations %q", got)
	}
	if err := a.as(func(ctx context.Context) error { return a.acct.RevokeSession(ctx, "no-such-session") }); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("RevokeSession of nothing: %v; want ErrNotFound", err)
	}

	a.cb[0].mustSignIn("carol")
	var n int
	if err := a.as(func(ctx context.Context) (err error) { n, err = a.acct.RevokeUserSessions(ctx, a.carol.ID); return err }); err != nil || n != 2 {
		t.Errorf("RevokeUserSessions = %d, %v; want 2", n, err)
	}
	a.carolSignedIn("all sessions revoked", false)
	if err := a.as(func(ctx context.Context) error { _, err := a.acct.RevokeUserSessions(ctx, 9999); return err }); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("RevokeUserSessions of nobody: %v; want ErrNotFound", err)
	}

	// Their own: the admin is signed out.
	a.browser("203.0.113.2").mustSignIn("root")
	if err := a.as(func(ctx context.Context) (err error) { n, err = a.acct.RevokeUserSessions(ctx, a.root.ID); return err }); err != nil || n != 2 {
		t.Errorf("RevokeUserSessions of oneself = %d, %v; want 2, the own one too", n, err)
	}
	a.rb.signedIn("after revoking their own sessions", nil)
	if live := a.live(a.root.ID); len(live) != 0 {
		t.Errorf("root's sessions %v alive", live)
	}
	_, own := a.rb.whoami()
	if own != "" {
		t.Fatal("root still signed in")
	}
	s := a.rb.mustSignIn("root")
	if err := a.as(func(ctx context.Context) error { return a.acct.RevokeSession(ctx, s.ID) }); err != nil {
		t.Fatal(err)
	}
	a.rb.signedIn("after revoking their own session", nil)
}

// TestAdminReads: the users, without their hashes, in stretches; one by
// id or by name in any case; the roles.
func TestAdminReads(t *testing.T) {
	a := newAdmins(t)
	a.user("dave", "customer")
	var got []string
	for p := (sesame.Paging{Limit: 2}); ; {
		var list []sesame.User
		var next string
		if err := a.as(func(ctx context.Context) (err error) { list, next, err = a.acct.Users(ctx, p); return err }); err != nil {
			t.Fatal(err)
		}
		for _, u := range list {
			if u.PasswordHash != "" {
				t.Errorf("Users lists %s with a hash", u.Username)
			}
			got = append(got, u.Username)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if want := []string{"root", "carol", "dave"}; !slices.Equal(got, want) {
		t.Errorf("Users = %v; want %v", got, want)
	}
	for name, get := range map[string]func(ctx context.Context) (*sesame.User, error){
		"User":      func(ctx context.Context) (*sesame.User, error) { return a.acct.User(ctx, a.carol.ID) },
		"UserNamed": func(ctx context.Context) (*sesame.User, error) { return a.acct.UserNamed(ctx, "CAROL") },
	} {
		u, err := get(operator())
		if err != nil || u.ID != a.carol.ID || u.PasswordHash != "" {
			t.Errorf("%s = %+v, %v; want carol without her hash", name, u, err)
		}
	}
	if _, err := a.acct.User(operator(), 9999); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("User(nobody): %v; want ErrNotFound", err)
	}
	if _, err := a.acct.UserNamed(operator(), "nobody"); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("UserNamed(nobody): %v; want ErrNotFound", err)
	}
	roles, err := a.acct.Roles(operator())
	if err != nil || len(roles) != 3 || roles[0].Name != "admin" {
		t.Errorf("Roles = %+v, %v", roles, err)
	}
}
