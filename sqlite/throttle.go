package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesamehq/sesame/auth"
)

// loginFailures reads the counters of username (in any case) and ip through
// q; see LoginFailures.
func loginFailures(ctx context.Context, q querier, username, ip string, since time.Time) (auth.Failures, error) {
	// NULL where there is no row: no failures.
	var userFailures, last, oldest sql.NullInt64
	var ipFailures int
	// One statement, so both counters come from the same moment. Both ip
	// subqueries are one range of the (ip, at) index.
	err := q.QueryRowContext(ctx, `
		SELECT
			(SELECT failures FROM login_failures WHERE username = ?1),
			(SELECT last_failure FROM login_failures WHERE username = ?1),
			(SELECT count(*) FROM login_ip_failures WHERE ip = ?2 AND at > ?3),
			(SELECT min(at) FROM login_ip_failures WHERE ip = ?2 AND at > ?3)`,
		username, ip, millis(since)).Scan(&userFailures, &last, &ipFailures, &oldest)
	if err != nil {
		return auth.Failures{}, err
	}
	f := auth.Failures{UserFailures: int(userFailures.Int64), IPFailures: ipFailures}
	if last.Valid {
		f.UserLastFailure = fromMillis(last.Int64)
	}
	if oldest.Valid {
		f.IPOldestFailure = fromMillis(oldest.Int64)
	}
	return f, nil
}

// LoginFailures returns the failed-login counters for username (in any case)
// and ip; a name or address without failures has zero counters. The
// username counter is returned whatever its age; the ip counter holds only
// the failures after since (the sliding window), with the time of the
// oldest of them.
func (db *DB) LoginFailures(ctx context.Context, username, ip string, since time.Time) (auth.Failures, error) {
	f, err := loginFailures(ctx, db.q, username, ip, since)
	if err != nil {
		return auth.Failures{}, db.wrap("login failures", err)
	}
	return f, nil
}

// BeginAttempt implements auth.Store. The transaction begins IMMEDIATE, so
// it holds the write lock from the read of the counters to the counting:
// attempts in this process and in every other one on the file run one
// after the other through it, and none can pass a limit another has
// reached.
func (db *DB) BeginAttempt(ctx context.Context, username, ip string, now, since time.Time, allow func(auth.Failures) error) (auth.Attempt, error) {
	a := auth.Attempt{Username: username, IP: ip, At: now}
	var refused error
	err := db.transact(ctx, func(tx querier) error {
		f, err := loginFailures(ctx, tx, username, ip, since)
		if err != nil {
			return err
		}
		if refused = allow(f); refused != nil {
			return refused
		}
		at := millis(now)
		_, err = tx.ExecContext(ctx, `
			INSERT INTO login_failures (username, failures, last_failure) VALUES (?, 1, ?)
			ON CONFLICT (username) DO UPDATE SET
				failures = failures + 1,
				last_failure = excluded.last_failure`,
			username, at)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO login_ip_failures (ip, at) VALUES (?, ?) RETURNING rowid`,
			ip, at).Scan(&a.Mark)
	})
	switch {
	case refused != nil:
		return auth.Attempt{}, refused
	case err != nil:
		return auth.Attempt{}, db.wrap("begin login attempt", err)
	}
	return a, nil
}

// SucceedAttempt implements auth.Store: it forgets the failures of the
// attempt's username and the address failure the attempt recorded.
func (db *DB) SucceedAttempt(ctx context.Context, a auth.Attempt) error {
	err := db.transact(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE username = ?`, a.Username); err != nil {
			return err
		}
		// The rowid alone could name a later failure once pruning freed it;
		// with the address and the time it names this attempt's only.
		_, err := tx.ExecContext(ctx, `DELETE FROM login_ip_failures WHERE rowid = ? AND ip = ? AND at = ?`,
			a.Mark, a.IP, millis(a.At))
		return err
	})
	if err != nil {
		return db.wrap("succeed login attempt", err)
	}
	return nil
}

// ForgetLoginFailures deletes, in one transaction, the address failures at
// or before windowStart and the username counters whose latest failure is
// at or before quietSince, and returns how many rows went. Each delete is a
// range of an index on its time.
func (db *DB) ForgetLoginFailures(ctx context.Context, windowStart, quietSince time.Time) (int, error) {
	var n int64
	err := db.transact(ctx, func(tx querier) error {
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
