// Package audit records and reads the audit trail: who did what, from where,
// through which session, and how it ended (CONTRACT §6). Services record
// events through a Log; users read their own trail back through it.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sesamehq/sesame"
)

// Bounds on the text an event may carry. The user agent and anything typed
// at login come from the client; without a bound a client could write a
// megabyte into the trail with every request it makes.
const (
	maxUsername  = 64
	maxUserAgent = 512
	maxIP        = 64
	maxSessionID = 128
	maxDetail    = 1024
)

// recordTimeout bounds how long an audit write may hold up the action it
// records; see Record.
const recordTimeout = 5 * time.Second

// Log records events in a Store and reads them back. It is safe for
// concurrent use.
type Log struct {
	// Now returns the current time; nil means time.Now. Tests set it to
	// make event times deterministic.
	Now func() time.Time

	store  Store
	logger *slog.Logger
}

// New returns a Log that keeps events in store and reports the events it
// could not store to logger (nil means slog.Default()).
func New(store Store, logger *slog.Logger) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{store: store, logger: logger}
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Record stores e, first filling its zero fields from the actor in ctx: the
// user (UserID and Username together, and only when e names no user at all,
// so that a failed login for one name by someone signed in as another is
// not attributed to either half-way), the public session id, the client
// address and user agent, and Time (in UTC).
//
// Record returns nothing. An audit failure must not undo or refuse the
// user's action, which has already happened, but it must not pass silently
// either: it is logged at error level with the event's fields (which hold
// the public session id, never the session token, and never a password).
//
// The write ignores the cancellation of ctx, within a bound: a client that
// hangs up right after acting must not be able to keep its action out of
// the trail.
func (l *Log) Record(ctx context.Context, e sesame.Event) {
	a := sesame.ActorFrom(ctx)
	if e.UserID == 0 && e.Username == "" && a.User != nil {
		e.UserID = a.User.ID
		e.Username = a.User.Username
	}
	if e.SessionID == "" {
		e.SessionID = a.SessionID
	}
	if e.IP == "" {
		e.IP = a.IP
	}
	if e.UserAgent == "" {
		e.UserAgent = a.UserAgent
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	e.Username = sesame.Clip(e.Username, maxUsername)
	e.UserAgent = sesame.Clip(e.UserAgent, maxUserAgent)
	e.IP = sesame.Clip(e.IP, maxIP)
	e.SessionID = sesame.Clip(e.SessionID, maxSessionID)
	e.Detail = sesame.Clip(e.Detail, maxDetail)

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := l.store.AppendEvent(wctx, &e); err != nil {
		l.logger.ErrorContext(ctx, "audit: event not recorded",
			slog.String("action", string(e.Action)),
			slog.String("outcome", string(e.Outcome)),
			slog.Int64("user_id", e.UserID),
			slog.String("username", e.Username),
			slog.String("session_id", e.SessionID),
			slog.String("ip", e.IP),
			slog.String("detail", e.Detail),
			slog.Time("time", e.Time),
			slog.Any("err", err),
		)
	}
}

// Events returns one page of the signed-in actor's own trail, newest first,
// and the cursor of the next page ("" on the last). Without a signed-in user
// it returns sesame.ErrUnauthenticated: nobody reads a trail anonymously.
func (l *Log) Events(ctx context.Context, page sesame.Page) ([]sesame.Event, string, error) {
	u := sesame.ActorFrom(ctx).User
	if u == nil {
		return nil, "", sesame.ErrUnauthenticated
	}
	events, next, err := l.store.Events(ctx, u.ID, page.Bounded())
	if err != nil {
		return nil, "", fmt.Errorf("audit: events of user %d: %w", u.ID, err)
	}
	return events, next, nil
}
