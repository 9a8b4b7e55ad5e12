package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// The admin's changes to a user, each ending the user's sessions where it
// changes what they may do, each audited with the admin and the user.

func TestAdminSetRoles(t *testing.T) {
	a := newAdmins(t)
	want := a.carolsSessions(", on a change of roles")
	var u *sesame.User
	err := a.as(func(ctx context.Context) (err error) {
		u, err = a.acct.SetRoles(ctx, a.carol.ID, []string{"privileged", "customer", "customer"})
		return err
	})
	if err != nil || !slices.Equal(u.Roles, []string{"customer", "privileged"}) || u.PasswordHash != "" {
		t.Fatalf("SetRoles = %+v, %v", u, err)
	}
	a.carolSignedIn("after a change of roles", false)
	if got := a.revocations(a.carol.ID, a.root); !slices.Equal(got, want) {
		t.Errorf("revocations %q; want %q", got, want)
	}
	a.wantChange(a.carol.ID, sesame.ActionUserRoles, "roles customer → customer,privileged")
	_, s, err := a.cb[0].signIn("carol", password, false)
	if snap, _ := account.UserOf(s); err != nil || !snap.Can(sesame.PermCheckout) {
		t.Errorf("signed in again: %+v, %v; want the new permissions", snap, err)
	}

	// Unknown roles: refused, nothing changes.
	before := a.stored(a.carol.ID)
	err = a.as(func(ctx context.Context) error {
		_, err := a.acct.SetRoles(ctx, a.carol.ID, []string{"customer", "wizard"})
		return err
	})
	wantInvalid(t, err, map[string]string{"roles": `there is no role "wizard"`})
	a.cb[0].signedIn("after a refused change", a.carol)
	if u := a.stored(a.carol.ID); u.Generation != before.Generation || !slices.Equal(u.Roles, before.Roles) {
		t.Errorf("a refused change changed carol: %+v", u)
	}
	err = a.as(func(ctx context.Context) error {
		_, err := a.acct.SetRoles(ctx, 9999, []string{"customer"})
		return err
	})
	if !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("SetRoles of nobody: %v; want ErrNotFound", err)
	}

	// An admin's own roles: their own session ends too.
	err = a.as(func(ctx context.Context) error {
		_, err := a.acct.SetRoles(ctx, a.root.ID, []string{"admin", "customer"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.rb.signedIn("after changing their own roles", nil)
}

func TestAdminResetPassword(t *testing.T) {
	a := newAdmins(t)
	err := a.as(func(ctx context.Context) error { return a.acct.ResetPassword(ctx, a.carol.ID, "short") })
	wantInvalid(t, err, map[string]string{"password": "must be at least 8 characters"})
	a.carolSignedIn("after a refused reset", true)

	want := a.carolsSessions(", on a password reset")
	if err := a.as(func(ctx context.Context) error { return a.acct.ResetPassword(ctx, a.carol.ID, next) }); err != nil {
		t.Fatal(err)
	}
	a.carolSignedIn("after a password reset", false)
	if a.canLogIn("carol", password) || !a.canLogIn("carol", next) {
		t.Error("the old password still works, or the new one does not")
	}
	if got := a.revocations(a.carol.ID, a.root); !slices.Equal(got, want) {
		t.Errorf("revocations %q; want %q", got, want)
	}
	a.wantChange(a.carol.ID, sesame.ActionUserPassword, "")
	err = a.as(func(ctx context.Context) error { return a.acct.ResetPassword(ctx, 9999, next) })
	if !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("ResetPassword of nobody: %v; want ErrNotFound", err)
	}

	// Their own: signed out, and the end of their session recorded once.
	_, sid := a.rb.whoami()
	if err := a.as(func(ctx context.Context) error { return a.acct.ResetPassword(ctx, a.root.ID, next) }); err != nil {
		t.Fatal(err)
	}
	a.rb.signedIn("after resetting their own password", nil)
	var ends int
	for _, ev := range a.actions(a.root.ID, sesame.ActionSessionRevoke) {
		if ev.Detail == "session "+sid {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("the end of the admin's own session recorded %d times; want once", ends)
	}
}

func TestAdminSetDisabled(t *testing.T) {
	a := newAdmins(t)
	set := func(ctx context.Context, id int64, disabled bool) (*sesame.User, error) {
		var u *sesame.User
		err := a.rb.call(func(rctx context.Context) (err error) {
			if ctx == nil {
				ctx = rctx
			}
			u, err = a.acct.SetDisabled(ctx, id, disabled)
			return err
		})
		return u, err
	}
	// Enabling an enabled user ends nothing.
	if u, err := set(nil, a.carol.ID, false); err != nil || u.Disabled {
		t.Fatalf("SetDisabled(false) = %+v, %v", u, err)
	}
	a.carolSignedIn("after enabling", true)
	a.wantChange(a.carol.ID, sesame.ActionUserEnable, "")

	want := a.carolsSessions(", on disabling the account")
	if u, err := set(nil, a.carol.ID, true); err != nil || !u.Disabled || u.PasswordHash != "" {
		t.Fatalf("SetDisabled(true) = %+v, %v", u, err)
	}
	a.carolSignedIn("after disabling", false)
	if got := a.revocations(a.carol.ID, a.root); !slices.Equal(got, want) {
		t.Errorf("revocations %q; want %q", got, want)
	}
	a.wantChange(a.carol.ID, sesame.ActionUserDisable, "")
	if _, _, err := a.cb[0].signIn("carol", password, false); err != sesame.ErrBadCredentials {
		t.Errorf("a disabled user signs in: %v; want ErrBadCredentials", err)
	}
	if _, err := set(nil, a.carol.ID, false); err != nil {
		t.Fatal(err)
	}
	a.cb[0].mustSignIn("carol")

	// Not oneself: nobody could undo it from the pages.
	_, err := set(nil, a.root.ID, true)
	wantInvalid(t, err, map[string]string{"disabled": "you cannot disable your own account"})
	a.rb.signedIn("after refusing to disable themselves", a.root)
	if _, err := set(nil, 9999, true); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("SetDisabled of nobody: %v; want ErrNotFound", err)
	}

	// The command line may, and is named as the actor.
	if _, err := a.acct.SetDisabled(operator(), a.root.ID, true); err != nil {
		t.Fatalf("SetDisabled by the operator: %v", err)
	}
	a.rb.signedIn("disabled by the operator", nil)
	if ev := a.actions(a.root.ID, sesame.ActionUserDisable); len(ev) == 0 || ev[0].Username != "cli" ||
		ev[0].UserID != 0 || ev[0].TargetID != a.root.ID {
		t.Errorf("the operator's change audited as %+v", ev)
	}
}

func TestAdminCreateUser(t *testing.T) {
	a := newAdmins(t)
	create := func(username, pw string, roles ...string) (*sesame.User, error) {
		var u *sesame.User
		err := a.as(func(ctx context.Context) (err error) {
			u, err = a.acct.CreateUser(ctx, username, pw, roles)
			return err
		})
		return u, err
	}
	const length = "must be 3 to 64 characters"
	const chars = "may hold only letters, digits, dots, dashes and underscores"
	for _, tc := range []struct {
		username, password string
		roles              []string
		fields             map[string]string
	}{
		{"ab", next, nil, map[string]string{"username": length}},
		{strings.Repeat("a", 65), next, nil, map[string]string{"username": length}},
		{"cli", next, nil, map[string]string{"username": "is reserved"}},
		{"CLI", next, nil, map[string]string{"username": "is reserved"}},
		{"-dave", next, nil, map[string]string{"username": "must start with a letter or a digit"}},
		{"da ve", next, nil, map[string]string{"username": chars}},
		{"dävé", next, nil, map[string]string{"username": chars}},
		{"dave", "short", nil, map[string]string{"password": "must be at least 8 characters"}},
		{"dave", next, []string{"wizard"}, map[string]string{"roles": `there is no role "wizard"`}},
		{"a", "password123", []string{"customer", "wizard"}, map[string]string{
			"username": length, "password": "is too common: choose another", "roles": `there is no role "wizard"`}},
	} {
		_, err := create(tc.username, tc.password, tc.roles...)
		wantInvalid(t, err, tc.fields)
	}
	if _, err := create("CAROL", next, "customer"); !errors.Is(err, account.ErrUsernameTaken) || !errors.Is(err, sesame.ErrConflict) {
		t.Errorf("a taken name in another case: %v; want ErrUsernameTaken", err)
	}
	if n, err := a.db.CountUsers(context.Background()); err != nil || n != 2 {
		t.Fatalf("%d users after the refusals, %v; want 2", n, err)
	}

	u, err := create("Dave.O-K_1", next, "privileged", "customer")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "Dave.O-K_1" || !slices.Equal(u.Roles, []string{"customer", "privileged"}) || u.PasswordHash != "" ||
		!u.CreatedAt.Equal(a.clock.Now()) {
		t.Errorf("CreateUser = %+v", u)
	}
	if !a.canLogIn("dave.o-k_1", next) {
		t.Error("the new user cannot sign in")
	}
	a.wantChange(u.ID, sesame.ActionUserCreate, "roles customer,privileged")
}
