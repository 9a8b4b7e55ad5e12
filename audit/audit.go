// Package audit records and reads the audit trail: who did what, from where,
// through which session, and how it ended (CONTRACT §6). Services record
// events through a Log; users read their own trail back through it.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/internal/clip"
)

// Bounds on the text an event may carry beyond those of package clip. The
// user agent and anything typed at login come from the client; without a
// bound a client could write a megabyte into the trail with every request
// it makes.
const (
	maxSessionID = 128
	maxDetail    = 1024
)

// recordTimeout bounds how long an audit write may hold up the action it
// records; see Record.
const recordTimeout = 5 * time.Second

// Config is what a Log is built from. Store is required.
type Config struct {
	Store Store
	// Now is the clock that stamps events; nil means time.Now.
	Now func() time.Time
	// Logger receives the events that could not be stored; nil means
	// slog.Default().
	Logger *slog.Logger
	// Observe, when set, is told of every event recorded, stored or not,
	// with its fields filled in: for metrics that count what the trail
	// records (sign-ins, refusals, checkouts) from the one place that
	// hears of them all. It must be quick.
	Observe func(sesame.Event)
}

// Log records events in a Store and reads them back. It is safe for
// concurrent use. Build it with New.
type Log struct {
	store   Store
	now     func() time.Time
	logger  *slog.Logger
	observe func(sesame.Event)
}

// New returns the Log of cfg.
func New(cfg Config) (*Log, error) {
	if cfg.Store == nil {
		return nil, errors.New("audit: Config.Store is required")
	}
	l := &Log{store: cfg.Store, now: cfg.Now, logger: cfg.Logger, observe: cfg.Observe}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	return l, nil
}

// Record stores e, first filling its zero fields from the actor in ctx: the
// user or the operator (UserID and Username together, and only when e names
// no user at all, so that a failed login for one name by someone signed in
// as another is not attributed to either half-way), the public session id,
// the client address and user agent, and Time (in UTC).
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
	if e.UserID == 0 && e.Username == "" {
		switch {
		case a.User != nil:
			e.UserID, e.Username = a.User.ID, a.User.Username
		case a.Operator != "":
			e.Username = a.Operator
		}
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
	e.Username = clip.String(e.Username, clip.Username)
	e.TargetName = clip.String(e.TargetName, clip.Username)
	e.UserAgent = clip.String(e.UserAgent, clip.UserAgent)
	e.IP = clip.String(e.IP, clip.IP)
	e.SessionID = clip.String(e.SessionID, maxSessionID)
	e.Detail = clip.String(e.Detail, maxDetail)
	if l.observe != nil {
		l.observe(e)
	}

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

// Events returns the signed-in actor's own trail (what they did and what
// was done to them), newest first, and the cursor of what follows ("" at
// the end). Without a signed-in user it returns sesame.ErrUnauthenticated:
// nobody reads a trail anonymously.
func (l *Log) Events(ctx context.Context, p sesame.Paging) ([]sesame.Event, string, error) {
	u := sesame.ActorFrom(ctx).User
	if u == nil {
		return nil, "", sesame.ErrUnauthenticated
	}
	events, next, err := l.store.Events(ctx, Query{UserID: u.ID}, p.Bounded())
	if err != nil {
		return nil, "", fmt.Errorf("audit: events of user %d: %w", u.ID, err)
	}
	return events, next, nil
}

// Search returns the events of the whole trail that q selects, newest
// first, and the cursor of what follows. It does not authorize: the trail
// is the admin's to read, and the caller has asked auth.Authorize for that.
func (l *Log) Search(ctx context.Context, q Query, p sesame.Paging) ([]sesame.Event, string, error) {
	events, next, err := l.store.Events(ctx, q, p.Bounded())
	if err != nil {
		return nil, "", fmt.Errorf("audit: search: %w", err)
	}
	return events, next, nil
}

// Prune removes the events older than retention, by the Log's clock, and
// returns how many went: the trail is kept for retention, then forgotten
// (CONTRACT §1: --audit-retention). A retention of zero or less keeps
// every event.
func (l *Log) Prune(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	n, err := l.store.DeleteEventsBefore(ctx, l.now().Add(-retention))
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	return n, nil
}
