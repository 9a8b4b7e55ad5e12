package audit

import (
	"context"

	"github.com/sesamehq/sesame"
)

// Store keeps the audit trail.
type Store interface {
	// AppendEvent stores e and sets its ID.
	AppendEvent(ctx context.Context, e *sesame.Event) error
	// Events returns one page of the events of userID, newest first, and the
	// cursor of the next page ("" on the last).
	Events(ctx context.Context, userID int64, page sesame.Page) ([]sesame.Event, string, error)
}
