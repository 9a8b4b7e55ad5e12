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

// BenchmarkBytesPerSession measures what a session takes in the SQLite
// file: its row and its index entries, once the write-ahead log is
// checkpointed into the file.
func BenchmarkBytesPerSession(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := sqlitestore.New(b.Context(), db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	storetest.BenchmarkBytes(b, s, 0, func() int64 {
		var pages, size int64
		if _, err := db.ExecContext(b.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		if err := db.QueryRowContext(b.Context(), "PRAGMA page_count").Scan(&pages); err != nil {
			b.Fatal(err)
		}
		if err := db.QueryRowContext(b.Context(), "PRAGMA page_size").Scan(&size); err != nil {
			b.Fatal(err)
		}
		return pages * size
	})
}
