package shop_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
)

func TestCheckout(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.priv)

	_, err := e.shop.Checkout(ctx, "")
	if !errors.Is(err, sesame.ErrEmptyCart) {
		t.Fatalf("Checkout(empty cart) = %v; want ErrEmptyCart", err)
	}
	if ev := e.lastEvent(t, e.priv); ev.Action != sesame.ActionCheckout || ev.Outcome != sesame.OutcomeFailure || ev.Detail != "conflict: the cart is empty" {
		t.Errorf("empty cart audited as %+v", ev)
	}

	if _, err := e.shop.AddToCart(ctx, e.widget.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shop.AddToCart(ctx, e.gadget.ID, 1); err != nil {
		t.Fatal(err)
	}
	o, err := e.shop.Checkout(ctx, "key-1")
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if o.UserID != e.priv.ID || o.TotalCents != 2*250+1000 || len(o.Items) != 2 || !o.CreatedAt.Equal(t0) {
		t.Errorf("order = %+v; want authorized_user's, 1500 cents, 2 lines, at t0", o)
	}
	if ev := e.lastEvent(t, e.priv); ev.Action != sesame.ActionCheckout || ev.Outcome != sesame.OutcomeSuccess ||
		ev.Detail != "order "+itoa(o.ID)+", total 1500 cents" {
		t.Errorf("checkout audited as %+v", ev)
	}
	if c, err := e.shop.Cart(ctx); err != nil || len(c.Items) != 0 {
		t.Errorf("cart after checkout = %+v, %v; want empty", c, err)
	}

	// The same key again: the same order, nothing sold twice.
	if _, err := e.shop.AddToCart(ctx, e.widget.ID, 1); err != nil {
		t.Fatal(err)
	}
	again, err := e.shop.Checkout(ctx, "key-1")
	if err != nil || again.ID != o.ID {
		t.Fatalf("Checkout(same key) = %+v, %v; want order %d", again, err, o.ID)
	}
	if ev := e.lastEvent(t, e.priv); ev.Action != sesame.ActionCheckout ||
		!strings.Contains(ev.Detail, "repeated Idempotency-Key; nothing sold") {
		t.Errorf("the repeated checkout is audited as %+v, which reads like a second purchase", ev)
	}
	if p, err := e.shop.Product(ctx, e.widget.ID); err != nil || p.Stock != 8 {
		t.Errorf("widget stock = %+v, %v; want 8", p, err)
	}
}

// TestReviewCheckout: the review names the lines that stock cannot fill,
// in the cart's order, and changes nothing.
func TestReviewCheckout(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.priv)
	if cart, short, err := e.shop.ReviewCheckout(ctx); err != nil || len(cart.Items) != 0 || short != nil {
		t.Fatalf("empty cart: %+v, %+v, %v", cart, short, err)
	}
	for _, add := range []struct {
		p *sesame.Product
		n int
	}{{e.gadget, 3}, {e.widget, 10}} { // 2 gadgets and 10 widgets in stock
		if _, err := e.shop.AddToCart(ctx, add.p.ID, add.n); err != nil {
			t.Fatal(err)
		}
	}
	cart, short, err := e.shop.ReviewCheckout(ctx)
	if err != nil || len(cart.Items) != 2 {
		t.Fatalf("ReviewCheckout = %+v, %v", cart, err)
	}
	want := []sesame.ShortLine{{ProductID: e.gadget.ID, Name: "gadget", Wanted: 3, Available: 2}}
	if !reflect.DeepEqual(short, want) {
		t.Errorf("short lines %+v, want %+v (the widgets fit exactly)", short, want)
	}
	if p, _ := e.shop.Product(ctx, e.gadget.ID); p.Stock != 2 {
		t.Errorf("the review changed the stock to %d", p.Stock)
	}
}

func TestCheckoutShortStock(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.priv)
	if _, err := e.shop.AddToCart(ctx, e.gadget.ID, 3); err != nil { // 2 in stock
		t.Fatal(err)
	}
	_, err := e.shop.Checkout(ctx, "")
	var se *sesame.StockError
	if !errors.As(err, &se) || !errors.Is(err, sesame.ErrConflict) || len(se.Lines) != 1 ||
		se.Lines[0].ProductID != e.gadget.ID || se.Lines[0].Wanted != 3 || se.Lines[0].Available != 2 {
		t.Fatalf("Checkout = %v; want a StockError for 3 gadgets with 2 left", err)
	}
	if ev := e.lastEvent(t, e.priv); ev.Outcome != sesame.OutcomeFailure || ev.Detail != "not enough stock: gadget (3 wanted, 2 left)" {
		t.Errorf("short stock audited as %+v", ev)
	}
	if p, _ := e.shop.Product(ctx, e.gadget.ID); p.Stock != 2 {
		t.Errorf("gadget stock = %d after a refused checkout; want 2", p.Stock)
	}
}

func TestCheckoutIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.priv)
	for _, key := range []string{
		strings.Repeat("k", 256),
		"line\nbreak",
		"tab\there",
		"nul\x00",
		"del\x7f",
		"café",
	} {
		_, err := e.shop.Checkout(ctx, key)
		wantInvalid(t, err, map[string]string{"Idempotency-Key": "must be 1 to 255 printable ASCII characters"})
	}
	// Valid keys reach the store, which finds the cart empty.
	for _, key := range []string{"", "a", strings.Repeat("k", 255), "9f1c a-b_c.d~!"} {
		if _, err := e.shop.Checkout(ctx, key); !errors.Is(err, sesame.ErrEmptyCart) {
			t.Errorf("Checkout(%q) = %v; want ErrEmptyCart", key, err)
		}
	}
}

func TestOrdersAreOwn(t *testing.T) {
	e := newEnv(t)
	buy := func(u *sesame.User) *sesame.Order {
		t.Helper()
		ctx := as(u)
		if _, err := e.shop.AddToCart(ctx, e.widget.ID, 1); err != nil {
			t.Fatal(err)
		}
		o, err := e.shop.Checkout(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	privOrders := []*sesame.Order{buy(e.priv), buy(e.priv), buy(e.priv)}
	adminOrder := buy(e.admin)

	// Any signed-in user lists their own orders, even without checkout.
	if os, next, err := e.shop.Orders(as(e.cust), sesame.Paging{}); err != nil || len(os) != 0 || next != "" {
		t.Errorf("customer Orders = %v, %q, %v; want none", os, next, err)
	}
	if _, _, err := e.shop.Orders(visitor, sesame.Paging{}); !errors.Is(err, sesame.ErrUnauthenticated) {
		t.Errorf("visitor Orders: %v; want ErrUnauthenticated", err)
	}
	os, next, err := e.shop.Orders(as(e.priv), sesame.Paging{Limit: 2})
	if err != nil || len(os) != 2 || os[0].ID != privOrders[2].ID || os[1].ID != privOrders[1].ID || next == "" {
		t.Fatalf("Orders page 1 = %+v, %q, %v; want the newest two and a cursor", os, next, err)
	}
	os, next, err = e.shop.Orders(as(e.priv), sesame.Paging{Limit: 2, Cursor: next})
	if err != nil || len(os) != 1 || os[0].ID != privOrders[0].ID || next != "" {
		t.Fatalf("Orders page 2 = %+v, %q, %v; want the oldest and no cursor", os, next, err)
	}

	// Own order: yes. Another's: not found, exactly like a missing one.
	if o, err := e.shop.Order(as(e.priv), privOrders[0].ID); err != nil || o.ID != privOrders[0].ID {
		t.Errorf("own Order = %+v, %v", o, err)
	}
	for _, id := range []int64{adminOrder.ID, 9999, 0, -1} {
		if _, err := e.shop.Order(as(e.priv), id); !errors.Is(err, sesame.ErrNotFound) {
			t.Errorf("Order(%d) as authorized_user = %v; want ErrNotFound", id, err)
		}
	}
	if _, err := e.shop.Order(as(e.cust), privOrders[0].ID); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("another user's order: %v; want ErrNotFound", err)
	}
	if _, err := e.shop.Order(visitor, privOrders[0].ID); !errors.Is(err, sesame.ErrUnauthenticated) {
		t.Errorf("visitor Order: %v; want ErrUnauthenticated", err)
	}
	// The admin sees anyone's order.
	if o, err := e.shop.Order(as(e.admin), privOrders[1].ID); err != nil || o.UserID != e.priv.ID {
		t.Errorf("admin Order = %+v, %v; want authorized_user's order", o, err)
	}
}
