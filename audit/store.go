package audit

import (
	"context"
	"time"

	"github.com/sesamehq/sesame"
)

// Store keeps the audit trail.
type Store interface {
	// AppendEvent stores e and sets its ID.
	AppendEvent(ctx context.Context, e *sesame.Event) error
	// Events returns, newest first, the events that q selects, at most
	// p.Limit after p.Cursor, and the cursor of what follows ("" at the
	// end).
	Events(ctx context.Context, q Query, p sesame.Paging) ([]sesame.Event, string, error)
	// DeleteEventsBefore removes the events older than t and returns how
	// many it removed. It must find them through an index on the time, not
	// by reading the whole trail.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int, error)
}

// Query selects events. A zero field selects every value of it.
type Query struct {
	// UserID selects the events that involve user UserID: those they did
	// and those done to them (Event.TargetID).
	UserID  int64
	Action  sesame.Action
	Outcome sesame.Outcome
}
