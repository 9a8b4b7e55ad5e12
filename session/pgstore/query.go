package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, id, userID string) (session.Session, error) {
	gone, err := collect(s.pool.Query(ctx,
		`DELETE FROM sessions WHERE id = $1 AND ($2 = '' OR user_id = $2) RETURNING `+columns, id, userID))
	if err != nil {
		return session.Session{}, fmt.Errorf("pgstore: delete: %w", err)
	}
	if len(gone) == 0 {
		return session.Session{}, session.ErrNotFound
	}
	return gone[0], nil
}

// DeleteByUser implements session.Store.
func (s *Store) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	gone, err := collect(s.pool.Query(ctx,
		`DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING `+columns, userID, exceptID))
	if err != nil {
		return nil, fmt.Errorf("pgstore: delete by user: %w", err)
	}
	return gone, nil
}

// List implements session.Store. The row comparison (created_at, id) <
// (…) and the order match an index, everyone's or the user's, which
// PostgreSQL walks backwards, filtering the live ones as it goes, until it
// has the limit.
func (s *Store) List(ctx context.Context, q session.Query) ([]session.Session, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.UserID != "" {
		where = append(where, `user_id = `+arg(q.UserID))
	}
	where = append(where, `idle_expires_at > `+arg(q.Now))
	if !q.After.IsZero() {
		where = append(where, `(created_at, id) < (`+arg(q.After.CreatedAt)+`, `+arg(q.After.ID)+`)`)
	}
	var limit any // NULL: no limit
	if q.Limit > 0 {
		limit = q.Limit
	}
	list, err := collect(s.pool.Query(ctx, `SELECT `+columns+` FROM sessions WHERE `+strings.Join(where, ` AND `)+`
		ORDER BY created_at DESC, id DESC LIMIT `+arg(limit), args...))
	if err != nil {
		return nil, fmt.Errorf("pgstore: list: %w", err)
	}
	return list, nil
}

// Count implements session.Store: a range of the idle deadline's index.
func (s *Store) Count(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE idle_expires_at > $1`, now).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: count: %w", err)
	}
	return n, nil
}

// DeleteExpired implements session.Store. The idle deadline alone finds
// every dead session, since it never falls after the absolute one (the
// Store contract), and asking for it alone lets PostgreSQL use its index.
// Two sweeps at once (two processes) report each session once: the
// second waits for the first's row locks and then skips the rows it
// deleted.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) ([]session.Session, error) {
	gone, err := collect(s.pool.Query(ctx,
		`DELETE FROM sessions WHERE idle_expires_at <= $1 RETURNING `+columns, now))
	if err != nil {
		return nil, fmt.Errorf("pgstore: delete expired: %w", err)
	}
	return gone, nil
}
