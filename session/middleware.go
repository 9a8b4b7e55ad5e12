package session

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// state is the session of one request. Middleware puts a pointer to it in
// the request context so that Login, Renew and Logout, called by a handler
// further down, change what later code in the same request sees.
type state struct {
	// mu guards the fields below. The request's context, and the state with
	// it, reaches any goroutine a handler starts (to load parts of a page in
	// parallel, say), so FromContext in one may run while Login, Renew or
	// Logout in another changes the state.
	mu      sync.Mutex
	ok      bool
	hash    Hash
	session Session
}

func (st *state) valid() bool {
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.ok
}

func (st *state) set(h Hash, s Session) {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ok, st.hash, st.session = true, h, s
}

func (st *state) clear() {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ok, st.hash, st.session = false, Hash{}, Session{}
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

// FromContext returns the session of the request whose context is ctx, and
// false when the request has none (no cookie, or an unknown, tampered,
// expired or revoked one: all look the same). It sees Login, Renew and Logout
// made earlier in the same request.
func FromContext(ctx context.Context) (Session, bool) {
	st := stateFrom(ctx)
	if st == nil {
		return Session{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.session, st.ok
}

// The cookie names no live session: it is malformed or timed out
// (errDeadCookie), so the browser is told to drop it, or it names no session
// the store has (errUnknownCookie). The latter is left alone: it is also what
// a request sees whose token a concurrent request has just renewed, and
// clearing it then would drop the new cookie the browser just received.
var (
	errDeadCookie    = errors.New("session: malformed or timed-out cookie")
	errUnknownCookie = errors.New("session: unknown cookie")
)

// Middleware loads the session named by the request's cookie, once per
// request, and puts it in the request context for FromContext and for
// Login, Renew and Logout. A cookie that names no live session is ignored
// (and, when malformed or timed out, cleared); the request goes on without
// a session. A store that fails to load the session is answered by
// Config.ErrorHandler and the request goes no further; a failure to record
// the session's use is only logged.
//
// A request with more than one session cookie goes on without a session
// too. Browsers send every cookie of a name whose path and domain match, the
// most specific first, so a second one was planted (by another service on
// the host, another port or a sibling domain) to shadow the real one and
// have the user act in someone else's account; which one is whose cannot be
// told, so neither is used.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := new(state)
		cookies := r.CookiesNamed(m.cfg.CookieName)
		if len(cookies) > 1 {
			m.cfg.Logger.WarnContext(r.Context(), "session: request with several session cookies ignored",
				"cookies", len(cookies))
		}
		if len(cookies) == 1 {
			h, s, err := m.load(r, cookies[0].Value)
			switch {
			case err == nil:
				st.set(h, s)
			case errors.Is(err, errDeadCookie):
				m.clearCookie(w)
			case errors.Is(err, errUnknownCookie):
			default:
				m.cfg.ErrorHandler(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// load finds the live session for token, ending it if it has timed out and
// recording its use when the stored last-seen time is TouchInterval stale.
// This is the cost every request pays: one read by primary key, and a write
// at most once per TouchInterval per session.
func (m *Manager) load(r *http.Request, token string) (Hash, Session, error) {
	ctx := r.Context()
	h, ok := hashToken(token)
	if !ok {
		return Hash{}, Session{}, errDeadCookie
	}
	rec, err := m.store.Get(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Hash{}, Session{}, errUnknownCookie
	}
	if err != nil {
		return Hash{}, Session{}, err
	}
	now := m.cfg.Now().UTC()
	if rec.Expired(now) {
		if err := m.store.Delete(ctx, h); err != nil {
			return Hash{}, Session{}, err
		}
		if m.cfg.OnExpire != nil {
			m.cfg.OnExpire(ctx, rec.Session, r)
		}
		return Hash{}, Session{}, errDeadCookie
	}
	if now.Sub(rec.LastSeenAt) >= m.cfg.TouchInterval {
		idle := m.idleDeadline(now, rec.ExpiresAt)
		switch err := m.store.Touch(ctx, h, now, idle); {
		case errors.Is(err, ErrNotFound):
			return Hash{}, Session{}, errUnknownCookie // revoked since the read
		case err != nil:
			// The session was valid when read; losing one last-seen update
			// only makes it idle out sooner, so serve the request.
			m.cfg.Logger.Warn("session touch failed", "session", rec.ID, "err", err)
		default:
			rec.LastSeenAt, rec.IdleExpiresAt = now, idle
		}
	}
	return h, rec.Session, nil
}
