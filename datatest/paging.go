package datatest

import (
	"errors"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// readAll reads a whole list stretch by stretch, limit at a time, and
// returns the ids in the order read and the number of stretches. It checks
// that no stretch is nil, that every one but the last is full and carries
// a cursor, and that the last one's cursor is "".
func readAll[T any](t *testing.T, limit int, id func(T) int64,
	list func(sesame.Paging) ([]T, string, error)) ([]int64, int) {
	t.Helper()
	var (
		ids []int64
		n   int
		p   = sesame.Paging{Limit: limit}
	)
	for {
		items, next, err := list(p)
		if err != nil {
			t.Fatalf("stretch %d of limit %d: %v", n+1, limit, err)
		}
		if items == nil {
			t.Fatalf("stretch %d of limit %d is nil; want an empty list", n+1, limit)
		}
		n++
		for _, it := range items {
			ids = append(ids, id(it))
		}
		if next == "" {
			return ids, n
		}
		if len(items) != limit {
			t.Fatalf("stretch %d: %d items and a next cursor; want %d", n, len(items), limit)
		}
		if n > 1000 {
			t.Fatal("the list does not end")
		}
		p.Cursor = next
	}
}

// testInvalidCursor: a cursor that no list gave out is refused as invalid
// input, naming the cursor, by every list that pages.
func testInvalidCursor(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	for _, cursor := range []string{"nonsense", "-1", "0", "1.5", "9999999999999999999999"} {
		p := sesame.Paging{Limit: 10, Cursor: cursor}
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"Users", errOf3(s.Users(ctx, p))},
			{"Orders", errOf3(s.Orders(ctx, u.ID, p))},
			{"Events", errOf3(s.Events(ctx, audit.Query{}, p))},
			{"Events of a user", errOf3(s.Events(ctx, audit.Query{UserID: u.ID}, p))},
			{"Events by action", errOf3(s.Events(ctx, audit.Query{Action: sesame.ActionLogin}, p))},
		} {
			var inv *sesame.InvalidError
			if !errors.As(tc.err, &inv) || inv.Fields["cursor"] == "" {
				t.Errorf("%s with cursor %q: %v; want an *InvalidError for cursor", tc.name, cursor, tc.err)
			}
		}
	}
}
