package stmtcache_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/internal/stmtcache"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestPreparedOnce: a query run many times is prepared once, and its
// answers are those of the unprepared query.
func TestPreparedOnce(t *testing.T) {
	ctx := context.Background()
	c := stmtcache.New(open(t))
	defer c.Close()
	for i := range 5 {
		if _, err := c.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	var sum int
	if err := c.QueryRowContext(ctx, `SELECT sum(n) FROM t`).Scan(&sum); err != nil || sum != 10 {
		t.Fatalf("sum = %d, %v; want 10", sum, err)
	}
	a, _ := c.Stmt(ctx, `SELECT sum(n) FROM t`)
	b, _ := c.Stmt(ctx, `SELECT sum(n) FROM t`)
	if a != b {
		t.Error("the same query was prepared twice")
	}
	if err := c.QueryRowContext(ctx, `SELECT nonsense FROM`).Scan(&sum); err == nil {
		t.Error("a query that does not parse answered")
	}
}

// TestTransactionNeverWaitsForThePool: a transaction that holds the only
// connection of the pool runs a query not prepared yet without waiting for
// another connection, which would never come.
func TestTransactionNeverWaitsForThePool(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(1)
	c := stmtcache.New(db)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := c.Tx(tx).ExecContext(ctx, `INSERT INTO t (n) VALUES (1)`); err != nil {
		t.Fatalf("a new query in a transaction holding the only connection: %v", err)
	}
	var n int
	if err := c.Tx(tx).QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("count in the transaction = %d, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseWaitsForBackgroundPrepares: a prepare started in the background
// for a transaction still holds a connection when the transaction ends;
// Close waits for it, so that once Close returns the cache holds no
// connection and the caller may close the database (SQLite would else
// keep its files open behind the caller's back).
func TestCloseWaitsForBackgroundPrepares(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(1)
	c := stmtcache.New(db)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Not prepared yet: it runs on the transaction's connection, and its
	// prepare waits in the background for the pool's only connection.
	if _, err := c.Tx(tx).ExecContext(ctx, `INSERT INTO t (n) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().InUse; n != 0 {
		t.Errorf("after Close, %d connection(s) still in use by the cache", n)
	}
}
