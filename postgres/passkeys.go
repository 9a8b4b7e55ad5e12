package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// passkeyColumns are what scanPasskey reads.
const passkeyColumns = `id, user_id, credential_id, name, credential, created_at, last_used_at` // #nosec G101 -- column names

// scanPasskey reads the passkeyColumns of one row.
func scanPasskey(row pgx.Row) (*account.Passkey, error) {
	var (
		p    account.Passkey
		used *time.Time // NULL: never
	)
	if err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Name, &p.Credential, &p.CreatedAt, &used); err != nil {
		return nil, err
	}
	p.CreatedAt = fromDB(p.CreatedAt)
	if used != nil {
		p.LastUsedAt = fromDB(*used)
	}
	return &p, nil
}

// nullTime is t as the schema keeps it, or NULL for the zero time: never.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = ms(t)
	return &t
}

// Passkeys returns the passkeys of user id, oldest first; none (an empty
// list) for an unknown user.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]account.Passkey, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, db.wrap("passkeys", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Passkey, error) {
		p, err := scanPasskey(row)
		if err != nil {
			return account.Passkey{}, err
		}
		return *p, nil
	})
	if err != nil {
		return nil, db.wrap("passkeys", err)
	}
	if ps == nil {
		ps = []account.Passkey{}
	}
	return ps, nil
}

// PasskeyByCredentialID returns the passkey whose CredentialID is id,
// through the unique index on credential_id.
func (db *DB) PasskeyByCredentialID(ctx context.Context, id []byte) (*account.Passkey, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	p, err := scanPasskey(db.pool.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE credential_id = $1`, id))
	if err != nil {
		return nil, db.wrap("passkey by credential id", notFound(err, "passkey"))
	}
	return p, nil
}

// AddPasskey stores p and returns it as stored, with its new ID. It locks
// the user's row first, so that additions for one user, from every
// instance, run one after the other, and counts in a statement of its own:
// at READ COMMITTED that statement sees what the addition it waited for
// committed, where a count taken in the locking statement would not. FOR
// NO KEY UPDATE, not FOR UPDATE: it does not hold up the foreign key checks
// of rows that other tables add for the user meanwhile (carts, pending
// sign-ins). An unknown user matches sesame.ErrNotFound; the limit is
// checked before the credential id, so a user at the limit is told so
// whatever the id.
func (db *DB) AddPasskey(ctx context.Context, p account.Passkey, max int) (*account.Passkey, error) {
	var added *account.Passkey
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, p.UserID).Scan(&one)
		if err != nil {
			return notFound(err, fmt.Sprintf("user %d", p.UserID))
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM passkeys WHERE user_id = $1`, p.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("user %d has %d passkeys: %w", p.UserID, n, account.ErrPasskeyLimit)
		}
		added, err = scanPasskey(tx.QueryRow(ctx, `INSERT INTO passkeys
			(user_id, credential_id, name, credential, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+passkeyColumns,
			p.UserID, p.CredentialID, p.Name, p.Credential, ms(p.CreatedAt), nullTime(p.LastUsedAt)))
		if violates(err, codeUniqueViolation, "passkeys_credential_id_unique") {
			return fmt.Errorf("a passkey with this credential id is stored already: %w", sesame.ErrConflict)
		}
		return err
	})
	if err != nil {
		return nil, db.wrap("add passkey", err)
	}
	return added, nil
}

// RenamePasskey sets the name of passkey id of user userID and returns it.
func (db *DB) RenamePasskey(ctx context.Context, userID, id int64, name string) (*account.Passkey, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	p, err := scanPasskey(db.pool.QueryRow(ctx, `UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3
		RETURNING `+passkeyColumns, name, id, userID))
	if err != nil {
		return nil, db.wrap("rename passkey", notFound(err, fmt.Sprintf("passkey %d of user %d", id, userID)))
	}
	return p, nil
}

// UsePasskey records a sign-in with passkey id at at, with its updated
// credential.
func (db *DB) UsePasskey(ctx context.Context, id int64, credential []byte, at time.Time) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3`,
		credential, ms(at), id)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("passkey %d: %w", id, sesame.ErrNotFound)
	}
	if err != nil {
		return db.wrap("use passkey", err)
	}
	return nil
}

// DeletePasskey removes passkey id of user userID.
func (db *DB) DeletePasskey(ctx context.Context, userID, id int64) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return false, db.wrap("delete passkey", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeletePasskeys removes every passkey of user userID.
func (db *DB) DeletePasskeys(ctx context.Context, userID int64) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1`, userID)
	if err != nil {
		return 0, db.wrap("delete passkeys", err)
	}
	return int(tag.RowsAffected()), nil
}

// PasskeyCounts returns how many passkeys each of ids has; those with none
// are absent.
func (db *DB) PasskeyCounts(ctx context.Context, ids []int64) (map[int64]int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[int64]int)
	rows, err := db.pool.Query(ctx, `SELECT user_id, count(*) FROM passkeys WHERE user_id = ANY($1)
		GROUP BY user_id`, ids)
	if err != nil {
		return nil, db.wrap("passkey counts", err)
	}
	var (
		id int64
		n  int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		out[id] = n
		return nil
	})
	if err != nil {
		return nil, db.wrap("passkey counts", err)
	}
	return out, nil
}

// CreateCeremony stores c. A UserID of 0 is stored as NULL: no user yet;
// any other must name a user, or the answer matches sesame.ErrNotFound. A
// hash stored already matches sesame.ErrConflict.
func (db *DB) CreateCeremony(ctx context.Context, c account.Ceremony) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	_, err := db.pool.Exec(ctx, `INSERT INTO webauthn_ceremonies (hash, user_id, purpose, data, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, c.Hash, nullID(c.UserID), string(c.Purpose), c.Data, ms(c.ExpiresAt))
	switch {
	case violates(err, codeForeignKeyViolation, ""):
		err = fmt.Errorf("user %d: %w", c.UserID, sesame.ErrNotFound)
	case violates(err, codeUniqueViolation, ""):
		err = fmt.Errorf("ceremony: %w", sesame.ErrConflict)
	}
	if err != nil {
		return db.wrap("create ceremony", err)
	}
	return nil
}

// TakeCeremony deletes the ceremony with hash and returns it if it is still
// live at now. The deletion is one statement: of two takes at once, on any
// instances, the second waits for the first's row lock and then finds the
// row gone. An expired ceremony is deleted all the same.
func (db *DB) TakeCeremony(ctx context.Context, hash string, now time.Time) (*account.Ceremony, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	c := account.Ceremony{Hash: hash}
	var (
		user    *int64
		purpose string
	)
	err := db.pool.QueryRow(ctx, `DELETE FROM webauthn_ceremonies WHERE hash = $1
		RETURNING user_id, purpose, data, expires_at`, hash).Scan(&user, &purpose, &c.Data, &c.ExpiresAt)
	if err == nil && !c.ExpiresAt.After(ms(now)) {
		err = fmt.Errorf("ceremony expired: %w", sesame.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap("take ceremony", notFound(err, "ceremony"))
	}
	c.Purpose, c.ExpiresAt = account.CeremonyPurpose(purpose), fromDB(c.ExpiresAt)
	if user != nil {
		c.UserID = *user
	}
	return &c, nil
}

// DeleteExpiredCeremonies deletes those expired at now.
func (db *DB) DeleteExpiredCeremonies(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at <= $1`, ms(now))
	if err != nil {
		return 0, db.wrap("delete expired ceremonies", err)
	}
	return int(tag.RowsAffected()), nil
}
