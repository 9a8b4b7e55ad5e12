package datatest

import (
	"slices"
	"testing"

	"github.com/sesamehq/sesame"
)

// demo is what the seeding cases seed: three users and three products.
func demo() ([]sesame.NewUser, []sesame.Product) {
	return []sesame.NewUser{
			{Username: "alice", PasswordHash: "hash-a", Roles: []string{"customer"}},
			{Username: "Bob", PasswordHash: "hash-b", Roles: []string{"privileged", "customer"}},
			{Username: "root", PasswordHash: "hash-r", Roles: []string{"admin"}},
		}, []sesame.Product{
			{SKU: "W-1", Name: "Widget", Description: "a widget", PriceCents: 250, Stock: 10},
			{SKU: "G-1", Name: "Gadget", PriceCents: 1000, Stock: 0},
			{SKU: "B-1", Name: "Bit «ünïcødé»", Description: "🍪", PriceCents: 0, Stock: sesame.MaxStock},
		}
}

// wantEmpty fails unless s holds no user and no product.
func wantEmpty(t *testing.T, s Store, what string) {
	t.Helper()
	if n, err := s.CountUsers(t.Context()); err != nil || n != 0 {
		t.Errorf("%s: CountUsers = %d, %v; want 0", what, n, err)
	}
	if ps, err := s.Products(t.Context()); err != nil || len(ps) != 0 {
		t.Errorf("%s: Products = %+v, %v; want none", what, ps, err)
	}
}

// testSeed: an empty store is seeded with every user (their roles, the
// time given) and every product; a second seed finds users and leaves the
// store alone.
func testSeed(t *testing.T, s Store) {
	ctx := t.Context()
	users, products := demo()
	ok, err := s.Seed(ctx, users, slices.Clone(products), at)
	if err != nil || !ok {
		t.Fatalf("Seed of an empty store = %v, %v; want true", ok, err)
	}
	perms := map[string][]sesame.Permission{
		"alice": {"cart.edit", "products.view"},
		"Bob":   {"cart.edit", "checkout", "products.view", "task.perform"},
		"root":  {"admin", "cart.edit", "checkout", "products.view", "task.perform"},
	}
	for _, nu := range users {
		u, err := s.UserByUsername(ctx, nu.Username)
		if err != nil {
			t.Fatalf("seeded user %s: %v", nu.Username, err)
		}
		roles := slices.Sorted(slices.Values(nu.Roles))
		want := &sesame.User{ID: u.ID, Username: nu.Username, PasswordHash: nu.PasswordHash,
			Roles: roles, Permissions: perms[nu.Username], CreatedAt: at, Generation: u.Generation}
		sameUser(t, "seeded "+nu.Username, u, want)
	}
	stored, err := s.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(products) {
		t.Fatalf("Products = %+v; want the %d seeded", stored, len(products))
	}
	for _, p := range products {
		i := slices.IndexFunc(stored, func(q sesame.Product) bool { return q.SKU == p.SKU })
		if i < 0 {
			t.Errorf("product %s was not seeded", p.SKU)
			continue
		}
		p.ID = stored[i].ID
		if stored[i] != p || p.ID == 0 {
			t.Errorf("seeded product %+v; want %+v", stored[i], p)
		}
	}

	again, more := demo()
	more[0].SKU = "W-2"
	again[0].Username = "carol"
	if ok, err := s.Seed(ctx, again, more, at); err != nil || ok {
		t.Errorf("a second Seed = %v, %v; want false: the store has users", ok, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != len(users) {
		t.Errorf("CountUsers after a second seed = %d, %v; want %d", n, err, len(users))
	}
	if ps, err := s.Products(ctx); err != nil || len(ps) != len(products) {
		t.Errorf("%d products after a second seed, %v; want %d", len(ps), err, len(products))
	}
}

// testSeedAllOrNothing: a seed that fails anywhere leaves nothing behind,
// and the store can be seeded afterwards.
func testSeedAllOrNothing(t *testing.T, s Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		spoil func(users []sesame.NewUser, products []sesame.Product) ([]sesame.NewUser, []sesame.Product)
	}{
		{"a name taken in another case", func(us []sesame.NewUser, ps []sesame.Product) ([]sesame.NewUser, []sesame.Product) {
			return append(us, sesame.NewUser{Username: "ALICE", PasswordHash: "h"}), ps
		}},
		{"an unknown role", func(us []sesame.NewUser, ps []sesame.Product) ([]sesame.NewUser, []sesame.Product) {
			us[2].Roles = []string{"admin", "wizard"}
			return us, ps
		}},
		{"a SKU twice", func(us []sesame.NewUser, ps []sesame.Product) ([]sesame.NewUser, []sesame.Product) {
			return us, append(ps, sesame.Product{SKU: "W-1", Name: "Widget again", PriceCents: 1})
		}},
	} {
		users, products := tc.spoil(demo())
		if ok, err := s.Seed(ctx, users, products, at); err == nil || ok {
			t.Errorf("%s: Seed = %v, %v; want an error", tc.name, ok, err)
		}
		wantEmpty(t, s, tc.name)
	}
	users, products := demo()
	if ok, err := s.Seed(ctx, users, products, at); err != nil || !ok {
		t.Errorf("Seed after the failed ones = %v, %v; want true", ok, err)
	}
}

// testSeedNotIntoUsers: a store with a user is not seeded, and the seed is
// no error: it runs at every start.
func testSeedNotIntoUsers(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	users, products := demo()
	if ok, err := s.Seed(ctx, users, products, at); err != nil || ok {
		t.Errorf("Seed of a store with a user = %v, %v; want false, nil", ok, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want the 1 there was", n, err)
	}
	if ps, err := s.Products(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Products = %+v, %v; want none seeded", ps, err)
	}
	sameUser(t, "the user there was", mustUser(t, s, u.ID), u)
}
