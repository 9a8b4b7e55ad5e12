package storetest_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/sqlitestore"
	"github.com/sesamehq/sesame/session/storetest"
)

// A store package runs the suite from a test of its own, written in its
// _test.go file as func TestConformance(t *testing.T). Run calls the
// function it is given once per subtest, and the subtests run in parallel,
// so each call makes a new, empty store and frees it with t.Cleanup: here
// a SQLite database in a directory of the subtest's own.
func ExampleRun() {
	TestConformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) session.Store {
			// The busy timeout is what sqlitestore asks for: without it,
			// the Concurrent case fails with SQLITE_BUSY.
			path := filepath.Join(t.TempDir(), "sessions.db")
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			s, err := sqlitestore.New(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	}
	_ = TestConformance // go test runs it, from the store's _test.go file
}
