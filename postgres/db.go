// Package postgres stores the app data of sesame (users, roles, the shop,
// the audit trail and login throttling) in PostgreSQL, through a pgx v5
// connection pool. *DB implements auth.Store, account.Store, shop.Store and
// audit.Store, and passes the same conformance suite (package datatest) as
// the SQLite store.
//
// Any number of processes, on any number of machines, may share one
// database: every promise of the store interfaces holds across them. How,
// in brief (each method says more):
//
//   - Checkout locks the rows it reads (the user's cart lines and their
//     products, in product id order) and decides on the stock it read under
//     those locks, so that no unit is sold twice; see Checkout.
//   - Login throttling takes transaction-scoped advisory locks on the
//     username and the address, in a fixed order, before it reads the
//     counters, so that attempts in every process run one after the other
//     for each name and address; see BeginAttempt.
//   - Idempotency keys are unique per user in the database itself.
//
// The schema is created and upgraded by embedded, numbered migrations that
// Open applies under an advisory lock, in the pool's current schema (the
// first of its search_path). Sessions may live in the same database and
// pool: session/pgstore owns its own tables beside these (see Pool).
//
// Every error that says the database cannot serve just now (it cannot be
// reached, it is shutting down, a call ran past its deadline, the pool is
// closed) matches sesame.ErrUnavailable, so that the front ends answer 503
// and the request may be retried; errors are told apart by SQLSTATE, never
// by their text.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultCallTimeout bounds each call of a DB unless Options say otherwise:
// a database that accepts connections but does not answer (a frozen server,
// a network that drops packets) must make a request fail with 503 within a
// few seconds, not hold it until the client gives up. A healthy call takes
// milliseconds; even a checkout queued behind others on the same products
// waits for a few short transactions only.
const DefaultCallTimeout = 5 * time.Second

// Options tune a DB. The zero value of each field means its default.
type Options struct {
	// CallTimeout bounds every call of the DB, on top of the caller's own
	// context; default DefaultCallTimeout.
	CallTimeout time.Duration
}

// DB is the PostgreSQL store of the app data. It is safe for concurrent
// use, by several goroutines and by several processes on one database.
type DB struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	// lockSpace names the advisory locks of this database's schema, so that
	// deployments (or tests) in different schemas of one database never
	// wait for each other's locks.
	lockSpace string
	closed    atomic.Bool // after Close, every error is an outage, not a bug
}

// Open connects to the database that url names (a postgres:// or
// postgresql:// URL), with the pool limits of NewPool, and brings its schema
// up to date. It refuses, with an error matching migrate.ErrTooNew, a
// schema that a newer sesame has migrated. Several processes may open the
// same database at once.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	pool, err := NewPool(ctx, url)
	if err != nil {
		return nil, err
	}
	db, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// New returns a DB over pool, whose schema it brings up to date. Close
// closes the pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*DB, error) {
	if migrationsErr != nil {
		return nil, fmt.Errorf("postgres: open: %w", migrationsErr)
	}
	db := &DB{pool: pool, timeout: opts.CallTimeout}
	if db.timeout <= 0 {
		db.timeout = DefaultCallTimeout
	}
	if err := db.findLockSpace(ctx); err != nil {
		return nil, db.wrap("open", err)
	}
	if err := db.migrate(ctx); err != nil {
		return nil, db.wrap("open", err)
	}
	return db, nil
}

// findLockSpace sets the lock space to the current schema: the first
// connection, and so the first sign of a server that does not answer.
func (db *DB) findLockSpace(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var schema *string // NULL when the search_path names no schema that exists
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("the search_path names no schema that exists")
	}
	db.lockSpace = *schema
	return nil
}

// Close closes the pool. The session store, if it shares it, must be done
// with it first.
func (db *DB) Close() error {
	db.closed.Store(true)
	db.pool.Close()
	return nil
}

// Ping checks that the database answers; readiness probes call it.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if err := db.pool.Ping(ctx); err != nil {
		return db.wrap("ping", err)
	}
	return nil
}

// Pool returns the connection pool, for the session store that keeps its
// tables in the same database (session/pgstore), so that one process has
// one set of connections to it.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// bound returns ctx limited to the DB's call timeout.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, db.timeout)
}

// transact runs fn in one transaction, with ctx bounded by the call timeout
// (fn must use the ctx it is given), and commits it when fn returns nil; anything else rolls it back, so nothing is
// ever half-written. Transactions run at READ COMMITTED, PostgreSQL's
// default: each statement sees what was committed when it began, and the
// methods that read and then write take the locks that make that safe.
func (db *DB) transact(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
}

// ms is t as the schema keeps it: whole milliseconds of UTC, as SQLite
// keeps them, so that both stores give back the same times.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// fromDB is a time read back, in UTC whatever the session's time zone.
func fromDB(t time.Time) time.Time { return t.UTC() }
