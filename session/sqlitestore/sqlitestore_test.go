package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/internal/migrate"
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
	if _, err := first.Create(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	got, err := second.Get(ctx, r.Hash)
	if err != nil || got.ID != r.ID || !got.ExpiresAt.Equal(r.ExpiresAt) {
		t.Fatalf("second store: Get = %+v, %v; want %+v", got, err, r)
	}
	if _, err := second.Delete(ctx, "public-id", "42"); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Get(ctx, r.Hash); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("first store after the second deleted: err = %v, want ErrNotFound", err)
	}
}

// TestUpgradeFromUnversioned: a database that the first versions of sesame
// wrote, with a sessions table but no versions table, is upgraded in place
// and its sessions keep working, counted as signed in and issued at their
// sign-in.
func TestUpgradeFromUnversioned(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "old.db"))
	old, err := os.ReadFile(filepath.Join("migrations", "0001_sessions.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, string(old)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	hash := session.Hash{9}
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions VALUES (?, 'old-id', '7', ?, ?, ?, ?, '192.0.2.1', 'old agent')`,
		hash[:], now.UnixMilli(), now.UnixMilli(), now.Add(time.Hour).UnixMilli(), now.Add(2*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	got, err := s.Get(ctx, hash)
	if err != nil {
		t.Fatalf("Get after the upgrade: %v", err)
	}
	if got.ID != "old-id" || !got.AuthenticatedAt.Equal(now) || !got.TokenIssuedAt.Equal(now) || got.LastIP != "192.0.2.1" {
		t.Errorf("upgraded session = %+v", got)
	}
	newStore(t, db) // a second open finds nothing to do
}

// TestTooNew: a database upgraded by a newer program is refused, not
// written to.
func TestTooNew(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "new.db"))
	newStore(t, db)
	if _, err := db.ExecContext(ctx, `INSERT INTO session_schema_migrations VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlitestore.New(ctx, db); !errors.Is(err, migrate.ErrTooNew) {
		t.Fatalf("New on a newer schema: %v, want migrate.ErrTooNew", err)
	}
}
