package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
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
// it was (it reads only headers, so the order costs nothing). The request
// log, outside it all (see ServeHTTP), hears of the session from
// noteSession, which runs inside the session's Middleware so that it sees
// the session as the handler left it (a sign-in's new one).
func (h *Handler) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))

	handler := h.limitBody(next)
	handler = cop.Handler(handler)
	handler = h.loadUser(handler)
	handler = h.noteSession(handler)
	handler = h.sessions.Middleware(handler)
	handler = h.recoverPanics(handler)
	return securityHeaders(handler, h.https)
}

// SecurityHeaders sets the headers every answer carries (CONTRACT §6) and
// passes the request to next. Cache-Control is no-store by default because
// nearly every answer is personal; the static files, which are not,
// override it. Handler applies it to every answer, with
// Strict-Transport-Security whenever Config.HTTPS says so; it is exported
// so that a program can put answers it gives before Handler under the same
// headers, with Strict-Transport-Security on TLS connections.
func SecurityHeaders(next http.Handler) http.Handler {
	return securityHeaders(next, func(r *http.Request) bool { return r.TLS != nil })
}

// securityHeaders is SecurityHeaders, with HSTS on the requests https
// reports as HTTPS: the client reached this server over TLS, directly or
// through a trusted proxy.
func securityHeaders(next http.Handler, https func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if https(r) {
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

// loadUser puts the request's actor in its context, once: the client's
// address and browser and, with a session, its signed-in user as the
// session recorded them at sign-in. A session that recorded nothing (begun
// by an earlier version) has its user read from the store; one whose user
// no longer exists is ended.
func (h *Handler) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := &sesame.Actor{IP: h.clientIP(r), UserAgent: r.UserAgent()}
		if s, ok := h.sessions.FromContext(r.Context()); ok {
			user, err := account.UserOf(s)
			if errors.Is(err, account.ErrNoSnapshot) {
				user, err = h.storedUser(r.Context(), s)
			}
			switch {
			case err == nil:
				a.User, a.SessionID = user, s.ID
			case errors.Is(err, sesame.ErrNotFound):
				if err := h.sessions.Logout(r.Context()); err != nil {
					h.fail(w, r, err)
					return
				}
			default:
				h.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(sesame.NewContext(r.Context(), a)))
	})
}

// storedUser reads the user of s from the store; a user id that cannot be
// one matches sesame.ErrNotFound.
func (h *Handler) storedUser(ctx context.Context, s session.Session) (*sesame.User, error) {
	id, err := strconv.ParseInt(s.UserID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("session user %q: %w", s.UserID, sesame.ErrNotFound)
	}
	return h.auth.User(ctx, id)
}

// crossOriginDenied answers an unsafe request that a browser says came from
// another site; like every 403, it is audited. For a visitor who is not
// signed in, only the first refusal per address (per /64 for IPv6) per
// minute is: such requests cost nothing to send, and the trail must not be
// a way to fill the disk.
func (h *Handler) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	a := sesame.ActorFrom(r.Context())
	if a.User != nil || h.anonymousDenials.allow(auth.ThrottleAddr(a.IP), h.now()) {
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
