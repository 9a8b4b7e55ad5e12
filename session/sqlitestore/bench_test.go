package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/sqlitestore"
	"github.com/sesamehq/sesame/session/storetest"
)

// BenchmarkStore runs the store benchmark on a file opened as sesame opens
// its own (WAL, a busy timeout, a pool of eight).
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) session.Store {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "s.db")+
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		b.Cleanup(func() { db.Close() })
		s, err := sqlitestore.New(b.Context(), db)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
