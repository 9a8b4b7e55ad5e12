package datatest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sesamehq/sesame/datatest"
	"github.com/sesamehq/sesame/sqlite"
)

// A store package runs the suite from a test of its own, written in its
// _test.go file as func TestConformance(t *testing.T). Run calls the
// function it is given once per case, and the cases run in parallel, so
// each call makes a new, empty store and frees it with t.Cleanup: here a
// SQLite file in a directory of the case's own. A PostgreSQL store would
// open a schema of its own instead (internal/testenv gives one per test),
// migrated, with the shipped roles.
func ExampleRun() {
	TestConformance := func(t *testing.T) {
		datatest.Run(t, func(t *testing.T) datatest.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sesame.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	}
	_ = TestConformance // go test runs it, from the store's _test.go file
}
