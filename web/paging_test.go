package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// CONTRACT §5: the lists take ?limit= (default 50, at most 500) and
// ?cursor=; the answer carries next_cursor, absent or null on the last page.
// These tests fill a list past one default page and walk it. Refused values
// of limit and cursor are TestAPIListParameters's.

// overOnePage is how many items the tests put in a list: one more than the
// default page holds.
const overOnePage = 51

// walkPages fetches list (a path with a query, or none) page after page,
// following next_cursor, and returns the size of each page and the items of
// the array key in order. It fails if the walk does not end within 100 pages.
func walkPages(t *testing.T, c *client, list, key string) (sizes []int, items []map[string]any) {
	t.Helper()
	u, err := url.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for range 100 {
		u.RawQuery = q.Encode()
		v := apiGet(t, c, u.String())
		page := v[key].([]any)
		sizes = append(sizes, len(page))
		for _, it := range page {
			items = append(items, it.(map[string]any))
		}
		if v["next_cursor"] == nil { // absent or null
			return sizes, items
		}
		next, ok := v["next_cursor"].(string)
		if !ok || next == "" {
			t.Fatalf("%s: next_cursor %#v, want null or a cursor", u, v["next_cursor"])
		}
		q.Set("cursor", next)
	}
	t.Fatalf("%s: more than 100 pages", list)
	return nil, nil
}

// expectDistinct fails unless the values of key in items are n distinct
// ones: a walk that skips or repeats an item shows here.
func expectDistinct(t *testing.T, items []map[string]any, key string, n int) {
	t.Helper()
	seen := map[any]bool{}
	for _, it := range items {
		seen[it[key]] = true
	}
	if len(items) != n || len(seen) != n {
		t.Errorf("%d items, %d distinct by %s; want %d distinct", len(items), len(seen), key, n)
	}
}

// expectPageSizes fails unless a walk of list what had pages of sizes want.
func expectPageSizes(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: pages of %v, want %v", what, got, want)
	}
}

// TestActivityPaging: the trail of a login and 51 changes of the cart comes
// in a first page of 50 and a last of 2, newest first, every event once;
// ?limit= up to 500 takes it all in one page.
func TestActivityPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug := productID(t, c, skuMug)
	for range overOnePage {
		a.clock.Advance(time.Second) // each event has a time of its own
		expectJSON(t, c.json(http.MethodPost, "/api/v1/cart/items", map[string]any{"product_id": mug}), http.StatusOK)
	}
	const total = overOnePage + 1 // and the login

	sizes, events := walkPages(t, c, "/api/v1/activity", "events")
	expectPageSizes(t, "default limit", sizes, 50, total-50)
	expectDistinct(t, events, "time", total)
	for i := 1; i < len(events); i++ {
		if !jsonTime(t, events[i]["time"]).Before(jsonTime(t, events[i-1]["time"])) {
			t.Fatalf("event %d at %v is not older than the one before it, at %v", i, events[i]["time"], events[i-1]["time"])
		}
	}
	if last := events[len(events)-1]; last["action"] != "login" {
		t.Errorf("the oldest event is %v, want the login", last)
	}

	ones := make([]int, total)
	for i := range ones {
		ones[i] = 1
	}
	for _, tt := range []struct {
		limit string
		want  []int
	}{
		{"500", []int{total}},
		{"52", []int{total}}, // a page that holds exactly the rest has no next
		{"51", []int{51, 1}},
		{"1", ones},
	} {
		sizes, events := walkPages(t, c, "/api/v1/activity?limit="+tt.limit, "events")
		expectPageSizes(t, "limit="+tt.limit, sizes, tt.want...)
		expectDistinct(t, events, "time", total)
	}
}

// TestOrdersPaging: 51 orders come in a page of 50 and a page of 1.
func TestOrdersPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := a.authorized()
	mug := productID(t, c, skuMug)
	for range overOnePage {
		expectJSON(t, c.json(http.MethodPost, "/api/v1/cart/items", map[string]any{"product_id": mug}), http.StatusOK)
		expectJSON(t, c.json(http.MethodPost, "/api/v1/checkout", nil), http.StatusCreated)
		// The mug has 25 in stock: put back what was sold.
		expectJSON(t, c.json(http.MethodPost, "/api/v1/task", map[string]any{"product_id": mug, "quantity": 1}), http.StatusOK)
	}
	sizes, orders := walkPages(t, c, "/api/v1/orders", "orders")
	expectPageSizes(t, "default limit", sizes, 50, 1)
	expectDistinct(t, orders, "id", overOnePage)
	for i := 1; i < len(orders); i++ {
		if jsonInt(t, orders[i]["id"]) >= jsonInt(t, orders[i-1]["id"]) {
			t.Fatalf("orders %v then %v: want newest first", orders[i-1]["id"], orders[i]["id"])
		}
	}
	sizes, _ = walkPages(t, c, "/api/v1/orders?limit=500", "orders")
	expectPageSizes(t, "limit=500", sizes, overOnePage)
}

// TestSessionsPaging: 51 sessions come in a page of 50 and a page of 1. They
// all start at the same instant, so the cursor must order them by id too.
func TestSessionsPaging(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	var c *client
	for range overOnePage {
		c = a.authorized()
	}
	sizes, sessions := walkPages(t, c, "/api/v1/sessions", "sessions")
	expectPageSizes(t, "default limit", sizes, 50, 1)
	expectDistinct(t, sessions, "id", overOnePage)
	sizes, _ = walkPages(t, c, "/api/v1/sessions?limit=500", "sessions")
	expectPageSizes(t, "limit=500", sizes, overOnePage)
}
