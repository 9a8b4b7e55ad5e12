package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Config tunes a Manager. The zero value of each field means its default.
type Config struct {
	// CookieName names the session cookie; default "sesame_session". Under
	// TLS, give it the "__Host-" prefix and set Secure.
	CookieName string
	// Secure marks the cookie Secure, so browsers send it over HTTPS only.
	Secure bool
	// IdleTimeout ends a session unused this long; default 30 minutes.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after sign-in, however active;
	// default 12 hours.
	Lifetime time.Duration
	// TouchInterval is how stale the stored last-seen time may become
	// before a request writes it, so a session may idle out up to this much
	// early, never late. Default a twentieth of IdleTimeout, at most 1
	// minute; a value set here is cut to half of IdleTimeout if longer.
	TouchInterval time.Duration

	// ClientIP returns the address recorded for a new session, of which 64
	// bytes are kept; default the host of r.RemoteAddr. Programs behind a
	// proxy they trust replace it.
	ClientIP func(r *http.Request) string
	// OnExpire is called for a session that has timed out, once it is
	// deleted: with the request's context and r the request that presented
	// it, before that request goes on; or with DeleteExpired's ctx and r nil
	// when DeleteExpired (or Cleanup) removed it. For an audit trail, say.
	// Sessions that Login, Logout or a revocation end are not reported
	// here. Optional.
	OnExpire func(ctx context.Context, s Session, r *http.Request)
	// ErrorHandler answers a request whose session could not be loaded
	// because the store failed; default a bare 503. The request is not
	// passed on: treating it as signed out would hide the outage.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives failures that stop nothing (a last-seen time not
	// written, a failed Cleanup) and what Cleanup removed; default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
}

// Manager issues, checks, renews and revokes sessions kept in a Store. It is
// safe for concurrent use.
type Manager struct {
	store Store
	cfg   Config
}

// New returns a Manager over store with cfg's defaults filled in.
func New(store Store, cfg Config) *Manager {
	cfg.CookieName = cmp.Or(cfg.CookieName, "sesame_session")
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, 30*time.Minute)
	cfg.Lifetime = cmp.Or(cfg.Lifetime, 12*time.Hour)
	// A fixed minute would turn a short idle timeout into a fixed lifetime:
	// uses within it would never be written down.
	cfg.TouchInterval = min(cmp.Or(cfg.TouchInterval, min(time.Minute, cfg.IdleTimeout/20)), cfg.IdleTimeout/2)
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteHost
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{store: store, cfg: cfg}
}

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.cfg.CookieName }

// Login starts a new session for userID and sends its cookie. Any session
// the request arrived with, as Middleware loaded it, is ended first, so that a token known before
// sign-in (planted by an attacker, or left by another user) is worthless
// after it. The request's context, if it went through Middleware, carries the
// new session from now on.
func (m *Manager) Login(w http.ResponseWriter, r *http.Request, userID string) (Session, error) {
	if userID == "" {
		return Session{}, errors.New("session: login without a user id")
	}
	st := stateFrom(r.Context())
	if st.valid() {
		if err := m.store.Delete(r.Context(), st.hash); err != nil {
			return Session{}, fmt.Errorf("session: login: end previous session: %w", err)
		}
		st.clear()
	}
	now := m.cfg.Now().UTC()
	token, hash := newToken()
	rec := Record{Hash: hash, Session: Session{
		ID:         newID(),
		UserID:     userID,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(m.cfg.Lifetime),
		IP:         clip(m.cfg.ClientIP(r), maxIPLen),
		UserAgent:  clip(r.UserAgent(), maxUserAgentLen),
	}}
	rec.IdleExpiresAt = m.idleDeadline(now, rec.ExpiresAt)
	if err := m.store.Create(r.Context(), rec); err != nil {
		return Session{}, fmt.Errorf("session: login: %w", err)
	}
	m.setCookie(w, token)
	st.set(hash, rec.Session)
	return rec.Session, nil
}

// Renew gives the request's session a new token and sends it; the old token
// is dead at once. The session keeps its public id, sign-in time and absolute
// deadline. Call it on every change of privilege: a password change, a role
// change. Without a session, or when the session has ended since
// Middleware loaded it, the error is ErrNotFound.
func (m *Manager) Renew(w http.ResponseWriter, r *http.Request) (Session, error) {
	st := stateFrom(r.Context())
	if !st.valid() {
		return Session{}, ErrNotFound
	}
	token, hash := newToken()
	if err := m.store.Rotate(r.Context(), st.hash, hash); err != nil {
		return Session{}, fmt.Errorf("session: renew: %w", err)
	}
	m.setCookie(w, token)
	st.set(hash, st.session)
	return st.session, nil
}

// Logout ends the request's session on the server and clears its cookie.
// Without a session it only clears the cookie.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	st := stateFrom(r.Context())
	if st.valid() {
		if err := m.store.Delete(r.Context(), st.hash); err != nil {
			return fmt.Errorf("session: logout: %w", err)
		}
		st.clear()
	}
	m.clearCookie(w)
	return nil
}

// List returns the live sessions of userID, newest first.
func (m *Manager) List(ctx context.Context, userID string) ([]Session, error) {
	all, err := m.store.ListByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	now := m.cfg.Now()
	live := slices.DeleteFunc(all, func(s Session) bool { return s.Expired(now) })
	slices.SortFunc(live, func(a, b Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return live, nil
}

// Revoke ends the session with public id id if it belongs to userID, and
// returns ErrNotFound otherwise, so that one user cannot probe or end
// another's sessions. To end the request's own session, use Logout, which
// also clears the cookie.
func (m *Manager) Revoke(ctx context.Context, userID, id string) error {
	if err := m.store.DeleteByID(ctx, userID, id); err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	return nil
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

// DeleteExpired removes the sessions that are dead now, calls OnExpire for
// each (with a nil request) and returns how many it removed; see Cleanup.
func (m *Manager) DeleteExpired(ctx context.Context) (int, error) {
	gone, err := m.store.DeleteExpired(ctx, m.cfg.Now())
	if err != nil {
		return 0, fmt.Errorf("session: delete expired: %w", err)
	}
	if m.cfg.OnExpire != nil {
		for _, s := range gone {
			m.cfg.OnExpire(ctx, s, nil)
		}
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

// idleDeadline is when a session seen at now idles out: never after its
// absolute deadline, so that stores may index and expire on it alone.
func (m *Manager) idleDeadline(now, expires time.Time) time.Time {
	idle := now.Add(m.cfg.IdleTimeout)
	if idle.After(expires) {
		return expires
	}
	return idle
}

func (m *Manager) setCookie(w http.ResponseWriter, token string) {
	// No Expires or Max-Age: the browser forgets the cookie when it closes,
	// and the server enforces both deadlines whatever the cookie says.
	http.SetCookie(w, &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   m.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (m *Manager) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   m.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// Limits on what a client supplies for a new session, enforced by clip, so
// that a huge or malformed header cannot bloat the store or break a page that
// lists sessions.
const (
	// maxIPLen holds any IP address in text (IPv6 takes at most 45 bytes)
	// with room for a zone, whatever a Config.ClientIP makes of a header.
	maxIPLen = 64
	// maxUserAgentLen keeps enough of a browser's User-Agent (real ones
	// rarely pass 300 bytes) to recognize it in a list of sessions.
	maxUserAgentLen = 512
)

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clip shortens client-supplied text to at most n bytes of valid UTF-8, cut
// between characters. It is a copy of sesame.Clip, on purpose: this package
// is imported by programs that are not sesame, so it must not import the
// domain package, nor anything else of the shop.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
