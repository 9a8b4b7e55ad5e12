// Package sqlitestore is a session.Store in a SQLite database, through
// database/sql. Every process that opens the same file sees every change at
// once, so it serves several processes on one machine.
//
// It works with any SQLite driver for database/sql; sesame uses
// modernc.org/sqlite. Open the database with a busy timeout, so that writers
// of other processes are waited for rather than failed, and in WAL mode, so
// that readers never wait for the writer. New creates and upgrades the
// store's tables by numbered migrations of its own, recorded in the table
// session_schema_migrations.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/stmtcache"
	"github.com/sesamehq/sesame/session"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the store's schema versions; a broken embed is a build
// mistake that New reports and the tests catch.
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations/*.sql")

// versionTable records the versions applied, apart from those of any other
// tables the database holds.
const versionTable = "session_schema_migrations"

// Store is a session.Store over a *sql.DB. Its statements are prepared
// once per connection: parsing them again costs more than running them.
type Store struct {
	db *sql.DB
	q  *stmtcache.Cache
}

var (
	_ session.Store  = (*Store)(nil)
	_ session.Pinger = (*Store)(nil)
)

// New returns a Store over db, creating or upgrading its tables. It refuses
// a database that a newer program has upgraded (matching migrate.ErrTooNew).
// The caller keeps db and closes it.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if migrationsErr != nil {
		return nil, fmt.Errorf("sqlitestore: %w", migrationsErr)
	}
	if _, err := migrate.SQLite(ctx, db, versionTable, migrations); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	return &Store{db: db, q: stmtcache.New(db)}, nil
}

// Close releases the store's prepared statements; the caller still closes
// db.
func (s *Store) Close() error { return s.q.Close() }

// Ping checks that the database answers. It makes Store a session.Pinger,
// so that Manager.Ping covers the database.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

const columns = `hash, prev_hash, prev_valid_until, id, user_id, created_at, last_seen_at,
	idle_expires_at, expires_at, ip, user_agent, last_ip, remember, authenticated_at, token_issued_at, data`

// Create implements session.Store. With a limit, the eviction and the
// insert run in one IMMEDIATE transaction: it holds the write lock from the
// first read, so concurrent sign-ins of one user, in any process, count
// each other's sessions.
func (s *Store) Create(ctx context.Context, r session.Record, limit int) ([]session.Session, error) {
	insert := func(q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO sessions (`+columns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hashArg(r.Hash), hashArg(r.PrevHash), ms(r.PrevValidUntil), r.ID, r.UserID, ms(r.CreatedAt),
			ms(r.LastSeenAt), ms(r.IdleExpiresAt), ms(r.ExpiresAt), r.IP, r.UserAgent, r.LastIP,
			r.Remember, ms(r.AuthenticatedAt), ms(r.TokenIssuedAt), r.Data)
		return err
	}
	if limit <= 0 {
		if err := insert(s.q); err != nil {
			return nil, fmt.Errorf("sqlitestore: create: %w", err)
		}
		return nil, nil
	}
	var evicted []session.Session
	err := s.immediate(ctx, func(c *sql.Conn) error {
		// The user's live sessions beyond limit-1, least recently used
		// first, make room for r.
		var err error
		evicted, err = deleteReturning(ctx, c, `
			DELETE FROM sessions WHERE id IN (
				SELECT id FROM sessions WHERE user_id = ?1 AND idle_expires_at > ?2
				ORDER BY last_seen_at, id
				LIMIT max(0, (SELECT count(*) FROM sessions WHERE user_id = ?1 AND idle_expires_at > ?2) + 1 - ?3)
			) RETURNING `+columns, r.UserID, ms(r.CreatedAt), limit)
		if err != nil {
			return err
		}
		return insert(c)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: create: %w", err)
	}
	return evicted, nil
}

// Get implements session.Store: one read, by the current hash or the
// previous one, each through its index.
func (s *Store) Get(ctx context.Context, h session.Hash) (session.Record, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+columns+` FROM sessions WHERE hash = ?1
		UNION ALL SELECT `+columns+` FROM sessions WHERE prev_hash = ?1 LIMIT 1`, h[:])
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
func (s *Store) Touch(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id = ?`,
		ms(lastSeen), ms(idleExpiresAt), id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: touch: %w", err)
	}
	return nil
}

// Rotate implements session.Store. One UPDATE of the key is atomic: no
// reader ever finds the old state half changed, and of two racing for the
// same current hash only the first finds it.
func (s *Store) Rotate(ctx context.Context, id string, cur session.Hash, rn session.Renewal) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE sessions SET hash = ?1, prev_hash = ?2, prev_valid_until = ?3, token_issued_at = ?4,
			last_seen_at = ?5, idle_expires_at = ?6, last_ip = ?7,
			authenticated_at = CASE WHEN ?8 = 0 THEN authenticated_at ELSE ?8 END
		WHERE id = ?9 AND (?10 IS NULL OR hash = ?10)`,
		rn.Hash[:], hashArg(rn.PrevHash), ms(rn.PrevValidUntil), ms(rn.IssuedAt),
		ms(rn.LastSeenAt), ms(rn.IdleExpiresAt), rn.LastIP, ms(rn.AuthenticatedAt), id, hashArg(cur))
	if err == nil {
		if err = oneRow(res); errors.Is(err, session.ErrNotFound) {
			err = s.conflictOrGone(ctx, id)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: rotate: %w", err)
	}
	return nil
}

// conflictOrGone tells why a Rotate of id changed no row: the session is
// gone (ErrNotFound), or its token was not the one named (ErrConflict).
func (s *Store) conflictOrGone(ctx context.Context, id string) error {
	var exists bool
	if err := s.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?)`, id).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return session.ErrConflict
	}
	return session.ErrNotFound
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, id, userID string) (session.Session, error) {
	gone, err := deleteReturning(ctx, s.q,
		`DELETE FROM sessions WHERE id = ?1 AND (?2 = '' OR user_id = ?2) RETURNING `+columns, id, userID)
	if err != nil {
		return session.Session{}, fmt.Errorf("sqlitestore: delete: %w", err)
	}
	if len(gone) == 0 {
		return session.Session{}, session.ErrNotFound
	}
	return gone[0], nil
}

// DeleteByUser implements session.Store.
func (s *Store) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	gone, err := deleteReturning(ctx, s.q,
		`DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING `+columns, userID, exceptID)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: delete by user: %w", err)
	}
	return gone, nil
}

// List implements session.Store. Each shape of query is written out, so
// that SQLite walks one index in the list's order, the live ones filtered
// as it goes, and stops at the limit.
func (s *Store) List(ctx context.Context, q session.Query) ([]session.Session, error) {
	var where []string
	var args []any
	if q.UserID != "" {
		where, args = append(where, `user_id = ?`), append(args, q.UserID)
	}
	where, args = append(where, `idle_expires_at > ?`), append(args, ms(q.Now))
	if !q.After.IsZero() {
		where, args = append(where, `(created_at, id) < (?, ?)`), append(args, ms(q.After.CreatedAt), q.After.ID)
	}
	limit := -1 // none
	if q.Limit > 0 {
		limit = q.Limit
	}
	// #nosec G202 -- only the fixed fragments above are joined; every value is a placeholder argument
	rows, err := s.q.QueryContext(ctx, `SELECT `+columns+` FROM sessions WHERE `+strings.Join(where, ` AND `)+`
		ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: list: %w", err)
	}
	list, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: list: %w", err)
	}
	return list, nil
}

// Count implements session.Store: a range of the idle deadline's index.
func (s *Store) Count(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE idle_expires_at > ?`, ms(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlitestore: count: %w", err)
	}
	return n, nil
}

// DeleteExpired implements session.Store. The idle deadline alone finds
// every dead session, since it never falls after the absolute one (the
// Store contract), and asking for it alone lets SQLite use its index
// rather than scan the table.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) ([]session.Session, error) {
	gone, err := deleteReturning(ctx, s.q,
		`DELETE FROM sessions WHERE idle_expires_at <= ? RETURNING `+columns, ms(now))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: delete expired: %w", err)
	}
	return gone, nil
}
