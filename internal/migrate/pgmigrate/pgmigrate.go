// Package pgmigrate applies migrations read by migrate.Load to a PostgreSQL
// database through pgx. It lives apart from package migrate so that
// programs on SQLite do not link the PostgreSQL driver.
package pgmigrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame/internal/migrate"
)

// Beginner is what *pgxpool.Pool, *pgx.Conn and pgx.Tx have in common.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Apply brings the tables whose versions table is table, in the current
// schema (the first of the connection's search_path), up to the last of
// ms, and returns the version reached. It refuses a schema that a newer
// program has upgraded, with an error matching migrate.ErrTooNew.
//
// Everything happens in one transaction that first takes an advisory lock
// named after the schema and table: of several processes starting at once
// on one database, one upgrades while the others wait, then find nothing
// left to do. PostgreSQL's DDL is transactional, so a failing migration
// leaves the schema exactly as it was, never half upgraded. A schema
// already up to date is only read, so a program whose role may not create
// tables starts once they exist.
func Apply(ctx context.Context, db Beginner, table string, ms []migrate.Migration) (int, error) {
	var v int
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// The key names the schema too, so that stores in different
		// schemas of one database (tests, tenants) do not wait for each
		// other. A hash collision with another lock only serializes.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(
				hashtextextended('sesame.migrate.' || coalesce(current_schema(), '') || '.' || $1, 0))`,
			table); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var err error
		if v, err = Version(ctx, tx, table); err != nil {
			return err
		}
		switch {
		case v > len(ms):
			return migrate.TooNew(v, len(ms))
		case v == len(ms):
			return nil
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgx.Identifier{table}.Sanitize()+` (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		for _, m := range ms[v:] {
			// Without arguments pgx sends the simple protocol, which
			// runs a file of several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+pgx.Identifier{table}.Sanitize()+` (version) VALUES ($1)`,
				m.Version); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		v = len(ms)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("migrate %s: %w", table, err)
	}
	return v, nil
}

// Version returns the newest version recorded in table in the current
// schema: 0 when the table does not exist (a new database), which it
// finds out without writing.
func Version(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, table string) (int, error) {
	ident := pgx.Identifier{table}.Sanitize()
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, ident).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+ident).Scan(&v)
	return v, err
}
