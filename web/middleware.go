package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
)

// contentSecurityPolicy allows nothing but this origin's own files: no
// inline script or style anywhere, so an injected tag can run nothing.
const contentSecurityPolicy = "default-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// middleware wraps next in the chain every request passes; the last
// wrapped runs first. The cross-origin check runs after the session and the
// user are loaded, so that its refusal, like every 403, is audited with who
// it was (it reads only headers, so the order costs nothing); the client's
// address comes before the log and the session, which both record it.
func (h *Handler) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))

	handler := h.limitBody(next)
	handler = cop.Handler(handler)
	handler = h.loadUser(handler)
	handler = h.sessions.Middleware(handler)
	handler = h.logRequests(handler)
	handler = h.identifyClient(handler)
	handler = h.recoverPanics(handler)
	return SecurityHeaders(handler)
}

// SecurityHeaders sets the headers every answer carries (CONTRACT §6) and
// passes the request to next. Cache-Control is no-store by default because
// nearly every answer is personal; the static files, which are not,
// override it. Handler applies it to every answer; it is exported so that
// a program can put answers it gives before Handler under the same headers.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500, so that one bad request neither
// kills the connection silently nor shows a stack trace.
func (h *Handler) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			h.fail(w, r, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status written through it, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: never the query string, a cookie
// or a token, but the public session id and user, which say who it was.
func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		a := sesame.ActorFrom(r.Context())
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "ip", a.IP}
		if a.User != nil {
			attrs = append(attrs, "user", a.User.ID, "session", a.SessionID)
		}
		h.log.InfoContext(r.Context(), "request", attrs...)
	})
}

// identifyClient puts an actor holding the client's address in the
// context; loadUser fills in who they are. It comes before the session so
// that an expiry found while loading it is audited with the address.
func (h *Handler) identifyClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := &sesame.Actor{IP: h.clientIP(r), UserAgent: r.UserAgent()}
		next.ServeHTTP(w, r.WithContext(sesame.NewContext(r.Context(), a)))
	})
}

// loadUser turns the request's session into its signed-in user. A session
// whose user no longer exists is ended.
func (h *Handler) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := session.FromContext(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		var user *sesame.User
		id, err := userOf(s)
		if err == nil {
			user, err = h.auth.User(r.Context(), id)
		}
		switch {
		case err == nil:
			a := sesame.ActorFrom(r.Context())
			a.User, a.SessionID = user, s.ID
		case errors.Is(err, sesame.ErrNotFound), errors.Is(err, strconv.ErrSyntax), errors.Is(err, strconv.ErrRange):
			if err := h.sessions.Logout(w, r); err != nil {
				h.fail(w, r, err)
				return
			}
		default:
			h.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers an unsafe request that a browser says came from
// another site; like every 403, it is audited. For a visitor who is not
// signed in, only the first refusal per address (per /64 for IPv6) per
// minute is: such requests cost nothing to send, and the trail must not be
// a way to fill the disk.
func (h *Handler) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	a := sesame.ActorFrom(r.Context())
	if a.User != nil || h.anonymousDenials.allow(auth.ThrottleAddr(a.IP), time.Now()) {
		h.audit.Record(r.Context(), sesame.Event{
			Action:  sesame.ActionAccessDenied,
			Outcome: sesame.OutcomeDenied,
			Detail:  "cross-origin " + r.Method + " " + r.URL.Path,
		})
	}
	h.fail(w, r, errCrossOrigin)
}

// limitBody bounds every request body; reading past the bound fails with an
// *http.MaxBytesError, which answers 413. An oversized body is refused
// before the route runs, so that a route which reads no body does not act
// on the request anyway (CONTRACT §5: a body over 64 KiB answers 413). A
// declared length says so at once; a body of unknown length (chunked) is
// read ahead, at most maxBody bytes, to find out.
func (h *Handler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			h.fail(w, r, &http.MaxBytesError{Limit: maxBody})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if r.ContentLength < 0 {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
}

// sessionExpired audits a session that timed out, found by a request or
// removed by the cleanup.
func (h *Handler) sessionExpired(ctx context.Context, s session.Session, r *http.Request) {
	id, _ := userOf(s)
	e := sesame.Event{
		UserID:    id,
		Action:    sesame.ActionSessionExpire,
		Outcome:   sesame.OutcomeSuccess,
		SessionID: s.ID,
	}
	if r == nil {
		// No request: the cleanup. The session's own address and browser
		// say where it was used.
		e.IP, e.UserAgent, e.Detail = s.IP, s.UserAgent, "removed by the cleanup"
	}
	h.audit.Record(ctx, e)
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sessionUser and userOf convert between the user ids of the domain and
// the opaque strings by which the session package knows users.
func sessionUser(id int64) string { return strconv.FormatInt(id, 10) }

func userOf(s session.Session) (int64, error) { return strconv.ParseInt(s.UserID, 10, 64) }
