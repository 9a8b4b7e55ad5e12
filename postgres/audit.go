package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// AppendEvent stores e and sets its ID, the next of an identity sequence.
// A UserID or TargetID of 0 is stored as NULL: no known user.
func (db *DB) AppendEvent(ctx context.Context, e *sesame.Event) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO audit_events
			(time, user_id, username, target_id, target_name, action, outcome, session_id, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		ms(e.Time), nullID(e.UserID), e.Username, nullID(e.TargetID), e.TargetName, string(e.Action),
		string(e.Outcome), e.SessionID, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	if err != nil {
		return db.wrap("append event", err)
	}
	return nil
}

// nullID is id, or NULL for 0.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

const eventColumns = `id, time, user_id, username, target_id, target_name, action, outcome, session_id, ip, user_agent, detail`

// scanEvent reads the eventColumns of one row.
func scanEvent(row pgx.CollectableRow) (sesame.Event, error) {
	var (
		e               sesame.Event
		user, target    *int64
		action, outcome string
	)
	err := row.Scan(&e.ID, &e.Time, &user, &e.Username, &target, &e.TargetName, &action, &outcome,
		&e.SessionID, &e.IP, &e.UserAgent, &e.Detail)
	e.Time = fromDB(e.Time)
	e.Action, e.Outcome = sesame.Action(action), sesame.Outcome(outcome)
	if user != nil {
		e.UserID = *user
	}
	if target != nil {
		e.TargetID = *target
	}
	return e, err
}

// Events returns the events that q selects, newest first (by id, which is
// the order they were stored in), at most p.Limit after p.Cursor, and the
// cursor of what follows: keyset paging, so that events recorded while a
// trail is read never shift the stretches that follow. Events stored
// without a known user involve no user, not even 0.
//
// The events that involve a user are those they did and those done to
// them: two ranges of two indexes, each read newest first up to the limit
// and merged, so that neither is read past the stretch.
func (db *DB) Events(ctx context.Context, q audit.Query, p sesame.Paging) ([]sesame.Event, string, error) {
	p, before, err := pageBounds(p)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	args := []any{before, p.Limit + 1}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"id < $1"}
	if q.Action != "" {
		where = append(where, "action = "+arg(string(q.Action)))
	}
	if q.Outcome != "" {
		where = append(where, "outcome = "+arg(string(q.Outcome)))
	}
	cond := strings.Join(where, " AND ")
	var query string
	if q.UserID != 0 {
		user := arg(q.UserID)
		involving := func(col string) string {
			return `(SELECT ` + eventColumns + ` FROM audit_events WHERE ` + col + ` = ` + user + ` AND ` + cond +
				` ORDER BY id DESC LIMIT $2)`
		}
		query = `SELECT ` + eventColumns + ` FROM (` + involving("user_id") + ` UNION ` + involving("target_id") +
			`) e ORDER BY id DESC LIMIT $2`
	} else {
		query = `SELECT ` + eventColumns + ` FROM audit_events WHERE ` + cond + ` ORDER BY id DESC LIMIT $2`
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	events, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	if events == nil {
		events = []sesame.Event{}
	}
	events, next := sesame.Cut(p, events, func(e sesame.Event) int64 { return e.ID })
	return events, next, nil
}

// deleteBatch is the most events that one statement of DeleteEventsBefore
// removes: the first sweep after a long time may find millions, and one
// statement for all of them would outlast statement_timeout and hold its
// locks and WAL for that long.
const deleteBatch = 5000

// DeleteEventsBefore removes the events older than t, a range of the time
// index, a batch per statement, and returns how many it removed. A call
// that stops at its deadline has removed the batches before; the next
// sweep removes the rest.
func (db *DB) DeleteEventsBefore(ctx context.Context, t time.Time) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	total := 0
	for {
		tag, err := db.pool.Exec(ctx, `DELETE FROM audit_events WHERE id IN (
			SELECT id FROM audit_events WHERE time < $1 LIMIT $2)`, ms(t), deleteBatch)
		if err != nil {
			return total, db.wrap("delete events", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < deleteBatch {
			return total, nil
		}
	}
}
