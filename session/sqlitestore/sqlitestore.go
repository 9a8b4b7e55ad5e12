// Package sqlitestore is a session.Store in a SQLite database, through
// database/sql. Every process that opens the same file sees every change at
// once, so it serves several processes on one machine.
//
// It works with any SQLite driver for database/sql; sesame uses
// modernc.org/sqlite. Open the database with a busy timeout, so that writers
// of other processes are waited for rather than failed. The store needs no
// multi-statement transactions: each method is one statement, atomic by
// itself.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sesamehq/sesame/session"
)

// schema is applied by New. The idle deadline is indexed because it is never
// later than the absolute one, so it alone finds every dead session.
const schema = `
CREATE TABLE IF NOT EXISTS sessions (
	hash            BLOB PRIMARY KEY CHECK (length(hash) = 32),
	id              TEXT NOT NULL UNIQUE,
	user_id         TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	last_seen_at    INTEGER NOT NULL,
	idle_expires_at INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	ip              TEXT NOT NULL,
	user_agent      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_idle_expires_at ON sessions (idle_expires_at);
`

// Store is a session.Store over a *sql.DB.
type Store struct {
	db *sql.DB
}

var (
	_ session.Store  = (*Store)(nil)
	_ session.Pinger = (*Store)(nil)
)

// New returns a Store over db, creating its table if it is missing. The
// caller keeps db and closes it.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("sqlitestore: create schema: %w", err)
	}
	return &Store{db: db}, nil
}

// Ping checks that the database answers. It makes Store a session.Pinger,
// so that Manager.Ping covers the database.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Create implements session.Store.
func (s *Store) Create(ctx context.Context, r session.Record) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (hash, id, user_id, created_at, last_seen_at, idle_expires_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Hash[:], r.ID, r.UserID, ms(r.CreatedAt), ms(r.LastSeenAt), ms(r.IdleExpiresAt), ms(r.ExpiresAt), r.IP, r.UserAgent)
	if err != nil {
		return fmt.Errorf("sqlitestore: create: %w", err)
	}
	return nil
}

const columns = `hash, id, user_id, created_at, last_seen_at, idle_expires_at, expires_at, ip, user_agent`

// Get implements session.Store.
func (s *Store) Get(ctx context.Context, h session.Hash) (session.Record, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM sessions WHERE hash = ?`, h[:])
	r, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return session.Record{}, session.ErrNotFound
	}
	if err != nil {
		return session.Record{}, fmt.Errorf("sqlitestore: get: %w", err)
	}
	return r, nil
}

// Touch implements session.Store.
func (s *Store) Touch(ctx context.Context, h session.Hash, lastSeen, idleExpiresAt time.Time) error {
	return s.execOne(ctx, "touch",
		`UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE hash = ?`,
		ms(lastSeen), ms(idleExpiresAt), h[:])
}

// Rotate implements session.Store. One UPDATE of the key is atomic: no
// reader ever finds both hashes or neither.
func (s *Store) Rotate(ctx context.Context, old, new session.Hash) error {
	return s.execOne(ctx, "rotate", `UPDATE sessions SET hash = ? WHERE hash = ?`, new[:], old[:])
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, h session.Hash) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, h[:]); err != nil {
		return fmt.Errorf("sqlitestore: delete: %w", err)
	}
	return nil
}

// DeleteByID implements session.Store.
func (s *Store) DeleteByID(ctx context.Context, userID, id string) error {
	return s.execOne(ctx, "delete by id", `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
}

// ListByUser implements session.Store.
func (s *Store) ListByUser(ctx context.Context, userID string) ([]session.Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: list: %w", err)
	}
	defer rows.Close()
	var list []session.Session
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: list: %w", err)
		}
		list = append(list, r.Session)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: list: %w", err)
	}
	return list, nil
}

// DeleteByUser implements session.Store.
func (s *Store) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	return s.deleteReturning(ctx, "delete by user",
		`DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING `+columns, userID, exceptID)
}

// DeleteExpired implements session.Store. The idle deadline alone finds
// every dead session, since it never falls after the absolute one (the
// Store contract), and asking for it alone lets SQLite use its index
// rather than scan the table.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) ([]session.Session, error) {
	return s.deleteReturning(ctx, "delete expired",
		`DELETE FROM sessions WHERE idle_expires_at <= ? RETURNING `+columns, ms(now))
}

// deleteReturning runs a DELETE … RETURNING columns and returns the
// sessions it removed: deleting and reading back in one statement reports
// a session only if this call removed it.
func (s *Store) deleteReturning(ctx context.Context, op, query string, args ...any) ([]session.Session, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	defer rows.Close()
	var gone []session.Session
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: %s: %w", op, err)
		}
		gone = append(gone, r.Session)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	return gone, nil
}

// execOne runs a statement that must change exactly one row, and reports
// session.ErrNotFound when it changed none.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

func scan(row interface{ Scan(...any) error }) (session.Record, error) {
	var (
		r                            session.Record
		hash                         []byte
		created, seen, idle, expires int64
	)
	err := row.Scan(&hash, &r.ID, &r.UserID, &created, &seen, &idle, &expires, &r.IP, &r.UserAgent)
	if err != nil {
		return session.Record{}, err
	}
	if len(hash) != len(r.Hash) {
		return session.Record{}, fmt.Errorf("stored hash has %d bytes", len(hash))
	}
	copy(r.Hash[:], hash)
	r.CreatedAt, r.LastSeenAt = fromMS(created), fromMS(seen)
	r.IdleExpiresAt, r.ExpiresAt = fromMS(idle), fromMS(expires)
	return r, nil
}

// Times are stored as Unix milliseconds: compact, indexable, and compared as
// integers. Sub-millisecond precision is not worth keeping for sessions.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
