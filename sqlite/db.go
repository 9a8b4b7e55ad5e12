// Package sqlite stores the app data of sesame (users, roles, the shop, the
// audit trail and login throttling) in one SQLite file, through the pure-Go
// driver modernc.org/sqlite. *DB implements auth.Store, shop.Store and
// audit.Store.
//
// The schema is created and upgraded by embedded, numbered migrations that
// Open applies. Sessions may live in the same file: the session store shares
// the handle returned by SQL and owns its own tables.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/internal/stmtcache"
	msqlite "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// maxOpenConns bounds the pool. SQLite has one writer at a time whatever
// the pool size, and every write here starts with BEGIN IMMEDIATE, so extra
// writers only wait (in SQLite's busy handler, up to busy_timeout); WAL lets
// readers run beside the writer, which is what more connections buy. A few
// are enough for a two-core machine, keep the number of goroutines polling
// the write lock small (the rest queue in database/sql, which wakes them at
// once), and leave room for the session store sharing the handle. It must
// stay above one: a caller that holds a transaction and touches the pool
// again would otherwise wait for itself. Other processes on the same file
// are kept in order by busy_timeout alone.
const maxOpenConns = 8

// busyTimeout is how long a statement waits for a lock held by another
// connection or process before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// DB is the SQLite store of the app data. It is safe for concurrent use.
type DB struct {
	db     *sql.DB
	q      *stmtcache.Cache // every query goes through it, parsed once per connection
	closed atomic.Bool      // after Close, every error is an outage, not a bug
}

// Open opens (creating it if needed) the SQLite file at path, checks that it
// answers and brings its schema up to date. It refuses, with an error
// matching ErrSchemaTooNew, a file whose schema is newer than this program.
// Several processes may open the same file at once.
func Open(ctx context.Context, path string) (*DB, error) {
	if migrationsErr != nil {
		return nil, fmt.Errorf("sqlite: open: %w", migrationsErr)
	}
	sdb, err := OpenSQL(ctx, path)
	if err != nil {
		return nil, err
	}
	db := &DB{db: sdb, q: stmtcache.New(sdb)}
	if err := db.migrate(ctx); err != nil {
		_ = sdb.Close() // best effort: the migration's error is the one to report
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// OpenSQL opens (creating it if needed) the SQLite file at path as a plain
// handle, set up as Open sets up its own (see dataSourceName) but without
// the app schema: for a session store in a file of its own.
func OpenSQL(ctx context.Context, path string) (*sql.DB, error) {
	dsn, err := dataSourceName(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(maxOpenConns)
	// Keep idle connections: each one carries its pragmas and page cache.
	sdb.SetMaxIdleConns(maxOpenConns)
	if err := connect(ctx, sdb); err != nil {
		_ = sdb.Close() // best effort: the connection's error is the one to report
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return sdb, nil
}

// dataSourceName turns a file path into a driver DSN. The path is made
// absolute and written as a file: URI with every character that means
// something in a URI (?, #, %) percent-encoded, so that no path can smuggle
// in query parameters or lose its tail.
//
// The parameters: busy_timeout waits for other connections and processes
// instead of failing at once; WAL lets readers run while one writer writes;
// foreign_keys is off by default in SQLite and the schema relies on it;
// synchronous=NORMAL is safe in WAL mode (a power cut can lose the last
// commits, never corrupt the file); _txlock=immediate makes every
// read-write transaction take the write lock at BEGIN, so that a
// read-then-write transaction (checkout, migrations) cannot fail halfway
// with SQLITE_BUSY and two of them serialize instead of racing. Read-only
// transactions (sql.TxOptions{ReadOnly: true}) still begin deferred.
func dataSourceName(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:///C:/...
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String(), nil
}

// connect makes the first connection, which turns a new file to WAL mode.
// Two processes doing that to one new file at once can get SQLITE_BUSY
// without SQLite's busy handler being asked: one holds a read lock the
// other's switch must wait out, and SQLite fails at once rather than risk a
// deadlock. So connect retries while the file is busy, for as long as
// busy_timeout would have waited. Once the file is in WAL mode (it stays so)
// every later connection's pragma is a no-op.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Close closes the database. The session store, if it shares the handle,
// must be done with it first.
func (db *DB) Close() error {
	db.closed.Store(true)
	if err := errors.Join(db.q.Close(), db.db.Close()); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers; readiness probes call it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return db.wrap("ping", err)
	}
	return nil
}

// SQL returns the underlying handle, for the session store that keeps its
// tables in the same file. Its read-write transactions begin IMMEDIATE.
func (db *DB) SQL() *sql.DB { return db.db }

// querier is what *sql.DB and *sql.Tx have in common, so that a read can
// run alone or inside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// transact runs fn in one read-write transaction (BEGIN IMMEDIATE, see
// dataSourceName) and commits it when fn returns nil. Anything else rolls
// it back, so nothing is ever half-written.
func (db *DB) transact(ctx context.Context, fn func(tx querier) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(db.q.Tx(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// millis and fromMillis are the one pair of conversions between time.Time
// and the INTEGER Unix milliseconds UTC that the schema stores.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// constraint returns the extended SQLite result code of err when it is a
// constraint violation (sqlite3.SQLITE_CONSTRAINT_*), else 0. Errors are told
// apart by code, never by their text.
func constraint(err error) int {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return se.Code()
	}
	return 0
}

// wrap names the operation that failed and marks an outage, so that the
// front ends can answer "try again later" instead of "bug": a lock held
// past busy_timeout, a full disk, a file that cannot be read or written, or
// a database already closed.
func (db *DB) wrap(op string, err error) error {
	var se *msqlite.Error
	if db.closed.Load() || errors.As(err, &se) && outage[se.Code()&0xff] {
		return fmt.Errorf("sqlite: %s: %w: %w", op, sesame.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// outage holds the primary SQLite result codes that say the database cannot
// serve right now, as opposed to a mistake in the request or the program.
var outage = map[int]bool{
	sqlite3.SQLITE_BUSY:     true,
	sqlite3.SQLITE_LOCKED:   true,
	sqlite3.SQLITE_IOERR:    true,
	sqlite3.SQLITE_FULL:     true,
	sqlite3.SQLITE_CANTOPEN: true,
	sqlite3.SQLITE_READONLY: true,
	sqlite3.SQLITE_NOMEM:    true,
	sqlite3.SQLITE_PROTOCOL: true,
}

// isBusy reports whether err is SQLITE_BUSY or one of its extended codes.
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// violation: the row already exists.
func isUniqueViolation(err error) bool {
	c := constraint(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// notFound maps sql.ErrNoRows to an error matching sesame.ErrNotFound, and
// passes any other error through.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, sesame.ErrNotFound)
	}
	return err
}
