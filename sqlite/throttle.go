package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesamehq/sesame"
)

// LoginFailures returns the failed-login counters for username (in any case) and
// ip; a name or address without failures has zero counters. It returns the
// ip window as stored, even when it has ended: deciding that is the
// caller's, which knows the window and the time.
func (db *DB) LoginFailures(ctx context.Context, username, ip string) (sesame.LoginFailures, error) {
	// NULL where there is no row: no failures.
	var userFailures, last, ipFailures, windowStart sql.NullInt64
	// One statement, so both counters come from the same moment.
	err := db.db.QueryRowContext(ctx, `
		SELECT
			(SELECT failures FROM login_failures WHERE username = ?1),
			(SELECT last_failure FROM login_failures WHERE username = ?1),
			(SELECT failures FROM login_ip_failures WHERE ip = ?2),
			(SELECT window_start FROM login_ip_failures WHERE ip = ?2)`,
		username, ip).Scan(
		&userFailures, &last, &ipFailures, &windowStart)
	if err != nil {
		return sesame.LoginFailures{}, db.wrap("login failures", err)
	}
	t := sesame.LoginFailures{UserFailures: int(userFailures.Int64), IPFailures: int(ipFailures.Int64)}
	if last.Valid {
		t.UserLastFailure = fromMillis(last.Int64)
	}
	if windowStart.Valid {
		t.IPWindowStart = fromMillis(windowStart.Int64)
	}
	return t, nil
}

// RecordLoginFailure counts one more failure for username and for ip, in
// one transaction of two upserts, so that concurrent failures are all
// counted. The ip counter counts within a fixed window that opens at its
// first failure and lasts window: a failure at or after its end opens a new
// window with a count of 1.
func (db *DB) RecordLoginFailure(ctx context.Context, username, ip string, now time.Time, window time.Duration) error {
	at := millis(now)
	err := db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO login_failures (username, failures, last_failure) VALUES (?, 1, ?)
			ON CONFLICT (username) DO UPDATE SET
				failures = failures + 1,
				last_failure = excluded.last_failure`,
			username, at)
		if err != nil {
			return err
		}
		// Both assignments read the old window_start: SQLite evaluates
		// every right-hand side of an UPDATE before it assigns any.
		_, err = tx.ExecContext(ctx, `
			INSERT INTO login_ip_failures (ip, window_start, failures) VALUES (?1, ?2, 1)
			ON CONFLICT (ip) DO UPDATE SET
				window_start = CASE WHEN ?2 >= window_start + ?3 THEN ?2 ELSE window_start END,
				failures     = CASE WHEN ?2 >= window_start + ?3 THEN 1 ELSE failures + 1 END`,
			ip, at, window.Milliseconds())
		return err
	})
	if err != nil {
		return db.wrap("record login failure", err)
	}
	return nil
}

// ResetLoginFailures forgets the failures of username, in any case; those
// of its addresses stay, since they guard against guessing across names.
func (db *DB) ResetLoginFailures(ctx context.Context, username string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM login_failures WHERE username = ?`, username); err != nil {
		return db.wrap("reset login failures", err)
	}
	return nil
}
