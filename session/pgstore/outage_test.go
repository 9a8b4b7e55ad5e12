package pgstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/pgstore"
)

// proxied returns a pool over a proxy to the server of url.
func proxied(t *testing.T, url string) (*pgxpool.Pool, *testenv.Proxy) {
	t.Helper()
	url, p := testenv.PostgresProxy(t, url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, p
}

// TestOutage: while the database cannot be reached every call fails with
// an error (never ErrNotFound, which would sign users out or hide the
// outage) within its context's deadline, and once it can be reached again
// the same store, over the same pool, works at once.
//
// The pool holds all the connections it may before the cut. A connection
// that pgxpool hands out without a ping (one used within the last second)
// fails the call that finds it dead, and the pool then drops it: the calls
// made during the cut outnumber the connections, so they use up every dead
// one, and the first call after the cut already dials anew.
func TestOutage(t *testing.T) {
	pool, p := proxied(t, testenv.Postgres(t))
	s, err := pgstore.New(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range pool.Config().MaxConns {
		wg.Go(func() {
			if _, err := pool.Exec(t.Context(), `SELECT pg_sleep(0.05)`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r := record("u")
	if _, err := s.Create(t.Context(), r, 0); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Ping", s.Ping},
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, r.Hash); return err }},
		{"Touch", func(ctx context.Context) error { return s.Touch(ctx, r.ID, r.LastSeenAt, r.IdleExpiresAt) }},
		{"Create", func(ctx context.Context) error { _, err := s.Create(ctx, record("u"), 3); return err }},
		{"List", func(ctx context.Context) error {
			_, err := s.List(ctx, session.Query{Now: r.LastSeenAt})
			return err
		}},
		{"DeleteExpired", func(ctx context.Context) error { _, err := s.DeleteExpired(ctx, r.LastSeenAt); return err }},
	}

	if n := len(calls); n <= int(pool.Stat().IdleConns()) {
		t.Fatalf("%d calls cannot use up %d dead connections", n, pool.Stat().IdleConns())
	}
	p.Cut()
	const deadline = 2 * time.Second
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		err := c.call(ctx)
		cancel()
		switch took := time.Since(start); {
		case err == nil:
			t.Errorf("%s while cut off: no error", c.name)
		case errors.Is(err, session.ErrNotFound):
			t.Errorf("%s while cut off: %v, which claims the session is gone", c.name, err)
		case took > deadline+time.Second:
			t.Errorf("%s while cut off took %v, past its deadline of %v", c.name, took, deadline)
		}
	}

	p.Restore()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		if err := c.call(ctx); err != nil {
			t.Errorf("%s after the outage: %v", c.name, err)
		}
		cancel()
	}
	if got, err := s.Get(t.Context(), r.Hash); err != nil || got.ID != r.ID {
		t.Errorf("Get after the outage = %v, %v; want the session stored before", got.ID, err)
	}
}

// record returns a live session of userID, with a random hash and id.
func record(userID string) session.Record {
	now := time.Now().UTC().Truncate(time.Millisecond)
	var r session.Record
	copy(r.Hash[:], randomBytes(32))
	r.ID = fmt.Sprintf("%x", randomBytes(16))
	r.UserID = userID
	r.CreatedAt, r.LastSeenAt, r.AuthenticatedAt, r.TokenIssuedAt = now, now, now, now
	r.IdleExpiresAt, r.ExpiresAt = now.Add(30*time.Minute), now.Add(12*time.Hour)
	return r
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
