package pgmigrate_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/migrate/pgmigrate"
	"github.com/sesamehq/sesame/internal/testenv"
)

func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func load(t *testing.T, files map[string]string) []migrate.Migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(sql)}
	}
	ms, err := migrate.Load(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func apply(t *testing.T, p *pgxpool.Pool, ms []migrate.Migration, want int) {
	t.Helper()
	if v, err := pgmigrate.Apply(t.Context(), p, "versions", ms); err != nil || v != want {
		t.Fatalf("Apply = %d, %v; want version %d", v, err, want)
	}
}

// TestUpgrade: a schema at version 1 gets version 2 alone; a program that
// knows only version 1 then refuses it.
func TestUpgrade(t *testing.T) {
	p := pool(t)
	v1 := map[string]string{"0001_a.sql": `CREATE TABLE a (x int); INSERT INTO a VALUES (1);`}
	apply(t, p, load(t, v1), 1)
	apply(t, p, load(t, v1), 1) // nothing to do
	v2 := map[string]string{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": `ALTER TABLE a ADD COLUMN y int DEFAULT 2;`}
	apply(t, p, load(t, v2), 2)
	var x, y int
	if err := p.QueryRow(t.Context(), `SELECT x, y FROM a`).Scan(&x, &y); err != nil || x != 1 || y != 2 {
		t.Fatalf("after the upgrade: %d, %d, %v", x, y, err)
	}
	if _, err := pgmigrate.Apply(t.Context(), p, "versions", load(t, v1)); !errors.Is(err, migrate.ErrTooNew) {
		t.Fatalf("an older program: %v, want migrate.ErrTooNew", err)
	}
}

// TestFailureChangesNothing: a failing migration leaves no part of the
// ones applied with it, and the version where it was.
func TestFailureChangesNothing(t *testing.T) {
	p := pool(t)
	bad := map[string]string{"0001_a.sql": `CREATE TABLE a (x int);`, "0002_b.sql": `CREATE TABLE b (x int); SELECT 1/0;`}
	if _, err := pgmigrate.Apply(t.Context(), p, "versions", load(t, bad)); err == nil {
		t.Fatal("Apply of a failing migration succeeded")
	}
	if v, err := pgmigrate.Version(t.Context(), p, "versions"); err != nil || v != 0 {
		t.Fatalf("Version after a failure = %d, %v; want 0", v, err)
	}
	var n int
	if err := p.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tables left by a failed migration, %v", n, err)
	}
}

// TestConcurrent: processes starting at once on a new database apply each
// migration once; the advisory lock makes the others wait and find it
// done. Without the lock they fail on the CREATE TABLE.
func TestConcurrent(t *testing.T) {
	p := pool(t)
	ms := load(t, map[string]string{"0001_a.sql": `CREATE TABLE a (x int); INSERT INTO a VALUES (1);`})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := pgmigrate.Apply(t.Context(), p, "versions", ms); err != nil || v != 1 {
				t.Errorf("Apply = %d, %v", v, err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := p.QueryRow(t.Context(), `SELECT count(*) FROM a`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the migration ran %d times, %v", n, err)
	}
}
