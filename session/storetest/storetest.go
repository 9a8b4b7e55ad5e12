// Package storetest is the conformance suite every session.Store must pass.
// A store's own test calls Run with a function that returns a fresh, empty
// store; the suite never looks inside it, only at what the interface
// promises, so that the Manager behaves the same over every store.
package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Timeout bounds each case of the suite. A store that deadlocks, or waits
// for a lock that is never released, fails the suite with a message naming
// the case instead of hanging until go test's own timeout kills it without
// saying where.
var Timeout = 2 * time.Minute

// Run runs the suite as subtests of t, which run in parallel with one
// another. newStore is called once per subtest, with the subtest's t, and
// must return a new, empty store that this subtest uses alone while the
// others use theirs: a database of its own, say, or a key prefix of its
// own. newStore releases what the store holds (a connection, a file) with
// t.Cleanup.
//
// Stores must keep times to at least the millisecond: the suite uses whole
// milliseconds, and tells a session dead at its deadline from one alive a
// millisecond before it, so finer precision may be dropped but coarser may
// not. Like the Manager, the suite never stores an IdleExpiresAt after the
// ExpiresAt, so a store may find dead sessions by IdleExpiresAt alone.
//
// Every record the suite stores is alive by the real clock; deaths are
// tested by asking about later instants, so that stores that drop dead
// records by themselves (with a TTL) pass too.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s session.Store)
	}{
		{"CreateGet", testCreateGet},
		{"GetUnknown", testGetUnknown},
		{"CreateDuplicate", testCreateDuplicate},
		{"CreateOntoPrevious", testCreateOntoPrevious},
		{"DataIsCopied", testDataIsCopied},
		{"CreateLimit", testCreateLimit},
		{"CreateLimitIgnoresDead", testCreateLimitIgnoresDead},
		{"CreateLimitConcurrent", testCreateLimitConcurrent},
		{"Touch", testTouch},
		{"Rotate", testRotate},
		{"RotateKeepsPrevious", testRotateKeepsPrevious},
		{"RotateConflict", testRotateConflict},
		{"RotateUnconditional", testRotateUnconditional},
		{"RotateOntoExisting", testRotateOntoExisting},
		{"RotateOntoPrevious", testRotateOntoPrevious},
		{"RotateConcurrent", testRotateConcurrent},
		{"Delete", testDelete},
		{"DeleteOwner", testDeleteOwner},
		{"DeleteByUser", testDeleteByUser},
		{"List", testList},
		{"ListPages", testListPages},
		{"ListSkipsDead", testListSkipsDead},
		{"Count", testCount},
		{"DeadlinesMove", testDeadlinesMove},
		{"DeleteExpired", testDeleteExpired},
		{"DeleteExpiredAtDeadline", testDeleteExpiredAtDeadline},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			// A panic is the only way to stop a test that is stuck in
			// another goroutine's call; it names the case that hung.
			watchdog := time.AfterFunc(Timeout, func() {
				panic(fmt.Sprintf("storetest: %s did not finish within %v: the store hangs", t.Name(), Timeout))
			})
			defer watchdog.Stop()
			tt.test(t, s)
		})
	}
}

// now is the suite's time base, truncated to the millisecond: stores need
// keep no finer precision (see Run).
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// record returns a live record of userID with a random hash and id, and a
// value in every field.
func record(userID string) session.Record {
	t := now()
	return session.Record{Hash: newHash(), Session: session.Session{
		ID:              newID(),
		UserID:          userID,
		CreatedAt:       t.Add(-time.Minute),
		LastSeenAt:      t,
		IdleExpiresAt:   t.Add(30 * time.Minute),
		ExpiresAt:       t.Add(12 * time.Hour),
		IP:              "2001:db8::1",
		UserAgent:       "Mozilla/5.0 (X11; Linux) «ünïcödé» 🍪",
		LastIP:          "192.0.2.9",
		AuthenticatedAt: t.Add(-time.Minute),
		TokenIssuedAt:   t.Add(-time.Minute),
		Data:            []byte(`{"roles":["customer"]}` + "\x00\xff"),
	}}
}

// newID returns a public id as the Manager draws them: 16 random bytes in
// unpadded base64url, so that ids hold both cases, digits, '-' and '_', and
// a store that orders them other than byte by byte (a linguistic
// collation, say) fails the list tests.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newHash() session.Hash {
	var h session.Hash
	rand.Read(h[:])
	return h
}

func create(t *testing.T, s session.Store, rs ...session.Record) {
	t.Helper()
	for _, r := range rs {
		if evicted, err := s.Create(t.Context(), r, 0); err != nil || len(evicted) != 0 {
			t.Fatalf("Create without a limit = %v, %v; want no evictions and no error", evicted, err)
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
		t.Fatalf("Get of a removed token: err = %v, want ErrNotFound", err)
	}
}

// equal fails unless got and want agree in every field.
func equal(t *testing.T, got, want session.Record) {
	t.Helper()
	if got.Hash != want.Hash || got.PrevHash != want.PrevHash || !got.PrevValidUntil.Equal(want.PrevValidUntil) {
		t.Fatalf("record hashes differ:\n got %s prev %s until %v\nwant %s prev %s until %v",
			got.Hash, got.PrevHash, got.PrevValidUntil, want.Hash, want.PrevHash, want.PrevValidUntil)
	}
	equalSession(t, got.Session, want.Session)
}

// equalSession fails unless got and want agree in every field.
func equalSession(t *testing.T, got, want session.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.IP != want.IP || got.UserAgent != want.UserAgent ||
		got.LastIP != want.LastIP || got.Remember != want.Remember || !bytes.Equal(got.Data, want.Data) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeenAt.Equal(want.LastSeenAt) ||
		!got.IdleExpiresAt.Equal(want.IdleExpiresAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!got.AuthenticatedAt.Equal(want.AuthenticatedAt) || !got.TokenIssuedAt.Equal(want.TokenIssuedAt) {
		t.Fatalf("session differs:\n got %+v\nwant %+v", got, want)
	}
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

func idsOf(rs ...session.Record) []string {
	list := make([]session.Session, len(rs))
	for i, r := range rs {
		list[i] = r.Session
	}
	return ids(list)
}

func testCreateGet(t *testing.T, s session.Store) {
	r := record("u1")
	create(t, s, r)
	equal(t, mustGet(t, s, r.Hash), r)

	// The zero values too: no data, not remembered.
	bare := record("u1")
	bare.Data, bare.Remember = nil, false
	other := record("u1")
	other.Remember = true
	create(t, s, bare, other)
	if got := mustGet(t, s, bare.Hash); len(got.Data) != 0 || got.Remember {
		t.Errorf("a session without data: Data %q, Remember %v", got.Data, got.Remember)
	}
	equal(t, mustGet(t, s, other.Hash), other)
}

func testGetUnknown(t *testing.T, s session.Store) {
	wantGone(t, s, newHash())
}

func testCreateDuplicate(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	sameHash := record("u2")
	sameHash.Hash = r.Hash
	if _, err := s.Create(ctx, sameHash, 0); err == nil {
		t.Error("Create with an existing hash succeeded")
	}
	sameID := record("u2")
	sameID.ID = r.ID
	if _, err := s.Create(ctx, sameID, 0); err == nil {
		t.Error("Create with an existing public id succeeded")
	}
	equal(t, mustGet(t, s, r.Hash), r)
}

// testCreateOntoPrevious: a new session may not take the hash another
// session keeps as its previous one: that token would then open two
// sessions, and which one Get finds would be the store's guess.
func testCreateOntoPrevious(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	rn := renewal(r, true)
	if err := s.Rotate(ctx, r.ID, r.Hash, rn); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	clash := record("u2")
	clash.Hash = r.Hash // now r's previous hash
	if _, err := s.Create(ctx, clash, 0); err == nil {
		t.Fatal("Create with another session's previous hash succeeded")
	}
	if got := mustGet(t, s, r.Hash); got.ID != r.ID {
		t.Errorf("the previous hash now finds session %s, want %s", got.ID, r.ID)
	}
}

// testDataIsCopied: the store keeps its own copy of Data; a caller changing
// the bytes it passed or got changes nothing stored.
func testDataIsCopied(t *testing.T, s session.Store) {
	r := record("u1")
	want := bytes.Clone(r.Data)
	create(t, s, r)
	r.Data[0] = 'X'
	got := mustGet(t, s, r.Hash)
	if !bytes.Equal(got.Data, want) {
		t.Fatalf("Data changed with the caller's slice: %q, want %q", got.Data, want)
	}
	got.Data[0] = 'Y'
	if again := mustGet(t, s, r.Hash); !bytes.Equal(again.Data, want) {
		t.Fatalf("Data changed with a returned slice: %q, want %q", again.Data, want)
	}
}

func testTouch(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	seen, idle := r.LastSeenAt.Add(90*time.Second), r.IdleExpiresAt.Add(90*time.Second)
	if err := s.Touch(ctx, r.ID, seen, idle); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	r.LastSeenAt, r.IdleExpiresAt = seen, idle
	equal(t, mustGet(t, s, r.Hash), r)

	if err := s.Touch(ctx, "no-such-id", seen, idle); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Touch of an unknown session: err = %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s session.Store) {
	ctx := t.Context()
	r, other := record("u1"), record("u1")
	create(t, s, r, other)
	gone, err := s.Delete(ctx, r.ID, "")
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	equalSession(t, gone, r.Session)
	wantGone(t, s, r.Hash)
	mustGet(t, s, other.Hash)
	if _, err := s.Delete(ctx, r.ID, ""); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Delete of a missing session: %v, want ErrNotFound", err)
	}
}

// testDeleteOwner: with a user id, Delete removes only that user's session;
// another user's is not found, exactly like a missing one, and stays.
func testDeleteOwner(t *testing.T, s session.Store) {
	ctx := t.Context()
	r := record("u1")
	create(t, s, r)
	for _, tc := range []struct{ id, user string }{
		{r.ID, "u2"},            // another user's session
		{"no-such-id", "u1"},    // an id nobody has
		{r.Hash.String(), "u1"}, // the hash is not the id
	} {
		if _, err := s.Delete(ctx, tc.id, tc.user); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Delete(%q, %q): err = %v, want ErrNotFound", tc.id, tc.user, err)
		}
	}
	mustGet(t, s, r.Hash)
	if _, err := s.Delete(ctx, r.ID, "u1"); err != nil {
		t.Fatalf("Delete by its owner: %v", err)
	}
	wantGone(t, s, r.Hash)
}

func testDeleteByUser(t *testing.T, s session.Store) {
	ctx := t.Context()
	a1, a2, a3, b := record("a"), record("a"), record("a"), record("b")
	create(t, s, a1, a2, a3, b)
	gone, err := s.DeleteByUser(ctx, "a", a2.ID)
	if err != nil {
		t.Fatalf("DeleteByUser(a, except a2): %v", err)
	}
	if got, want := ids(gone), idsOf(a1, a3); !slices.Equal(got, want) {
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
	if got, want := ids(gone), idsOf(a2); !slices.Equal(got, want) {
		t.Errorf("DeleteByUser(a, except none) reported %v, want %v", got, want)
	}
	wantGone(t, s, a2.Hash)
	mustGet(t, s, b.Hash)
	if gone, err := s.DeleteByUser(ctx, "nobody", ""); err != nil || len(gone) != 0 {
		t.Errorf("DeleteByUser(nobody) = %v, %v; want none", gone, err)
	}
}
