package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesamehq/sesame"
)

// LoginFailures returns the failed-login counters for username (in any case)
// and ip; a name or address without failures has zero counters. The
// username counter is returned whatever its age; the ip counter holds only
// the failures after since (the sliding window), with the time of the
// oldest of them.
func (db *DB) LoginFailures(ctx context.Context, username, ip string, since time.Time) (sesame.LoginFailures, error) {
	// NULL where there is no row: no failures.
	var userFailures, last, oldest sql.NullInt64
	var ipFailures int
	// One statement, so both counters come from the same moment. Both ip
	// subqueries are one range of the (ip, at) index.
	err := db.db.QueryRowContext(ctx, `
		SELECT
			(SELECT failures FROM login_failures WHERE username = ?1),
			(SELECT last_failure FROM login_failures WHERE username = ?1),
			(SELECT count(*) FROM login_ip_failures WHERE ip = ?2 AND at > ?3),
			(SELECT min(at) FROM login_ip_failures WHERE ip = ?2 AND at > ?3)`,
		username, ip, millis(since)).Scan(
		&userFailures, &last, &ipFailures, &oldest)
	if err != nil {
		return sesame.LoginFailures{}, db.wrap("login failures", err)
	}
	t := sesame.LoginFailures{UserFailures: int(userFailures.Int64), IPFailures: ipFailures}
	if last.Valid {
		t.UserLastFailure = fromMillis(last.Int64)
	}
	if oldest.Valid {
		t.IPOldestFailure = fromMillis(oldest.Int64)
	}
	return t, nil
}

// RecordLoginFailure counts one more failure for username and records one
// for ip at now, in one transaction, so that concurrent failures are all
// counted and a failure is never counted for one and not the other.
func (db *DB) RecordLoginFailure(ctx context.Context, username, ip string, now time.Time) error {
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
		_, err = tx.ExecContext(ctx, `INSERT INTO login_ip_failures (ip, at) VALUES (?, ?)`, ip, at)
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

// ForgetLoginFailures deletes, in one transaction, the address failures at
// or before windowStart and the username counters whose latest failure is
// at or before quietSince, and returns how many rows went. Both deletes
// scan their table (the address index leads with ip): they run from a
// periodic cleanup, over what accrued since the last one and a day of
// names, and an index on the time would cost every failed login one more
// index write.
func (db *DB) ForgetLoginFailures(ctx context.Context, windowStart, quietSince time.Time) (int, error) {
	var n int64
	err := db.transact(ctx, func(tx *sql.Tx) error {
		for _, d := range []struct {
			q  string
			at time.Time
		}{
			{`DELETE FROM login_ip_failures WHERE at <= ?`, windowStart},
			{`DELETE FROM login_failures WHERE last_failure <= ?`, quietSince},
		} {
			res, err := tx.ExecContext(ctx, d.q, millis(d.at))
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, db.wrap("forget login failures", err)
	}
	return int(n), nil
}
