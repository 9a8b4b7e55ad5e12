package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/sqlite"
)

func TestCreateUserRolesAndPermissions(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		roles     []string
		wantRoles []string
		wantPerms []sesame.Permission
	}{
		{"no roles", nil, []string{}, []sesame.Permission{}},
		{"customer", []string{"customer"}, []string{"customer"},
			[]sesame.Permission{"cart.edit", "products.view"}},
		{"authorized", []string{"privileged", "customer"}, []string{"customer", "privileged"},
			[]sesame.Permission{"cart.edit", "checkout", "products.view", "task.perform"}},
		// admin overlaps with customer: the union holds each permission once.
		{"admin and customer twice", []string{"admin", "customer", "customer"}, []string{"admin", "customer"},
			[]sesame.Permission{"admin", "cart.edit", "checkout", "products.view", "task.perform"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(-time.Millisecond)
			u := addUser(t, db, tc.roles...)
			check := func(how string, got *sesame.User) {
				t.Helper()
				if got.ID != u.ID || got.Username != u.Username || got.PasswordHash != "hash-of-"+u.Username {
					t.Errorf("%s: got %+v, want user %d %q", how, got, u.ID, u.Username)
				}
				if !slices.Equal(got.Roles, tc.wantRoles) || got.Roles == nil {
					t.Errorf("%s: roles %#v, want %#v", how, got.Roles, tc.wantRoles)
				}
				if !slices.Equal(got.Permissions, tc.wantPerms) || got.Permissions == nil {
					t.Errorf("%s: permissions %#v, want %#v", how, got.Permissions, tc.wantPerms)
				}
				if got.CreatedAt.Location() != time.UTC || got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now()) {
					t.Errorf("%s: created at %v", how, got.CreatedAt)
				}
			}
			check("CreateUser", u)
			byID, err := db.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			check("UserByID", byID)
			byName, err := db.UserByUsername(ctx, u.Username)
			if err != nil {
				t.Fatal(err)
			}
			check("UserByUsername", byName)
		})
	}
}

func TestUserByUsernameIgnoresCase(t *testing.T) {
	db := newDB(t)
	u, err := db.CreateUser(context.Background(), "Alice", "h", []string{"customer"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "ALICE", "aLiCe"} {
		got, err := db.UserByUsername(context.Background(), name)
		if err != nil || got.ID != u.ID || got.Username != "Alice" {
			t.Errorf("UserByUsername(%q) = %+v, %v; want Alice", name, got, err)
		}
	}
}

func TestUserErrors(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	if _, err := db.CreateUser(ctx, "bob", "h", nil); err != nil {
		t.Fatal(err)
	}
	var invalid *sesame.InvalidError
	for _, tc := range []struct {
		name string
		err  error
		want func(error) bool
	}{
		{"unknown id", second(db.UserByID(ctx, 999)), is(sesame.ErrNotFound)},
		{"unknown name", second(db.UserByUsername(ctx, "nobody")), is(sesame.ErrNotFound)},
		{"duplicate name", second(db.CreateUser(ctx, "bob", "h", nil)), is(sesame.ErrConflict)},
		{"duplicate name in another case", second(db.CreateUser(ctx, "BOB", "h", nil)), is(sesame.ErrConflict)},
		{"unknown role", second(db.CreateUser(ctx, "carol", "h", []string{"customer", "wizard"})),
			func(err error) bool { return errors.As(err, &invalid) && invalid.Fields["roles"] != "" }},
		{"password of unknown id", db.SetPasswordHash(ctx, 999, "h"), is(sesame.ErrNotFound)},
	} {
		if !tc.want(tc.err) {
			t.Errorf("%s: got error %v", tc.name, tc.err)
		}
	}
	// The refused creations left nothing behind, not even carol's row.
	if n, err := db.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
}

func TestSetPasswordHash(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "customer")
	if err := db.SetPasswordHash(ctx, u.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != "new-hash" {
		t.Errorf("hash %q, want new-hash", got.PasswordHash)
	}
}

func TestCountUsers(t *testing.T) {
	db := newDB(t)
	for want := range 3 {
		n, err := db.CountUsers(context.Background())
		if err != nil || n != want {
			t.Fatalf("CountUsers = %d, %v; want %d", n, err, want)
		}
		addUser(t, db)
	}
}

// second returns the error of a call that also returns a value.
func second[T any](_ T, err error) error { return err }

// is returns a check that err matches target.
func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// Loading the user is part of every request's cost (DESIGN: the request
// path): one statement for the user, roles and permissions.
func BenchmarkUserByID(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "sesame.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u, err := db.CreateUser(context.Background(), "bench", "h", []string{"customer", "privileged", "admin"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := db.UserByID(context.Background(), u.ID); err != nil {
			b.Fatal(err)
		}
	}
}
