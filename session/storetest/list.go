package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// listed returns the ids of list in its order.
func listed(list []session.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

// ordered returns the ids of rs in the order of Store.List.
func ordered(rs ...session.Record) []string {
	list := make([]session.Session, len(rs))
	for i, r := range rs {
		list[i] = r.Session
	}
	slices.SortFunc(list, func(a, b session.Session) int {
		if session.KeyOf(a).Before(session.KeyOf(b)) {
			return -1
		}
		return 1
	})
	return listed(list)
}

func list(t *testing.T, s session.Store, q session.Query) []session.Session {
	t.Helper()
	l, err := s.List(t.Context(), q)
	if err != nil {
		t.Fatalf("List(%+v): %v", q, err)
	}
	return l
}

// testList: everyone's sessions or one user's, newest first, ties on the
// sign-in time broken by id, every field as stored.
func testList(t *testing.T, s session.Store) {
	base := now().Add(-time.Hour)
	a1, a2, a3, b := record("a"), record("a"), record("a"), record("b")
	a1.CreatedAt = base
	a2.CreatedAt = base.Add(time.Second)
	a3.CreatedAt = base.Add(time.Second) // the same instant as a2
	b.CreatedAt = base.Add(500 * time.Millisecond)
	create(t, s, a1, a3, b, a2)

	got := list(t, s, session.Query{UserID: "a", Now: now()})
	if want := ordered(a1, a2, a3); !slices.Equal(listed(got), want) {
		t.Fatalf("List(a) = %v, want %v", listed(got), want)
	}
	for _, g := range got {
		if g.ID == a1.ID {
			equalSession(t, g, a1.Session)
		}
	}
	if got, want := listed(list(t, s, session.Query{Now: now()})), ordered(a1, a2, a3, b); !slices.Equal(got, want) {
		t.Errorf("List(everyone) = %v, want %v", got, want)
	}
	if got := list(t, s, session.Query{UserID: "nobody", Now: now()}); len(got) != 0 {
		t.Errorf("List(nobody) = %v, want none", listed(got))
	}
}

// testListPages: a list read page by page, each starting after the key of
// the last session of the one before, holds every session once, in order,
// even when a session of an earlier page ends in between.
func testListPages(t *testing.T, s session.Store) {
	base := now().Add(-time.Hour)
	var all []session.Record
	for i := range 7 {
		r := record("u")
		r.CreatedAt = base.Add(time.Duration(i/2) * time.Second) // pairs share an instant
		all = append(all, r)
		create(t, s, r)
	}
	want := ordered(all...)
	var got []string
	q := session.Query{UserID: "u", Now: now(), Limit: 3}
	for page := 0; ; page++ {
		if page > len(all) {
			t.Fatalf("paging does not end: %v so far", got)
		}
		l := list(t, s, q)
		if len(l) > q.Limit {
			t.Fatalf("a page of %d with limit %d", len(l), q.Limit)
		}
		got = append(got, listed(l)...)
		if len(l) < q.Limit {
			break
		}
		if page == 0 {
			// Sessions of the first page end, among them the one the next
			// page starts after: the key, not the session, says where.
			for _, gone := range []session.Session{l[0], l[len(l)-1]} {
				if _, err := s.Delete(t.Context(), gone.ID, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		q.After = session.KeyOf(l[len(l)-1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

// testListSkipsDead: a session dead at the query's instant is not listed,
// whichever deadline ended it, nor counted.
func testListSkipsDead(t *testing.T, s session.Store) {
	t0 := now().Add(time.Hour)
	live, idled, ended := record("u"), record("u"), record("u")
	live.IdleExpiresAt = t0.Add(time.Minute)
	idled.IdleExpiresAt = t0
	ended.ExpiresAt, ended.IdleExpiresAt = t0.Add(-time.Second), t0.Add(-time.Second)
	create(t, s, live, idled, ended)
	for _, q := range []session.Query{{UserID: "u", Now: t0}, {Now: t0}} {
		if got := listed(list(t, s, q)); !slices.Equal(got, []string{live.ID}) {
			t.Errorf("List(%q) at %v = %v, want only the live %s", q.UserID, t0, got, live.ID)
		}
	}
}

// testDeadlinesMove: Touch and Rotate move the idle deadline that Count,
// List and DeleteExpired go by, not only the one Get returns: a store that
// indexes deadlines apart from the record must update the index too, or
// the sweep would end sessions in use.
func testDeadlinesMove(t *testing.T, s session.Store) {
	ctx := t.Context()
	touched, rotated := record("u"), record("u")
	create(t, s, touched, rotated)
	later := now().Add(3 * time.Hour) // past both idle deadlines as created
	if err := s.Touch(ctx, touched.ID, now(), later.Add(time.Hour)); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	rn := renewal(rotated, true)
	rn.IdleExpiresAt = later.Add(time.Hour)
	if err := s.Rotate(ctx, rotated.ID, rotated.Hash, rn); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if n, err := s.Count(ctx, later); err != nil || n != 2 {
		t.Errorf("Count at %v = %d, %v; want both sessions, whose deadlines moved past it", later, n, err)
	}
	if l := list(t, s, session.Query{UserID: "u", Now: later}); len(l) != 2 {
		t.Errorf("List at %v = %v; want both sessions", later, listed(l))
	}
	if gone, err := s.DeleteExpired(ctx, later); err != nil || len(gone) != 0 {
		t.Errorf("DeleteExpired at %v = %v, %v; want none", later, ids(gone), err)
	}
	mustGet(t, s, touched.Hash)
	mustGet(t, s, rn.Hash)
}

func testCount(t *testing.T, s session.Store) {
	ctx := t.Context()
	t0 := now().Add(time.Hour)
	for i := range 5 {
		r := record(fmt.Sprint("u", i%2))
		r.IdleExpiresAt = t0.Add(time.Minute)
		if i < 2 {
			r.IdleExpiresAt = t0 // dead at t0
		}
		create(t, s, r)
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{now(), 5}, {t0, 3}} {
		if n, err := s.Count(ctx, tc.at); err != nil || n != tc.want {
			t.Errorf("Count(%v) = %d, %v; want %d", tc.at, n, err, tc.want)
		}
	}
}
