package postgres

import (
	"context"
	"embed"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/migrate/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations holds the embedded migrations by version, 1..n without gaps;
// migrationsErr says why they could not be read (a build mistake that Open
// reports, and the tests catch).
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations/*.sql")

// versionTable records the versions of the app data's schema; the session
// store keeps its own (session_schema_migrations), as it does on SQLite.
const versionTable = "schema_migrations"

// migrateTimeout bounds a migration, instead of the call timeout: an
// upgrade may build an index over a large table, and an instance that
// starts while another upgrades waits for it.
const migrateTimeout = 5 * time.Minute

// migrate brings the schema up to the newest version, in one transaction
// under an advisory lock (see pgmigrate.Apply): of several instances
// starting at once, one upgrades while the others wait and then find
// nothing to do. The transaction lifts statement_timeout, which would
// otherwise cut a long migration, or the wait for another's, short.
func (db *DB) migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	_, err := pgmigrate.Apply(ctx, untimed{db.pool}, versionTable, migrations)
	return err
}

// untimed begins transactions without a statement timeout.
type untimed struct{ pool *pgxpool.Pool }

// Begin begins a transaction and lifts its statement timeout.
func (u untimed) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := u.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return nil, errors.Join(err, tx.Rollback(ctx))
	}
	return tx, nil
}

// SchemaVersion returns the version of the newest migration applied: 0 for
// a new database, and more than this program knows for one that a newer
// sesame has migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	v, err := pgmigrate.Version(ctx, db.pool, versionTable)
	if err != nil {
		return 0, db.wrap("schema version", err)
	}
	return v, nil
}

// LatestVersion is the newest schema version this program knows.
func LatestVersion() int { return len(migrations) }

// Migrate applies the migrations that db lacks and returns the version it
// is at: what `sesame migrate` does (Open does it too).
func (db *DB) Migrate(ctx context.Context) (int, error) {
	if err := db.migrate(ctx); err != nil {
		return 0, db.wrap("migrate", err)
	}
	return db.SchemaVersion(ctx)
}
