package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SQLite brings the schema whose versions table is table up to the last of
// ms, one migration per transaction, so that a failure leaves the database
// at the last good version. It returns the version reached.
//
// Each transaction begins IMMEDIATE, on a connection of its own, so that it
// holds the write lock from the start whatever the handle's DSN says: when
// two processes open a new file at once, one applies a migration and the
// other, let in afterwards, reads the version again and skips it.
func SQLite(ctx context.Context, db *sql.DB, table string, ms []Migration) (int, error) {
	v, err := SQLiteVersion(ctx, db, table)
	if err != nil {
		return 0, err
	}
	if v > len(ms) {
		return v, TooNew(v, len(ms))
	}
	for _, m := range ms[v:] {
		if v, err = applySQLite(ctx, db, table, m, len(ms)); err != nil {
			return v, fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return v, nil
}

func applySQLite(ctx context.Context, db *sql.DB, table string, m Migration, latest int) (v int, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			// Cut loose from ctx: a cancelled request must not leave the
			// connection inside a transaction, back in the pool.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return 0, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&v); err != nil {
		return 0, err
	}
	switch {
	case v > latest:
		return v, TooNew(v, latest)
	case v >= m.Version:
		_, err = conn.ExecContext(ctx, "COMMIT") // applied meanwhile by another process
		return v, err
	case v != m.Version-1:
		return v, fmt.Errorf("schema is at version %d, cannot apply %d", v, m.Version)
	}
	if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
		return v, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO `+table+` (version, applied_at) VALUES (?, ?)`, // #nosec G202 -- table is the caller's constant name, never input
		m.Version, time.Now().UnixMilli()); err != nil {
		return v, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return v, err
	}
	return m.Version, nil
}

// SQLiteVersion returns the newest version recorded in table: 0 when the
// table does not exist (a new database), which it finds out without writing.
func SQLiteVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, table string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&v)
	return v, err
}
