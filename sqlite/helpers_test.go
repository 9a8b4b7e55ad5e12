package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/sqlite"
)

// t0 is a time base of whole milliseconds, as the schema keeps them.
var t0 = time.Date(2030, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

// newDB opens a fresh database file in a temporary directory and closes it
// when the test ends.
func newDB(t testing.TB) *sqlite.DB {
	t.Helper()
	return openDB(t, filepath.Join(t.TempDir(), "sesame.db"))
}

// openDB opens the database at path and closes it when the test ends.
func openDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

var seq atomic.Int64

// addUser creates a user with a unique name holding roles.
func addUser(t testing.TB, db *sqlite.DB, roles ...string) *sesame.User {
	t.Helper()
	name := fmt.Sprintf("user%d", seq.Add(1))
	u, err := db.CreateUser(context.Background(), name, "hash-of-"+name, roles, t0)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// countRows returns the number of rows of table that match where.
func countRows(t testing.TB, db *sqlite.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM " + table + " WHERE " + where
	if err := db.SQL().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// migrationSQL returns the text of migrations/name.
func migrationSQL(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("migrations", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oldFile builds, at path, a database as the sesame of schema version
// len(files) left it: the migrations files applied by hand and recorded,
// and then the statements more, which fill it with data.
func oldFile(t *testing.T, path string, files []string, more ...string) {
	t.Helper()
	ctx := context.Background()
	old, err := sqlite.OpenSQL(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`}
	for i, f := range files {
		stmts = append(stmts, migrationSQL(t, f), fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, 0)`, i+1))
	}
	for _, q := range append(stmts, more...) {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("building a version %d file: %v\n%s", len(files), err, q)
		}
	}
}
