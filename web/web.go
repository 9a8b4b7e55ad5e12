// Package web is sesame's HTTP front end: the server-rendered pages and the
// JSON API under /api/v1, behind one middleware chain.
//
// Both front ends live in one package so that they share that chain and the
// mapping of domain errors to status codes, and call the same service
// methods: their behaviour cannot drift. Pages and API differ only in how
// they read input and render answers. The rules of sessions and accounts
// are not here but in package account, which the command line calls too.
//
// Every request passes, in order: security headers, panic recovery, the
// request log, the session (loaded once, by the session Manager's
// Middleware), the signed-in user, the cross-origin check for unsafe
// methods, the body limit, and finally the route, whose handler asks the
// services, which authorize. Only the probes, /healthz and /readyz, and the
// API description, /api/v1/openapi.yaml, skip the session and the user.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/clientip"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/shop"
)

// maxBody bounds every request body (CONTRACT §5): forms and JSON are small.
const maxBody = 64 << 10

// Config is what the front end is built from. Every field up to Sessions is
// required.
type Config struct {
	Accounts *account.Service
	Auth     *auth.Service
	Shop     *shop.Service
	Audit    *audit.Log
	// Sessions is the session Manager; the front end wraps its routes in
	// the Manager's Middleware. Give the Manager SessionUnavailable as its
	// ErrorHandler, so that a store outage is answered in the shape of the
	// request's front end, and account.RecordSessionEnd as its OnEnd.
	Sessions *session.Manager
	// Ready reports whether the stores answer, for /readyz; nil means
	// always ready.
	Ready func(context.Context) error
	// ClientIP returns the address of the client of r; default the host of
	// r.RemoteAddr. Give the session Manager the same one.
	ClientIP func(r *http.Request) string
	// HTTPS reports whether the client of r reached the server over HTTPS,
	// for Strict-Transport-Security; default whether r came over TLS. Give
	// the session Manager the same one, for its cookie.
	HTTPS func(r *http.Request) bool
	// Observe, when set, is told of every request once it is answered: its
	// route pattern ("unmatched" when no route took it), status and duration. For
	// metrics; it must be quick.
	Observe func(route string, status int, d time.Duration)
	// Logger receives the request log and the errors the client is not
	// told about; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves sesame's pages and API. Build it with New.
type Handler struct {
	accounts *account.Service
	auth     *auth.Service
	shop     *shop.Service
	audit    *audit.Log
	sessions *session.Manager
	ready    func(context.Context) error
	clientIP func(r *http.Request) string
	https    func(r *http.Request) bool
	observe  func(route string, status int, d time.Duration)
	log      *slog.Logger
	now      func() time.Time
	ids      *requestIDs

	pages *pages
	// anonymousDenials bounds the audit events of refused requests from
	// visitors who are not signed in: one per address per minute.
	anonymousDenials *gate

	mux          *http.ServeMux
	patterns     []string       // of every route of mux but the catch-all, in order
	publicRoutes *http.ServeMux // the routes of mux that need no sign-in
	chain        http.Handler   // every request but the probes
	probes       http.Handler   // /healthz and /readyz
}

// New returns the Handler for cfg. It parses every template now, so that a
// broken one stops the program at start rather than failing a request.
func New(cfg Config) (*Handler, error) {
	if cfg.Accounts == nil || cfg.Auth == nil || cfg.Shop == nil || cfg.Audit == nil || cfg.Sessions == nil {
		return nil, errors.New("web: Config.Accounts, Auth, Shop, Audit and Sessions are required")
	}
	pg, err := parsedPages()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		accounts: cfg.Accounts,
		auth:     cfg.Auth,
		shop:     cfg.Shop,
		audit:    cfg.Audit,
		sessions: cfg.Sessions,
		ready:    cfg.Ready,
		clientIP: cfg.ClientIP,
		https:    cfg.HTTPS,
		observe:  cfg.Observe,
		log:      cmp.Or(cfg.Logger, slog.Default()),
		now:      cfg.Now,
		ids:      newRequestIDs(),
		pages:    pg,
		mux:      http.NewServeMux(),

		publicRoutes: http.NewServeMux(),

		anonymousDenials: newGate(time.Minute, 10000),
	}
	if h.ready == nil {
		h.ready = func(context.Context) error { return nil }
	}
	if h.clientIP == nil {
		h.clientIP = clientip.Remote
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.https == nil {
		h.https = func(r *http.Request) bool { return r.TLS != nil }
	}
	h.routes()
	h.chain = h.middleware(h.mux)
	// The probes skip the session and the user: they answer for the process
	// and its stores, so a cookie a load balancer happens to send must
	// neither make liveness depend on the database nor write to it. The API
	// description does too: it is the same for everyone and may be cached,
	// so its answer must never carry a session's renewed cookie.
	h.probes = securityHeaders(h.recoverPanics(h.mux), h.https)
	return h, nil
}

// ServeHTTP implements http.Handler. Every request, the probes' too, is
// logged (see logRequest).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw, r, done := h.startRequest(w, r)
	defer done()
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == openAPIPath {
		h.probes.ServeHTTP(sw, r)
		return
	}
	h.chain.ServeHTTP(sw, r)
}

// SessionUnavailable answers a request whose session could not be loaded
// because the session store failed: 503 (unavailable), as JSON under /api/
// and as the error page elsewhere. It is the session Manager's
// Config.ErrorHandler for sesame: a signed-in user is then neither let in
// nor treated as signed out.
func SessionUnavailable(logger *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	logger = cmp.Or(logger, slog.Default())
	return func(w http.ResponseWriter, r *http.Request, err error) {
		err = fmt.Errorf("%w: session store: %w", sesame.ErrUnavailable, err)
		p := problemFor(err)
		logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
		if isAPI(r) {
			writeError(w, p)
			return
		}
		pg, perr := parsedPages()
		if perr != nil {
			http.Error(w, p.Message, p.Status)
			return
		}
		pg.write(w, r, logger, p.Status, "error", view{Title: "Service unavailable", Page: "error", Path: r.URL.Path, Problem: &p, Data: errorAdvice(p.Status, false), url: r.URL})
	}
}
