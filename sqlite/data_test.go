package sqlite_test

import (
	"context"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// What the schema promises beyond the interfaces, which only SQL can show:
// the interfaces have no way to delete a user or to change a product.

// TestEventsOutliveDeletedUser: the trail outlives the user it is about, and
// an id is never given out again, so that a new user cannot inherit an old
// one's trail.
func TestEventsOutliveDeletedUser(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db)
	e := sesame.Event{Time: t0, UserID: u.ID, Action: sesame.ActionLogin, Outcome: sesame.OutcomeSuccess}
	if err := db.AppendEvent(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Events(ctx, audit.Query{UserID: u.ID}, sesame.Paging{Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Errorf("events of a deleted user: %+v, %v", got, err)
	}
	if v := addUser(t, db); v.ID == u.ID {
		t.Errorf("user id %d given out twice", v.ID)
	}
}

// TestEventWithoutUserIsNull: no known user is stored as NULL, not as a
// user 0 that an index would gather every anonymous event under.
func TestEventWithoutUserIsNull(t *testing.T) {
	db := newDB(t)
	for _, e := range []sesame.Event{
		{Time: t0, Username: "mallory", Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure},
		{Time: t0, Username: "cli", TargetID: 3, Action: sesame.ActionUserDisable, Outcome: sesame.OutcomeSuccess},
		{Time: t0, UserID: 3, Action: sesame.ActionLogout, Outcome: sesame.OutcomeSuccess},
	} {
		if err := db.AppendEvent(context.Background(), &e); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRows(t, db, "audit_events", "user_id IS NULL"); n != 2 {
		t.Errorf("%d events stored without a user, want 2", n)
	}
	if n := countRows(t, db, "audit_events", "target_id IS NULL"); n != 2 {
		t.Errorf("%d events stored without a target, want 2", n)
	}
}

// TestOrderKeepsPricePaid: an order shows what was paid and under which
// name, whatever the product becomes later.
func TestOrderKeepsPricePaid(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	products := []sesame.Product{{SKU: "W-1", Name: "Widget", PriceCents: 250, Stock: 5}}
	if ok, err := db.Seed(ctx, nil, products, t0); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	u := addUser(t, db, "privileged")
	if err := db.AddToCart(ctx, u.ID, products[0].ID, 2); err != nil {
		t.Fatal(err)
	}
	o, _, err := db.Checkout(ctx, u.ID, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE products SET price_cents = 1, name = 'renamed'`); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := stored.Items[0]; stored.TotalCents != 500 || l.Name != "Widget" || l.UnitPriceCents != 250 {
		t.Errorf("order after a price change: %+v", stored)
	}
}

// Loading the user is part of every request's cost when a session records
// nothing of its user: one statement for the user, roles and permissions.
func BenchmarkUserByID(b *testing.B) {
	db := newDB(b)
	u := addUser(b, db, "customer", "privileged", "admin")
	for b.Loop() {
		if _, err := db.UserByID(context.Background(), u.ID); err != nil {
			b.Fatal(err)
		}
	}
}
