// Package storetest is the conformance suite every session.Store must pass.
// A store's own test calls Run with a function that returns a fresh, empty
// store; the suite never looks inside it, only at what the interface
// promises, so that the Manager behaves the same over every store.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Run runs the suite. newStore is called once per subtest and must return an
// empty store that the test may use alone; it registers its own cleanup with
// t.Cleanup. Records use times around the real clock, so stores that expire
// records by themselves (with a TTL) pass too.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s session.Store)
	}{
		{"CreateGet", testCreateGet},
		{"GetUnknown", testGetUnknown},
		{"CreateDuplicate", testCreateDuplicate},
		{"Touch", testTouch},
		{"Rotate", testRotate},
		{"Delete", testDelete},
		{"DeleteByID", testDeleteByID},
		{"ListByUser", testListByUser},
		{"DeleteByUser", testDeleteByUser},
		{"DeleteExpired", testDeleteExpired},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, newStore(t))
		})
	}
}

var ctx = context.Background()

// now is the suite's time base, truncated to the millisecond: stores need
// keep no finer precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// record returns a live record of userID with a random hash and id.
func record(userID string) session.Record {
	var h session.Hash
	rand.Read(h[:])
	t := now()
	return session.Record{Hash: h, Session: session.Session{
		ID:            rand.Text(),
		UserID:        userID,
		CreatedAt:     t.Add(-time.Minute),
		LastSeenAt:    t,
		IdleExpiresAt: t.Add(30 * time.Minute),
		ExpiresAt:     t.Add(12 * time.Hour),
		IP:            "2001:db8::1",
		UserAgent:     "Mozilla/5.0 (X11; Linux) «ünïcödé» 🍪",
	}}
}

func create(t *testing.T, s session.Store, rs ...session.Record) {
	t.Helper()
	for _, r := range rs {
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
}

func mustGet(t *testing.T, s session.Store, h session.Hash) session.Record {
	t.Helper()
	r, err := s.Get(ctx, h)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func wantGone(t *testing.T, s session.Store, h session.Hash) {
	t.Helper()
	if _, err := s.Get(ctx, h); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get of a removed session: err = %v, want ErrNotFound", err)
	}
}

func equal(t *testing.T, got, want session.Record) {
	t.Helper()
	if got.Hash != want.Hash || got.ID != want.ID || got.UserID != want.UserID ||
		got.IP != want.IP || got.UserAgent != want.UserAgent ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeenAt.Equal(want.LastSeenAt) ||
		!got.IdleExpiresAt.Equal(want.IdleExpiresAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("record differs:\n got %+v\nwant %+v", got, want)
	}
}

func testCreateGet(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	equal(t, mustGet(t, s, r.Hash), r)
}

func testGetUnknown(t *testing.T, s session.Store) {
	wantGone(t, s, record("u1").Hash)
}

func testCreateDuplicate(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	sameHash := record("u2")
	sameHash.Hash = r.Hash
	if err := s.Create(ctx, sameHash); err == nil {
		t.Error("Create with an existing hash succeeded")
	}
	sameID := record("u2")
	sameID.ID = r.ID
	if err := s.Create(ctx, sameID); err == nil {
		t.Error("Create with an existing public id succeeded")
	}
	equal(t, mustGet(t, s, r.Hash), r)
}

func testTouch(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	seen, idle := r.LastSeenAt.Add(90*time.Second), r.IdleExpiresAt.Add(90*time.Second)
	if err := s.Touch(ctx, r.Hash, seen, idle); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	r.LastSeenAt, r.IdleExpiresAt = seen, idle
	equal(t, mustGet(t, s, r.Hash), r)

	if err := s.Touch(ctx, record("u1").Hash, seen, idle); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Touch of an unknown session: err = %v, want ErrNotFound", err)
	}
}

func testRotate(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	next := record("u1").Hash
	if err := s.Rotate(ctx, r.Hash, next); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	wantGone(t, s, r.Hash)
	r.Hash = next
	equal(t, mustGet(t, s, next), r)

	if err := s.Rotate(ctx, record("u1").Hash, record("u1").Hash); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Rotate of an unknown session: err = %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s session.Store) {
	r, other := record("u1"), record("u1")
	create(t, s, r, other)
	if err := s.Delete(ctx, r.Hash); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantGone(t, s, r.Hash)
	mustGet(t, s, other.Hash)
	if err := s.Delete(ctx, r.Hash); err != nil {
		t.Errorf("Delete of a missing session: %v, want nil", err)
	}
}

func testDeleteByID(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	for _, tc := range []struct{ user, id string }{
		{"u2", r.ID},         // another user's session
		{"u1", "no-such-id"}, // an id nobody has
		{"u1", r.Hash.String()},
	} {
		if err := s.DeleteByID(ctx, tc.user, tc.id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("DeleteByID(%q, %q): err = %v, want ErrNotFound", tc.user, tc.id, err)
		}
	}
	mustGet(t, s, r.Hash)
	if err := s.DeleteByID(ctx, "u1", r.ID); err != nil {
		t.Fatalf("DeleteByID: %v", err)
	}
	wantGone(t, s, r.Hash)
}

func testListByUser(t *testing.T, s session.Store) {
	a1, a2, b := record("a"), record("a"), record("b")
	create(t, s, a1, a2, b)
	list, err := s.ListByUser(ctx, "a")
	if err != nil {
		t.Fatalf("ListByUser: %v", err)
	}
	ids := make([]string, 0, len(list))
	for _, x := range list {
		ids = append(ids, x.ID)
		if x.ID == a1.ID {
			equal(t, session.Record{Hash: a1.Hash, Session: x}, a1)
		}
	}
	slices.Sort(ids)
	want := []string{a1.ID, a2.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("ListByUser(a) = %v, want %v", ids, want)
	}
	if list, err := s.ListByUser(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("ListByUser(nobody) = %v, %v; want none", list, err)
	}
}

func testDeleteByUser(t *testing.T, s session.Store) {
	a1, a2, a3, b := record("a"), record("a"), record("a"), record("b")
	create(t, s, a1, a2, a3, b)
	gone, err := s.DeleteByUser(ctx, "a", a2.ID)
	if err != nil {
		t.Fatalf("DeleteByUser(a, except a2): %v", err)
	}
	if got, want := ids(gone), ids([]session.Session{a1.Session, a3.Session}); !slices.Equal(got, want) {
		t.Errorf("DeleteByUser(a, except a2) reported %v, want %v", got, want)
	}
	wantGone(t, s, a1.Hash)
	wantGone(t, s, a3.Hash)
	mustGet(t, s, a2.Hash)
	mustGet(t, s, b.Hash)

	gone, err = s.DeleteByUser(ctx, "a", "")
	if err != nil {
		t.Fatalf("DeleteByUser(a, except none): %v", err)
	}
	if got, want := ids(gone), ids([]session.Session{a2.Session}); !slices.Equal(got, want) {
		t.Errorf("DeleteByUser(a, except none) reported %v, want %v", got, want)
	}
	wantGone(t, s, a2.Hash)
	mustGet(t, s, b.Hash)
}

// ids returns the public ids of list, sorted.
func ids(list []session.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	slices.Sort(out)
	return out
}

func testDeleteExpired(t *testing.T, s session.Store) {
	t0 := now()
	live, idled, ended := record("u"), record("u"), record("u")
	idled.IdleExpiresAt = t0.Add(-time.Second)
	ended.ExpiresAt, ended.IdleExpiresAt = t0.Add(-time.Second), t0.Add(-time.Second)
	create(t, s, live, idled, ended)
	gone, err := s.DeleteExpired(ctx, t0)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	reported := map[string]bool{}
	for _, g := range gone {
		if g.ID != idled.ID && g.ID != ended.ID || reported[g.ID] {
			t.Errorf("DeleteExpired reported %+v; only %s and %s were dead, once each", g, idled.ID, ended.ID)
		}
		reported[g.ID] = true
		if g.ID == idled.ID && (g.UserID != "u" || !g.IdleExpiresAt.Equal(idled.IdleExpiresAt)) {
			t.Errorf("DeleteExpired reported %+v, want the stored session %+v", g, idled.Session)
		}
	}
	if !reported[idled.ID] || !reported[ended.ID] {
		t.Errorf("DeleteExpired reported %d sessions, want both dead ones", len(gone))
	}
	wantGone(t, s, idled.Hash)
	wantGone(t, s, ended.Hash)
	mustGet(t, s, live.Hash)
}

// testConcurrent runs the operations of a busy server at once; run the suite
// with -race to make it count. The goroutines report failures with t.Errorf,
// which is safe from any goroutine, rather than through a channel: a store
// that fails every call must fail the test, not block senders on a full
// channel until go test times out.
func testConcurrent(t *testing.T, s session.Store) {
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			r := record(fmt.Sprint("u", i%4))
			if err := s.Create(ctx, r); err != nil {
				t.Errorf("Create: %v", err)
				return
			}
			if _, err := s.Get(ctx, r.Hash); err != nil {
				t.Errorf("Get: %v", err)
			}
			if err := s.Touch(ctx, r.Hash, now(), now().Add(time.Hour)); err != nil {
				t.Errorf("Touch: %v", err)
			}
			if _, err := s.ListByUser(ctx, r.UserID); err != nil {
				t.Errorf("ListByUser: %v", err)
			}
			if err := s.Delete(ctx, r.Hash); err != nil {
				t.Errorf("Delete: %v", err)
			}
		})
	}
	wg.Wait()
}
