package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sesamehq/sesame"
)

func TestProducts(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	if ps, err := db.Products(ctx); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("Products of an empty shop = %#v, %v; want an empty list", ps, err)
	}
	a := addProduct(t, db, 250, 3)
	b := addProduct(t, db, 0, 0)
	ps, err := db.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []sesame.Product{*a, *b}; !slices.Equal(ps, want) {
		t.Errorf("Products = %+v, want %+v", ps, want)
	}
	got, err := db.Product(ctx, a.ID)
	if err != nil || *got != *a {
		t.Errorf("Product(%d) = %+v, %v; want %+v", a.ID, got, err, a)
	}
	if _, err := db.Product(ctx, 999); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("Product(999): %v, want ErrNotFound", err)
	}
}

func TestCreateProductErrors(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	taken := addProduct(t, db, 100, 1)
	for _, tc := range []struct {
		name  string
		p     sesame.Product
		field string // "" for a conflict
	}{
		{"duplicate sku", sesame.Product{SKU: taken.SKU, Name: "x", PriceCents: 1}, ""},
		{"no sku", sesame.Product{Name: "x"}, "sku"},
		{"no name", sesame.Product{SKU: "new"}, "name"},
		{"negative price", sesame.Product{SKU: "new", Name: "x", PriceCents: -1}, "price_cents"},
		{"negative stock", sesame.Product{SKU: "new", Name: "x", Stock: -1}, "stock"},
		{"too much stock", sesame.Product{SKU: "new", Name: "x", Stock: sesame.MaxStock + 1}, "stock"},
	} {
		err := db.CreateProduct(ctx, &tc.p)
		var invalid *sesame.InvalidError
		switch {
		case tc.field == "" && !errors.Is(err, sesame.ErrConflict):
			t.Errorf("%s: %v, want ErrConflict", tc.name, err)
		case tc.field != "" && !(errors.As(err, &invalid) && invalid.Fields[tc.field] != ""):
			t.Errorf("%s: %v, want an InvalidError on %s", tc.name, err, tc.field)
		}
	}
	if n := countRows(t, db, "products", "1"); n != 1 {
		t.Errorf("%d products, want only the first", n)
	}
}

func TestCart(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "customer")
	other := addUser(t, db, "customer")
	a := addProduct(t, db, 250, 10)
	b := addProduct(t, db, 1000, 10)
	// set sets a line's quantity and checks whether it says the cart changed.
	set := func(productID int64, quantity int, wantChanged bool) func() error {
		return func() error {
			changed, err := db.SetCartQuantity(ctx, u.ID, productID, quantity)
			if err == nil && changed != wantChanged {
				err = fmt.Errorf("changed = %v, want %v", changed, wantChanged)
			}
			return err
		}
	}

	steps := []struct {
		name string
		do   func() error
		want []sesame.LineItem
	}{
		{"empty", func() error { return nil }, []sesame.LineItem{}},
		{"add b", func() error { return db.AddToCart(ctx, u.ID, b.ID, 2) }, []sesame.LineItem{
			{ProductID: b.ID, Name: b.Name, Quantity: 2, UnitPriceCents: 1000},
		}},
		{"add a, lines by product", func() error { return db.AddToCart(ctx, u.ID, a.ID, 1) }, []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 1, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 2, UnitPriceCents: 1000},
		}},
		{"add more b", func() error { return db.AddToCart(ctx, u.ID, b.ID, 3) }, []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 1, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 5, UnitPriceCents: 1000},
		}},
		{"set a", set(a.ID, 7, true), []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 5, UnitPriceCents: 1000},
		}},
		{"set a to what it is", set(a.ID, 7, false), []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 5, UnitPriceCents: 1000},
		}},
		{"remove b", set(b.ID, 0, true), []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
		}},
		{"remove b again", set(b.ID, 0, false), []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
		}},
		{"set a missing line", set(b.ID, 1, true), []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 1, UnitPriceCents: 1000},
		}},
		{"another user's cart is apart", func() error { return db.AddToCart(ctx, other.ID, a.ID, 4) }, []sesame.LineItem{
			{ProductID: a.ID, Name: a.Name, Quantity: 7, UnitPriceCents: 250},
			{ProductID: b.ID, Name: b.Name, Quantity: 1, UnitPriceCents: 1000},
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		cart, err := db.Cart(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cart.Items, s.want) {
			t.Fatalf("%s: cart %+v, want %+v", s.name, cart.Items, s.want)
		}
	}
}

func TestCartErrors(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "customer")
	p := addProduct(t, db, 100, 500)
	addToCart(t, db, u.ID, p.ID, 90)

	var invalid *sesame.InvalidError
	isInvalid := func(err error) bool { return errors.As(err, &invalid) }
	for _, tc := range []struct {
		name string
		err  error
		want func(error) bool
	}{
		{"add unknown product", db.AddToCart(ctx, u.ID, 999, 1), is(sesame.ErrNotFound)},
		{"set unknown product", errOf(db.SetCartQuantity(ctx, u.ID, 999, 1)), is(sesame.ErrNotFound)},
		{"remove unknown product", errOf(db.SetCartQuantity(ctx, u.ID, 999, 0)), is(sesame.ErrNotFound)},
		{"add past the line limit", db.AddToCart(ctx, u.ID, p.ID, 11), is(sesame.ErrConflict)},
		{"add more than a line holds", db.AddToCart(ctx, u.ID, p.ID, sesame.MaxLineQuantity+1), is(sesame.ErrConflict)},
		{"add nothing", db.AddToCart(ctx, u.ID, p.ID, 0), isInvalid},
		{"add a negative", db.AddToCart(ctx, u.ID, p.ID, -1), isInvalid},
		{"set a negative", errOf(db.SetCartQuantity(ctx, u.ID, p.ID, -1)), isInvalid},
		{"set past the line limit", errOf(db.SetCartQuantity(ctx, u.ID, p.ID, sesame.MaxLineQuantity+1)), isInvalid},
	} {
		if !tc.want(tc.err) {
			t.Errorf("%s: got error %v", tc.name, tc.err)
		}
	}
	cart, err := db.Cart(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cart.Items) != 1 || cart.Items[0].Quantity != 90 {
		t.Errorf("refused changes changed the cart: %+v", cart.Items)
	}
	// Up to the limit exactly is fine.
	addToCart(t, db, u.ID, p.ID, sesame.MaxLineQuantity-90)
}

// Concurrent adds race for the last places of a line: the guard lets
// exactly as many through as fit, and refuses the rest without a change.
func TestAddToCartGuardUnderConcurrency(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "customer")
	p := addProduct(t, db, 100, 500)
	addToCart(t, db, u.ID, p.ID, 90)

	const adders = 15 // each adds 1; only 10 fit
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		added, conflicts int
	)
	for range adders {
		wg.Go(func() {
			err := db.AddToCart(ctx, u.ID, p.ID, 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				added++
			case errors.Is(err, sesame.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cart, err := db.Cart(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if added != 10 || conflicts != 5 || cart.Items[0].Quantity != sesame.MaxLineQuantity {
		t.Errorf("%d added, %d refused, line at %d; want 10, 5, %d",
			added, conflicts, cart.Items[0].Quantity, sesame.MaxLineQuantity)
	}
}

func TestRestock(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	p := addProduct(t, db, 100, 5)

	got, err := db.Restock(ctx, p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := *p
	want.Stock = 15
	if *got != want {
		t.Errorf("Restock = %+v, want %+v", got, want)
	}

	full := addProduct(t, db, 100, sesame.MaxStock-10)
	if _, err := db.Restock(ctx, full.ID, 10); err != nil {
		t.Errorf("restock up to MaxStock exactly: %v", err)
	}

	var invalid *sesame.InvalidError
	for _, tc := range []struct {
		name     string
		id       int64
		quantity int
		want     func(error) bool
	}{
		{"past MaxStock", full.ID, 1, is(sesame.ErrConflict)},
		{"an overflowing quantity", p.ID, int(^uint(0) >> 1), is(sesame.ErrConflict)},
		{"unknown product", 999, 1, is(sesame.ErrNotFound)},
		{"nothing", p.ID, 0, func(err error) bool { return errors.As(err, &invalid) }},
	} {
		got, err := db.Restock(ctx, tc.id, tc.quantity)
		if !tc.want(err) || got != nil {
			t.Errorf("%s: %+v, %v", tc.name, got, err)
		}
	}
	if s := stockOf(t, db, full.ID); s != sesame.MaxStock {
		t.Errorf("stock %d after a refused restock, want %d", s, sesame.MaxStock)
	}
	if s := stockOf(t, db, p.ID); s != 15 {
		t.Errorf("stock %d after refused restocks, want 15", s)
	}
}

// errOf drops the first result of a call, for tables of errors.
func errOf[T any](_ T, err error) error { return err }
