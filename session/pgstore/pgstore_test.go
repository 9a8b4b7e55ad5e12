package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/pgstore"
	"github.com/sesamehq/sesame/session/storetest"
)

// TestConformance runs the suite with a schema of its own per case, on the
// server that SESAME_TEST_POSTGRES names.
func TestConformance(t *testing.T) {
	testenv.Lookup(t, testenv.PostgresVar) // skip once, not in every case
	storetest.Run(t, func(t *testing.T) session.Store {
		return newStore(t, newPool(t, testenv.Postgres(t)))
	})
}

// newPool opens a pool on url, closed when t ends. The cases run in
// parallel, each with a pool of its own, so each pool is kept small: the
// server's connections are few (100 by default) and other packages' tests
// use them too.
func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 3
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newStore(t *testing.T, pool *pgxpool.Pool) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNewConcurrent: processes starting at once on a new database each
// get a working store; the migration runs once.
func TestNewConcurrent(t *testing.T) {
	url := testenv.Postgres(t)
	var wg sync.WaitGroup
	for range 4 {
		pool := newPool(t, url)
		wg.Go(func() {
			if _, err := pgstore.New(t.Context(), pool); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := newPool(t, url).QueryRow(t.Context(), `SELECT count(*) FROM session_schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d versions recorded, %v; want 1", n, err)
	}
}

// TestTooNew: a schema upgraded by a newer program is refused, not written
// to.
func TestTooNew(t *testing.T) {
	pool := newPool(t, testenv.Postgres(t))
	newStore(t, pool)
	if _, err := pool.Exec(t.Context(), `INSERT INTO session_schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.New(t.Context(), pool); !errors.Is(err, migrate.ErrTooNew) {
		t.Fatalf("New on a newer schema: %v, want migrate.ErrTooNew", err)
	}
}

// TestListOrdersIDsAsGo: sessions signed in at one instant are listed by
// id as Go compares strings, byte by byte, whatever the database's
// collation: a linguistic one puts "a" before "B" and ignores "-" and
// "_", and the pages would then skip or repeat sessions. The Manager's ids
// are base64url, with both cases and both signs; the suite's are upper
// case only, and so cannot tell.
func TestListOrdersIDsAsGo(t *testing.T) {
	s := newStore(t, newPool(t, testenv.Postgres(t)))
	ids := []string{"a", "B", "_b", "-a", "Ab", "A_", "aB", "0"}
	at := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range ids {
		r := record("u")
		r.ID, r.CreatedAt = id, at
		if _, err := s.Create(t.Context(), r, 0); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	slices.Reverse(want) // newest first, then the greater id
	var got []string
	q := session.Query{UserID: "u", Now: at, Limit: 3}
	for range ids {
		page, err := s.List(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.ID)
		}
		if len(page) < q.Limit {
			break
		}
		q.After = session.KeyOf(page[len(page)-1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %q, want %q", got, want)
	}
}
