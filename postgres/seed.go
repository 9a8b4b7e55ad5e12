package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame"
)

// Seed fills an empty database with users and products, all in one
// transaction, and reports whether it did. A database that already has a
// user is left alone, so seeding on every start is safe; a crash halfway
// leaves nothing behind.
//
// Several instances may start with --demo at once: an advisory lock makes
// them seed one after the other, so the first seeds and the others find
// its users and leave the database alone, instead of failing on the
// usernames the first has taken.
func (db *DB) Seed(ctx context.Context, users []sesame.NewUser, products []sesame.Product, now time.Time) (bool, error) {
	seeded := false
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.lockKey("seed", "")); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM users)`).Scan(&any); err != nil || any {
			return err
		}
		for _, u := range users {
			if _, err := createUser(ctx, tx, u.Username, u.PasswordHash, u.Roles, now); err != nil {
				return err
			}
		}
		for i := range products {
			if err := insertProduct(ctx, tx, &products[i]); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, db.wrap("seed", err)
	}
	return seeded, nil
}
