package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// testCreateLimit: a Create with a limit ends the user's least recently
// used sessions, as many as it takes for the new one to fit, and reports
// them; other users' sessions are not counted and stay.
func testCreateLimit(t *testing.T, s session.Store) {
	ctx := t.Context()
	base := now()
	var mine []session.Record
	for i := range 4 {
		r := record("u")
		r.LastSeenAt = base.Add(time.Duration(i-10) * time.Second) // oldest first
		mine = append(mine, r)
	}
	// Stored out of order, so that a store evicting by insertion order
	// rather than by last use fails.
	create(t, s, mine[2], mine[0], mine[3], mine[1])
	other := record("someone else")
	create(t, s, other)

	next := record("u")
	evicted, err := s.Create(ctx, next, 3)
	if err != nil {
		t.Fatalf("Create with limit 3: %v", err)
	}
	if got, want := ids(evicted), idsOf(mine[0], mine[1]); !slices.Equal(got, want) {
		t.Fatalf("Create with limit 3 over 4 sessions evicted %v, want the two least recently used %v", got, want)
	}
	for _, e := range evicted {
		if e.ID == mine[0].ID {
			equalSession(t, e, mine[0].Session)
		}
	}
	wantGone(t, s, mine[0].Hash)
	wantGone(t, s, mine[1].Hash)
	for _, r := range []session.Record{mine[2], mine[3], next, other} {
		mustGet(t, s, r.Hash)
	}

	// Within the limit nothing goes.
	if evicted, err := s.Create(ctx, record("u2"), 1); err != nil || len(evicted) != 0 {
		t.Errorf("first Create for a user with limit 1 = %v, %v; want no evictions", evicted, err)
	}
}

// testCreateLimitIgnoresDead: sessions dead at the new one's creation do not
// count against the limit, and are not reported as evicted: DeleteExpired
// reports them, as expired.
func testCreateLimitIgnoresDead(t *testing.T, s session.Store) {
	ctx := t.Context()
	live, dying := record("u"), record("u")
	dying.LastSeenAt = live.LastSeenAt.Add(-time.Second) // the LRU one
	dying.IdleExpiresAt = now().Add(time.Hour)
	live.IdleExpiresAt = now().Add(3 * time.Hour)
	create(t, s, live, dying)

	// Created two hours on: dying has idled out by then, live has not.
	next := record("u")
	later := now().Add(2 * time.Hour)
	next.CreatedAt, next.LastSeenAt, next.TokenIssuedAt, next.AuthenticatedAt = later, later, later, later
	next.IdleExpiresAt = later.Add(30 * time.Minute)
	evicted, err := s.Create(ctx, next, 2)
	if err != nil || len(evicted) != 0 {
		t.Fatalf("Create with limit 2, one live and one dead session = %v, %v; want no evictions", ids(evicted), err)
	}
	mustGet(t, s, live.Hash)
	mustGet(t, s, next.Hash)
}

// testCreateLimitConcurrent: sign-ins racing for one user never leave more
// sessions alive than the limit, and every session that went is reported
// exactly once.
func testCreateLimitConcurrent(t *testing.T, s session.Store) {
	ctx := t.Context()
	const limit, logins = 3, 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		evicted []session.Session
	)
	for range logins {
		wg.Go(func() {
			r := record("u")
			gone, err := s.Create(ctx, r, limit)
			if err != nil {
				t.Errorf("Create: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			evicted = append(evicted, gone...)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	list, err := s.List(ctx, session.Query{UserID: "u", Now: now()})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != limit {
		t.Errorf("%d concurrent Creates with limit %d left %d sessions alive, want %d", logins, limit, len(list), limit)
	}
	seen := map[string]bool{}
	for _, e := range evicted {
		if seen[e.ID] {
			t.Errorf("session %s reported evicted twice", e.ID)
		}
		seen[e.ID] = true
	}
	for _, l := range list {
		if seen[l.ID] {
			t.Errorf("session %s reported evicted but still alive", l.ID)
		}
	}
	if got, want := len(evicted)+len(list), logins; got != want {
		t.Errorf("%d evicted + %d alive = %d, want the %d created", len(evicted), len(list), got, want)
	}
}
