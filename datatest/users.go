package datatest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// sameUser fails unless got is want as the store keeps it: every field but
// the ones a test changes on purpose.
func sameUser(t *testing.T, how string, got, want *sesame.User) {
	t.Helper()
	if got.ID != want.ID || got.Username != want.Username || got.PasswordHash != want.PasswordHash ||
		!slices.Equal(got.Roles, want.Roles) || !slices.Equal(got.Permissions, want.Permissions) ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.Disabled != want.Disabled ||
		!got.LastLoginAt.Equal(want.LastLoginAt) || got.Generation != want.Generation {
		t.Errorf("%s:\n got %+v\nwant %+v", how, got, want)
	}
	if got.Roles == nil || got.Permissions == nil {
		t.Errorf("%s: roles %#v, permissions %#v; want empty lists, not nil", how, got.Roles, got.Permissions)
	}
	utc(t, how+": CreatedAt", got.CreatedAt)
}

// testCreateUser: a new user holds the roles given, each once and sorted,
// and the sorted union of their permissions; UserByID and UserByUsername
// read back what CreateUser returned.
func testCreateUser(t *testing.T, s Store) {
	ctx := t.Context()
	for i, tc := range []struct {
		name      string
		roles     []string
		wantRoles []string
		wantPerms []sesame.Permission
	}{
		{"no roles", nil, []string{}, []sesame.Permission{}},
		{"customer", []string{"customer"}, []string{"customer"},
			[]sesame.Permission{"cart.edit", "products.view"}},
		{"privileged and customer", []string{"privileged", "customer"}, []string{"customer", "privileged"},
			[]sesame.Permission{"cart.edit", "checkout", "products.view", "task.perform"}},
		// admin overlaps with customer: the union holds each permission once.
		{"admin and customer twice", []string{"admin", "customer", "customer"}, []string{"admin", "customer"},
			[]sesame.Permission{"admin", "cart.edit", "checkout", "products.view", "task.perform"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("new.user_%d", i)
			created := at.Add(time.Duration(i) * time.Hour)
			u, err := s.CreateUser(ctx, name, "hash-of-"+name, tc.roles, created)
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			want := &sesame.User{ID: u.ID, Username: name, PasswordHash: "hash-of-" + name,
				Roles: tc.wantRoles, Permissions: tc.wantPerms, CreatedAt: created, Generation: u.Generation}
			if u.ID == 0 {
				t.Error("CreateUser returned user id 0")
			}
			sameUser(t, "CreateUser", u, want)
			sameUser(t, "UserByID", mustUser(t, s, u.ID), want)
			byName, err := s.UserByUsername(ctx, name)
			if err != nil {
				t.Fatalf("UserByUsername: %v", err)
			}
			sameUser(t, "UserByUsername", byName, want)
		})
	}
}

// testUsernameIgnoresCase: one name in any case is one user, who keeps the
// case it was created with. (Usernames are ASCII: the account service
// allows no other letters, and SQLite folds no others.)
func testUsernameIgnoresCase(t *testing.T, s Store) {
	u, err := s.CreateUser(t.Context(), "Alice", "h", []string{"customer"}, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		got, err := s.UserByUsername(t.Context(), name)
		if err != nil || got.ID != u.ID || got.Username != "Alice" {
			t.Errorf("UserByUsername(%q) = %+v, %v; want Alice", name, got, err)
		}
	}
}

// testUsernameTaken: a name taken in any case is a conflict, and the
// refused user leaves nothing behind.
func testUsernameTaken(t *testing.T, s Store) {
	ctx := t.Context()
	bob, err := s.CreateUser(ctx, "bob", "h", []string{"customer"}, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "BOB", "Bob"} {
		if u, err := s.CreateUser(ctx, name, "other", []string{"admin"}, at); !errors.Is(err, sesame.ErrConflict) {
			t.Errorf("CreateUser(%q) over bob = %+v, %v; want ErrConflict", name, u, err)
		}
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
	sameUser(t, "bob after the refusals", mustUser(t, s, bob.ID), bob)
}

// testUnknownRole: a role that does not exist is not found, at creation
// and when roles are replaced, and changes nothing.
func testUnknownRole(t *testing.T, s Store) {
	ctx := t.Context()
	if u, err := s.CreateUser(ctx, "carol", "h", []string{"customer", "wizard"}, at); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("CreateUser with role wizard = %+v, %v; want ErrNotFound", u, err)
	}
	if _, err := s.UserByUsername(ctx, "carol"); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("carol after a refused creation: %v; want her not created at all", err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Errorf("CountUsers = %d, %v; want 0", n, err)
	}
	u := addUser(t, s, "customer")
	if got, err := s.SetRoles(ctx, u.ID, []string{"admin", "wizard"}); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("SetRoles with role wizard = %+v, %v; want ErrNotFound", got, err)
	}
	sameUser(t, "after a refused SetRoles", mustUser(t, s, u.ID), u)
}

// testUnknownUser: reads and writes of a user that does not exist are not
// found, and the writes create nothing.
func testUnknownUser(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	missing := u.ID + 1000
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"UserByID", errOf(s.UserByID(ctx, missing))},
		{"UserByUsername", errOf(s.UserByUsername(ctx, "nobody"))},
		{"SetRoles", errOf(s.SetRoles(ctx, missing, []string{"customer"}))},
		{"SetPassword", s.SetPassword(ctx, missing, "h")},
		{"SetDisabled", errOf(s.SetDisabled(ctx, missing, true))},
		{"RehashPassword", s.RehashPassword(ctx, missing, "h")},
		{"SetLastLogin", s.SetLastLogin(ctx, missing, at)},
	} {
		if !errors.Is(tc.err, sesame.ErrNotFound) {
			t.Errorf("%s of an unknown user: %v; want ErrNotFound", tc.name, tc.err)
		}
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
	sameUser(t, "the one user", mustUser(t, s, u.ID), u)
}

// testRoles: the roles sesame ships, by name, with their permissions
// sorted.
func testRoles(t *testing.T, s Store) {
	roles, err := s.Roles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []sesame.Role{
		{Name: "admin", Permissions: []sesame.Permission{"admin", "cart.edit", "checkout", "products.view", "task.perform"}},
		{Name: "customer", Permissions: []sesame.Permission{"cart.edit", "products.view"}},
		{Name: "privileged", Permissions: []sesame.Permission{"checkout", "task.perform"}},
	}
	if !slices.EqualFunc(roles, want, func(a, b sesame.Role) bool {
		return a.Name == b.Name && slices.Equal(a.Permissions, b.Permissions)
	}) {
		t.Errorf("Roles = %+v\nwant %+v", roles, want)
	}
}

// testUsersPaging: every user once, by id, in stretches of any size.
func testUsersPaging(t *testing.T, s Store) {
	ctx := t.Context()
	list := func(p sesame.Paging) ([]sesame.User, string, error) { return s.Users(ctx, p) }
	userID := func(u sesame.User) int64 { return u.ID }
	if ids, n := readAll(t, 10, userID, list); len(ids) != 0 || n != 1 {
		t.Errorf("no users: %v in %d stretches; want one empty stretch", ids, n)
	}
	var want []int64
	users := map[int64]*sesame.User{}
	for range 7 {
		u := addUser(t, s, "customer")
		want = append(want, u.ID)
		users[u.ID] = u
	}
	if !slices.IsSorted(want) {
		t.Fatalf("ids %v were given out out of order", want)
	}
	checked := func(p sesame.Paging) ([]sesame.User, string, error) {
		list, next, err := s.Users(ctx, p)
		for _, u := range list {
			if w, ok := users[u.ID]; ok {
				sameUser(t, "listed user", &u, w)
			}
		}
		return list, next, err
	}
	for _, tc := range []struct{ limit, stretches int }{
		{1, 7}, {2, 4}, {3, 3}, {7, 1}, {8, 1}, {sesame.MaxLimit, 1},
	} {
		ids, n := readAll(t, tc.limit, userID, checked)
		if !slices.Equal(ids, want) || n != tc.stretches {
			t.Errorf("limit %d: %v in %d stretches; want %v in %d", tc.limit, ids, n, want, tc.stretches)
		}
	}
	if list, next, err := s.Users(ctx, sesame.Paging{}); err != nil || len(list) != 7 || next != "" {
		t.Errorf("Users(zero Paging) = %d users, %q, %v; want all 7 at the default limit", len(list), next, err)
	}
}

// testSetRoles: the new roles replace the old, each held once, and the
// user returned is the user stored.
func testSetRoles(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	for _, tc := range []struct {
		name      string
		roles     []string
		wantRoles []string
		wantPerms []sesame.Permission
	}{
		{"replaced", []string{"privileged", "admin"}, []string{"admin", "privileged"},
			[]sesame.Permission{"admin", "cart.edit", "checkout", "products.view", "task.perform"}},
		{"named twice", []string{"privileged", "privileged"}, []string{"privileged"},
			[]sesame.Permission{"checkout", "task.perform"}},
		{"none", nil, []string{}, []sesame.Permission{}},
		{"back", []string{"customer"}, []string{"customer"}, []sesame.Permission{"cart.edit", "products.view"}},
	} {
		got, err := s.SetRoles(ctx, u.ID, tc.roles)
		if err != nil {
			t.Fatalf("%s: SetRoles: %v", tc.name, err)
		}
		want := *u
		want.Roles, want.Permissions, want.Generation = tc.wantRoles, tc.wantPerms, got.Generation
		sameUser(t, tc.name+": SetRoles", got, &want)
		sameUser(t, tc.name+": UserByID", mustUser(t, s, u.ID), &want)
	}
}

// testSetDisabled: a user is disabled and enabled again, and the user
// returned is the user stored.
func testSetDisabled(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	other := addUser(t, s, "customer")
	for _, disabled := range []bool{true, true, false, false} {
		got, err := s.SetDisabled(ctx, u.ID, disabled)
		if err != nil {
			t.Fatalf("SetDisabled(%v): %v", disabled, err)
		}
		want := *u
		want.Disabled, want.Generation = disabled, got.Generation
		sameUser(t, fmt.Sprintf("SetDisabled(%v)", disabled), got, &want)
		sameUser(t, fmt.Sprintf("UserByID after SetDisabled(%v)", disabled), mustUser(t, s, u.ID), &want)
	}
	sameUser(t, "another user", mustUser(t, s, other.ID), other)
}

// testPasswordAndLastLogin: the hash is replaced by either write, and the
// latest sign-in is recorded, each for its user alone.
func testPasswordAndLastLogin(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	other := addUser(t, s, "customer")
	if err := s.SetPassword(ctx, u.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if got := mustUser(t, s, u.ID); got.PasswordHash != "new-hash" {
		t.Errorf("hash after SetPassword = %q; want new-hash", got.PasswordHash)
	}
	if err := s.RehashPassword(ctx, u.ID, "rehashed"); err != nil {
		t.Fatal(err)
	}
	if got := mustUser(t, s, u.ID); got.PasswordHash != "rehashed" {
		t.Errorf("hash after RehashPassword = %q; want rehashed", got.PasswordHash)
	}
	for _, when := range []time.Time{at.Add(time.Hour), at.Add(2 * time.Hour), at.Add(time.Minute)} {
		if err := s.SetLastLogin(ctx, u.ID, when); err != nil {
			t.Fatal(err)
		}
		got := mustUser(t, s, u.ID)
		if !got.LastLoginAt.Equal(when) {
			t.Errorf("LastLoginAt = %v; want %v, the latest written", got.LastLoginAt, when)
		}
		utc(t, "LastLoginAt", got.LastLoginAt)
	}
	sameUser(t, "another user", mustUser(t, s, other.ID), other)
}

// testGeneration: the changes that end a user's sessions (of roles, of the
// password, disabling) each start a new generation; a rehash (the same
// password) and a sign-in do not. Enabling may or may not: it ends no
// session, and nothing depends on it.
func testGeneration(t *testing.T, s Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		change func(id int64) error
		bumps  bool
	}{
		{"SetRoles", func(id int64) error { return errOf(s.SetRoles(ctx, id, []string{"privileged"})) }, true},
		{"SetRoles to the same roles", func(id int64) error { return errOf(s.SetRoles(ctx, id, []string{"customer"})) }, true},
		{"SetPassword", func(id int64) error { return s.SetPassword(ctx, id, "new-hash") }, true},
		{"SetDisabled", func(id int64) error { return errOf(s.SetDisabled(ctx, id, true)) }, true},
		{"RehashPassword", func(id int64) error { return s.RehashPassword(ctx, id, "rehashed") }, false},
		{"SetLastLogin", func(id int64) error { return s.SetLastLogin(ctx, id, at.Add(time.Hour)) }, false},
	} {
		u := addUser(t, s, "customer")
		other := addUser(t, s, "customer")
		for round := range 2 { // every change counts, not only the first
			before := mustUser(t, s, u.ID).Generation
			if err := tc.change(u.ID); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			after := mustUser(t, s, u.ID).Generation
			if tc.bumps && after <= before || !tc.bumps && after != before {
				t.Errorf("%s #%d: generation %d → %d; want it %s", tc.name, round+1, before, after,
					map[bool]string{true: "increased", false: "kept"}[tc.bumps])
			}
		}
		if g := mustUser(t, s, other.ID).Generation; g != other.Generation {
			t.Errorf("%s: another user's generation moved %d → %d", tc.name, other.Generation, g)
		}
	}
	// Enabling: not backwards, whatever else.
	u := addUser(t, s, "customer")
	disabled, err := s.SetDisabled(ctx, u.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	enabled, err := s.SetDisabled(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if enabled.Generation < disabled.Generation {
		t.Errorf("enabling took the generation back, %d → %d", disabled.Generation, enabled.Generation)
	}
}

// testCountUsers: one more with each user.
func testCountUsers(t *testing.T, s Store) {
	for want := range 3 {
		if n, err := s.CountUsers(t.Context()); err != nil || n != want {
			t.Fatalf("CountUsers = %d, %v; want %d", n, err, want)
		}
		addUser(t, s)
	}
}
