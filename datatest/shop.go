package datatest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/sesamehq/sesame"
)

// testProducts: the catalogue by id, each product as seeded; an unknown id
// is not found.
func testProducts(t *testing.T, s Store) {
	ctx := t.Context()
	if ps, err := s.Products(ctx); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("Products of an empty shop = %#v, %v; want an empty list", ps, err)
	}
	seeded := seedProducts(t, s, product(250, 3), product(0, 0), product(99, sesame.MaxStock))
	want := slices.Clone(seeded)
	slices.SortFunc(want, func(a, b sesame.Product) int { return cmp.Compare(a.ID, b.ID) })
	ps, err := s.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ps, want) {
		t.Errorf("Products = %+v\nwant %+v", ps, want)
	}
	for _, p := range seeded {
		got, err := s.Product(ctx, p.ID)
		if err != nil || *got != p {
			t.Errorf("Product(%d) = %+v, %v; want %+v", p.ID, got, err, p)
		}
	}
	if _, err := s.Product(ctx, want[len(want)-1].ID+1000); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("Product of an unknown id: %v, want ErrNotFound", err)
	}
}

// testCart: lines by product id at today's prices, added to, set and
// removed; SetCartQuantity says whether anything changed; carts are per
// user.
func testCart(t *testing.T, s Store) {
	ctx := t.Context()
	ps := seedProducts(t, s, product(250, 10), product(1000, 10))
	a, b := ps[0], ps[1]
	if a.ID > b.ID {
		a, b = b, a
	}
	u := addUser(t, s, "customer")
	other := addUser(t, s, "customer")
	line := func(p sesame.Product, q int) sesame.LineItem {
		return sesame.LineItem{ProductID: p.ID, Name: p.Name, Quantity: q, UnitPriceCents: p.PriceCents}
	}
	set := func(productID int64, quantity int, wantChanged bool) func() error {
		return func() error {
			changed, err := s.SetCartQuantity(ctx, u.ID, productID, quantity)
			if err == nil && changed != wantChanged {
				err = fmt.Errorf("changed = %v, want %v", changed, wantChanged)
			}
			return err
		}
	}
	add := func(userID, productID int64, quantity int) func() error {
		return func() error { return s.AddToCart(ctx, userID, productID, quantity) }
	}
	for _, step := range []struct {
		name string
		do   func() error
		want []sesame.LineItem
	}{
		{"empty", func() error { return nil }, []sesame.LineItem{}},
		{"add b", add(u.ID, b.ID, 2), []sesame.LineItem{line(b, 2)}},
		{"add a, lines by product", add(u.ID, a.ID, 1), []sesame.LineItem{line(a, 1), line(b, 2)}},
		{"add more b", add(u.ID, b.ID, 3), []sesame.LineItem{line(a, 1), line(b, 5)}},
		{"set a", set(a.ID, 7, true), []sesame.LineItem{line(a, 7), line(b, 5)}},
		{"set a to what it is", set(a.ID, 7, false), []sesame.LineItem{line(a, 7), line(b, 5)}},
		{"remove b", set(b.ID, 0, true), []sesame.LineItem{line(a, 7)}},
		{"remove b again", set(b.ID, 0, false), []sesame.LineItem{line(a, 7)}},
		{"set a missing line", set(b.ID, 1, true), []sesame.LineItem{line(a, 7), line(b, 1)}},
		{"set to the line limit", set(b.ID, sesame.MaxLineQuantity, true),
			[]sesame.LineItem{line(a, 7), line(b, sesame.MaxLineQuantity)}},
		{"set back", set(b.ID, 1, true), []sesame.LineItem{line(a, 7), line(b, 1)}},
		{"another user's cart is apart", add(other.ID, a.ID, 4), []sesame.LineItem{line(a, 7), line(b, 1)}},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := cartOf(t, s, u.ID).Items; !slices.Equal(got, step.want) {
			t.Fatalf("%s: cart %+v\nwant %+v", step.name, got, step.want)
		}
	}
	if got := cartOf(t, s, other.ID).Items; !slices.Equal(got, []sesame.LineItem{line(a, 4)}) {
		t.Errorf("the other user's cart: %+v", got)
	}
}

// testCartErrors: an unknown product is not found, and a line beyond
// sesame.MaxLineQuantity is a conflict; neither changes the cart.
func testCartErrors(t *testing.T, s Store) {
	ctx := t.Context()
	p := seedProducts(t, s, product(100, 500))[0]
	u := addUser(t, s, "customer")
	addToCart(t, s, u.ID, p.ID, 90)
	unknown := p.ID + 1000
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"add an unknown product", s.AddToCart(ctx, u.ID, unknown, 1), sesame.ErrNotFound},
		{"set an unknown product", errOf(s.SetCartQuantity(ctx, u.ID, unknown, 1)), sesame.ErrNotFound},
		{"remove an unknown product", errOf(s.SetCartQuantity(ctx, u.ID, unknown, 0)), sesame.ErrNotFound},
		{"add past the line limit", s.AddToCart(ctx, u.ID, p.ID, 11), sesame.ErrConflict},
		{"add more than a line holds", s.AddToCart(ctx, u.ID, p.ID, sesame.MaxLineQuantity+1), sesame.ErrConflict},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, tc.err, tc.want)
		}
	}
	if items := cartOf(t, s, u.ID).Items; len(items) != 1 || items[0].ProductID != p.ID || items[0].Quantity != 90 {
		t.Errorf("refused changes changed the cart: %+v", items)
	}
	// Up to the limit exactly is fine.
	addToCart(t, s, u.ID, p.ID, sesame.MaxLineQuantity-90)
	if items := cartOf(t, s, u.ID).Items; items[0].Quantity != sesame.MaxLineQuantity {
		t.Errorf("line at %d; want %d", items[0].Quantity, sesame.MaxLineQuantity)
	}
}

// testAddToCartConcurrent: adds at once race for the last places of a line;
// the guard lets exactly as many through as fit and refuses the rest
// without a change.
func testAddToCartConcurrent(t *testing.T, s Store) {
	p := seedProducts(t, s, product(100, 500))[0]
	u := addUser(t, s, "customer")
	addToCart(t, s, u.ID, p.ID, sesame.MaxLineQuantity-10)
	const adders = 15 // each adds 1; only 10 fit
	added, refused := race(t, adders, func(int) error { return s.AddToCart(t.Context(), u.ID, p.ID, 1) })
	if q := cartOf(t, s, u.ID).Items[0].Quantity; added != 10 || refused != 5 || q != sesame.MaxLineQuantity {
		t.Errorf("%d added, %d refused, line at %d; want 10, 5, %d", added, refused, q, sesame.MaxLineQuantity)
	}
}

// testRestock: stock grows up to sesame.MaxStock exactly and no further;
// an overflowing quantity is refused like any other; an unknown product is
// not found. A refusal returns no product and changes nothing.
func testRestock(t *testing.T, s Store) {
	ctx := t.Context()
	ps := seedProducts(t, s, product(100, 5), product(100, sesame.MaxStock-10))
	p, full := ps[0], ps[1]
	got, err := s.Restock(ctx, p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.Stock = 15
	if *got != want {
		t.Errorf("Restock = %+v; want %+v", got, want)
	}
	if got, err := s.Restock(ctx, full.ID, 10); err != nil || got.Stock != sesame.MaxStock {
		t.Errorf("restock up to MaxStock exactly = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name     string
		id       int64
		quantity int
		want     error
	}{
		{"past MaxStock", full.ID, 1, sesame.ErrConflict},
		{"an overflowing quantity", p.ID, math.MaxInt, sesame.ErrConflict},
		{"unknown product", p.ID + full.ID + 1000, 1, sesame.ErrNotFound},
	} {
		got, err := s.Restock(ctx, tc.id, tc.quantity)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("%s: %+v, %v; want no product and %v", tc.name, got, err, tc.want)
		}
	}
	if n := stockOf(t, s, full.ID); n != sesame.MaxStock {
		t.Errorf("stock %d after a refused restock; want %d", n, sesame.MaxStock)
	}
	if n := stockOf(t, s, p.ID); n != 15 {
		t.Errorf("stock %d after refused restocks; want 15", n)
	}
}

// testRestockConcurrent: restocks at once race for the room under
// sesame.MaxStock; exactly as many as fit go through.
func testRestockConcurrent(t *testing.T, s Store) {
	p := seedProducts(t, s, product(100, sesame.MaxStock-10))[0]
	done, refused := race(t, 15, func(int) error { return errOf(s.Restock(t.Context(), p.ID, 1)) })
	if n := stockOf(t, s, p.ID); done != 10 || refused != 5 || n != sesame.MaxStock {
		t.Errorf("%d restocked, %d refused, stock %d; want 10, 5, %d", done, refused, n, sesame.MaxStock)
	}
}

// race runs do(i) for i in 0..n-1 all at once, and counts those that
// succeeded and those refused with an error matching sesame.ErrConflict;
// any other error fails the test.
func race(t *testing.T, n int, do func(i int) error) (ok, conflicts int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := do(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, sesame.ErrConflict):
				conflicts++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, conflicts
}
