package postgres_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/postgres"
)

// newDB opens a store in a new schema of its own, closed when t ends.
func newDB(t testing.TB) *postgres.DB {
	t.Helper()
	return openDB(t, testenv.Postgres(t), postgres.Options{})
}

// openDB opens a store on url, closed when t ends. The pool is small and
// keeps no idle connections of its own: the cases run in parallel, each
// with a pool, and the server's connections are shared by every package's
// tests. The URL parameters win over the defaults, as in production.
func openDB(t testing.TB, rawURL string, opts postgres.Options) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), smallPool(t, rawURL), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// smallPool returns rawURL with a pool of at most 4 connections and none
// kept idle.
func smallPool(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "4")
	q.Set("pool_min_idle_conns", "0")
	u.RawQuery = q.Encode()
	return u.String()
}
