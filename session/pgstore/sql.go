package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sesamehq/sesame/session"
)

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// columns are the columns of sessions in the order scan reads them.
const columns = `hash, prev_hash, prev_valid_until, id, user_id, created_at, last_seen_at,
	idle_expires_at, expires_at, ip, user_agent, last_ip, remember, authenticated_at, token_issued_at, data`

// collect reads the sessions of rows, such as those of a DELETE …
// RETURNING: deleting and reading back in one statement reports a session
// only if this call removed it, so that two sweeps at once never report
// one session twice.
func collect(rows pgx.Rows, err error) ([]session.Session, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (session.Session, error) {
		r, err := scan(row)
		return r.Session, err
	})
}

func scan(row pgx.Row) (session.Record, error) {
	var (
		r                                session.Record
		hash, prev                       []byte
		created, seen, idle, expires     time.Time
		prevUntil, authenticated, issued pgtype.Timestamptz
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
	r.CreatedAt, r.LastSeenAt, r.IdleExpiresAt, r.ExpiresAt = created.UTC(), seen.UTC(), idle.UTC(), expires.UTC()
	r.PrevValidUntil, r.AuthenticatedAt, r.TokenIssuedAt = fromNull(prevUntil), fromNull(authenticated), fromNull(issued)
	return r, nil
}

// hashArg is h as a query argument: NULL for the zero hash, which stands
// for none.
func hashArg(h session.Hash) any {
	if h.IsZero() {
		return nil
	}
	return h[:]
}

// timeArg is t as a query argument: NULL for the zero time, which some
// fields use for "none". pgx sends the instant; the location is lost and
// times come back in UTC.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func fromNull(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
