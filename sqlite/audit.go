package sqlite

import (
	"context"
	"database/sql"

	"github.com/sesamehq/sesame"
)

// AppendEvent stores e and sets its ID. A UserID of 0 is stored as NULL: no
// known user.
func (db *DB) AppendEvent(ctx context.Context, e *sesame.Event) error {
	var user sql.NullInt64
	if e.UserID != 0 {
		user = sql.NullInt64{Int64: e.UserID, Valid: true}
	}
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO audit_events
			(time, user_id, username, action, outcome, session_id, ip, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		millis(e.Time), user, e.Username, string(e.Action), string(e.Outcome),
		e.SessionID, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	if err != nil {
		return db.wrap("append event", err)
	}
	return nil
}

const eventColumns = `id, time, user_id, username, action, outcome, session_id, ip, user_agent, detail`

// scanEvent reads the eventColumns of one row.
func scanEvent(row interface{ Scan(...any) error }) (sesame.Event, error) {
	var (
		e    sesame.Event
		at   int64
		user sql.NullInt64
	)
	err := row.Scan(&e.ID, &at, &user, &e.Username, &e.Action, &e.Outcome,
		&e.SessionID, &e.IP, &e.UserAgent, &e.Detail)
	e.Time = fromMillis(at)
	e.UserID = user.Int64
	return e, err
}

// Events returns one page of the events of userID, newest first (by id,
// which is the order they were stored in), and the cursor of the next page
// ("" on the last). Events stored without a known user belong to no
// userID, not even 0.
func (db *DB) Events(ctx context.Context, userID int64, page sesame.Page) ([]sesame.Event, string, error) {
	page, before, err := pageBounds(page)
	if err != nil {
		return nil, "", db.wrap("events", err)
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT `+eventColumns+` FROM audit_events
		WHERE user_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`,
		userID, before, page.Limit+1)
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
	events, next := sesame.Cut(page, events, func(e sesame.Event) int64 { return e.ID })
	return events, next, nil
}
