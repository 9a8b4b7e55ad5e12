package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// renewal returns what a renewal of r at an instant a little later writes,
// keeping r's token as the previous one for a minute when keep is set.
func renewal(r session.Record, keep bool) session.Renewal {
	t := now().Add(2 * time.Second)
	rn := session.Renewal{
		Hash:          newHash(),
		IssuedAt:      t,
		LastSeenAt:    t,
		IdleExpiresAt: t.Add(30 * time.Minute),
		LastIP:        "198.51.100.4",
	}
	if keep {
		rn.PrevHash, rn.PrevValidUntil = r.Hash, t.Add(time.Minute)
	}
	return rn
}

// applied returns r as Rotate with rn leaves it.
func applied(r session.Record, rn session.Renewal) session.Record {
	r.Hash, r.PrevHash, r.PrevValidUntil = rn.Hash, rn.PrevHash, rn.PrevValidUntil
	r.TokenIssuedAt, r.LastSeenAt, r.IdleExpiresAt, r.LastIP = rn.IssuedAt, rn.LastSeenAt, rn.IdleExpiresAt, rn.LastIP
	if !rn.AuthenticatedAt.IsZero() {
		r.AuthenticatedAt = rn.AuthenticatedAt
	}
	return r
}

// testRotate: a rotation without a previous token leaves only the new one
// working; the session keeps its id and everything Renewal does not name,
// and AuthenticatedAt changes only when the renewal sets it.
func testRotate(t *testing.T, s session.Store) {
	ctx := t.Context()
	r, other := record("u1"), record("u1")
	create(t, s, r, other)
	rn := renewal(r, false)
	if err := s.Rotate(ctx, r.ID, r.Hash, rn); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	wantGone(t, s, r.Hash)
	r = applied(r, rn)
	equal(t, mustGet(t, s, rn.Hash), r)
	equal(t, mustGet(t, s, other.Hash), other)

	rn = renewal(r, false)
	rn.AuthenticatedAt = rn.IssuedAt
	if err := s.Rotate(ctx, r.ID, r.Hash, rn); err != nil {
		t.Fatalf("Rotate with a new authentication time: %v", err)
	}
	equal(t, mustGet(t, s, rn.Hash), applied(r, rn))

	if err := s.Rotate(ctx, "no-such-id", newHash(), renewal(r, false)); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Rotate of an unknown session: err = %v, want ErrNotFound", err)
	}
}

// testRotateKeepsPrevious: after a periodic renewal both tokens find the
// record (the Manager tells them apart by Hash), and the next renewal
// forgets the oldest.
func testRotateKeepsPrevious(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	first := r.Hash
	rn := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, rn); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	r = applied(r, rn)
	equal(t, mustGet(t, s, rn.Hash), r)
	equal(t, mustGet(t, s, first), r) // found by its previous hash
	// The previous token is kept past its grace too, so that its reuse can
	// be recognized as such; only a later renewal forgets it.
	rn2 := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, rn2); err != nil {
		t.Fatalf("second Rotate: %v", err)
	}
	r = applied(r, rn2)
	wantGone(t, s, first)
	equal(t, mustGet(t, s, rn.Hash), r)
	equal(t, mustGet(t, s, rn2.Hash), r)

	// Ending the session forgets both of its tokens.
	if _, err := s.Delete(ctx, r.ID, ""); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantGone(t, s, rn.Hash)
	wantGone(t, s, rn2.Hash)
}

// testRotateConflict: a Rotate that names a token the session no longer
// has (a concurrent renewal replaced it) changes nothing and says so.
func testRotateConflict(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	won := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, won); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	want := applied(r, won)
	lost := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, lost); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("Rotate of a replaced token: err = %v, want ErrConflict", err)
	}
	wantGone(t, s, lost.Hash)
	equal(t, mustGet(t, s, won.Hash), want)
}

// testRotateUnconditional: with a zero current hash, Rotate replaces
// whatever token the session has, the previous one with it.
func testRotateUnconditional(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	periodic := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, periodic); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	r = applied(r, periodic)
	rn := renewal(r, false)
	if err := s.Rotate(ctx, r.ID, session.Hash{}, rn); err != nil {
		t.Fatalf("Rotate with a zero current hash: %v", err)
	}
	wantGone(t, s, periodic.PrevHash)
	wantGone(t, s, periodic.Hash)
	equal(t, mustGet(t, s, rn.Hash), applied(r, rn))
}

// testRotateOntoExisting: a new hash that another session already has must
// be refused, and both sessions left as they were. Taking it over would end
// the other session, or hand it to the wrong user; the Manager draws new
// hashes at random, so this only happens when something else is broken, and
// the store is the last place to notice.
func testRotateOntoExisting(t *testing.T, s session.Store) {
	a, b := record("a"), record("b")
	create(t, s, a, b)
	rn := renewal(a, true)
	rn.Hash = b.Hash
	if err := s.Rotate(t.Context(), a.ID, a.Hash, rn); err == nil {
		t.Error("Rotate onto the hash of another session succeeded")
	}
	equal(t, mustGet(t, s, a.Hash), a)
	equal(t, mustGet(t, s, b.Hash), b)
}

// testRotateOntoPrevious: nor may a renewal give a session a hash that
// another session keeps as its previous one.
func testRotateOntoPrevious(t *testing.T, s session.Store) {
	ctx := t.Context()
	a, b := record("a"), record("b")
	create(t, s, a, b)
	rn := renewal(a, true)
	if err := s.Rotate(ctx, a.ID, a.Hash, rn); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	a = applied(a, rn)
	onto := renewal(b, true)
	onto.Hash = rn.PrevHash // a's previous hash
	if err := s.Rotate(ctx, b.ID, b.Hash, onto); err == nil {
		t.Error("Rotate onto another session's previous hash succeeded")
	}
	equal(t, mustGet(t, s, b.Hash), b)
	equal(t, mustGet(t, s, rn.PrevHash), a)
}

// testRotateConcurrent: of many requests renewing one token at once,
// exactly one wins; the others are told ErrConflict.
func testRotateConcurrent(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []session.Renewal
	)
	for range 10 {
		wg.Go(func() {
			rn := renewal(r, true)
			switch err := s.Rotate(ctx, r.ID, r.Hash, rn); {
			case err == nil:
				mu.Lock()
				wins = append(wins, rn)
				mu.Unlock()
			case !errors.Is(err, session.ErrConflict):
				t.Errorf("Rotate: %v", err)
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d concurrent renewals of one token won, want exactly 1", len(wins))
	}
	equal(t, mustGet(t, s, wins[0].Hash), applied(r, wins[0]))
}
