package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// TOTP returns the TOTP factor of user id, confirmed or not.
func (db *DB) TOTP(ctx context.Context, userID int64) (*account.TOTPFactor, error) {
	f := account.TOTPFactor{UserID: userID}
	var created int64
	err := db.q.QueryRowContext(ctx, `SELECT secret, confirmed, last_step, created_at FROM totp_factors WHERE user_id = ?`,
		userID).Scan(&f.Secret, &f.Confirmed, &f.LastStep, &created)
	if err != nil {
		return nil, db.wrap("totp", notFound(err, fmt.Sprintf("totp factor of user %d", userID)))
	}
	f.CreatedAt = fromMillis(created)
	return &f, nil
}

// BeginTOTP stores a new unconfirmed factor for user id, replacing an
// unconfirmed one; a confirmed one is a conflict.
func (db *DB) BeginTOTP(ctx context.Context, userID int64, secret []byte, at time.Time) error {
	res, err := db.q.ExecContext(ctx, `INSERT INTO totp_factors (user_id, secret, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (user_id) DO UPDATE SET secret = ?2, created_at = ?3, last_step = 0 WHERE NOT confirmed`,
		userID, secret, millis(at))
	if constraint(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return db.wrap("begin totp", fmt.Errorf("user %d: %w", userID, sesame.ErrNotFound))
	}
	if err == nil {
		if n, rerr := res.RowsAffected(); rerr != nil {
			err = rerr
		} else if n == 0 {
			err = fmt.Errorf("user %d has a confirmed totp factor: %w", userID, sesame.ErrConflict)
		}
	}
	if err != nil {
		return db.wrap("begin totp", err)
	}
	return nil
}

// ConfirmTOTP confirms the unconfirmed factor of user id and replaces their
// recovery codes, in one transaction.
func (db *DB) ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string) error {
	err := db.transact(ctx, func(tx querier) error {
		var confirmed bool
		err := tx.QueryRowContext(ctx, `SELECT confirmed FROM totp_factors WHERE user_id = ?`, userID).Scan(&confirmed)
		if err != nil {
			return notFound(err, fmt.Sprintf("totp factor of user %d", userID))
		}
		if confirmed {
			return fmt.Errorf("totp factor of user %d: already confirmed: %w", userID, sesame.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE totp_factors SET confirmed = 1, last_step = ? WHERE user_id = ?`,
			step, userID); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, recoveryHashes)
	})
	if err != nil {
		return db.wrap("confirm totp", err)
	}
	return nil
}

func replaceRecoveryCodes(ctx context.Context, tx querier, userID int64, hashes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep moves the confirmed factor's LastStep up to step, and
// reports whether it could: one conditional UPDATE, atomic against any
// other writer of the file.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := db.q.ExecContext(ctx, `UPDATE totp_factors SET last_step = ?1
		WHERE user_id = ?2 AND confirmed AND last_step < ?1`, step, userID)
	if err != nil {
		return false, db.wrap("use totp step", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.wrap("use totp step", err)
	}
	return n == 1, nil
}

// DeleteTOTP removes the factor of user id and their recovery codes.
func (db *DB) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	var n int64
	err := db.transact(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM totp_factors WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID)
		return err
	})
	if err != nil {
		return false, db.wrap("delete totp", err)
	}
	return n > 0, nil
}

// UseRecoveryCode marks the unused code of user id with hash as used.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash string, at time.Time) (bool, error) {
	res, err := db.q.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ?
		WHERE user_id = ? AND hash = ? AND used_at = 0`, max(millis(at), 1), userID, hash)
	if err != nil {
		return false, db.wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.wrap("use recovery code", err)
	}
	return n == 1, nil
}

// RecoveryCodesLeft counts the unused recovery codes of user id.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.q.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0`,
		userID).Scan(&n)
	if err != nil {
		return 0, db.wrap("recovery codes left", err)
	}
	return n, nil
}

// idList returns the SQL list "(?, ?, …)" of len(ids) placeholders and
// the ids as its arguments, for an IN of ids (at least one).
func idList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// TOTPUsers returns which of ids have a confirmed TOTP factor.
func (db *DB) TOTPUsers(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool)
	if len(ids) == 0 {
		return out, nil
	}
	in, args := idList(ids)
	// #nosec G202 -- only placeholders are joined in; the ids are arguments
	rows, err := db.db.QueryContext(ctx, `SELECT user_id FROM totp_factors WHERE confirmed AND user_id IN `+in, args...)
	if err != nil {
		return nil, db.wrap("totp users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap("totp users", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("totp users", err)
	}
	return out, nil
}

// CreatePendingSignIn stores p.
func (db *DB) CreatePendingSignIn(ctx context.Context, p account.PendingSignIn) error {
	_, err := db.q.ExecContext(ctx, `INSERT INTO pending_signins (hash, user_id, generation, remember, expires_at)
		VALUES (?, ?, ?, ?, ?)`, p.Hash, p.UserID, p.Generation, p.Remember, millis(p.ExpiresAt))
	if constraint(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		err = fmt.Errorf("user %d: %w", p.UserID, sesame.ErrNotFound)
	}
	if err != nil {
		return db.wrap("create pending sign-in", err)
	}
	return nil
}

// PendingSignIn returns the live pending sign-in with hash.
func (db *DB) PendingSignIn(ctx context.Context, hash string, now time.Time) (*account.PendingSignIn, error) {
	p := account.PendingSignIn{Hash: hash}
	var expires int64
	err := db.q.QueryRowContext(ctx, `SELECT user_id, generation, remember, expires_at FROM pending_signins
		WHERE hash = ? AND expires_at > ?`, hash, millis(now)).Scan(&p.UserID, &p.Generation, &p.Remember, &expires)
	if err != nil {
		return nil, db.wrap("pending sign-in", notFound(err, "pending sign-in"))
	}
	p.ExpiresAt = fromMillis(expires)
	return &p, nil
}

// DeletePendingSignIn deletes the pending sign-in with hash.
func (db *DB) DeletePendingSignIn(ctx context.Context, hash string) (bool, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM pending_signins WHERE hash = ?`, hash)
	if err != nil {
		return false, db.wrap("delete pending sign-in", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.wrap("delete pending sign-in", err)
	}
	return n == 1, nil
}

// DeleteExpiredPendingSignIns deletes those expired at now.
func (db *DB) DeleteExpiredPendingSignIns(ctx context.Context, now time.Time) (int, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM pending_signins WHERE expires_at <= ?`, millis(now))
	if err != nil {
		return 0, db.wrap("delete expired pending sign-ins", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.wrap("delete expired pending sign-ins", err)
	}
	return int(n), nil
}
