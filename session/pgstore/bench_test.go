package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/pgstore"
	"github.com/sesamehq/sesame/session/storetest"
)

// BenchmarkStore runs the store benchmark on a schema of its own, on the
// server that SESAME_TEST_POSTGRES names.
func BenchmarkStore(b *testing.B) {
	testenv.Lookup(b, testenv.PostgresVar)
	storetest.Benchmark(b, func(b *testing.B) session.Store {
		cfg, err := pgxpool.ParseConfig(testenv.Postgres(b))
		if err != nil {
			b.Fatal(err)
		}
		// Filling a million sessions one commit at a time waits for a
		// million flushes of the WAL; the lookups measured after do not
		// depend on it, and the fill takes minutes rather than half an hour.
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
		pool, err := pgxpool.NewWithConfig(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		s, err := pgstore.New(b.Context(), pool)
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// BenchmarkBytesPerSession measures what a session takes on disk in
// PostgreSQL: the table, its TOAST and its indexes.
func BenchmarkBytesPerSession(b *testing.B) {
	testenv.Lookup(b, testenv.PostgresVar)
	pool, err := pgxpool.New(b.Context(), testenv.Postgres(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := pgstore.New(b.Context(), pool)
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkBytes(b, s, 0, func() int64 {
		var n int64
		if err := pool.QueryRow(b.Context(), `SELECT pg_total_relation_size('sessions')`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	})
}
