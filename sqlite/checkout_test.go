package sqlite_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

var now = time.Date(2030, 5, 6, 7, 8, 9, 123_456_789, time.UTC)

func TestCheckout(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "customer", "privileged")
	a := addProduct(t, db, 250, 5)
	b := addProduct(t, db, 1000, 2)
	addToCart(t, db, u.ID, b.ID, 2)
	addToCart(t, db, u.ID, a.ID, 3)

	o, _, err := db.Checkout(ctx, u.ID, "", now)
	if err != nil {
		t.Fatal(err)
	}
	want := &sesame.Order{
		ID:         o.ID,
		UserID:     u.ID,
		TotalCents: 3*250 + 2*1000,
		CreatedAt:  now.Truncate(time.Millisecond),
		Items: []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 3, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 2, UnitPriceCents: 1000},
		},
	}
	if o.ID == 0 || !reflect.DeepEqual(o, want) {
		t.Errorf("Checkout = %+v, want %+v", o, want)
	}
	stored, err := db.Order(ctx, o.ID)
	if err != nil || !reflect.DeepEqual(stored, want) {
		t.Errorf("Order(%d) = %+v, %v; want %+v", o.ID, stored, err, want)
	}
	if s := stockOf(t, db, a.ID); s != 2 {
		t.Errorf("stock of a %d, want 2", s)
	}
	if s := stockOf(t, db, b.ID); s != 0 {
		t.Errorf("stock of b %d, want 0", s)
	}
	if cart, _ := db.Cart(ctx, u.ID); len(cart.Items) != 0 {
		t.Errorf("cart after checkout: %+v", cart.Items)
	}

	// The order keeps the price paid when the product changes later.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE products SET price_cents = 1, name = 'renamed'`); err != nil {
		t.Fatal(err)
	}
	if stored, _ := db.Order(ctx, o.ID); !reflect.DeepEqual(stored, want) {
		t.Errorf("order after a price change: %+v", stored)
	}
	if _, err := db.Order(ctx, o.ID+1); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("Order of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestCheckoutEmptyCart(t *testing.T) {
	db := newDB(t)
	u := addUser(t, db, "privileged")
	for _, key := range []string{"", "key"} {
		o, _, err := db.Checkout(context.Background(), u.ID, key, now)
		if !errors.Is(err, sesame.ErrEmptyCart) || o != nil {
			t.Errorf("key %q: Checkout = %+v, %v; want ErrEmptyCart", key, o, err)
		}
	}
	if n := countRows(t, db, "orders", "1"); n != 0 {
		t.Errorf("%d orders, want none", n)
	}
}

func TestCheckoutShortStockChangesNothing(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "privileged")
	enough := addProduct(t, db, 100, 10)
	few := addProduct(t, db, 200, 1)
	none := addProduct(t, db, 300, 0)
	addToCart(t, db, u.ID, enough.ID, 4)
	addToCart(t, db, u.ID, few.ID, 2)
	addToCart(t, db, u.ID, none.ID, 1)
	before, err := db.Cart(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}

	o, _, err := db.Checkout(ctx, u.ID, "key", now)
	var stock *sesame.StockError
	if !errors.As(err, &stock) || o != nil {
		t.Fatalf("Checkout = %+v, %v; want a *StockError", o, err)
	}
	if !errors.Is(err, sesame.ErrConflict) {
		t.Errorf("%v does not match ErrConflict", err)
	}
	wantLines := []sesame.ShortLine{
		{ProductID: few.ID, Name: few.Name, Wanted: 2, Available: 1},
		{ProductID: none.ID, Name: none.Name, Wanted: 1, Available: 0},
	}
	if !reflect.DeepEqual(stock.Lines, wantLines) {
		t.Errorf("short lines %+v, want %+v", stock.Lines, wantLines)
	}

	for _, p := range []*sesame.Product{enough, few, none} {
		if s := stockOf(t, db, p.ID); s != p.Stock {
			t.Errorf("stock of %s %d, want it untouched at %d", p.Name, s, p.Stock)
		}
	}
	if after, _ := db.Cart(ctx, u.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("cart %+v, want it untouched at %+v", after, before)
	}
	if n := countRows(t, db, "orders", "1") + countRows(t, db, "order_items", "1"); n != 0 {
		t.Errorf("%d order rows written by a refused checkout", n)
	}

	// The key was not used up by the refusal: once the cart fits, it works.
	if _, err := db.SetCartQuantity(ctx, u.ID, few.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetCartQuantity(ctx, u.ID, none.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Checkout(ctx, u.ID, "key", now); err != nil {
		t.Errorf("checkout after fixing the cart: %v", err)
	}
}

func TestCheckoutIdempotencyKey(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "privileged")
	other := addUser(t, db, "privileged")
	p := addProduct(t, db, 100, 10)
	addToCart(t, db, u.ID, p.ID, 2)

	first, placed, err := db.Checkout(ctx, u.ID, "key-1", now)
	if err != nil || !placed {
		t.Fatalf("first checkout: placed %v, %v", placed, err)
	}
	// Even with something new in the cart, the same key answers the same
	// order and sells nothing more.
	addToCart(t, db, u.ID, p.ID, 1)
	again, placed, err := db.Checkout(ctx, u.ID, "key-1", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if placed {
		t.Error("the repeated key says it placed an order")
	}
	if !reflect.DeepEqual(again, first) {
		t.Errorf("same key: %+v, want the first order %+v", again, first)
	}
	if s := stockOf(t, db, p.ID); s != 8 {
		t.Errorf("stock %d, want 8", s)
	}
	if cart, _ := db.Cart(ctx, u.ID); len(cart.Items) != 1 {
		t.Errorf("the repeated checkout changed the cart: %+v", cart.Items)
	}

	// Keys belong to a user: another user's same key is a new order.
	addToCart(t, db, other.ID, p.ID, 1)
	theirs, _, err := db.Checkout(ctx, other.ID, "key-1", now)
	if err != nil || theirs.ID == first.ID || theirs.UserID != other.ID {
		t.Errorf("another user's key: %+v, %v", theirs, err)
	}
	// A new key, or none, is a new order.
	second, _, err := db.Checkout(ctx, u.ID, "key-2", now)
	if err != nil || second.ID == first.ID {
		t.Errorf("a new key: %+v, %v", second, err)
	}
}

// THE concurrency test: 20 users each hold one unit of a product of which 5
// are left, and all check out at once. Exactly 5 are sold.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	const buyers, stock = 20, 5
	p := addProduct(t, db, 100, stock)
	users := make([]*sesame.User, buyers)
	for i := range users {
		users[i] = addUser(t, db, "privileged")
		addToCart(t, db, users[i].ID, p.ID, 1)
	}

	var (
		wg             sync.WaitGroup
		start          = make(chan struct{})
		mu             sync.Mutex
		sold, refused  int
		orderIDs       = map[int64]bool{}
		unexpectedErrs []error
	)
	for _, u := range users {
		wg.Go(func() {
			<-start
			o, _, err := db.Checkout(ctx, u.ID, "", now)
			var se *sesame.StockError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				sold++
				orderIDs[o.ID] = true
			case errors.As(err, &se):
				refused++
			default:
				unexpectedErrs = append(unexpectedErrs, err)
			}
		})
	}
	close(start)
	wg.Wait()

	for _, err := range unexpectedErrs {
		t.Errorf("unexpected error: %v", err)
	}
	if sold != stock || refused != buyers-stock || len(orderIDs) != stock {
		t.Errorf("%d sold (%d distinct orders), %d refused; want %d sold, %d refused",
			sold, len(orderIDs), refused, stock, buyers-stock)
	}
	if s := stockOf(t, db, p.ID); s != 0 {
		t.Errorf("stock %d, want 0", s)
	}
	if n := countRows(t, db, "orders", "1"); n != stock {
		t.Errorf("%d orders stored, want %d", n, stock)
	}
	if n := countRows(t, db, "cart_items", "1"); n != buyers-stock {
		t.Errorf("%d carts still full, want the %d refused ones", n, buyers-stock)
	}
}

// One user sends the same checkout several times at once (a retried
// request): one order, whichever attempt wins, and every attempt sees it.
func TestConcurrentCheckoutsWithOneKey(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "privileged")
	p := addProduct(t, db, 100, 10)
	addToCart(t, db, u.ID, p.ID, 3)

	const attempts = 10
	ids := make([]int64, attempts)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range attempts {
		wg.Go(func() {
			<-start
			o, _, err := db.Checkout(ctx, u.ID, "retry-me", now)
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
				return
			}
			ids[i] = o.ID
		})
	}
	close(start)
	wg.Wait()

	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("attempt %d got order %d, attempt 0 got %d", i, id, ids[0])
		}
	}
	if n := countRows(t, db, "orders", "user_id = ?", u.ID); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if s := stockOf(t, db, p.ID); s != 7 {
		t.Errorf("stock %d, want 7", s)
	}
}
