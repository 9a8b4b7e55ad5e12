package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// AppendEvent stores e and sets its ID. A UserID or TargetID of 0 is stored
// as NULL: no known user.
func (db *DB) AppendEvent(ctx context.Context, e *sesame.Event) error {
	err := db.q.QueryRowContext(ctx, `
		INSERT INTO audit_events
			(time, user_id, username, target_id, target_name, action, outcome, session_id, ip, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		millis(e.Time), nullID(e.UserID), e.Username, nullID(e.TargetID), e.TargetName, string(e.Action),
		string(e.Outcome), e.SessionID, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	if err != nil {
		return db.wrap("append event", err)
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

const eventColumns = `id, time, user_id, username, target_id, target_name, action, outcome, session_id, ip, user_agent, detail`

// scanEvent reads the eventColumns of one row.
func scanEvent(row interface{ Scan(...any) error }) (sesame.Event, error) {
	var (
		e            sesame.Event
		at           int64
		user, target sql.NullInt64
	)
	err := row.Scan(&e.ID, &at, &user, &e.Username, &target, &e.TargetName, &e.Action, &e.Outcome,
		&e.SessionID, &e.IP, &e.UserAgent, &e.Detail)
	e.Time = fromMillis(at)
	e.UserID, e.TargetID = user.Int64, target.Int64
	return e, err
}

// Events returns the events that q selects, newest first (by id, which is
// the order they were stored in), at most p.Limit after p.Cursor, and the
// cursor of what follows. Events stored without a known user involve no
// user, not even 0.
//
// The events that involve a user are those they did and those done to
// them: two ranges of two indexes, each read newest first up to the limit
// and merged, so that neither is read past the page.
func (db *DB) Events(ctx context.Context, q audit.Query, p sesame.Paging) ([]sesame.Event, string, error) {
	p, before, err := pageBounds(p)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	where, args := []string{"id < ?"}, []any{before}
	if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, string(q.Action))
	}
	if q.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, string(q.Outcome))
	}
	cond := strings.Join(where, " AND ")
	var query string
	switch {
	case q.UserID != 0:
		involving := func(col string) string {
			return `SELECT * FROM (SELECT * FROM audit_events WHERE ` + col + ` = ? AND ` + cond + ` ORDER BY id DESC LIMIT ?)`
		}
		query = `SELECT ` + eventColumns + ` FROM (` + involving("user_id") + ` UNION ` + involving("target_id") +
			`) ORDER BY id DESC LIMIT ?`
		one := append(append([]any{q.UserID}, args...), p.Limit+1)
		args = append(append(one, one...), p.Limit+1)
	default:
		query = `SELECT ` + eventColumns + ` FROM audit_events WHERE ` + cond + ` ORDER BY id DESC LIMIT ?`
		args = append(args, p.Limit+1)
	}
	rows, err := db.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	defer rows.Close()
	events := []sesame.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, "", db.wrap("events", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.wrap("events", err)
	}
	events, next := sesame.Cut(p, events, func(e sesame.Event) int64 { return e.ID })
	return events, next, nil
}

// DeleteEventsBefore removes the events older than t, a range of the time
// index, and returns how many it removed.
func (db *DB) DeleteEventsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := db.q.ExecContext(ctx, `DELETE FROM audit_events WHERE time < ?`, millis(t))
	if err != nil {
		return 0, db.wrap("delete events", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.wrap("delete events", err)
	}
	return int(n), nil
}
