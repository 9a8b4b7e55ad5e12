package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// passkeyColumns are what scanPasskey reads.
const passkeyColumns = `id, user_id, credential_id, name, credential, created_at, last_used_at` // #nosec G101 -- column names

// scanPasskey reads the passkeyColumns of one row.
func scanPasskey(row interface{ Scan(...any) error }) (*account.Passkey, error) {
	var (
		p       account.Passkey
		created int64
		used    sql.NullInt64
	)
	if err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Name, &p.Credential, &created, &used); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMillis(created)
	if used.Valid {
		p.LastUsedAt = fromMillis(used.Int64)
	}
	return &p, nil
}

// nullMillis is t as the schema keeps it, or NULL for the zero time: never.
func nullMillis(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: millis(t), Valid: !t.IsZero()}
}

// Passkeys returns the passkeys of user id, oldest first; none (an empty
// list) for an unknown user.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]account.Passkey, error) {
	rows, err := db.q.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = ?
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, db.wrap("passkeys", err)
	}
	defer rows.Close()
	out := []account.Passkey{}
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, db.wrap("passkeys", err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("passkeys", err)
	}
	return out, nil
}

// PasskeyByCredentialID returns the passkey whose CredentialID is id,
// through the unique index on credential_id.
func (db *DB) PasskeyByCredentialID(ctx context.Context, id []byte) (*account.Passkey, error) {
	p, err := scanPasskey(db.q.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE credential_id = ?`, id))
	if err != nil {
		return nil, db.wrap("passkey by credential id", notFound(err, "passkey"))
	}
	return p, nil
}

// AddPasskey stores p and returns it as stored, with its new ID. The count
// and the insertion are one write transaction, which SQLite runs alone
// among every connection and process on the file, so that two additions at
// once never leave more than max. An unknown user matches
// sesame.ErrNotFound; the limit is checked before the credential id, so a
// user at the limit is told so whatever the id.
func (db *DB) AddPasskey(ctx context.Context, p account.Passkey, max int) (*account.Passkey, error) {
	var added *account.Passkey
	err := db.transact(ctx, func(tx querier) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM passkeys WHERE user_id = ?1)
			FROM users WHERE id = ?1`, p.UserID).Scan(&n)
		if err != nil {
			return notFound(err, fmt.Sprintf("user %d", p.UserID))
		}
		if n >= max {
			return fmt.Errorf("user %d has %d passkeys: %w", p.UserID, n, account.ErrPasskeyLimit)
		}
		added, err = scanPasskey(tx.QueryRowContext(ctx, `INSERT INTO passkeys
			(user_id, credential_id, name, credential, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)
			RETURNING `+passkeyColumns,
			p.UserID, p.CredentialID, p.Name, p.Credential, millis(p.CreatedAt), nullMillis(p.LastUsedAt)))
		if isUniqueViolation(err) {
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
	p, err := scanPasskey(db.q.QueryRowContext(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?
		RETURNING `+passkeyColumns, name, id, userID))
	if err != nil {
		return nil, db.wrap("rename passkey", notFound(err, fmt.Sprintf("passkey %d of user %d", id, userID)))
	}
	return p, nil
}

// UsePasskey records a sign-in with passkey id at at, with its updated
// credential.
func (db *DB) UsePasskey(ctx context.Context, id int64, credential []byte, at time.Time) error {
	res, err := db.q.ExecContext(ctx, `UPDATE passkeys SET credential = ?, last_used_at = ? WHERE id = ?`,
		credential, millis(at), id)
	if err == nil {
		err = oneRow(res, fmt.Sprintf("passkey %d", id))
	}
	if err != nil {
		return db.wrap("use passkey", err)
	}
	return nil
}

// DeletePasskey removes passkey id of user userID.
func (db *DB) DeletePasskey(ctx context.Context, userID, id int64) (bool, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return false, db.wrap("delete passkey", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.wrap("delete passkey", err)
	}
	return n == 1, nil
}

// DeletePasskeys removes every passkey of user userID.
func (db *DB) DeletePasskeys(ctx context.Context, userID int64) (int, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = ?`, userID)
	if err != nil {
		return 0, db.wrap("delete passkeys", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.wrap("delete passkeys", err)
	}
	return int(n), nil
}

// PasskeyCounts returns how many passkeys each of ids has; those with none
// are absent.
func (db *DB) PasskeyCounts(ctx context.Context, ids []int64) (map[int64]int, error) {
	out := make(map[int64]int)
	if len(ids) == 0 {
		return out, nil
	}
	in, args := idList(ids)
	// #nosec G202 -- only placeholders are joined in; the ids are arguments
	rows, err := db.db.QueryContext(ctx, `SELECT user_id, count(*) FROM passkeys WHERE user_id IN `+in+` GROUP BY user_id`, args...)
	if err != nil {
		return nil, db.wrap("passkey counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, db.wrap("passkey counts", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("passkey counts", err)
	}
	return out, nil
}

// CreateCeremony stores c. A UserID of 0 is stored as NULL: no user yet;
// any other must name a user, or the answer matches sesame.ErrNotFound. A
// hash stored already matches sesame.ErrConflict.
func (db *DB) CreateCeremony(ctx context.Context, c account.Ceremony) error {
	_, err := db.q.ExecContext(ctx, `INSERT INTO webauthn_ceremonies (hash, user_id, purpose, data, expires_at)
		VALUES (?, ?, ?, ?, ?)`, c.Hash, nullID(c.UserID), string(c.Purpose), c.Data, millis(c.ExpiresAt))
	switch {
	case constraint(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		err = fmt.Errorf("user %d: %w", c.UserID, sesame.ErrNotFound)
	case isUniqueViolation(err):
		err = fmt.Errorf("ceremony: %w", sesame.ErrConflict)
	}
	if err != nil {
		return db.wrap("create ceremony", err)
	}
	return nil
}

// TakeCeremony deletes the ceremony with hash and returns it if it is still
// live at now. The deletion is one statement, so of two takes at once only
// one finds the row; an expired ceremony is deleted all the same.
func (db *DB) TakeCeremony(ctx context.Context, hash string, now time.Time) (*account.Ceremony, error) {
	c := account.Ceremony{Hash: hash}
	var (
		user    sql.NullInt64
		expires int64
	)
	err := db.q.QueryRowContext(ctx, `DELETE FROM webauthn_ceremonies WHERE hash = ?
		RETURNING user_id, purpose, data, expires_at`, hash).Scan(&user, &c.Purpose, &c.Data, &expires)
	if err == nil && expires <= millis(now) {
		err = fmt.Errorf("ceremony expired: %w", sesame.ErrNotFound)
	}
	if err != nil {
		return nil, db.wrap("take ceremony", notFound(err, "ceremony"))
	}
	c.UserID, c.ExpiresAt = user.Int64, fromMillis(expires)
	return &c, nil
}

// DeleteExpiredCeremonies deletes those expired at now.
func (db *DB) DeleteExpiredCeremonies(ctx context.Context, now time.Time) (int, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at <= ?`, millis(now))
	if err != nil {
		return 0, db.wrap("delete expired ceremonies", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.wrap("delete expired ceremonies", err)
	}
	return int(n), nil
}
