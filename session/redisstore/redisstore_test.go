package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/redisstore"
	"github.com/sesamehq/sesame/session/storetest"
)

// quiet drops go-redis's log lines: its pool logs every refused dial,
// which this package's tests cause on purpose.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

// TestConformance runs the suite with a key prefix of its own per case,
// on the server that SESAME_TEST_REDIS names.
func TestConformance(t *testing.T) {
	testenv.Lookup(t, testenv.RedisVar) // skip once, not in every case
	storetest.Run(t, func(t *testing.T) session.Store {
		s, _, _ := newStore(t)
		return s
	})
}

// newStore returns a store under a fresh prefix, the client it uses and
// the prefix.
func newStore(t *testing.T) (*redisstore.Store, *redis.Client, string) {
	t.Helper()
	url, prefix := testenv.Redis(t)
	client := newClient(t, url)
	s, err := redisstore.New(client, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s, client, prefix
}

// newClient opens a client as a program should: with the request's
// deadline bounding each call.
func newClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	return client
}

// record returns a live session of userID, with a random hash and id.
func record(userID string) session.Record {
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := session.Record{Session: session.Session{ID: rand.Text(), UserID: userID,
		CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now, TokenIssuedAt: now,
		IdleExpiresAt: now.Add(30 * time.Minute), ExpiresAt: now.Add(12 * time.Hour)}}
	rand.Read(r.Hash[:])
	return r
}

func create(t *testing.T, s *redisstore.Store, rs ...session.Record) {
	t.Helper()
	for _, r := range rs {
		if _, err := s.Create(t.Context(), r, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// wantExpiry fails unless each key expires at the instant at, to the
// millisecond.
func wantExpiry(t *testing.T, c *redis.Client, at time.Time, keys ...string) {
	t.Helper()
	for _, k := range keys {
		got, err := c.PExpireTime(t.Context(), k).Result()
		if err != nil || got != time.Duration(at.UnixMilli())*time.Millisecond {
			t.Errorf("%s expires at %v (%v), want %v", k, time.UnixMilli(got.Milliseconds()).UTC(), err, at)
		}
	}
}

// TestExpiry: a session's keys expire by themselves a margin after its
// idle deadline, and the deadline moves them, so that DeleteExpired finds
// a dead session before Redis drops it.
func TestExpiry(t *testing.T) {
	s, c, prefix := newStore(t)
	r := record("u")
	create(t, s, r)
	const margin = time.Hour // the default
	keys := func(hashes ...session.Hash) []string {
		k := []string{prefix + "s:" + r.ID, prefix + "u:u"}
		for _, h := range hashes {
			k = append(k, prefix+"t:"+h.String())
		}
		return k
	}
	wantExpiry(t, c, r.IdleExpiresAt.Add(margin), keys(r.Hash)...)

	idle := r.IdleExpiresAt.Add(10 * time.Minute)
	if err := s.Touch(t.Context(), r.ID, r.LastSeenAt.Add(time.Minute), idle); err != nil {
		t.Fatal(err)
	}
	wantExpiry(t, c, idle.Add(margin), keys(r.Hash)...)

	rn := session.Renewal{Hash: record("").Hash, PrevHash: r.Hash, PrevValidUntil: idle,
		IssuedAt: r.LastSeenAt, LastSeenAt: r.LastSeenAt, IdleExpiresAt: idle.Add(time.Minute)}
	if err := s.Rotate(t.Context(), r.ID, r.Hash, rn); err != nil {
		t.Fatal(err)
	}
	wantExpiry(t, c, rn.IdleExpiresAt.Add(margin), keys(rn.Hash, r.Hash)...)

	// A shorter-lived session of the same user does not shorten the life
	// of the user's set.
	short := record("u")
	short.IdleExpiresAt = r.IdleExpiresAt.Add(-20 * time.Minute)
	create(t, s, short)
	wantExpiry(t, c, rn.IdleExpiresAt.Add(margin), prefix+"u:u")
}

// TestExpiredByTTL: sessions whose keys Redis dropped by TTL (no sweep ran
// for longer than the margin) cannot be reported, but leave nothing in
// the indexes once the sweep or a read has met them.
func TestExpiredByTTL(t *testing.T) {
	s, c, prefix := newStore(t)
	a, b, live := record("u"), record("u"), record("v")
	live.IdleExpiresAt = a.IdleExpiresAt.Add(time.Minute)
	create(t, s, a, b, live)
	for _, r := range []session.Record{a, b} { // as their TTL would
		if err := c.Del(t.Context(), prefix+"s:"+r.ID, prefix+"t:"+r.Hash.String()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// A read of the user's sessions skips them and drops their entries.
	if l, err := s.List(t.Context(), session.Query{UserID: "u", Now: a.CreatedAt}); err != nil || len(l) != 0 {
		t.Fatalf("List of a user whose sessions expired = %v, %v", l, err)
	}
	if n, err := c.ZCard(t.Context(), prefix+"u:u").Result(); err != nil || n != 0 {
		t.Errorf("the user's set after List: %d entries, %v; want none", n, err)
	}
	gone, err := s.DeleteExpired(t.Context(), a.IdleExpiresAt)
	if err != nil || len(gone) != 0 {
		t.Fatalf("DeleteExpired = %v, %v; want nothing to report", gone, err)
	}
	for _, k := range []string{"all", "idle"} {
		if got, err := c.ZRange(t.Context(), prefix+k, 0, -1).Result(); err != nil || len(got) != 1 {
			t.Errorf("%s after the sweep: %q, %v; want only the live session", k, got, err)
		}
	}
	if l, err := s.List(t.Context(), session.Query{Now: a.CreatedAt}); err != nil || len(l) != 1 || l[0].ID != live.ID {
		t.Errorf("List after the sweep = %v, %v; want the live session", l, err)
	}
}

// TestSweepsAtOnce: two processes sweeping at once, through more dead
// sessions than one script takes, report each session exactly once.
func TestSweepsAtOnce(t *testing.T) {
	s, _, prefix := newStore(t)
	url, _ := testenv.Redis(t)
	other, err := redisstore.New(newClient(t, url), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1200
	for i := range n {
		create(t, s, record(fmt.Sprint("u", i%7)))
	}
	later := time.Now().Add(time.Hour)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen []string
	)
	for _, st := range []*redisstore.Store{s, other} {
		wg.Go(func() {
			gone, err := st.DeleteExpired(t.Context(), later)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, g := range gone {
				seen = append(seen, g.ID)
			}
		})
	}
	wg.Wait()
	slices.Sort(seen)
	if len(seen) != n || len(slices.Compact(seen)) != n {
		t.Errorf("two sweeps reported %d sessions, %d distinct; want %d once each", len(seen), len(slices.Compact(seen)), n)
	}
}

// TestPrefixes: stores with different prefixes on one server share
// nothing.
func TestPrefixes(t *testing.T) {
	a, _, _ := newStore(t)
	b, _, _ := newStore(t)
	r := record("u")
	create(t, a, r)
	if _, err := b.Get(t.Context(), r.Hash); err == nil {
		t.Error("a store under another prefix found the session")
	}
	if n, err := b.Count(t.Context(), r.CreatedAt); err != nil || n != 0 {
		t.Errorf("Count under another prefix = %d, %v", n, err)
	}
	if gone, err := b.DeleteByUser(t.Context(), "u", ""); err != nil || len(gone) != 0 {
		t.Errorf("DeleteByUser under another prefix = %v, %v", gone, err)
	}
	if _, err := a.Get(t.Context(), r.Hash); err != nil {
		t.Errorf("Get under its own prefix: %v", err)
	}
}

// TestDeadlineMoves: Touch and Rotate move a session's place in the idle
// set, which Count and DeleteExpired read, and not only its hash: a sweep
// must not end a session that was used since. (The conformance suite
// checks the hash only.)
func TestDeadlineMoves(t *testing.T) {
	s, _, _ := newStore(t)
	r := record("u")
	create(t, s, r)
	alive := func(at time.Time, want int) {
		t.Helper()
		if n, err := s.Count(t.Context(), at); err != nil || n != want {
			t.Errorf("Count(%v) = %d, %v; want %d", at, n, err, want)
		}
		gone, err := s.DeleteExpired(t.Context(), at)
		if err != nil || len(gone) != 1-want {
			t.Errorf("DeleteExpired(%v) = %d sessions, %v; want %d", at, len(gone), err, 1-want)
		}
	}
	touched := r.IdleExpiresAt.Add(time.Hour)
	if err := s.Touch(t.Context(), r.ID, r.LastSeenAt, touched); err != nil {
		t.Fatal(err)
	}
	alive(touched.Add(-time.Minute), 1)
	rn := session.Renewal{Hash: record("").Hash, IssuedAt: r.LastSeenAt, LastSeenAt: r.LastSeenAt,
		IdleExpiresAt: touched.Add(time.Hour)}
	if err := s.Rotate(t.Context(), r.ID, r.Hash, rn); err != nil {
		t.Fatal(err)
	}
	alive(rn.IdleExpiresAt.Add(-time.Minute), 1)
	alive(rn.IdleExpiresAt, 0)
}
