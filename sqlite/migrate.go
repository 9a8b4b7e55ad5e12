package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/sesamehq/sesame/internal/migrate"
)

// ErrSchemaTooNew refuses a database that a newer sesame has migrated: this
// program does not know its tables and must not write to them. It is
// migrate.ErrTooNew.
var ErrSchemaTooNew = migrate.ErrTooNew

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations holds the embedded migrations by version, 1..n without gaps;
// migrationsErr says why they could not be read (a build mistake that Open
// reports, and the tests catch).
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations/*.sql")

// versionTable records the versions of the app data's schema; the session
// store keeps its own.
const versionTable = "schema_migrations"

// migrate brings the schema up to the newest version, one migration per
// transaction, so that a failure leaves the file at the last good version.
func (db *DB) migrate(ctx context.Context) error {
	_, err := migrate.SQLite(ctx, db.db, versionTable, migrations)
	return err
}

// SchemaVersion returns the version of the newest migration applied to the
// database: 0 for a new file, and more than this program knows for a file
// that a newer sesame has migrated.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := migrate.SQLiteVersion(ctx, db.db, versionTable)
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
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	return db.SchemaVersion(ctx)
}
