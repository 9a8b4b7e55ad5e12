package postgres

import (
	"context"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame/auth"
)

// selectFailures reads the counters of a username ($1) and of an address
// ($2) after a time ($3) in one statement, so that both come from the same
// moment. Both address subqueries are one range of the (ip, at) index.
const selectFailures = `
SELECT
	(SELECT failures FROM login_failures WHERE username = $1),
	(SELECT last_failure FROM login_failures WHERE username = $1),
	(SELECT count(*) FROM login_ip_failures WHERE ip = $2 AND at > $3),
	(SELECT min(at) FROM login_ip_failures WHERE ip = $2 AND at > $3)`

// scanFailures reads the row of selectFailures; NULL means no failures.
func scanFailures(row pgx.Row) (auth.Failures, error) {
	var (
		userFailures   *int
		last, oldest   *time.Time
		f              auth.Failures
		ipFailureCount int
	)
	if err := row.Scan(&userFailures, &last, &ipFailureCount, &oldest); err != nil {
		return auth.Failures{}, err
	}
	f.IPFailures = ipFailureCount
	if userFailures != nil {
		f.UserFailures = *userFailures
	}
	if last != nil {
		f.UserLastFailure = fromDB(*last)
	}
	if oldest != nil {
		f.IPOldestFailure = fromDB(*oldest)
	}
	return f, nil
}

// LoginFailures returns the failed-login counters for username and ip; a
// name or address without failures has zero counters. The username counter
// is returned whatever its age; the ip counter holds only the failures
// after since (the sliding window), with the time of the oldest of them.
func (db *DB) LoginFailures(ctx context.Context, username, ip string, since time.Time) (auth.Failures, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	f, err := scanFailures(db.pool.QueryRow(ctx, selectFailures, username, ip, ms(since)))
	if err != nil {
		return auth.Failures{}, db.wrap("login failures", err)
	}
	return f, nil
}

// BeginAttempt implements auth.Store, exactly across every process on the
// database.
//
// Row locks cannot serialize it: a name or an address without failures has
// no row to lock, and an address's failures are many rows, to which a
// concurrent attempt adds one that no lock taken before covers. So the
// transaction first takes two transaction-scoped advisory locks, one named
// after the username and one after the address (in this schema), and only
// then reads the counters: every other attempt for the same name or the
// same address, in any process, waits until this one has counted itself
// and committed, and then reads counters that include it. Under READ
// COMMITTED each statement sees what was committed before it began, so
// the read that follows the locks sees every attempt that held them
// before. The two locks are taken in the order of their keys, the same in
// every transaction, so that two attempts can never each hold the lock
// the other waits for. They are released at commit or rollback, also when
// the client vanishes (idle_in_transaction_session_timeout ends its
// session), so no lock outlives its attempt.
//
// SERIALIZABLE would also do, but would fail a burst of attempts on one
// address with serialization errors to retry; waiting in line costs less.
// The locks, the read and the count are two round trips inside the
// transaction: the locks and the read go in one batch.
func (db *DB) BeginAttempt(ctx context.Context, username, ip string, now, since time.Time, allow func(auth.Failures) error) (auth.Attempt, error) {
	a := auth.Attempt{Username: username, IP: ip, At: now}
	keys := []int64{db.lockKey("throttle.user", username), db.lockKey("throttle.ip", ip)}
	slices.Sort(keys)
	keys = slices.Compact(keys) // a collision of the two names: one lock serves both
	var refused error
	err := db.transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var f auth.Failures
		b := &pgx.Batch{}
		for _, k := range keys {
			b.Queue(`SELECT pg_advisory_xact_lock($1)`, k)
		}
		b.Queue(selectFailures, username, ip, ms(since)).QueryRow(func(row pgx.Row) error {
			var err error
			f, err = scanFailures(row)
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if refused = allow(f); refused != nil {
			return refused
		}
		return tx.QueryRow(ctx, `
			WITH name AS (
				INSERT INTO login_failures (username, failures, last_failure) VALUES ($1, 1, $3)
				ON CONFLICT (username) DO UPDATE SET
					failures = login_failures.failures + 1,
					last_failure = excluded.last_failure
			)
			INSERT INTO login_ip_failures (ip, at) VALUES ($2, $3) RETURNING id`,
			username, ip, ms(now)).Scan(&a.Mark)
	})
	switch {
	case refused != nil: // rolled back; a failed rollback ends the connection, and its locks with it
		return auth.Attempt{}, refused
	case err != nil:
		return auth.Attempt{}, db.wrap("begin login attempt", err)
	}
	return a, nil
}

// lockKey names an advisory lock: kind and name within this schema, hashed
// to the 64 bits that pg_advisory_xact_lock takes. Two names whose hashes
// collide only wait for each other, which is safe.
func (db *DB) lockKey(kind, name string) int64 {
	h := fnv.New64a()
	for _, part := range []string{"sesame", db.lockSpace, kind, name} {
		_, _ = h.Write([]byte(part)) // a hash.Hash never fails to write
		_, _ = h.Write([]byte{0})    // no part can run into the next
	}
	return int64(h.Sum64()) // #nosec G115 -- the bits as they are: any int64 names a lock
}

// SucceedAttempt implements auth.Store: in one statement, it forgets the
// failures of the attempt's username and the address failure the attempt
// recorded (by its id, which is never given out again).
func (db *DB) SucceedAttempt(ctx context.Context, a auth.Attempt) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	_, err := db.pool.Exec(ctx, `
		WITH name AS (DELETE FROM login_failures WHERE username = $1)
		DELETE FROM login_ip_failures WHERE id = $2 AND ip = $3`,
		a.Username, a.Mark, a.IP)
	if err != nil {
		return db.wrap("succeed login attempt", err)
	}
	return nil
}

// ForgetLoginFailures deletes, in one statement, the address failures at
// or before windowStart and the username counters whose latest failure is
// at or before quietSince, and returns how many rows went. Each delete is a
// range of an index on its time.
func (db *DB) ForgetLoginFailures(ctx context.Context, windowStart, quietSince time.Time) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	err := db.pool.QueryRow(ctx, `
		WITH ips AS (DELETE FROM login_ip_failures WHERE at <= $1 RETURNING 1),
		names AS (DELETE FROM login_failures WHERE last_failure <= $2 RETURNING 1)
		SELECT (SELECT count(*) FROM ips) + (SELECT count(*) FROM names)`,
		ms(windowStart), ms(quietSince)).Scan(&n)
	if err != nil {
		return 0, db.wrap("forget login failures", err)
	}
	return n, nil
}
