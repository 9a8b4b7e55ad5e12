// Package storetest is the conformance suite every session.Store must pass.
// A store's own test calls Run with a function that returns a fresh, empty
// store; the suite never looks inside it, only at what the interface
// promises, so that the Manager behaves the same over every store.
package storetest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Run runs the suite as subtests of t, which run in parallel with one
// another. newStore is called once per subtest, with the subtest's t, and
// must return a new, empty store that this subtest uses alone while the
// others use theirs: a database of its own, say, not a table they share.
// newStore releases what the store holds (a connection, a file) with
// t.Cleanup.
//
// Stores must keep times to at least the millisecond: the suite uses whole
// milliseconds, and tells a session dead at its deadline from one alive a
// millisecond before it, so finer precision may be dropped but coarser may
// not. Like the Manager, the suite never stores an IdleExpiresAt after the
// ExpiresAt, so a store may find dead sessions by IdleExpiresAt alone.
//
// Every record the suite stores is alive by the real clock, and
// DeleteExpired is asked about a later instant, so stores that drop dead
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
		{"RotateOntoExisting", testRotateOntoExisting},
		{"Delete", testDelete},
		{"DeleteByID", testDeleteByID},
		{"ListByUser", testListByUser},
		{"DeleteByUser", testDeleteByUser},
		{"DeleteExpired", testDeleteExpired},
		{"DeleteExpiredAtDeadline", testDeleteExpiredAtDeadline},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, newStore(t))
		})
	}
}

// now is the suite's time base, truncated to the millisecond: stores need
// keep no finer precision (see Run).
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
		if err := s.Create(t.Context(), r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
}

func mustGet(t *testing.T, s session.Store, h session.Hash) session.Record {
	t.Helper()
	r, err := s.Get(t.Context(), h)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func wantGone(t *testing.T, s session.Store, h session.Hash) {
	t.Helper()
	if _, err := s.Get(t.Context(), h); !errors.Is(err, session.ErrNotFound) {
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
	ctx := t.Context()
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
	ctx := t.Context()
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
	ctx := t.Context()
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

// testRotateOntoExisting: a new hash that another session already has must
// be refused, and both sessions left as they were. Taking it over would end
// the other session, or hand it to the wrong user; the Manager draws new
// hashes at random, so this only happens when something else is broken, and
// the store is the last place to notice.
func testRotateOntoExisting(t *testing.T, s session.Store) {
	a, b := record("a"), record("b")
	create(t, s, a, b)
	if err := s.Rotate(t.Context(), a.Hash, b.Hash); err == nil {
		t.Error("Rotate onto the hash of another session succeeded")
	}
	equal(t, mustGet(t, s, a.Hash), a)
	equal(t, mustGet(t, s, b.Hash), b)
}

func testDelete(t *testing.T, s session.Store) {
	ctx := t.Context()
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
	ctx := t.Context()
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
	ctx := t.Context()
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
	ctx := t.Context()
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

// testDeleteExpired asks about an instant an hour ahead, when every record
// is still alive by the real clock: a store must go by the now it is given,
// and one that drops dead records by itself (a TTL) still holds them all.
func testDeleteExpired(t *testing.T, s session.Store) {
	t0 := now().Add(time.Hour)
	live, idled, ended := record("u"), record("u"), record("u")
	live.IdleExpiresAt = t0.Add(time.Minute)
	idled.IdleExpiresAt = t0.Add(-time.Second)
	ended.ExpiresAt, ended.IdleExpiresAt = t0.Add(-time.Second), t0.Add(-time.Second)
	create(t, s, live, idled, ended)
	deleteExpired(t, s, t0, []session.Record{idled, ended}, []session.Record{live})
}

// testDeleteExpiredAtDeadline: a session is dead from the instant of its
// deadline on (Session.Expired), so DeleteExpired at exactly that instant
// removes and reports it, and one a millisecond from its deadline lives.
func testDeleteExpiredAtDeadline(t *testing.T, s session.Store) {
	t0 := now().Add(time.Hour) // as in testDeleteExpired
	atIdle, atEnd, justLive := record("u"), record("u"), record("u")
	atIdle.IdleExpiresAt = t0
	// The Manager never lets the idle deadline pass the absolute one, so a
	// session at the end of its lifetime reaches both at once.
	atEnd.IdleExpiresAt, atEnd.ExpiresAt = t0, t0
	justLive.IdleExpiresAt = t0.Add(time.Millisecond)
	create(t, s, atIdle, atEnd, justLive)
	deleteExpired(t, s, t0, []session.Record{atIdle, atEnd}, []session.Record{justLive})
}

// deleteExpired calls DeleteExpired at now and checks that it removed every
// dead record and no live one, and reported each dead one once, as stored.
func deleteExpired(t *testing.T, s session.Store, now time.Time, dead, live []session.Record) {
	t.Helper()
	gone, err := s.DeleteExpired(t.Context(), now)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	byID := map[string]session.Record{}
	for _, r := range dead {
		byID[r.ID] = r
	}
	reported := map[string]bool{}
	for _, g := range gone {
		r, isDead := byID[g.ID]
		switch {
		case !isDead:
			t.Errorf("DeleteExpired(%v) reported %+v, which is not dead", now, g)
		case reported[g.ID]:
			t.Errorf("DeleteExpired(%v) reported %s twice", now, g.ID)
		default:
			equal(t, session.Record{Hash: r.Hash, Session: g}, r)
		}
		reported[g.ID] = true
	}
	for _, r := range dead {
		if !reported[r.ID] {
			t.Errorf("DeleteExpired(%v) did not report %s (idle deadline %v, end %v)",
				now, r.ID, r.IdleExpiresAt, r.ExpiresAt)
		}
	}
	for _, r := range dead {
		wantGone(t, s, r.Hash)
	}
	for _, r := range live {
		mustGet(t, s, r.Hash)
	}
}

// testConcurrent runs the operations of a busy server at once; run the suite
// with -race to make it count. The goroutines report failures with t.Errorf,
// which is safe from any goroutine, rather than through a channel: a store
// that fails every call must fail the test, not block senders on a full
// channel until go test times out.
func testConcurrent(t *testing.T, s session.Store) {
	ctx := t.Context()
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
