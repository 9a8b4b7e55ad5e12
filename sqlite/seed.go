package sqlite

import (
	"context"
	"time"

	"github.com/sesamehq/sesame"
)

// Seed fills an empty database with users and products, all in one
// transaction, and reports whether it did. A database that already has a
// user is left alone, so seeding on every start is safe; a crash halfway
// leaves nothing behind, so the next start seeds again from scratch.
func (db *DB) Seed(ctx context.Context, users []sesame.NewUser, products []sesame.Product, now time.Time) (bool, error) {
	seeded := false
	err := db.transact(ctx, func(tx querier) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n > 0 {
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
