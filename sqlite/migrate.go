package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew refuses a database that a newer sesame has migrated: this
// program does not know its tables and must not write to them.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations holds the embedded migrations by version, 1..n without gaps;
// migrationsErr says why they could not be read (a build mistake that Open
// reports, and the tests catch).
var migrations, migrationsErr = loadMigrations(migrationFiles)

// loadMigrations reads files named NNNN_what.sql and checks that their
// numbers run 1, 2, 3… with no gap and no repeat.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return ms, nil
}

// latestVersion is the newest schema this program knows.
func latestVersion() int { return len(migrations) }

const createSchemaMigrations = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
) STRICT`

// migrate brings the schema up to latestVersion, one migration per
// transaction, so that a failure leaves the file at the last good version.
func (db *DB) migrate(ctx context.Context) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > latestVersion() {
		return tooNew(v)
	}
	for _, m := range migrations[v:] {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs m unless it has already been applied. The version is read
// again inside the transaction: BEGIN IMMEDIATE holds the write lock, so
// when two processes open a new file at once one applies m and the other,
// let in afterwards, sees it done and skips it.
func (db *DB) apply(ctx context.Context, m migration) error {
	err := db.transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return err
		}
		v, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		switch {
		case v > latestVersion():
			return tooNew(v)
		case v >= m.version:
			return nil // applied meanwhile by another process
		case v != m.version-1:
			return fmt.Errorf("schema is at version %d, cannot apply %d", v, m.version)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, millis(time.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	return nil
}

func tooNew(v int) error {
	return fmt.Errorf("%w: the file is at version %d, this program knows up to %d: run a newer sesame",
		ErrSchemaTooNew, v, latestVersion())
}

// SchemaVersion returns the version of the newest migration applied to the
// database: 0 for a new file, and more than this program knows for a file
// that a newer sesame has migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.db)
	if err != nil {
		return 0, db.wrap("schema version", err)
	}
	return v, nil
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	// Looked up first so that reading the version of a new file writes
	// nothing to it.
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
