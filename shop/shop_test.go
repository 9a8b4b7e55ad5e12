package shop_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/shop"
	"github.com/sesamehq/sesame/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is a shop over a real SQLite store, authorized by the real
// auth.Service, with a customer, a privileged user and an admin.
type env struct {
	db                  *sqlite.DB
	log                 *audit.Log
	shop                *shop.Service
	cust, priv, admin   *sesame.User
	widget, gadget, bit *sesame.Product
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	now := func() time.Time { return t0 }
	log, err := audit.New(audit.Config{Store: db, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	authz, err := auth.New(auth.Config{Store: db, Audit: log, Params: auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := shop.New(shop.Config{Store: db, Authorizer: authz, Audit: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	users := []sesame.NewUser{
		{Username: "unauthorized_user", PasswordHash: "$argon2id$unused", Roles: []string{"customer"}},
		{Username: "authorized_user", PasswordHash: "$argon2id$unused", Roles: []string{"customer", "privileged"}},
		{Username: "admin", PasswordHash: "$argon2id$unused", Roles: []string{"admin"}},
	}
	products := []sesame.Product{
		{SKU: "widget", Name: "widget", PriceCents: 250, Stock: 10},
		{SKU: "gadget", Name: "gadget", PriceCents: 1000, Stock: 2},
		{SKU: "bit", Name: "bit", PriceCents: 5, Stock: 999_500},
	}
	if ok, err := db.Seed(ctx, users, products, t0); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	user := func(name string) *sesame.User {
		u, err := db.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("UserByUsername(%s): %v", name, err)
		}
		u.PasswordHash = "" // as an actor carries them
		return u
	}
	e := &env{db: db, log: log, shop: svc}
	e.cust, e.priv, e.admin = user("unauthorized_user"), user("authorized_user"), user("admin")
	stored, err := db.Products(ctx)
	if err != nil || len(stored) != 3 {
		t.Fatalf("Products = %+v, %v", stored, err)
	}
	for i := range stored {
		switch p := &stored[i]; p.SKU {
		case "widget":
			e.widget = p
		case "gadget":
			e.gadget = p
		case "bit":
			e.bit = p
		}
	}
	return e
}

// TestNewRequires: a service without its store, authorizer or audit log
// cannot work and is refused at construction.
func TestNewRequires(t *testing.T) {
	e := newEnv(t)
	authz, err := auth.New(auth.Config{Store: e.db, Audit: e.log, Params: auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]shop.Config{
		"no store":      {Authorizer: authz, Audit: e.log},
		"no authorizer": {Store: e.db, Audit: e.log},
		"no audit log":  {Store: e.db, Authorizer: authz},
	} {
		if _, err := shop.New(cfg); err == nil {
			t.Errorf("shop.New with %s succeeded; want an error", name)
		}
	}
}

func as(u *sesame.User) context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{User: u, SessionID: "pub-" + u.Username, IP: "192.0.2.1"})
}

var visitor = sesame.NewContext(context.Background(), &sesame.Actor{IP: "192.0.2.1"})

// trail returns u's audit trail, newest first.
func (e *env) trail(t *testing.T, u *sesame.User) []sesame.Event {
	t.Helper()
	evs, _, err := e.log.Events(as(u), sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastEvent returns u's newest event, failing if there is none.
func (e *env) lastEvent(t *testing.T, u *sesame.User) sesame.Event {
	t.Helper()
	evs := e.trail(t, u)
	if len(evs) == 0 {
		t.Fatal("the audit trail is empty")
	}
	return evs[0]
}

// wantInvalid fails unless err is an *InvalidError refusing exactly fields
// (with the given reasons where not "").
func wantInvalid(t *testing.T, err error, fields map[string]string) {
	t.Helper()
	var inv *sesame.InvalidError
	if !errors.As(err, &inv) || len(inv.Fields) != len(fields) {
		t.Fatalf("err = %v; want *InvalidError on %v", err, fields)
	}
	for f, why := range fields {
		got, ok := inv.Fields[f]
		if !ok || (why != "" && got != why) {
			t.Fatalf("fields = %v; want %v", inv.Fields, fields)
		}
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	// In order: each call as authorized_user must succeed, so the cart is
	// filled before the checkout that empties it.
	calls := []struct {
		name string
		perm sesame.Permission
		call func(ctx context.Context) error
	}{
		{"Products", sesame.PermProductsView, func(ctx context.Context) error { _, err := e.shop.Products(ctx); return err }},
		{"Product", sesame.PermProductsView, func(ctx context.Context) error { _, err := e.shop.Product(ctx, e.widget.ID); return err }},
		{"Cart", sesame.PermCartEdit, func(ctx context.Context) error { _, err := e.shop.Cart(ctx); return err }},
		{"AddToCart", sesame.PermCartEdit, func(ctx context.Context) error { _, err := e.shop.AddToCart(ctx, e.widget.ID, 1); return err }},
		{"SetQuantity", sesame.PermCartEdit, func(ctx context.Context) error { _, err := e.shop.SetQuantity(ctx, e.widget.ID, 2); return err }},
		{"ReviewCheckout", sesame.PermCheckout, func(ctx context.Context) error { _, _, err := e.shop.ReviewCheckout(ctx); return err }},
		{"Checkout", sesame.PermCheckout, func(ctx context.Context) error { _, err := e.shop.Checkout(ctx, ""); return err }},
		{"RemoveFromCart", sesame.PermCartEdit, func(ctx context.Context) error { _, err := e.shop.RemoveFromCart(ctx, e.widget.ID); return err }},
		{"Restock", sesame.PermTaskPerform, func(ctx context.Context) error { _, err := e.shop.Restock(ctx, e.widget.ID, 1); return err }},
	}
	nobody, err := e.db.CreateUser(context.Background(), "nobody", "$argon2id$unused", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(visitor); !errors.Is(err, sesame.ErrUnauthenticated) {
				t.Errorf("as a visitor: %v; want ErrUnauthenticated", err)
			}
			// A user without roles is refused, naming the permission, and
			// the refusal is in their trail.
			var pe *sesame.PermissionError
			if err := c.call(as(nobody)); !errors.As(err, &pe) || pe.Permission != c.perm {
				t.Errorf("without roles: %v; want a PermissionError for %s", err, c.perm)
			}
			if ev := e.lastEvent(t, nobody); ev.Action != sesame.ActionAccessDenied || ev.Detail != string(c.perm) {
				t.Errorf("last event %+v; want access.denied %s", ev, c.perm)
			}
			if err := c.call(as(e.priv)); err != nil {
				t.Errorf("as authorized_user: %v; want success", err)
			}
		})
	}
	// An operator holds every permission, but every method here acts for
	// a signed-in user (their cart, their orders): it refuses an operator.
	op := sesame.NewContext(context.Background(), &sesame.Actor{Operator: sesame.OperatorCLI})
	for _, c := range calls {
		if err := c.call(op); !errors.Is(err, sesame.ErrUnauthenticated) {
			t.Errorf("%s as an operator: %v; want ErrUnauthenticated", c.name, err)
		}
	}
	// The customer may browse and fill a cart but not check out or restock.
	if _, err := e.shop.Checkout(as(e.cust), ""); !errors.Is(err, sesame.ErrForbidden) {
		t.Errorf("customer Checkout: %v; want ErrForbidden", err)
	}
	if _, err := e.shop.Restock(as(e.cust), e.widget.ID, 1); !errors.Is(err, sesame.ErrForbidden) {
		t.Errorf("customer Restock: %v; want ErrForbidden", err)
	}
}

func TestProduct(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.cust)
	ps, err := e.shop.Products(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("Products = %v, %v; want 3", ps, err)
	}
	p, err := e.shop.Product(ctx, e.gadget.ID)
	if err != nil || *p != *e.gadget {
		t.Fatalf("Product = %+v, %v; want %+v", p, err, e.gadget)
	}
	for _, id := range []int64{0, -1, 9999} {
		if _, err := e.shop.Product(ctx, id); !errors.Is(err, sesame.ErrNotFound) {
			t.Errorf("Product(%d) = %v; want ErrNotFound", id, err)
		}
	}
}

func TestCartValidation(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.cust)
	const q = "must be a whole number from 1 to 100"
	const q0 = "must be a whole number from 0 to 100"
	const pid = "must be a product id"
	tests := []struct {
		name   string
		call   func() (sesame.Cart, error)
		fields map[string]string
	}{
		{"add zero", func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, e.widget.ID, 0) }, map[string]string{"quantity": q}},
		{"add negative", func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, e.widget.ID, -5) }, map[string]string{"quantity": q}},
		{"add 101", func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, e.widget.ID, 101) }, map[string]string{"quantity": q}},
		{"add to product 0", func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, 0, 1) }, map[string]string{"product_id": pid}},
		{"add both wrong", func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, -1, 1000) }, map[string]string{"product_id": pid, "quantity": q}},
		{"set -1", func() (sesame.Cart, error) { return e.shop.SetQuantity(ctx, e.widget.ID, -1) }, map[string]string{"quantity": q0}},
		{"set 101", func() (sesame.Cart, error) { return e.shop.SetQuantity(ctx, e.widget.ID, 101) }, map[string]string{"quantity": q0}},
		{"set product -3", func() (sesame.Cart, error) { return e.shop.SetQuantity(ctx, -3, 1) }, map[string]string{"product_id": pid}},
		{"remove product 0", func() (sesame.Cart, error) { return e.shop.RemoveFromCart(ctx, 0) }, map[string]string{"product_id": pid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			wantInvalid(t, err, tt.fields)
		})
	}
	for name, call := range map[string]func() (sesame.Cart, error){
		"add":    func() (sesame.Cart, error) { return e.shop.AddToCart(ctx, 9999, 1) },
		"set":    func() (sesame.Cart, error) { return e.shop.SetQuantity(ctx, 9999, 1) },
		"remove": func() (sesame.Cart, error) { return e.shop.RemoveFromCart(ctx, 9999) },
	} {
		if _, err := call(); !errors.Is(err, sesame.ErrNotFound) {
			t.Errorf("%s unknown product: %v; want ErrNotFound", name, err)
		}
	}
	if c, err := e.shop.Cart(ctx); err != nil || len(c.Items) != 0 {
		t.Errorf("cart after refusals = %+v, %v; want empty", c, err)
	}
	if evs := e.trail(t, e.cust); len(evs) != 0 {
		t.Errorf("refusals audited as changes: %+v", evs)
	}
}

func TestCartChanges(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.cust)
	step := func(name string, c sesame.Cart, err error, wantItems map[int64]int, action sesame.Action, detail string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[int64]int{}
		for _, l := range c.Items {
			got[l.ProductID] = l.Quantity
		}
		if len(got) != len(wantItems) {
			t.Fatalf("%s: cart %v; want %v", name, got, wantItems)
		}
		for id, q := range wantItems {
			if got[id] != q {
				t.Fatalf("%s: cart %v; want %v", name, got, wantItems)
			}
		}
		ev := e.lastEvent(t, e.cust)
		if ev.Action != action || ev.Outcome != sesame.OutcomeSuccess || ev.Detail != detail || ev.SessionID != "pub-unauthorized_user" {
			t.Fatalf("%s: audited %+v; want %s %q", name, ev, action, detail)
		}
	}
	w, g := e.widget.ID, e.gadget.ID
	c, err := e.shop.AddToCart(ctx, w, 2)
	step("add", c, err, map[int64]int{w: 2}, sesame.ActionCartAdd, "product "+itoa(w)+", quantity +2")
	c, err = e.shop.AddToCart(ctx, w, 3)
	step("add more", c, err, map[int64]int{w: 5}, sesame.ActionCartAdd, "product "+itoa(w)+", quantity +3")
	c, err = e.shop.SetQuantity(ctx, g, 1)
	step("set adds", c, err, map[int64]int{w: 5, g: 1}, sesame.ActionCartUpdate, "product "+itoa(g)+", quantity 1")
	c, err = e.shop.SetQuantity(ctx, w, 100)
	step("set to max", c, err, map[int64]int{w: 100, g: 1}, sesame.ActionCartUpdate, "product "+itoa(w)+", quantity 100")

	// Past 100 of one product: refused on the quantity, nothing changes.
	n := len(e.trail(t, e.cust))
	_, err = e.shop.AddToCart(ctx, w, 1)
	wantInvalid(t, err, map[string]string{"quantity": "at most 100 of one product in a cart"})
	if len(e.trail(t, e.cust)) != n {
		t.Error("a refused add was audited")
	}

	c, err = e.shop.SetQuantity(ctx, w, 0)
	step("set 0 removes", c, err, map[int64]int{g: 1}, sesame.ActionCartRemove, "product "+itoa(w))
	c, err = e.shop.RemoveFromCart(ctx, g)
	step("remove", c, err, map[int64]int{}, sesame.ActionCartRemove, "product "+itoa(g))

	// Removing what is not there changes and records nothing.
	n = len(e.trail(t, e.cust))
	if c, err := e.shop.RemoveFromCart(ctx, g); err != nil || len(c.Items) != 0 {
		t.Errorf("removing an absent line: %+v, %v; want the empty cart", c, err)
	}
	if _, err := e.shop.SetQuantity(ctx, g, 0); err != nil {
		t.Errorf("setting an absent line to 0: %v", err)
	}
	if len(e.trail(t, e.cust)) != n {
		t.Error("removing an absent line was audited as a change")
	}
	c, err = e.shop.SetQuantity(ctx, w, 3)
	step("set again", c, err, map[int64]int{w: 3}, sesame.ActionCartUpdate, "product "+itoa(w)+", quantity 3")
	n = len(e.trail(t, e.cust))
	if c, err := e.shop.SetQuantity(ctx, w, 3); err != nil || len(c.Items) != 1 {
		t.Errorf("setting the quantity a line has: %+v, %v", c, err)
	}
	if len(e.trail(t, e.cust)) != n {
		t.Error("setting the quantity a line already has was audited as a change")
	}

	// One cart per user: the other user's cart is untouched.
	if c, err := e.shop.Cart(as(e.priv)); err != nil || len(c.Items) != 0 {
		t.Errorf("authorized_user's cart = %+v, %v; want empty", c, err)
	}
}

func TestRestock(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.priv)
	const q = "must be a whole number from 1 to 1000"
	for _, tt := range []struct {
		id     int64
		q      int
		fields map[string]string
	}{
		{e.widget.ID, 0, map[string]string{"quantity": q}},
		{e.widget.ID, 1001, map[string]string{"quantity": q}},
		{e.widget.ID, -1, map[string]string{"quantity": q}},
		{0, 5, map[string]string{"product_id": "must be a product id"}},
	} {
		_, err := e.shop.Restock(ctx, tt.id, tt.q)
		wantInvalid(t, err, tt.fields)
	}
	if _, err := e.shop.Restock(ctx, 9999, 5); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("Restock(unknown) = %v; want ErrNotFound", err)
	}
	// bit holds 999 500: 501 more would pass the cap of 1 000 000.
	_, err := e.shop.Restock(ctx, e.bit.ID, 501)
	wantInvalid(t, err, map[string]string{"quantity": "would take the stock above 1000000"})
	if len(e.trail(t, e.priv)) != 0 {
		t.Error("a refused restock was audited")
	}

	p, err := e.shop.Restock(ctx, e.gadget.ID, 1000)
	if err != nil || p.Stock != 1002 {
		t.Fatalf("Restock = %+v, %v; want stock 1002", p, err)
	}
	ev := e.lastEvent(t, e.priv)
	if ev.Action != sesame.ActionTask || ev.Outcome != sesame.OutcomeSuccess ||
		ev.Detail != "restocked product "+itoa(e.gadget.ID)+" by 1000, stock now 1002" {
		t.Errorf("audited %+v", ev)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
