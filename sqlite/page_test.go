package sqlite_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// pages reads a whole list page by page, limit at a time, and returns the
// ids in the order read and the number of pages. It checks that every page
// but the last is full and carries a cursor, and that the last has "".
func pages[T any](t *testing.T, limit int, id func(T) int64,
	list func(sesame.Page) ([]T, string, error)) ([]int64, int) {
	t.Helper()
	var (
		ids []int64
		n   int
		p   = sesame.Page{Limit: limit}
	)
	for {
		items, next, err := list(p)
		if err != nil {
			t.Fatalf("page %d: %v", n+1, err)
		}
		n++
		for _, it := range items {
			ids = append(ids, id(it))
		}
		if next == "" {
			return ids, n
		}
		if len(items) != limit {
			t.Fatalf("page %d: %d items and a next cursor, want %d", n, len(items), limit)
		}
		if n > 100 {
			t.Fatal("the list does not end")
		}
		p.Cursor = next
	}
}

func TestOrdersPages(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db, "privileged")
	other := addUser(t, db, "privileged")
	a := addProduct(t, db, 100, 100)
	b := addProduct(t, db, 200, 100)

	var want []int64 // newest first
	for i := range 7 {
		addToCart(t, db, u.ID, a.ID, 1)
		if i%2 == 0 { // some orders of two lines
			addToCart(t, db, u.ID, b.ID, 2)
		}
		o, _, err := db.Checkout(ctx, u.ID, "", now.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want = slices.Insert(want, 0, o.ID)
		// Another user's orders interleave and must not show.
		addToCart(t, db, other.ID, a.ID, 1)
		if _, _, err := db.Checkout(ctx, other.ID, "", now); err != nil {
			t.Fatal(err)
		}
	}

	list := func(p sesame.Page) ([]sesame.Order, string, error) {
		orders, next, err := db.Orders(ctx, u.ID, p)
		for _, o := range orders {
			stored, err := db.Order(ctx, o.ID)
			if err != nil || !reflect.DeepEqual(&o, stored) {
				t.Errorf("listed order %+v, stored %+v, %v", o, stored, err)
			}
		}
		return orders, next, err
	}
	orderID := func(o sesame.Order) int64 { return o.ID }
	for _, tc := range []struct {
		limit, wantPages int
	}{
		{1, 7}, {2, 4}, {3, 3}, {7, 1}, {8, 1}, {sesame.MaxLimit, 1},
	} {
		ids, n := pages(t, tc.limit, orderID, list)
		if !slices.Equal(ids, want) || n != tc.wantPages {
			t.Errorf("limit %d: %v in %d pages, want %v in %d", tc.limit, ids, n, want, tc.wantPages)
		}
	}

	none, next, err := db.Orders(ctx, addUser(t, db).ID, sesame.Page{Limit: 10})
	if err != nil || none == nil || len(none) != 0 || next != "" {
		t.Errorf("no orders: %#v, %q, %v; want an empty last page", none, next, err)
	}
	var invalid *sesame.InvalidError
	if _, _, err := db.Orders(ctx, u.ID, sesame.Page{Limit: 1, Cursor: "nonsense"}); !errors.As(err, &invalid) {
		t.Errorf("a bad cursor: %v, want an InvalidError", err)
	}
}

func TestEventsNewestFirstPerUser(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db)
	other := addUser(t, db)

	var want []sesame.Event // newest first
	for i := range 5 {
		e := sesame.Event{
			Time:      now.Add(time.Duration(i) * time.Second),
			UserID:    u.ID,
			Username:  u.Username,
			Action:    sesame.ActionCartAdd,
			Outcome:   sesame.OutcomeSuccess,
			SessionID: "public-session-id",
			IP:        "192.0.2.1",
			UserAgent: "test/1.0",
			Detail:    "product 1",
		}
		if err := db.AppendEvent(ctx, &e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("AppendEvent did not set the ID")
		}
		e.Time = e.Time.Truncate(time.Millisecond) // as stored
		want = slices.Insert(want, 0, e)
		// Events of someone else, and of nobody known, are not u's.
		for _, uid := range []int64{other.ID, 0} {
			x := sesame.Event{Time: now, UserID: uid, Username: "mallory",
				Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure}
			if err := db.AppendEvent(ctx, &x); err != nil {
				t.Fatal(err)
			}
		}
	}

	got, next, err := db.Events(ctx, u.ID, sesame.Page{Limit: 10})
	if err != nil || next != "" {
		t.Fatalf("Events: next %q, %v", next, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Events = %+v\nwant %+v", got, want)
	}

	wantIDs := make([]int64, len(want))
	for i, e := range want {
		wantIDs[i] = e.ID
	}
	list := func(p sesame.Page) ([]sesame.Event, string, error) { return db.Events(ctx, u.ID, p) }
	ids, n := pages(t, 2, func(e sesame.Event) int64 { return e.ID }, list)
	if !slices.Equal(ids, wantIDs) || n != 3 {
		t.Errorf("by twos: %v in %d pages, want %v in 3", ids, n, wantIDs)
	}

	// An event without a known user keeps UserID 0.
	if n := countRows(t, db, "audit_events", "user_id IS NULL"); n != 5 {
		t.Errorf("%d events stored without a user, want 5", n)
	}
}

func TestEventsOutliveTheirUser(t *testing.T) {
	// The trail outlives the user it is about.
	db := newDB(t)
	ctx := context.Background()
	u := addUser(t, db)
	e := sesame.Event{Time: now, UserID: u.ID, Action: sesame.ActionLogin, Outcome: sesame.OutcomeSuccess}
	if err := db.AppendEvent(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Events(ctx, u.ID, sesame.Page{Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Errorf("events of a deleted user: %+v, %v", got, err)
	}
	// And the id is never given out again.
	if v := addUser(t, db); v.ID == u.ID {
		t.Errorf("user id %d given out twice", v.ID)
	}
}
