package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/internal/migrate"
)

func TestLoad(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for _, tc := range []struct {
		name    string
		pattern string
		files   []string
		wantOK  bool
	}{
		{"in order", "", []string{"0001_a.sql", "0002_b.sql"}, true},
		{"numbered without padding", "", []string{"2_b.sql", "10_j.sql", "1_a.sql", "3_c.sql", "4_d.sql",
			"5_e.sql", "6_f.sql", "7_g.sql", "8_h.sql", "9_i.sql"}, true},
		{"none", "", nil, false},
		{"a gap", "", []string{"0001_a.sql", "0003_c.sql"}, false},
		{"a repeat", "", []string{"0001_a.sql", "0001_b.sql"}, false},
		{"starts at 2", "", []string{"0002_b.sql"}, false},
		{"no number", "", []string{"0001_a.sql", "schema.sql"}, false},
		{"zero", "", []string{"0000_a.sql", "0001_b.sql"}, false},
		{"not .sql, by a wider pattern", "migrations/*", []string{"0001_a.sql", "0002_b.txt"}, false},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tc.files {
			fsys["migrations/"+f] = file
		}
		pattern := tc.pattern
		if pattern == "" {
			pattern = "migrations/*.sql"
		}
		ms, err := migrate.Load(fsys, pattern)
		if (err == nil) != tc.wantOK {
			t.Errorf("%s: %d migrations, error %v", tc.name, len(ms), err)
		}
		for i, m := range ms {
			if m.Version != i+1 || m.SQL != "SELECT 1;" || m.Name == "" {
				t.Errorf("%s: migration %d is %+v", tc.name, i, m)
			}
		}
	}
}

func TestTooNew(t *testing.T) {
	err := migrate.TooNew(5, 3)
	if !errors.Is(err, migrate.ErrTooNew) {
		t.Errorf("TooNew = %v; want it to match ErrTooNew", err)
	}
}

// three are the migrations of the SQLite tests: the second fills a table
// whose primary key would refuse to be filled twice, so applying it twice
// fails loudly.
var three = []migrate.Migration{
	{Version: 1, Name: "0001_a.sql", SQL: `CREATE TABLE a (id INTEGER PRIMARY KEY) STRICT`},
	{Version: 2, Name: "0002_b.sql", SQL: `INSERT INTO a (id) VALUES (1), (2)`},
	{Version: 3, Name: "0003_c.sql", SQL: `CREATE TABLE c (x TEXT) STRICT; INSERT INTO c VALUES ('once')`},
}

// open opens the SQLite file at path as another process would: a handle of
// its own, with a busy timeout but no _txlock, so that the transactions are
// IMMEDIATE only because migrate.SQLite makes them so.
func open(t *testing.T, path string) *sql.DB {
	t.Helper()
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: "_pragma=busy_timeout(10000)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestSQLiteAppliesOnce(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "m.db"))
	if v, err := migrate.SQLiteVersion(ctx, db, "versions"); err != nil || v != 0 {
		t.Fatalf("SQLiteVersion of a new file = %d, %v; want 0", v, err)
	}
	if n := count(t, db, `SELECT count(*) FROM sqlite_schema`); n != 0 {
		t.Errorf("reading the version of a new file wrote %d schema objects; want none", n)
	}
	// Up to 2 first, as an older program would, then to 3, then again.
	for i, ms := range [][]migrate.Migration{three[:2], three, three, three} {
		v, err := migrate.SQLite(ctx, db, "versions", ms)
		if err != nil || v != len(ms) {
			t.Fatalf("run %d: SQLite = %d, %v; want %d", i+1, v, err, len(ms))
		}
		if got, err := migrate.SQLiteVersion(ctx, db, "versions"); err != nil || got != len(ms) {
			t.Errorf("run %d: SQLiteVersion = %d, %v; want %d", i+1, got, err, len(ms))
		}
	}
	if n := count(t, db, `SELECT count(*) FROM versions`); n != 3 {
		t.Errorf("%d versions recorded; want 3", n)
	}
	if n := count(t, db, `SELECT count(*) FROM a`) + count(t, db, `SELECT count(*) FROM c`); n != 3 {
		t.Errorf("%d rows made by the migrations; want 3, each made once", n)
	}
}

// Two processes opening one new file at once: each applies what the other
// has not, and every migration runs once.
func TestSQLiteConcurrentAppliers(t *testing.T) {
	ctx := context.Background()
	for round := range 5 { // new files each round: the race is at creation
		path := filepath.Join(t.TempDir(), fmt.Sprintf("m%d.db", round))
		const appliers = 4
		dbs := make([]*sql.DB, appliers)
		for i := range dbs {
			dbs[i] = open(t, path)
		}
		var wg sync.WaitGroup
		errs := make([]error, appliers)
		for i, db := range dbs {
			wg.Go(func() {
				var v int
				v, errs[i] = migrate.SQLite(ctx, db, "versions", three)
				if errs[i] == nil && v != 3 {
					errs[i] = fmt.Errorf("version %d, want 3", v)
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, applier %d: %v", round, i, err)
			}
		}
		if n := count(t, dbs[0], `SELECT count(*) FROM versions`); n != 3 {
			t.Errorf("round %d: %d versions recorded; want 3", round, n)
		}
		if n := count(t, dbs[0], `SELECT count(*) FROM c`); n != 1 {
			t.Errorf("round %d: the last migration ran %d times; want once", round, n)
		}
	}
}

func TestSQLiteRefusesTooNew(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "m.db"))
	if _, err := migrate.SQLite(ctx, db, "versions", three); err != nil {
		t.Fatal(err)
	}
	// An older program knows only the first two.
	v, err := migrate.SQLite(ctx, db, "versions", three[:2])
	if !errors.Is(err, migrate.ErrTooNew) || v != 3 {
		t.Errorf("SQLite with fewer migrations than applied = %d, %v; want 3 and ErrTooNew", v, err)
	}
	if n := count(t, db, `SELECT count(*) FROM versions`); n != 3 {
		t.Errorf("%d versions after the refusal; want the 3", n)
	}
}

// A migration that fails leaves the database at the last good version,
// with nothing of the failed one, and a fixed program carries on from there.
func TestSQLiteStopsAtFailure(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "m.db"))
	broken := []migrate.Migration{three[0],
		{Version: 2, Name: "0002_b.sql", SQL: `CREATE TABLE b (x TEXT); INSERT INTO nowhere VALUES (1)`}}
	v, err := migrate.SQLite(ctx, db, "versions", broken)
	if err == nil || v != 1 {
		t.Fatalf("SQLite with a broken migration = %d, %v; want version 1 and an error", v, err)
	}
	if n := count(t, db, `SELECT count(*) FROM sqlite_schema WHERE name = 'b'`); n != 0 {
		t.Error("the failed migration left its table behind")
	}
	if v, err := migrate.SQLite(ctx, db, "versions", three); err != nil || v != 3 {
		t.Errorf("SQLite after the fix = %d, %v; want 3", v, err)
	}
}
