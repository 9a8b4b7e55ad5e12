package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/sqlitestore"
	"github.com/sesamehq/sesame/session/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store {
		return newStore(t, openDB(t, filepath.Join(t.TempDir(), "sessions.db")))
	})
}

// openDB opens a database file the way a program should: WAL, so readers
// never wait for the writer, and a busy timeout for writers of other
// processes.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newStore(t *testing.T, db *sql.DB) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSharedFile shows what a restart or a second process sees: a store
// opened anew on the same file finds the sessions the first one wrote, and
// a deletion by one is seen by the other at once.
func TestSharedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	first, second := newStore(t, openDB(t, path)), newStore(t, openDB(t, path))

	now := time.Now().UTC().Truncate(time.Millisecond)
	r := session.Record{Hash: session.Hash{1, 2, 3}, Session: session.Session{
		ID: "public-id", UserID: "42", CreatedAt: now, LastSeenAt: now,
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour),
	}}
	if err := first.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := second.Get(ctx, r.Hash)
	if err != nil || got.ID != r.ID || !got.ExpiresAt.Equal(r.ExpiresAt) {
		t.Fatalf("second store: Get = %+v, %v; want %+v", got, err, r)
	}
	if err := second.DeleteByID(ctx, "42", "public-id"); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Get(ctx, r.Hash); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("first store after the second deleted: err = %v, want ErrNotFound", err)
	}
}
