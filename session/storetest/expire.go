package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

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
			equalSession(t, g, r.Session)
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
			user := fmt.Sprint("u", i%4)
			r := record(user)
			if _, err := s.Create(ctx, r, 0); err != nil {
				t.Errorf("Create: %v", err)
				return
			}
			if _, err := s.Get(ctx, r.Hash); err != nil {
				t.Errorf("Get: %v", err)
			}
			if err := s.Touch(ctx, r.ID, now(), now().Add(time.Hour)); err != nil {
				t.Errorf("Touch: %v", err)
			}
			rn := renewal(r, true)
			if err := s.Rotate(ctx, r.ID, r.Hash, rn); err != nil {
				t.Errorf("Rotate: %v", err)
			}
			if _, err := s.List(ctx, session.Query{UserID: user, Now: now()}); err != nil {
				t.Errorf("List: %v", err)
			}
			if _, err := s.Count(ctx, now()); err != nil {
				t.Errorf("Count: %v", err)
			}
			if _, err := s.Delete(ctx, r.ID, user); err != nil {
				t.Errorf("Delete: %v", err)
			}
			if _, err := s.Get(ctx, rn.Hash); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
		})
	}
	wg.Wait()
}
