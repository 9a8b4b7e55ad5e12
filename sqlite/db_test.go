package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/sqlite"
)

// wantVersion is the number of files in migrations/.
func wantVersion(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(files)
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	want := wantVersion(t)

	for i := range 3 { // a new file, then twice the same one
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("open #%d: version %d, want %d", i+1, v, want)
		}
		if n := countRows(t, db, "schema_migrations", "1"); n != want {
			t.Errorf("open #%d: %d rows in schema_migrations, want %d", i+1, n, want)
		}
		if n := countRows(t, db, "roles", "1"); n != 3 {
			t.Errorf("open #%d: %d roles, want the 3 seeded once", i+1, n)
		}
		if err := db.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	db := openDB(t, path)
	_, err := db.SQL().ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, wantVersion(t)+1)
	if err != nil {
		t.Fatal(err)
	}

	db2, err := sqlite.Open(ctx, path)
	if err == nil {
		db2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Errorf("Open: %v, want ErrSchemaTooNew", err)
	}
}

func TestConcurrentOpenOfNewFile(t *testing.T) {
	ctx := context.Background()
	const openers = 4
	for range 5 { // new files each round: the race is at creation
		path := filepath.Join(t.TempDir(), "sesame.db")
		var wg sync.WaitGroup
		dbs := make([]*sqlite.DB, openers)
		errs := make([]error, openers)
		for i := range openers {
			wg.Go(func() { dbs[i], errs[i] = sqlite.Open(ctx, path) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("opener %d: %v", i, err)
			}
			t.Cleanup(func() { dbs[i].Close() })
		}
		if n, want := countRows(t, dbs[0], "schema_migrations", "1"), wantVersion(t); n != want {
			t.Errorf("%d migrations recorded, want %d", n, want)
		}
		if n := countRows(t, dbs[0], "role_permissions", "1"); n != 9 {
			t.Errorf("%d role permissions, want the 9 seeded once", n)
		}
	}
}

func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{
		"plain.db",
		"with space.db",
		"question?mode=ro.db",
		"hash#fragment.db",
		"percent%20sign.db",
		"amp&_txlock=deferred.db",
		"ünïcødé.db",
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "odd dir?#%")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			db := openDB(t, path)
			addUser(t, db) // it is writable
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the file is not where it was asked for: %v", err)
			}
		})
	}
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	openDB(t, "sesame.db")
	if _, err := os.Stat("sesame.db"); err != nil {
		t.Errorf("relative path: %v", err)
	}
}

func TestOpenPragmas(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if db, err := sqlite.Open(context.Background(), ""); err == nil {
		db.Close()
		t.Error("Open(\"\") succeeded")
	}
}

// TestClosedIsUnavailable: once the database is closed, a failure is an
// outage (sesame.ErrUnavailable), which the front ends answer with 503, not
// a bug answered with 500: reads and writes of every kind.
func TestClosedIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	allow := func(auth.Failures) error { return nil }
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Ping", db.Ping(ctx)},
		{"SchemaVersion", errOf(db.SchemaVersion(ctx))},
		{"Products", errOf(db.Products(ctx))},
		{"AddToCart", db.AddToCart(ctx, 1, 1, 1)},
		{"Checkout", errOf3(db.Checkout(ctx, 1, "", time.Now()))},
		{"Restock", errOf(db.Restock(ctx, 1, 1))},
		{"UserByUsername", errOf(db.UserByUsername(ctx, "alice"))},
		{"CreateUser", errOf(db.CreateUser(ctx, "alice", "h", nil, time.Now()))},
		{"SetRoles", errOf(db.SetRoles(ctx, 1, nil))},
		{"BeginAttempt", errOf(db.BeginAttempt(ctx, "alice", "192.0.2.1", time.Now(), time.Now(), allow))},
		{"ForgetLoginFailures", errOf(db.ForgetLoginFailures(ctx, time.Now(), time.Now()))},
		{"AppendEvent", db.AppendEvent(ctx, &sesame.Event{Action: sesame.ActionLogin})},
		{"Events", errOf3(db.Events(ctx, audit.Query{UserID: 1}, sesame.Paging{}))},
		{"Seed", errOf(db.Seed(ctx, nil, nil, time.Now()))},
	} {
		if !errors.Is(tc.err, sesame.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrUnavailable", tc.name, tc.err)
		}
	}
}

// errOf and errOf3 drop the other results of a call, for tables of errors.
func errOf[T any](_ T, err error) error { return err }

func errOf3[A, B any](_ A, _ B, err error) error { return err }
