package session

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// state is the session of one request. Middleware puts a pointer to it in
// the request context so that Login, Renew and Logout, called by a handler
// further down, change what later code in the same request sees, and so
// that the cookie they set goes out with the answer.
type state struct {
	req           *http.Request // as it reached Middleware
	ip, userAgent string        // what a new session records of the client
	cookieName    string        // of the session cookie, for this request's scheme
	secure        bool          // the cookie is Secure

	// mu guards the fields below. The request's context, and the state with
	// it, reaches any goroutine a handler starts (to load parts of a page in
	// parallel, say), so FromContext in one may run while Login, Renew or
	// Logout in another changes the state.
	mu      sync.Mutex
	ok      bool
	rec     Record
	cookie  *http.Cookie // to send with the answer, if any
	written bool         // the answer's header is out: too late for a cookie
}

func (st *state) current() (Session, bool) {
	if st == nil {
		return Session{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rec.Session, st.ok
}

func (st *state) record() (Record, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rec, st.ok
}

func (st *state) set(r Record, c *http.Cookie) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ok, st.rec = true, r
	if c != nil {
		st.cookie = c
	}
}

func (st *state) clear() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ok, st.rec = false, Record{}
}

func (st *state) setCookie(c *http.Cookie) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.cookie = c
}

func (st *state) headerWritten() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.written
}

// writeCookie adds the pending cookie, if any, to h, once: when the answer's
// header is about to be written.
func (st *state) writeCookie(h http.Header) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.written {
		return
	}
	st.written = true
	if st.cookie != nil {
		if v := st.cookie.String(); v != "" {
			h.Add("Set-Cookie", v)
		}
	}
}

// stateKey keys a Manager's state in a context: each Manager has its own,
// so that two Managers on one request (two kinds of session, say) do not
// overwrite each other.
type stateKey struct{ m *Manager }

func (m *Manager) state(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{m}).(*state)
	return st
}

// cookieWriter sends the state's pending cookie with the answer's header,
// whenever a handler writes it.
type cookieWriter struct {
	http.ResponseWriter
	st *state
}

func (w *cookieWriter) WriteHeader(status int) {
	w.st.writeCookie(w.Header())
	w.ResponseWriter.WriteHeader(status)
}

func (w *cookieWriter) Write(b []byte) (int, error) {
	w.st.writeCookie(w.Header())
	return w.ResponseWriter.Write(b)
}

// Flush sends what is buffered, the header (and cookie) first.
func (w *cookieWriter) Flush() {
	w.st.writeCookie(w.Header())
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *cookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The cookie names no live session: it is malformed, timed out or a stolen
// token (errDeadCookie), so the browser is told to drop it, or it names no
// session the store has (errUnknownCookie). The latter is left alone: it is
// also what a request sees whose token a concurrent request has just
// renewed with Renew, and clearing it then would drop the new cookie the
// browser just received.
var (
	errDeadCookie    = errors.New("session: malformed or dead cookie")
	errUnknownCookie = errors.New("session: unknown cookie")
)

// Middleware loads the session named by the request's cookie, once per
// request, and puts it in the request context for FromContext and for
// Login, Renew and Logout, whose cookies it sends with the answer. A cookie
// that names no live session is ignored (and, when malformed or dead,
// cleared); the request goes on without a session. A store that fails to
// load the session is answered by Config.ErrorHandler and the request goes
// no further; a failure to record the session's use is only logged.
//
// When periodic renewal is on and the session's token is due, the answer
// carries a new token.
//
// A request with more than one session cookie goes on without a session
// too. Browsers send every cookie of a name whose path and domain match, the
// most specific first, so a second one was planted (by another service on
// the host, another port or a sibling domain) to shadow the real one and
// have the user act in someone else's account; which one is whose cannot be
// told, so neither is used.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{req: r}
		st.ip, st.userAgent = m.clientInfo(r)
		st.cookieName, st.secure = m.cookieFor(r)
		token, n := requestCookie(r, st.cookieName)
		if n > 1 {
			m.cfg.Logger.WarnContext(r.Context(), "session: request with several session cookies ignored",
				"cookies", n)
		}
		if n == 1 {
			err := m.load(r, st, token)
			switch {
			case err == nil:
			case errors.Is(err, errDeadCookie):
				st.setCookie(m.clearingCookie(st))
			case errors.Is(err, errUnknownCookie):
			default:
				m.cfg.ErrorHandler(w, r, err)
				return
			}
		}
		cw := &cookieWriter{ResponseWriter: w, st: st}
		next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), stateKey{m}, st)))
		// A handler that wrote nothing leaves net/http to write the header
		// after it returns, past this writer: write it here, with the cookie.
		if !st.headerWritten() {
			st.mu.Lock()
			pending := st.cookie != nil
			st.mu.Unlock()
			if pending {
				cw.WriteHeader(http.StatusOK)
			}
		}
	})
}

// load finds the live session for token and puts it in st: it ends the
// session if it has timed out or the token is a replaced one past its
// grace, renews the token when it is due, and records the session's use
// when the stored last-seen time is a touch interval stale. This is the
// cost every request pays: one read by key, and at most one write per touch
// interval or renewal interval per session.
func (m *Manager) load(r *http.Request, st *state, token string) error {
	ctx := r.Context()
	h, ok := hashToken(token)
	if !ok {
		return errDeadCookie
	}
	rec, err := m.store.Get(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return errUnknownCookie
	}
	if err != nil {
		return err
	}
	now := m.now()
	switch {
	case rec.Expired(now):
		return m.end(r, rec.Session, expiry(rec.Session, now))
	case rec.Hash != h && !now.Before(rec.PrevValidUntil):
		// A token that a renewal replaced, presented after its grace: the
		// client that renewed holds the new one, so whoever sends this one
		// has a copy. Which of the two is the user cannot be told; ending
		// the session shuts both out, and the user signs in again.
		return m.end(r, rec.Session, EndTokenReuse)
	case rec.Hash == h && m.renewalDue(rec.Session, now):
		return m.renewPeriodically(r, st, &rec, now)
	}
	// A current token, or a replaced one within its grace: a request sent
	// before its client saw the new token. The latter is served, and renews
	// nothing: the token is not its.
	if err := m.touch(ctx, &rec, now); err != nil {
		return err
	}
	st.set(rec, nil)
	return nil
}

// end deletes a session that load found dead or stolen and reports it.
func (m *Manager) end(r *http.Request, s Session, why EndReason) error {
	if _, err := m.store.Delete(r.Context(), s.ID, ""); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	m.ended(r.Context(), s, why, r)
	return errDeadCookie
}

func (m *Manager) renewalDue(s Session, now time.Time) bool {
	return m.cfg.RenewInterval > 0 && now.Sub(s.TokenIssuedAt) >= m.cfg.RenewInterval
}

// touch records the use of rec at now if its last-seen time is a touch
// interval stale. It fails only with errUnknownCookie, for a session
// revoked since it was read.
func (m *Manager) touch(ctx context.Context, rec *Record, now time.Time) error {
	p := m.cfg.policy(rec.Remember)
	if now.Sub(rec.LastSeenAt) < p.touch {
		return nil
	}
	idle := idleDeadline(now, p, rec.ExpiresAt)
	switch err := m.store.Touch(ctx, rec.ID, now, idle); {
	case errors.Is(err, ErrNotFound):
		return errUnknownCookie
	case err != nil:
		// The session was valid when read; losing one last-seen update
		// only makes it idle out sooner, so serve the request.
		m.cfg.Logger.WarnContext(ctx, "session touch failed", "session", rec.ID, "err", err)
	default:
		rec.LastSeenAt, rec.IdleExpiresAt = now, idle
	}
	return nil
}

// renewPeriodically gives rec a new token, keeping the one it replaces
// valid for the grace, and puts the session in st. A renewal is also a use,
// so it writes the last-seen time too: one write, not two. It fails only
// with errUnknownCookie, for a session revoked since it was read.
func (m *Manager) renewPeriodically(r *http.Request, st *state, rec *Record, now time.Time) error {
	token, hash := newToken()
	rn := Renewal{
		Hash:           hash,
		PrevHash:       rec.Hash,
		PrevValidUntil: now.Add(m.cfg.RenewGrace),
		IssuedAt:       now,
		LastSeenAt:     now,
		IdleExpiresAt:  idleDeadline(now, m.cfg.policy(rec.Remember), rec.ExpiresAt),
		LastIP:         st.ip,
	}
	switch err := m.store.Rotate(r.Context(), rec.ID, rec.Hash, rn); {
	case err == nil:
		rec.apply(rn)
		st.set(*rec, m.cookie(st, token, rec.Session, now))
	case errors.Is(err, ErrNotFound):
		return errUnknownCookie
	case errors.Is(err, ErrConflict):
		// A concurrent request renewed it first and sends the new token;
		// this request's token is now the replaced one, within its grace.
		st.set(*rec, nil)
	default:
		// Not renewed this time. The token stays valid, so serve the
		// request and renew at a later one.
		m.cfg.Logger.WarnContext(r.Context(), "session renewal failed", "session", rec.ID, "err", err)
		st.set(*rec, nil)
	}
	return nil
}
