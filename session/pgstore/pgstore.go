// Package pgstore is a session.Store in PostgreSQL, through a pgx v5
// connection pool. Every process that uses the same database sees every
// change at once, so it serves any number of processes on any number of
// machines.
//
// The pool is the caller's, and may be the one the program uses for its
// own data. New creates and upgrades the store's tables by numbered
// migrations of its own, recorded in the table session_schema_migrations,
// in the pool's current schema (the first of its search_path): to keep the
// sessions apart from the program's tables, give the pool a search_path
// that starts with a schema of their own. Several processes may call New
// at once on one database; an advisory lock lets one upgrade while the
// others wait.
//
// PostgreSQL does not drop dead sessions by itself: run Manager.Cleanup
// for as long as the program serves. Every call is one statement, and so
// one round trip, except Create with a limit (a short transaction) and
// Rotate when it lost a race and must tell a conflict from a deletion.
//
// A call that cannot reach the database returns an error, never
// session.ErrNotFound, so the Manager answers 503 rather than signing the
// user out; bound calls with the request's context. After the server
// restarts, or the network drops, a pooled connection that was used within
// the last second (pgxpool pings only those idle longer before handing
// them out) fails the one call that finds it dead, and the pool replaces
// it: a restart costs at most one failed call per pooled connection.
package pgstore

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/internal/migrate"
	"github.com/sesamehq/sesame/internal/migrate/pgmigrate"
	"github.com/sesamehq/sesame/session"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the store's schema versions; a broken embed is a build
// mistake that New reports and the tests catch.
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations/*.sql")

// versionTable records the versions applied, apart from those of any other
// tables the schema holds.
const versionTable = "session_schema_migrations"

// Store is a session.Store over a *pgxpool.Pool.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ session.Store  = (*Store)(nil)
	_ session.Pinger = (*Store)(nil)
)

// errTaken refuses a hash or id that another session already has.
var errTaken = errors.New("pgstore: hash or id already exists")

// New returns a Store over pool, creating or upgrading its tables. It
// refuses a schema that a newer program has upgraded (matching
// migrate.ErrTooNew). The caller keeps pool and closes it.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if migrationsErr != nil {
		return nil, fmt.Errorf("pgstore: %w", migrationsErr)
	}
	if _, err := pgmigrate.Apply(ctx, pool, versionTable, migrations); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Ping checks that the database answers. It makes Store a session.Pinger,
// so that Manager.Ping covers the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}

// Create implements session.Store. The insert also refuses a hash that is
// another session's previous one, which no constraint covers, so that Get
// never finds two sessions.
//
// With a limit, the eviction and the insert run in one transaction that
// first takes an advisory lock on the user: concurrent sign-ins of one
// user, in any process, wait for one another, and each counts the sessions
// the others stored. A row lock would not do: a user without sessions has
// no row to lock. The lock is taken by a statement of its own, before the
// one that counts, because each statement in READ COMMITTED reads the
// data committed when it starts.
func (s *Store) Create(ctx context.Context, r session.Record, limit int) ([]session.Session, error) {
	insert := func(q querier) error {
		tag, err := q.Exec(ctx, `INSERT INTO sessions (`+columns+`)
			SELECT $1::bytea, $2::bytea, $3::timestamptz, $4::text, $5::text, $6::timestamptz,
				$7::timestamptz, $8::timestamptz, $9::timestamptz, $10::text, $11::text, $12::text,
				$13::boolean, $14::timestamptz, $15::timestamptz, $16::bytea
			WHERE NOT EXISTS (SELECT FROM sessions WHERE prev_hash = $1 OR hash = $2)`,
			r.Hash[:], hashArg(r.PrevHash), timeArg(r.PrevValidUntil), r.ID, r.UserID, r.CreatedAt,
			r.LastSeenAt, r.IdleExpiresAt, r.ExpiresAt, r.IP, r.UserAgent, r.LastIP,
			r.Remember, timeArg(r.AuthenticatedAt), timeArg(r.TokenIssuedAt), r.Data)
		if err == nil && tag.RowsAffected() == 0 {
			err = errTaken
		}
		return err
	}
	if limit <= 0 {
		if err := insert(s.pool); err != nil {
			return nil, fmt.Errorf("pgstore: create: %w", err)
		}
		return nil, nil
	}
	var evicted []session.Session
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('sesame.session.user.' || $1, 0))`,
			r.UserID); err != nil {
			return err
		}
		// The user's live sessions beyond limit-1, least recently used
		// first, make room for r.
		var err error
		evicted, err = collect(tx.Query(ctx, `
			DELETE FROM sessions WHERE id IN (
				SELECT id FROM sessions WHERE user_id = $1 AND idle_expires_at > $2
				ORDER BY last_seen_at, id
				LIMIT greatest(0, (SELECT count(*) FROM sessions WHERE user_id = $1 AND idle_expires_at > $2) + 1 - $3)
			) RETURNING `+columns, r.UserID, r.CreatedAt, limit))
		if err != nil {
			return err
		}
		return insert(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: create: %w", err)
	}
	return evicted, nil
}

// Get implements session.Store: one statement, by the current hash or the
// previous one, each through its index.
func (s *Store) Get(ctx context.Context, h session.Hash) (session.Record, error) {
	r, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM sessions WHERE hash = $1
		UNION ALL SELECT `+columns+` FROM sessions WHERE prev_hash = $1 LIMIT 1`, h[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return session.Record{}, session.ErrNotFound
	}
	if err != nil {
		return session.Record{}, fmt.Errorf("pgstore: get: %w", err)
	}
	return r, nil
}

// Touch implements session.Store.
func (s *Store) Touch(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id = $3`,
		lastSeen, idleExpiresAt, id)
	if err != nil {
		return fmt.Errorf("pgstore: touch: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return session.ErrNotFound
	}
	return nil
}

// Rotate implements session.Store with one conditional UPDATE, atomic like
// any statement: of several racing for the same current hash, the first
// changes the row and the others, waiting for its lock, then find a hash
// that is no longer theirs. The same statement reads why it changed
// nothing: the session missing, its hash another, or the new hash taken.
func (s *Store) Rotate(ctx context.Context, id string, cur session.Hash, rn session.Renewal) error {
	var (
		updated, taken bool
		hash           []byte
	)
	err := s.pool.QueryRow(ctx, `
		WITH cur AS (SELECT hash FROM sessions WHERE id = $9),
		taken AS (
			SELECT FROM sessions
			WHERE hash = $1 OR prev_hash = $1 OR (id <> $9 AND (hash = $2 OR prev_hash = $2))
		),
		upd AS (
			UPDATE sessions SET hash = $1, prev_hash = $2, prev_valid_until = $3, token_issued_at = $4,
				last_seen_at = $5, idle_expires_at = $6, last_ip = $7,
				authenticated_at = coalesce($8, authenticated_at)
			WHERE id = $9 AND ($10::bytea IS NULL OR hash = $10) AND NOT EXISTS (SELECT FROM taken)
			RETURNING 1
		)
		SELECT EXISTS (SELECT FROM upd), (SELECT hash FROM cur), EXISTS (SELECT FROM taken)`,
		rn.Hash[:], hashArg(rn.PrevHash), timeArg(rn.PrevValidUntil), rn.IssuedAt,
		rn.LastSeenAt, rn.IdleExpiresAt, rn.LastIP, timeArg(rn.AuthenticatedAt), id, hashArg(cur),
	).Scan(&updated, &hash, &taken)
	switch {
	case err != nil:
		return fmt.Errorf("pgstore: rotate: %w", err)
	case updated:
		return nil
	case hash == nil:
		return session.ErrNotFound
	case !cur.IsZero() && !bytes.Equal(hash, cur[:]):
		return session.ErrConflict
	case taken:
		return fmt.Errorf("pgstore: rotate: %w", errTaken)
	}
	// The statement read the row as named, but it was changed or deleted
	// before the UPDATE could lock it: by a concurrent Rotate (a conflict)
	// or Delete (gone). Ask which.
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM sessions WHERE id = $1)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("pgstore: rotate: %w", err)
	}
	if exists {
		return session.ErrConflict
	}
	return session.ErrNotFound
}
