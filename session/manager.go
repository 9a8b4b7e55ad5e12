package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesamehq/sesame/internal/clip"
)

// Manager issues, checks, renews and revokes sessions kept in a Store. It is
// safe for concurrent use. Build it with New.
type Manager struct {
	store Store
	cfg   Config
}

// New returns a Manager built from cfg, with its defaults filled in. It
// refuses a configuration that cannot work: no Store, a negative duration
// or limit, an idle timeout longer than the lifetime, a renewal grace not
// shorter than the renewal interval, or a "__Host-" or "__Secure-" cookie
// name without Secure.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Manager{store: cfg.Store, cfg: cfg}, nil
}

// ErrNoMiddleware says that Login, Logout, Renew or Reauthenticated was
// called on a context that did not come through this Manager's Middleware:
// the Manager cannot know the session the request arrived with (so a
// planted one could survive sign-in) nor send a cookie.
var ErrNoMiddleware = errors.New("session: the request did not go through the Manager's Middleware")

// ErrHeaderWritten says that a new cookie could not be sent because the
// answer's header had already been written.
var ErrHeaderWritten = errors.New("session: the answer's header was already written")

// CookieName returns the name of the session cookie of a request that did
// not come over HTTPS (see Config.HTTPS).
func (m *Manager) CookieName() string { return m.cfg.CookieName }

// LoginOptions are the choices of one Login.
type LoginOptions struct {
	// Remember gives the session Config.RememberLifetime and
	// RememberIdleTimeout, and a cookie with Max-Age, which the browser
	// keeps when it closes. Other session cookies have neither Expires nor
	// Max-Age.
	Remember bool
	// Data is kept with the session, unchanged, for its whole life: at most
	// MaxDataLen bytes. The Manager copies it.
	Data []byte
}

// now is the Manager's clock in UTC, to the millisecond: the precision
// every store keeps, so that a time reads back as it was made.
func (m *Manager) now() time.Time { return m.cfg.Now().UTC().Truncate(time.Millisecond) }

// Login starts a new session for userID on the request whose context is
// ctx, and sends its cookie with the answer. Any session the request arrived
// with is ended first, so that a token known before sign-in (planted by an
// attacker, or left by another user) is worthless after it. From now on,
// FromContext(ctx) returns the new session.
//
// With Config.MaxSessions set, the user's least recently used sessions
// past the limit end at the same time (reported to Config.OnEnd).
func (m *Manager) Login(ctx context.Context, userID string, opts LoginOptions) (Session, error) {
	st := m.state(ctx)
	switch {
	case st == nil:
		return Session{}, ErrNoMiddleware
	case userID == "":
		return Session{}, errors.New("session: login without a user id")
	case len(opts.Data) > MaxDataLen:
		return Session{}, fmt.Errorf("session: login: %d bytes of data, at most %d", len(opts.Data), MaxDataLen)
	case st.headerWritten():
		return Session{}, fmt.Errorf("session: login: %w", ErrHeaderWritten)
	}
	if prev, ok := st.current(); ok {
		if _, err := m.store.Delete(ctx, prev.ID, ""); err != nil && !errors.Is(err, ErrNotFound) {
			return Session{}, fmt.Errorf("session: login: end previous session: %w", err)
		}
		st.clear()
	}
	now := m.now()
	p := m.cfg.policy(opts.Remember)
	token, hash := newToken()
	rec := Record{Hash: hash, Session: Session{
		ID:              newID(),
		UserID:          userID,
		CreatedAt:       now,
		LastSeenAt:      now,
		ExpiresAt:       now.Add(p.lifetime),
		IP:              st.ip,
		UserAgent:       st.userAgent,
		LastIP:          st.ip,
		Remember:        opts.Remember,
		AuthenticatedAt: now,
		TokenIssuedAt:   now,
		Data:            bytes.Clone(opts.Data),
	}}
	rec.IdleExpiresAt = idleDeadline(now, p, rec.ExpiresAt)
	evicted, err := m.store.Create(ctx, rec, m.cfg.MaxSessions)
	if err != nil {
		return Session{}, fmt.Errorf("session: login: %w", err)
	}
	st.set(rec, m.cookie(st, token, rec.Session, now))
	for _, s := range evicted {
		m.ended(ctx, s, EndEvicted, st.req)
	}
	return rec.Session, nil
}

// Logout ends the session of the request whose context is ctx on the
// server, and clears its cookie with the answer. Without a session it only
// clears the cookie.
func (m *Manager) Logout(ctx context.Context) error {
	st := m.state(ctx)
	if st == nil {
		return ErrNoMiddleware
	}
	if s, ok := st.current(); ok {
		if _, err := m.store.Delete(ctx, s.ID, ""); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("session: logout: %w", err)
		}
	}
	st.clear()
	st.setCookie(m.clearingCookie(st))
	return nil
}

// Renew gives the session of the request whose context is ctx a new token,
// sent with the answer; every earlier token is dead at once (no grace: this
// is not a periodic renewal). The session keeps its public id, sign-in time
// and deadlines. Call it on every change of privilege: a password change, a
// role change. Without a session, or when the session has ended since
// Middleware loaded it, the error is ErrNotFound.
func (m *Manager) Renew(ctx context.Context) (Session, error) {
	return m.renew(ctx, false)
}

// Reauthenticated records that the user of the request whose context is
// ctx has just proved who they are again (entered their password, say):
// the session's AuthenticatedAt becomes now, for programs that ask for a
// recent proof before sensitive changes. Like any change of privilege, it
// also renews the token as Renew does.
func (m *Manager) Reauthenticated(ctx context.Context) (Session, error) {
	return m.renew(ctx, true)
}

func (m *Manager) renew(ctx context.Context, authenticated bool) (Session, error) {
	st := m.state(ctx)
	if st == nil {
		return Session{}, ErrNoMiddleware
	}
	rec, ok := st.record()
	if !ok {
		return Session{}, ErrNotFound
	}
	if st.headerWritten() {
		return Session{}, fmt.Errorf("session: renew: %w", ErrHeaderWritten)
	}
	now := m.now()
	token, hash := newToken()
	rn := Renewal{Hash: hash, IssuedAt: now, LastSeenAt: now, LastIP: st.ip,
		IdleExpiresAt: idleDeadline(now, m.cfg.policy(rec.Remember), rec.ExpiresAt)}
	if authenticated {
		rn.AuthenticatedAt = now
	}
	// The zero current hash replaces whatever token the session has: a
	// periodic renewal that raced this one must not keep a token issued
	// before the change of privilege alive.
	if err := m.store.Rotate(ctx, rec.ID, Hash{}, rn); err != nil {
		return Session{}, fmt.Errorf("session: renew: %w", err)
	}
	rec.apply(rn)
	st.set(rec, m.cookie(st, token, rec.Session, now))
	return rec.Session, nil
}

// apply makes r what Store.Rotate makes of it with rn.
func (r *Record) apply(rn Renewal) {
	r.Hash, r.PrevHash, r.PrevValidUntil = rn.Hash, rn.PrevHash, rn.PrevValidUntil
	r.TokenIssuedAt, r.LastSeenAt, r.IdleExpiresAt, r.LastIP = rn.IssuedAt, rn.LastSeenAt, rn.IdleExpiresAt, rn.LastIP
	if !rn.AuthenticatedAt.IsZero() {
		r.AuthenticatedAt = rn.AuthenticatedAt
	}
}

// FromContext returns the session of the request whose context is ctx, and
// false when the request has none (no cookie, or an unknown, tampered,
// expired or revoked one: all look the same). It sees Login, Renew and
// Logout made earlier in the same request.
func (m *Manager) FromContext(ctx context.Context) (Session, bool) {
	return m.state(ctx).current()
}

// ListOptions select a page of Manager.List.
type ListOptions struct {
	// UserID restricts the list to one user's sessions; "" lists everyone's.
	UserID string
	// Cursor is "" for the first page, or the next cursor of the page
	// before.
	Cursor string
	// Limit is the most sessions on a page; zero or less means 50.
	Limit int
}

// ErrInvalidCursor says that a ListOptions.Cursor is not one List gave out.
var ErrInvalidCursor = errors.New("session: not a cursor of this list")

// List returns one page of the live sessions that opts selects, newest
// first, and the cursor of the next page ("" on the last). Sessions ended
// between two pages never make the next one skip a session.
func (m *Manager) List(ctx context.Context, opts ListOptions) ([]Session, string, error) {
	after, err := parseCursor(opts.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 50
	}
	list, err := m.store.List(ctx, Query{UserID: opts.UserID, Now: m.now(), After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", fmt.Errorf("session: list: %w", err)
	}
	if len(list) <= limit {
		return list, "", nil
	}
	list = list[:limit]
	return list, formatCursor(KeyOf(list[limit-1])), nil
}

// A cursor is the key of the last session of a page: its sign-in time in
// Unix milliseconds and its public id, which has no dot.
func formatCursor(k Key) string {
	return strconv.FormatInt(k.CreatedAt.UnixMilli(), 10) + "." + k.ID
}

func parseCursor(c string) (Key, error) {
	if c == "" {
		return Key{}, nil
	}
	ms, id, ok := strings.Cut(c, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" || len(id) > 64 {
		return Key{}, ErrInvalidCursor
	}
	return Key{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

// Count returns how many sessions are alive now, of every user.
func (m *Manager) Count(ctx context.Context) (int, error) {
	n, err := m.store.Count(ctx, m.now())
	if err != nil {
		return 0, fmt.Errorf("session: count: %w", err)
	}
	return n, nil
}

// Revoke ends the session with public id id if it belongs to userID, and
// returns ErrNotFound otherwise, so that one user cannot probe or end
// another's sessions. To end the request's own session, use Logout, which
// also clears the cookie.
func (m *Manager) Revoke(ctx context.Context, userID, id string) error {
	if userID == "" {
		return fmt.Errorf("session: revoke without a user id: %w", ErrNotFound)
	}
	if _, err := m.store.Delete(ctx, id, userID); err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	return nil
}

// RevokeID ends the session with public id id, whoever's it is, and returns
// it: for an operator. A user ending their own sessions goes through
// Revoke, which checks that they are theirs.
func (m *Manager) RevokeID(ctx context.Context, id string) (Session, error) {
	s, err := m.store.Delete(ctx, id, "")
	if err != nil {
		return Session{}, fmt.Errorf("session: revoke: %w", err)
	}
	return s, nil
}

// RevokeAll ends every session of userID except the one with public id
// exceptID ("" ends all), and returns those it ended.
func (m *Manager) RevokeAll(ctx context.Context, userID, exceptID string) ([]Session, error) {
	gone, err := m.store.DeleteByUser(ctx, userID, exceptID)
	if err != nil {
		return nil, fmt.Errorf("session: revoke all: %w", err)
	}
	return gone, nil
}

// DeleteExpired removes the sessions that are dead now, reports each to
// Config.OnEnd (with a nil request) and returns how many it removed, even
// when it then fails; see Cleanup.
func (m *Manager) DeleteExpired(ctx context.Context) (int, error) {
	now := m.now()
	gone, err := m.store.DeleteExpired(ctx, now)
	for _, s := range gone { // those removed before a failure too
		m.ended(ctx, s, expiry(s, now), nil)
	}
	if err != nil {
		return len(gone), fmt.Errorf("session: delete expired: %w", err)
	}
	return len(gone), nil
}

// defaultCleanupInterval is Cleanup's interval when given none: dead
// sessions linger at most this long, and the store is swept a dozen times an
// hour.
const defaultCleanupInterval = 5 * time.Minute

// Cleanup calls DeleteExpired every interval until ctx is done, so that dead
// sessions do not pile up in stores that do not drop them by themselves. An
// interval of zero or less means 5 minutes, rather than no cleanup at all.
// Run it in a goroutine of its own; it logs failures to Config.Logger and
// tries again at the next tick.
func (m *Manager) Cleanup(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = defaultCleanupInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := m.DeleteExpired(ctx)
			if err != nil && ctx.Err() == nil {
				m.cfg.Logger.Error("session cleanup failed", "err", err)
			} else if n > 0 {
				m.cfg.Logger.Info("session cleanup", "deleted", n)
			}
		}
	}
}

// Ping checks that the store answers, for a readiness check: it returns the
// store's Ping error when the store is a Pinger, and nil when it cannot tell.
func (m *Manager) Ping(ctx context.Context) error {
	if p, ok := m.store.(Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// ended reports a session the Manager ended by itself.
func (m *Manager) ended(ctx context.Context, s Session, why EndReason, r *http.Request) {
	if m.cfg.OnEnd != nil {
		m.cfg.OnEnd(ctx, s, why, r)
	}
}

// expiry says which deadline ended s, dead at now: the lifetime when it
// has passed, since an idle deadline never lies beyond it.
func expiry(s Session, now time.Time) EndReason {
	if !now.Before(s.ExpiresAt) {
		return EndLifetime
	}
	return EndIdle
}

// idleDeadline is when a session seen at now idles out: never after its
// absolute deadline, so that stores may index and expire on it alone.
func idleDeadline(now time.Time, p policy, expires time.Time) time.Time {
	idle := now.Add(p.idle)
	if idle.After(expires) {
		return expires
	}
	return idle
}

// clientInfo returns what a new session records of the client of r.
func (m *Manager) clientInfo(r *http.Request) (ip, userAgent string) {
	return clip.String(m.cfg.ClientIP(r), clip.IP), clip.String(r.UserAgent(), clip.UserAgent)
}
