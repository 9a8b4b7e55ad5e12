package testenv

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// fakeTB records how a helper stopped a test, and stops the goroutine as
// the real Skip and Fatalf do.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fakeTB in a goroutine of its own, which Skip and
// Fatalf end.
func run(fn func(t testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// TestUnsetVariable: an unset variable skips the test, naming the
// variable, except under CI, where it fails it.
func TestUnsetVariable(t *testing.T) {
	t.Setenv(PostgresVar, "")
	for _, ci := range []string{"", "false", "true"} {
		t.Setenv("CI", ci)
		f := run(func(t testing.TB) { Postgres(t) })
		stopped := f.skipped
		if ci == "true" {
			stopped = f.failed
			if f.skipped != "" {
				t.Errorf("CI=%q: skipped (%s), want a failure", ci, f.skipped)
			}
		} else if f.failed != "" {
			t.Errorf("CI=%q: failed (%s), want a skip", ci, f.failed)
		}
		if !strings.Contains(stopped, PostgresVar) {
			t.Errorf("CI=%q: stopped with %q, which does not name %s", ci, stopped, PostgresVar)
		}
	}
}

// TestUnreachable: a variable that is set promises a server, so one that
// cannot be reached fails the test even outside CI.
func TestUnreachable(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(RedisVar, "redis://127.0.0.1:1/0?dial_timeout=1s&max_retries=-1")
	if f := run(func(t testing.TB) { Redis(t) }); f.failed == "" {
		t.Errorf("Redis with an unreachable server: skipped %q, want a failure", f.skipped)
	}
	t.Setenv(PostgresVar, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if f := run(func(t testing.TB) { Postgres(t) }); f.failed == "" {
		t.Errorf("Postgres with an unreachable server: skipped %q, want a failure", f.skipped)
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?search_path=s1&sslmode=disable"},
		{"postgres://u@h/db?search_path=old", "postgres://u@h/db?search_path=s1"},
		{"host=h dbname=db", "host=h dbname=db search_path=s1"},
	} {
		got, err := WithSearchPath(tc.dsn, "s1")
		if err != nil || got != tc.want {
			t.Errorf("WithSearchPath(%q) = %q, %v; want %q", tc.dsn, got, err, tc.want)
		}
	}
}

// TestPostgresSchema: the URL leads to a schema of the test's own, where
// unqualified tables go, and the schema is gone once the test ends.
func TestPostgresSchema(t *testing.T) {
	var schema string
	t.Run("use", func(t *testing.T) {
		conn, err := pgx.Connect(t.Context(), Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(t.Context(), `CREATE TABLE t (x int)`); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(t.Context(), `SELECT table_schema FROM information_schema.tables WHERE table_name = 't'`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(schema, "sesame_test_") {
			t.Errorf("table created in schema %q", schema)
		}
	})
	if schema == "" {
		return // skipped or failed
	}
	conn, err := pgx.Connect(t.Context(), os.Getenv(PostgresVar))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema %s after the test: %d left, %v", schema, n, err)
	}
}

// TestRedisPrefix: the keys under the prefix are gone once the test ends,
// and no other key is touched.
func TestRedisPrefix(t *testing.T) {
	var url, prefix string
	t.Run("use", func(t *testing.T) {
		url, prefix = Redis(t)
	})
	if prefix == "" {
		return
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	other := randomName("sesame-test-other:")
	if err := client.Set(t.Context(), other, "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	defer client.Del(context.Background(), other)
	t.Run("use", func(t *testing.T) {
		_, prefix = Redis(t)
		for i := range 2500 { // more than one SCAN batch
			if err := client.Set(t.Context(), fmt.Sprint(prefix, i), "x", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if keys, err := client.Keys(t.Context(), prefix+"*").Result(); err != nil || len(keys) != 0 {
		t.Errorf("after the test: %d keys under %s, %v", len(keys), prefix, err)
	}
	if n, err := client.Exists(t.Context(), other).Result(); err != nil || n != 1 {
		t.Errorf("a key outside the prefix: exists %d, %v", n, err)
	}
}
