package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// The request log (CONTRACT §7): one line per request, with its request
// id, method, route pattern, status, duration, client address, and the
// public session id and user id when there is a session. Never the path
// (it carries ids and, for a mistyped URL, whatever was typed), the query,
// a header, a cookie, a token or a body: the line is built from the fields
// below only.

// requestInfo is what the layers inside the log tell it of a request: the
// route that took it and the session it ran in. Only the request's own
// goroutine writes it, before the log reads it.
type requestInfo struct {
	route     string
	sessionID string
	userID    string
}

type requestInfoKey struct{}

// unmatched is the route of a request no route took: its raw path stays
// out of the log and the metrics, whose series must stay few.
const unmatched = "unmatched"

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// requestIDs makes request ids: a random prefix drawn at start, so that
// the ids of several instances do not collide, and a counter, so that
// making one costs an atomic add rather than a read of the system's
// randomness.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (ids *requestIDs) next() string {
	b := make([]byte, 0, len(ids.prefix)+20)
	b = append(b, ids.prefix...)
	return string(strconv.AppendUint(b, ids.n.Add(1), 10))
}

// startRequest begins the request log's work on r: it gives the request
// its id (sent back as X-Request-Id, so that a user's report can be
// matched to the line) and returns the writer and request to serve, and
// the func to call when the answer is done, which logs the line and tells
// Config.Observe.
func (h *Handler) startRequest(w http.ResponseWriter, r *http.Request) (*statusWriter, *http.Request, func()) {
	start := time.Now() // the real clock: a duration is measured, not decided
	id := h.ids.next()
	w.Header().Set("X-Request-Id", id)
	info := &requestInfo{}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	return sw, r, func() {
		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		if info.route == "" {
			info.route = unmatched
		}
		d := time.Since(start)
		if h.observe != nil {
			h.observe(info.route, status, d)
		}
		h.logRequest(r, id, info, status, d)
	}
}

// logRequest writes the line of one request. It checks first whether the
// line would be written at all and passes typed attributes, so that a log
// that drops info lines costs a request nothing, and one that keeps them
// builds no []any of boxed values.
func (h *Handler) logRequest(r *http.Request, id string, info *requestInfo, status int, d time.Duration) {
	ctx := r.Context()
	if !h.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("route", info.route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("ip", h.clientIP(r)),
		slog.String("session_id", info.sessionID),
		slog.String("user_id", info.userID),
	}
	n := len(attrs)
	if info.sessionID == "" {
		n -= 2
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs[:n]...)
}

// routed wraps the handler of a route, so that the log hears which route
// took the request: the mux sets r.Pattern only on the request it passes on.
func routed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.route = r.Pattern
		}
		next.ServeHTTP(w, r)
	})
}

// noteSession tells the log the session of the request: the one the
// handler left (a sign-in's new one), else the one the request came with (a
// sign-out's). It runs inside the session's Middleware, which is what can
// tell.
func (h *Handler) noteSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		came, _ := h.sessions.FromContext(r.Context())
		next.ServeHTTP(w, r)
		s, ok := h.sessions.FromContext(r.Context())
		if !ok {
			s = came
		}
		if info := infoFrom(r.Context()); info != nil && s.ID != "" {
			info.sessionID, info.userID = s.ID, s.UserID
		}
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
