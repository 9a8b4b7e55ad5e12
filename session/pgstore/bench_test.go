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
// server that SESAME_TEST_POSTGRES names. The other sessions are written
// by one INSERT … SELECT over generate_series, with the sizes of a real
// session's fields: a million calls of Create would take most of an hour
// on a small machine, and the lookups measured do not depend on how the
// rows came in.
func BenchmarkStore(b *testing.B) {
	testenv.Lookup(b, testenv.PostgresVar)
	pools := map[session.Store]*pgxpool.Pool{}
	storetest.BenchmarkFilled(b, func(b *testing.B) session.Store {
		s, pool := newBenchStore(b)
		pools[s] = pool
		return s
	}, func(b *testing.B, s session.Store, n int) {
		_, err := pools[s].Exec(b.Context(), `
			INSERT INTO sessions (hash, id, user_id, created_at, last_seen_at, idle_expires_at, expires_at,
				ip, user_agent, last_ip, remember, authenticated_at, token_issued_at, data)
			SELECT sha256(('fill' || i)::bytea), 'fill-' || lpad(i::text, 16, '0'), 'u' || (i % 1000),
				now() - interval '1 minute', now(), now() + interval '30 minutes', now() + interval '12 hours',
				'2001:db8::1', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36', '192.0.2.9', false,
				now() - interval '1 minute', now() - interval '1 minute', '\x0102030405060708090a0b0c0d0e0f1011121314'::bytea
			FROM generate_series(1, $1) i`, n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pools[s].Exec(b.Context(), `ANALYZE sessions`); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBytesPerSession measures what a session takes on disk in
// PostgreSQL: the table, its TOAST and its indexes.
func BenchmarkBytesPerSession(b *testing.B) {
	testenv.Lookup(b, testenv.PostgresVar)
	s, pool := newBenchStore(b)
	storetest.BenchmarkBytes(b, s, 0, func() int64 {
		var n int64
		if err := pool.QueryRow(b.Context(), `SELECT pg_total_relation_size('sessions')`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	})
}

// newBenchStore returns a store on a schema of its own, and its pool.
func newBenchStore(b *testing.B) (*pgstore.Store, *pgxpool.Pool) {
	pool, err := pgxpool.New(b.Context(), testenv.Postgres(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := pgstore.New(b.Context(), pool)
	if err != nil {
		b.Fatal(err)
	}
	return s, pool
}
