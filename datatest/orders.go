package datatest

import (
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// buy checks out quantity of each product for user at when.
func buy(t *testing.T, s Store, userID int64, when time.Time, quantity int, ps ...sesame.Product) *sesame.Order {
	t.Helper()
	for _, p := range ps {
		addToCart(t, s, userID, p.ID, quantity)
	}
	o, _, err := s.Checkout(t.Context(), userID, "", when)
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	return o
}

// testOrdersPaging: a user's orders, newest first, with their lines, in
// stretches of any size; another user's orders never show; an order placed
// while the list is read makes the next stretch neither repeat nor skip.
func testOrdersPaging(t *testing.T, s Store) {
	ctx := t.Context()
	ps := seedProducts(t, s, product(100, 1000), product(200, 1000))
	a, b := ps[0], ps[1]
	u := addUser(t, s, "privileged")
	other := addUser(t, s, "privileged")
	orderID := func(o sesame.Order) int64 { return o.ID }

	if ids, n := readAll(t, 10, orderID, func(p sesame.Paging) ([]sesame.Order, string, error) {
		return s.Orders(ctx, u.ID, p)
	}); len(ids) != 0 || n != 1 {
		t.Errorf("no orders: %v in %d stretches; want one empty stretch", ids, n)
	}

	var want []int64 // newest first
	for i := range 7 {
		lines := []sesame.Product{a}
		if i%2 == 0 { // some orders of two lines
			lines = append(lines, b)
		}
		o := buy(t, s, u.ID, at.Add(time.Duration(i)*time.Minute), 1, lines...)
		want = slices.Insert(want, 0, o.ID)
		buy(t, s, other.ID, at, 1, a) // interleaved, never shown
	}
	list := func(p sesame.Paging) ([]sesame.Order, string, error) {
		orders, next, err := s.Orders(ctx, u.ID, p)
		for _, o := range orders {
			sameOrder(t, "listed order", &o, mustOrder(t, s, o.ID))
		}
		return orders, next, err
	}
	for _, tc := range []struct{ limit, stretches int }{
		{1, 7}, {2, 4}, {3, 3}, {7, 1}, {8, 1}, {sesame.MaxLimit, 1},
	} {
		ids, n := readAll(t, tc.limit, orderID, list)
		if !slices.Equal(ids, want) || n != tc.stretches {
			t.Errorf("limit %d: %v in %d stretches; want %v in %d", tc.limit, ids, n, want, tc.stretches)
		}
	}
	if os, next, err := s.Orders(ctx, u.ID, sesame.Paging{}); err != nil || len(os) != 7 || next != "" {
		t.Errorf("Orders(zero Paging) = %d orders, %q, %v; want all 7", len(os), next, err)
	}

	// Keyed, not counted: a new order at the head between two stretches.
	first, next, err := s.Orders(ctx, u.ID, sesame.Paging{Limit: 3})
	if err != nil || len(first) != 3 || next == "" {
		t.Fatalf("first stretch: %d, %q, %v", len(first), next, err)
	}
	buy(t, s, u.ID, at.Add(time.Hour), 1, a)
	rest, next, err := s.Orders(ctx, u.ID, sesame.Paging{Limit: 10, Cursor: next})
	if err != nil || next != "" {
		t.Fatalf("rest: %q, %v", next, err)
	}
	var got []int64
	for _, o := range slices.Concat(first, rest) {
		got = append(got, o.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("read around a new order: %v; want %v", got, want)
	}
}

// testOrdersOfOthers: Order returns any user's order, owner and all (the
// service decides who may see it); each user's list holds theirs alone.
func testOrdersOfOthers(t *testing.T, s Store) {
	p := seedProducts(t, s, product(100, 100))[0]
	u := addUser(t, s, "privileged")
	other := addUser(t, s, "privileged")
	mine := buy(t, s, u.ID, at, 2, p)
	theirs := buy(t, s, other.ID, at.Add(time.Second), 3, p)
	for _, o := range []*sesame.Order{mine, theirs} {
		sameOrder(t, "Order", mustOrder(t, s, o.ID), o)
	}
	for _, tc := range []struct {
		user *sesame.User
		want *sesame.Order
	}{{u, mine}, {other, theirs}} {
		os := ordersOf(t, s, tc.user.ID)
		if len(os) != 1 {
			t.Fatalf("orders of user %d: %+v; want only theirs", tc.user.ID, os)
		}
		sameOrder(t, "the one order listed", &os[0], tc.want)
	}
	if os := ordersOf(t, s, other.ID+u.ID+1000); len(os) != 0 {
		t.Errorf("orders of nobody: %+v", os)
	}
}
