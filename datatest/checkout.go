package datatest

import (
	"cmp"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// sameOrder fails unless got is want, its time equal and in UTC.
func sameOrder(t *testing.T, how string, got, want *sesame.Order) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no order; want %+v", how, want)
		return
	}
	if got.ID != want.ID || got.UserID != want.UserID || got.TotalCents != want.TotalCents ||
		!got.CreatedAt.Equal(want.CreatedAt) || !slices.Equal(got.Items, want.Items) {
		t.Errorf("%s:\n got %+v\nwant %+v", how, got, want)
	}
	utc(t, how+": CreatedAt", got.CreatedAt)
}

// mustOrder returns order id as stored.
func mustOrder(t *testing.T, s Store, id int64) *sesame.Order {
	t.Helper()
	o, err := s.Order(t.Context(), id)
	if err != nil {
		t.Fatalf("Order(%d): %v", id, err)
	}
	return o
}

// ordersOf returns every order of user, newest first.
func ordersOf(t *testing.T, s Store, userID int64) []sesame.Order {
	t.Helper()
	os, next, err := s.Orders(t.Context(), userID, sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil || next != "" {
		t.Fatalf("Orders(%d) = %d orders, next %q, %v", userID, len(os), next, err)
	}
	return os
}

// testCheckout: an order of every line at today's prices, by product id;
// the stock is taken, the cart emptied, and the order reads back as it was
// returned, to whatever precision the store keeps its time.
func testCheckout(t *testing.T, s Store) {
	ctx := t.Context()
	ps := seedProducts(t, s, product(250, 5), product(1000, 2))
	a, b := ps[0], ps[1]
	u := addUser(t, s, "customer", "privileged")
	addToCart(t, s, u.ID, b.ID, 2)
	addToCart(t, s, u.ID, a.ID, 3)

	now := at.Add(123_456 * time.Nanosecond) // finer than any store keeps
	o, placed, err := s.Checkout(ctx, u.ID, "", now)
	if err != nil || !placed {
		t.Fatalf("Checkout = %+v, placed %v, %v", o, placed, err)
	}
	if o.ID == 0 {
		t.Error("the order has id 0")
	}
	if d := o.CreatedAt.Sub(now); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("order created at %v; want %v to the millisecond", o.CreatedAt, now)
	}
	lines := []sesame.LineItem{ // by product id
		{ProductID: a.ID, Name: a.Name, Quantity: 3, UnitPriceCents: 250},
		{ProductID: b.ID, Name: b.Name, Quantity: 2, UnitPriceCents: 1000},
	}
	slices.SortFunc(lines, func(x, y sesame.LineItem) int { return cmp.Compare(x.ProductID, y.ProductID) })
	want := &sesame.Order{ID: o.ID, UserID: u.ID, TotalCents: 3*250 + 2*1000, CreatedAt: o.CreatedAt, Items: lines}
	sameOrder(t, "Checkout", o, want)
	sameOrder(t, "Order", mustOrder(t, s, o.ID), want)
	if n := stockOf(t, s, a.ID); n != 2 {
		t.Errorf("stock of a %d; want 2", n)
	}
	if n := stockOf(t, s, b.ID); n != 0 {
		t.Errorf("stock of b %d; want 0", n)
	}
	if items := cartOf(t, s, u.ID).Items; len(items) != 0 {
		t.Errorf("cart after checkout: %+v", items)
	}
	if _, err := s.Order(ctx, o.ID+1000); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("Order of an unknown id: %v; want ErrNotFound", err)
	}
}

// testCheckoutEmptyCart: nothing to order, with or without a key; no order
// is written.
func testCheckoutEmptyCart(t *testing.T, s Store) {
	u := addUser(t, s, "privileged")
	for _, key := range []string{"", "key"} {
		o, placed, err := s.Checkout(t.Context(), u.ID, key, at)
		if !errors.Is(err, sesame.ErrEmptyCart) || o != nil || placed {
			t.Errorf("key %q: Checkout = %+v, %v, %v; want ErrEmptyCart", key, o, placed, err)
		}
	}
	if os := ordersOf(t, s, u.ID); len(os) != 0 {
		t.Errorf("orders %+v; want none", os)
	}
}

// testCheckoutShortStock: stock that cannot fill a line refuses the whole
// checkout, naming every short line in the cart's order, and changes
// nothing: not the stock, not the cart, and the key is not used up.
func testCheckoutShortStock(t *testing.T, s Store) {
	ctx := t.Context()
	ps := seedProducts(t, s, product(100, 10), product(200, 1), product(300, 0))
	enough, few, none := ps[0], ps[1], ps[2]
	u := addUser(t, s, "privileged")
	addToCart(t, s, u.ID, none.ID, 1)
	addToCart(t, s, u.ID, enough.ID, 4)
	addToCart(t, s, u.ID, few.ID, 2)
	before := cartOf(t, s, u.ID)

	o, placed, err := s.Checkout(ctx, u.ID, "key", at)
	var stock *sesame.StockError
	if !errors.As(err, &stock) || o != nil || placed {
		t.Fatalf("Checkout = %+v, %v, %v; want a *StockError", o, placed, err)
	}
	if !errors.Is(err, sesame.ErrConflict) {
		t.Errorf("%v does not match ErrConflict", err)
	}
	wantLines := []sesame.ShortLine{
		{ProductID: few.ID, Name: few.Name, Wanted: 2, Available: 1},
		{ProductID: none.ID, Name: none.Name, Wanted: 1, Available: 0},
	}
	slices.SortFunc(wantLines, func(x, y sesame.ShortLine) int { return cmp.Compare(x.ProductID, y.ProductID) })
	if !reflect.DeepEqual(stock.Lines, wantLines) {
		t.Errorf("short lines %+v\nwant %+v", stock.Lines, wantLines)
	}
	for _, p := range ps {
		if n := stockOf(t, s, p.ID); n != p.Stock {
			t.Errorf("stock of %s %d; want it untouched at %d", p.Name, n, p.Stock)
		}
	}
	if after := cartOf(t, s, u.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("cart %+v; want it untouched at %+v", after, before)
	}
	if os := ordersOf(t, s, u.ID); len(os) != 0 {
		t.Errorf("a refused checkout wrote orders %+v", os)
	}

	// The key was not used up by the refusal: once the cart fits, it works.
	if _, err := s.SetCartQuantity(ctx, u.ID, few.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCartQuantity(ctx, u.ID, none.ID, 0); err != nil {
		t.Fatal(err)
	}
	if o, placed, err := s.Checkout(ctx, u.ID, "key", at); err != nil || !placed || len(o.Items) != 2 {
		t.Errorf("checkout after fixing the cart = %+v, %v, %v", o, placed, err)
	}
}

// testCheckoutIdempotencyKey: a key a user used before answers the order
// it placed, whatever the cart holds now (nothing, after that checkout,
// or something new), and sells nothing; keys are each user's own.
func testCheckoutIdempotencyKey(t *testing.T, s Store) {
	ctx := t.Context()
	p := seedProducts(t, s, product(100, 10))[0]
	u := addUser(t, s, "privileged")
	other := addUser(t, s, "privileged")
	addToCart(t, s, u.ID, p.ID, 2)

	first, placed, err := s.Checkout(ctx, u.ID, "key-1", at)
	if err != nil || !placed {
		t.Fatalf("first checkout: %+v, placed %v, %v", first, placed, err)
	}
	// A retry after a lost answer: the cart is empty now.
	again, placed, err := s.Checkout(ctx, u.ID, "key-1", at.Add(time.Minute))
	if err != nil || placed {
		t.Fatalf("retry with the key: %+v, placed %v, %v; want the first order, not placed", again, placed, err)
	}
	sameOrder(t, "retry with an empty cart", again, first)
	// Even with something new in the cart.
	addToCart(t, s, u.ID, p.ID, 1)
	again, placed, err = s.Checkout(ctx, u.ID, "key-1", at.Add(time.Hour))
	if err != nil || placed {
		t.Fatalf("retry with a new cart: %+v, placed %v, %v", again, placed, err)
	}
	sameOrder(t, "retry with a new cart", again, first)
	if n := stockOf(t, s, p.ID); n != 8 {
		t.Errorf("stock %d; want 8", n)
	}
	if items := cartOf(t, s, u.ID).Items; len(items) != 1 || items[0].Quantity != 1 {
		t.Errorf("the repeated checkout changed the cart: %+v", items)
	}

	// Keys belong to a user: another user's same key is a new order.
	addToCart(t, s, other.ID, p.ID, 1)
	theirs, placed, err := s.Checkout(ctx, other.ID, "key-1", at)
	if err != nil || !placed || theirs.ID == first.ID || theirs.UserID != other.ID {
		t.Errorf("another user's key: %+v, %v, %v", theirs, placed, err)
	}
	// A new key, or none, is a new order.
	second, placed, err := s.Checkout(ctx, u.ID, "key-2", at)
	if err != nil || !placed || second.ID == first.ID {
		t.Errorf("a new key: %+v, %v, %v", second, placed, err)
	}
	if n := len(ordersOf(t, s, u.ID)); n != 2 {
		t.Errorf("%d orders of the user; want 2", n)
	}
}

// testCheckoutConcurrentOneKey: one user sends the same checkout several
// times at once (a retried request): one order, whichever attempt wins,
// and every attempt answers it; one says it placed it.
func testCheckoutConcurrentOneKey(t *testing.T, s Store) {
	p := seedProducts(t, s, product(100, 10))[0]
	u := addUser(t, s, "privileged")
	addToCart(t, s, u.ID, p.ID, 3)
	const attempts = 10
	ids := make([]int64, attempts)
	var placedN int
	var mu sync.Mutex
	ok, _ := race(t, attempts, func(i int) error {
		o, placed, err := s.Checkout(t.Context(), u.ID, "retry-me", at)
		if err == nil {
			mu.Lock()
			ids[i] = o.ID
			if placed {
				placedN++
			}
			mu.Unlock()
		}
		return err
	})
	if ok != attempts {
		t.Fatalf("%d of %d attempts answered an order", ok, attempts)
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("attempt %d got order %d, attempt 0 got %d", i, id, ids[0])
		}
	}
	if placedN != 1 {
		t.Errorf("%d attempts say they placed the order; want 1", placedN)
	}
	if n := len(ordersOf(t, s, u.ID)); n != 1 {
		t.Errorf("%d orders; want 1", n)
	}
	if n := stockOf(t, s, p.ID); n != 7 {
		t.Errorf("stock %d; want 7", n)
	}
}

// buyers makes n users, each with quantity of every product in ps in the
// cart.
func buyers(t *testing.T, s Store, n, quantity int, ps ...sesame.Product) []*sesame.User {
	t.Helper()
	us := make([]*sesame.User, n)
	for i := range us {
		us[i] = addUser(t, s, "privileged")
		for _, p := range ps {
			addToCart(t, s, us[i].ID, p.ID, quantity)
		}
	}
	return us
}

// checkoutAll checks out every user at once and returns the orders placed;
// a checkout may only succeed or be refused for short stock.
func checkoutAll(t *testing.T, s Store, users []*sesame.User, also func()) []*sesame.Order {
	t.Helper()
	var (
		mu     sync.Mutex
		orders []*sesame.Order
	)
	n := len(users)
	if also != nil {
		n++
	}
	race(t, n, func(i int) error {
		if i == len(users) {
			also()
			return nil
		}
		o, _, err := s.Checkout(t.Context(), users[i].ID, "", at)
		var se *sesame.StockError
		switch {
		case err == nil:
			mu.Lock()
			orders = append(orders, o)
			mu.Unlock()
		case errors.As(err, &se):
		default:
			t.Errorf("Checkout: %v; want an order or a *StockError", err)
		}
		return nil
	})
	return orders
}

// testCheckoutConcurrentNeverOversell: THE concurrency case. 20 users each
// hold one unit of a product of which 5 are left, and all check out at
// once: exactly 5 are sold, and the 15 refused keep their carts.
func testCheckoutConcurrentNeverOversell(t *testing.T, s Store) {
	const n, stock = 20, 5
	p := seedProducts(t, s, product(100, stock))[0]
	us := buyers(t, s, n, 1, p)
	orders := checkoutAll(t, s, us, nil)
	ids := map[int64]bool{}
	for _, o := range orders {
		ids[o.ID] = true
	}
	if len(orders) != stock || len(ids) != stock {
		t.Errorf("%d sold (%d distinct orders); want %d", len(orders), len(ids), stock)
	}
	if left := stockOf(t, s, p.ID); left != 0 {
		t.Errorf("stock %d; want 0", left)
	}
	var full, stored int
	for _, u := range us {
		if len(cartOf(t, s, u.ID).Items) > 0 {
			full++
		}
		stored += len(ordersOf(t, s, u.ID))
	}
	if full != n-stock || stored != stock {
		t.Errorf("%d carts still full, %d orders stored; want %d and %d", full, stored, n-stock, stock)
	}
}

// testCheckoutConcurrentAllOrNothing: checkouts of two lines at once, one
// product scarcer than the other: each takes both lines or neither, so
// the plentiful one loses exactly what the scarce one sold.
func testCheckoutConcurrentAllOrNothing(t *testing.T, s Store) {
	ps := seedProducts(t, s, product(100, 8), product(300, 20))
	scarce, plenty := ps[0], ps[1]
	us := buyers(t, s, 12, 2, scarce, plenty) // 4 can be served
	orders := checkoutAll(t, s, us, nil)
	if len(orders) != 4 {
		t.Errorf("%d orders; want 4", len(orders))
	}
	for _, o := range orders {
		if len(o.Items) != 2 || o.TotalCents != 2*100+2*300 {
			t.Errorf("order %+v; want both lines", o)
		}
	}
	if a, b := stockOf(t, s, scarce.ID), stockOf(t, s, plenty.ID); a != 0 || b != 20-2*len(orders) {
		t.Errorf("stock %d and %d; want 0 and %d", a, b, 20-2*len(orders))
	}
}

// testCheckoutRacesRestock: checkouts of a sold-out product while it is
// restocked: whatever the order, no more is sold than there came, and
// what was not sold is still there.
func testCheckoutRacesRestock(t *testing.T, s Store) {
	p := seedProducts(t, s, product(100, 0))[0]
	us := buyers(t, s, 10, 1, p)
	orders := checkoutAll(t, s, us, func() {
		if _, err := s.Restock(t.Context(), p.ID, 5); err != nil {
			t.Errorf("Restock: %v", err)
		}
	})
	if left := stockOf(t, s, p.ID); len(orders) > 5 || len(orders)+left != 5 {
		t.Errorf("%d sold, %d left; want 5 in all", len(orders), left)
	}
}
