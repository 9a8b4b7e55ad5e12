// Package web is sesame's HTTP front end: the server-rendered pages and the
// JSON API under /api/v1, behind one middleware chain.
//
// Both front ends live in one package so that they share that chain, the
// sign-in and sign-out sequences and the mapping of domain errors to status
// codes, and call the same service methods: their behaviour cannot drift.
// Pages and API differ only in how they read input and render answers.
//
// Every request passes, in order: security headers, panic recovery, the
// client's address, the request log, the session (loaded once), the
// signed-in user, the cross-origin check for unsafe methods, the body limit,
// and finally the route, whose handler asks the services, which authorize.
// Only the probes, /healthz and /readyz, skip the session and the user.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/shop"
)

// maxBody bounds every request body (CONTRACT §5): forms and JSON are small.
const maxBody = 64 << 10

// Config is what the front end is built from.
type Config struct {
	Auth  *auth.Service
	Shop  *shop.Service
	Audit *audit.Log
	// SessionStore keeps the sessions; Session tunes them. The front end
	// builds the session.Manager itself so that a store failure is answered
	// in the shape of the request's front end and an expiry is audited:
	// the ClientIP, Logger, ErrorHandler and OnExpire of Session are
	// replaced by its own.
	SessionStore session.Store
	Session      session.Config
	// Ready reports whether the stores answer, for /readyz.
	Ready func(context.Context) error
	// ClientIP returns the address of the client of r; default the host of
	// r.RemoteAddr.
	ClientIP func(r *http.Request) string
	Logger   *slog.Logger
}

// Handler serves sesame's pages and API.
type Handler struct {
	auth     *auth.Service
	shop     *shop.Service
	audit    *audit.Log
	sessions *session.Manager
	ready    func(context.Context) error
	clientIP func(r *http.Request) string
	log      *slog.Logger

	pages *pages
	// anonymousDenials bounds the audit events of refused requests from
	// visitors who are not signed in: one per address per minute.
	anonymousDenials *gate

	mux          *http.ServeMux
	publicRoutes *http.ServeMux // the routes of mux that need no sign-in
	chain        http.Handler   // every request but the probes
	probes       http.Handler   // /healthz and /readyz
}

// New returns the Handler for cfg. It parses every template now, so that a
// broken one stops the program at start rather than failing a request.
func New(cfg Config) (*Handler, error) {
	if cfg.Auth == nil || cfg.Shop == nil || cfg.Audit == nil || cfg.SessionStore == nil {
		return nil, errors.New("web: Auth, Shop, Audit and SessionStore are required")
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		auth:     cfg.Auth,
		shop:     cfg.Shop,
		audit:    cfg.Audit,
		ready:    cfg.Ready,
		clientIP: cfg.ClientIP,
		log:      cmp.Or(cfg.Logger, slog.Default()),
		pages:    pg,
		mux:      http.NewServeMux(),

		publicRoutes: http.NewServeMux(),

		anonymousDenials: newGate(time.Minute, 10000),
	}
	if h.clientIP == nil {
		h.clientIP = remoteHost
	}
	if h.ready == nil {
		h.ready = func(context.Context) error { return nil }
	}
	sc := cfg.Session
	sc.ClientIP = h.clientIP
	sc.Logger = h.log
	sc.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		h.fail(w, r, fmt.Errorf("%w: session store: %w", sesame.ErrUnavailable, err))
	}
	sc.OnExpire = h.sessionExpired
	h.sessions = session.New(cfg.SessionStore, sc)
	h.routes()
	h.chain = h.middleware(h.mux)
	// The probes skip the session and the user: they answer for the process
	// and its stores, so a cookie a load balancer happens to send must
	// neither make liveness depend on the database nor write to it.
	h.probes = SecurityHeaders(h.recoverPanics(h.mux))
	return h, nil
}

// Sessions returns the session manager, for the program to run its cleanup.
func (h *Handler) Sessions() *session.Manager { return h.sessions }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		h.probes.ServeHTTP(w, r)
		return
	}
	h.chain.ServeHTTP(w, r)
}

// routes lists every route and who may use it. Public ones are wrapped in
// page or api only; the rest also in signedIn, which sends a visitor who is
// not signed in to the login page (pages) or answers 401 (API); the
// privileged ones also in h.require. The services authorize again, through
// the same auth.Service.Authorize, so no route can forget.
func (h *Handler) routes() {
	page := func(pattern string, fn handlerFunc) { h.handlePublic(pattern, h.page(fn)) }
	private := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(signedIn(fn))) }
	checkout, task := h.require(sesame.PermCheckout), h.require(sesame.PermTaskPerform)

	page("GET /{$}", h.home)
	page("GET /login", h.loginForm)
	page("POST /login", h.login)
	private("GET /logout", h.logoutForm)
	private("POST /logout", h.logout)
	private("GET /products", h.products)
	private("POST /cart/items", h.addToCart)
	private("GET /cart", h.cart)
	private("POST /cart/items/{product_id}", h.setQuantity)
	private("POST /cart/items/{product_id}/delete", h.removeFromCart)
	private("GET /checkout", checkout(h.checkoutReview))
	private("POST /checkout", checkout(h.checkout))
	private("GET /orders", h.orders)
	private("GET /orders/{id}", h.order)
	private("GET /task", task(h.taskForm))
	private("POST /task", task(h.task))
	private("GET /account/sessions", h.sessionList)
	private("POST /account/sessions/{id}/revoke", h.revokeSession)
	private("POST /account/sessions/revoke-others", h.revokeOtherSessions)
	private("GET /account/activity", h.activity)
	private("GET /account/password", h.passwordForm)
	private("POST /account/password", h.changePassword)

	api := func(pattern string, fn handlerFunc) { h.handlePublic(pattern, h.api(fn)) }
	apiPrivate := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.api(signedIn(fn))) }

	api("POST /api/v1/session", h.apiLogin)
	apiPrivate("DELETE /api/v1/session", h.apiLogout)
	apiPrivate("GET /api/v1/me", h.apiMe)
	apiPrivate("GET /api/v1/products", h.apiProducts)
	apiPrivate("GET /api/v1/products/{id}", h.apiProduct)
	apiPrivate("GET /api/v1/cart", h.apiCart)
	apiPrivate("POST /api/v1/cart/items", h.apiAddToCart)
	apiPrivate("PUT /api/v1/cart/items/{product_id}", h.apiSetQuantity)
	apiPrivate("DELETE /api/v1/cart/items/{product_id}", h.apiRemoveFromCart)
	apiPrivate("POST /api/v1/checkout", checkout(h.apiCheckout))
	apiPrivate("GET /api/v1/orders", h.apiOrders)
	apiPrivate("GET /api/v1/orders/{id}", h.apiOrder)
	apiPrivate("POST /api/v1/task", task(h.apiTask))
	apiPrivate("GET /api/v1/sessions", h.apiSessions)
	apiPrivate("DELETE /api/v1/sessions/{id}", h.apiRevokeSession)
	apiPrivate("GET /api/v1/activity", h.apiActivity)

	h.handlePublic("GET /healthz", http.HandlerFunc(h.healthz))
	h.handlePublic("GET /readyz", http.HandlerFunc(h.readyz))
	h.handlePublic("GET /static/{file}", http.HandlerFunc(h.static))
	h.mux.HandleFunc("/", h.noRoute)
}

// handlePublic routes pattern to handler, as a route a visitor may use
// without signing in (CONTRACT §3). The public routes are also kept apart,
// so that noRoute can tell a public path from the rest from the route
// table itself rather than from a list kept beside it.
func (h *Handler) handlePublic(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
	h.publicRoutes.Handle(pattern, handler)
}

// noRoute answers a request that no route matched (the mux sends it here,
// through the catch-all "/"), in the shape of the front end its path
// belongs to. A visitor who is not signed in is sent to sign in, as on
// every page that is not public (CONTRACT §3), so that probing tells them
// nothing of what exists; others get 405 with an Allow header where the
// path has routes for other methods, else 404. Only this rare path pays
// for looking again.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	if sesame.ActorFrom(r.Context()).User == nil && !h.public(r.URL.Path) {
		h.fail(w, r, sesame.ErrUnauthenticated)
		return
	}
	var allow []string
	for _, m := range routeMethods {
		if m != r.Method && h.pattern(m, r.URL.Path) != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		h.fail(w, r, errNotFound)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	h.fail(w, r, errMethodNotAllowed)
}

// routeMethods are the methods the routes use (HEAD by way of GET).
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// public reports whether some method has a public route at path.
func (h *Handler) public(path string) bool {
	for _, m := range routeMethods {
		if routeOf(h.publicRoutes, m, path) != "" {
			return true
		}
	}
	return false
}

// pattern returns the pattern of the route of a request with method and
// path, or "" when only the catch-all would take it.
func (h *Handler) pattern(method, path string) string {
	if p := routeOf(h.mux, method, path); p != "/" {
		return p
	}
	return ""
}

// routeOf returns the pattern mux routes a request with method and path
// to, or "". The path is taken as it is, never parsed again: "//host/x"
// must stay a path, not become a host.
func routeOf(mux *http.ServeMux, method, path string) string {
	_, p := mux.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}})
	return p
}

// routable reports whether a GET of path shows a page a signed-in user may
// be sent back to after login: not an API call, a probe, the stylesheet or
// the sign-in and sign-out pages themselves.
func (h *Handler) routable(path string) bool {
	switch h.pattern(http.MethodGet, path) {
	case "", "GET /static/{file}", "GET /healthz", "GET /readyz", "GET /login", "GET /logout":
		return false
	}
	return !isAPI(&http.Request{URL: &url.URL{Path: path}})
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.ready(r.Context()); err != nil {
		h.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
