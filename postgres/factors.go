package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// TOTP returns the TOTP factor of user id, confirmed or not.
func (db *DB) TOTP(ctx context.Context, userID int64) (*account.TOTPFactor, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	f := account.TOTPFactor{UserID: userID}
	err := db.pool.QueryRow(ctx, `SELECT secret, confirmed, last_step, created_at FROM totp_factors WHERE user_id = $1`,
		userID).Scan(&f.Secret, &f.Confirmed, &f.LastStep, &f.CreatedAt)
	if err != nil {
		return nil, db.wrap("totp", notFound(err, fmt.Sprintf("totp factor of user %d", userID)))
	}
	f.CreatedAt = fromDB(f.CreatedAt)
	return &f, nil
}

// BeginTOTP stores a new unconfirmed factor for user id, replacing an
// unconfirmed one; a confirmed one is a conflict.
func (db *DB) BeginTOTP(ctx context.Context, userID int64, secret []byte, at time.Time) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, last_step = 0
		WHERE NOT totp_factors.confirmed`, userID, secret, ms(at))
	switch {
	case violates(err, "23503", ""): // foreign_key_violation: no such user
		return db.wrap("begin totp", fmt.Errorf("user %d: %w", userID, sesame.ErrNotFound))
	case err != nil:
		return db.wrap("begin totp", err)
	case tag.RowsAffected() == 0:
		return db.wrap("begin totp", fmt.Errorf("user %d has a confirmed totp factor: %w", userID, sesame.ErrConflict))
	}
	return nil
}

// ConfirmTOTP confirms the unconfirmed factor of user id and replaces their
// recovery codes, in one transaction; the row lock taken by FOR UPDATE
// makes a second confirmation at once wait and then see the first.
func (db *DB) ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string) error {
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var confirmed bool
		err := tx.QueryRow(ctx, `SELECT confirmed FROM totp_factors WHERE user_id = $1 FOR UPDATE`, userID).Scan(&confirmed)
		if err != nil {
			return notFound(err, fmt.Sprintf("totp factor of user %d", userID))
		}
		if confirmed {
			return fmt.Errorf("totp factor of user %d: already confirmed: %w", userID, sesame.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE totp_factors SET confirmed = true, last_step = $1 WHERE user_id = $2`,
			step, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, hash) SELECT $1, unnest($2::text[])`,
			userID, recoveryHashes)
		return err
	})
	if err != nil {
		return db.wrap("confirm totp", err)
	}
	return nil
}

// UseTOTPStep moves the confirmed factor's LastStep up to step, and
// reports whether it could: one conditional UPDATE, which PostgreSQL runs
// atomically against every other instance's.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `UPDATE totp_factors SET last_step = $1
		WHERE user_id = $2 AND confirmed AND last_step < $1`, step, userID)
	if err != nil {
		return false, db.wrap("use totp step", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteTOTP removes the factor of user id and their recovery codes.
func (db *DB) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	var n int64
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM totp_factors WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return false, db.wrap("delete totp", err)
	}
	return n > 0, nil
}

// UseRecoveryCode marks the unused code of user id with hash as used.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash string, at time.Time) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `UPDATE recovery_codes SET used_at = $1
		WHERE user_id = $2 AND hash = $3 AND used_at IS NULL`, ms(at), userID, hash)
	if err != nil {
		return false, db.wrap("use recovery code", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecoveryCodesLeft counts the unused recovery codes of user id.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, db.wrap("recovery codes left", err)
	}
	return n, nil
}

// TOTPUsers returns which of ids have a confirmed TOTP factor.
func (db *DB) TOTPUsers(ctx context.Context, ids []int64) (map[int64]bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[int64]bool)
	rows, err := db.pool.Query(ctx, `SELECT user_id FROM totp_factors WHERE confirmed AND user_id = ANY($1)`, ids)
	if err != nil {
		return nil, db.wrap("totp users", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, db.wrap("totp users", err)
	}
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// CreatePendingSignIn stores p.
func (db *DB) CreatePendingSignIn(ctx context.Context, p account.PendingSignIn) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	_, err := db.pool.Exec(ctx, `INSERT INTO pending_signins (hash, user_id, generation, remember, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, p.Hash, p.UserID, p.Generation, p.Remember, ms(p.ExpiresAt))
	if violates(err, "23503", "") {
		err = fmt.Errorf("user %d: %w", p.UserID, sesame.ErrNotFound)
	}
	if err != nil {
		return db.wrap("create pending sign-in", err)
	}
	return nil
}

// PendingSignIn returns the live pending sign-in with hash.
func (db *DB) PendingSignIn(ctx context.Context, hash string, now time.Time) (*account.PendingSignIn, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	p := account.PendingSignIn{Hash: hash}
	err := db.pool.QueryRow(ctx, `SELECT user_id, generation, remember, expires_at FROM pending_signins
		WHERE hash = $1 AND expires_at > $2`, hash, ms(now)).Scan(&p.UserID, &p.Generation, &p.Remember, &p.ExpiresAt)
	if err != nil {
		return nil, db.wrap("pending sign-in", notFound(err, "pending sign-in"))
	}
	p.ExpiresAt = fromDB(p.ExpiresAt)
	return &p, nil
}

// DeletePendingSignIn deletes the pending sign-in with hash.
func (db *DB) DeletePendingSignIn(ctx context.Context, hash string) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `DELETE FROM pending_signins WHERE hash = $1`, hash)
	if err != nil {
		return false, db.wrap("delete pending sign-in", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteExpiredPendingSignIns deletes those expired at now.
func (db *DB) DeleteExpiredPendingSignIns(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, `DELETE FROM pending_signins WHERE expires_at <= $1`, ms(now))
	if err != nil {
		return 0, db.wrap("delete expired pending sign-ins", err)
	}
	return int(tag.RowsAffected()), nil
}
