package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sesamehq/sesame/session"
)

// querier is what *sql.DB and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// immediate runs fn in a transaction that takes the write lock at once
// (BEGIN IMMEDIATE) on a connection of its own, whatever the handle's DSN
// says, and commits it when fn returns nil. A deferred transaction that
// reads and then writes can fail halfway with SQLITE_BUSY when another
// writer commits in between, without its busy handler being asked.
func (s *Store) immediate(ctx context.Context, fn func(c *sql.Conn) error) (err error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Cut loose from ctx: a cancelled request must not leave the
			// connection inside a transaction, back in the pool.
			_, _ = c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(c); err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, "COMMIT")
	return err
}

// deleteReturning runs a DELETE … RETURNING columns and returns the
// sessions it removed: deleting and reading back in one statement reports
// a session only if this call removed it.
func deleteReturning(ctx context.Context, q querier, query string, args ...any) ([]session.Session, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows)
}

func scanAll(rows *sql.Rows) ([]session.Session, error) {
	defer rows.Close()
	var list []session.Session
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, r.Session)
	}
	return list, rows.Err()
}

func scan(row interface{ Scan(...any) error }) (session.Record, error) {
	var (
		r                              session.Record
		hash, prev                     []byte
		prevUntil, created, seen, idle int64
		expires, authenticated, issued int64
	)
	err := row.Scan(&hash, &prev, &prevUntil, &r.ID, &r.UserID, &created, &seen, &idle, &expires,
		&r.IP, &r.UserAgent, &r.LastIP, &r.Remember, &authenticated, &issued, &r.Data)
	if err != nil {
		return session.Record{}, err
	}
	if len(hash) != len(r.Hash) || prev != nil && len(prev) != len(r.PrevHash) {
		return session.Record{}, fmt.Errorf("stored hash has %d bytes (previous %d)", len(hash), len(prev))
	}
	copy(r.Hash[:], hash)
	copy(r.PrevHash[:], prev)
	r.PrevValidUntil, r.CreatedAt, r.LastSeenAt = fromMS(prevUntil), fromMS(created), fromMS(seen)
	r.IdleExpiresAt, r.ExpiresAt = fromMS(idle), fromMS(expires)
	r.AuthenticatedAt, r.TokenIssuedAt = fromMS(authenticated), fromMS(issued)
	return r, nil
}

// oneRow turns a statement that changed no row into session.ErrNotFound.
func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

// hashArg is h as a query argument: NULL for the zero hash, which stands
// for none.
func hashArg(h session.Hash) any {
	if h.IsZero() {
		return nil
	}
	return h[:]
}

// Times are stored as Unix milliseconds: compact, indexable, and compared as
// integers. Sub-millisecond precision is not worth keeping for sessions. The
// zero time, which some fields use for "none", is stored as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
