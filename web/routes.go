package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesamehq/sesame"
)

// handlerFunc is a route's handler: it answers, or returns an error for the
// front end's error mapping to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts fn to http.Handler, answering its errors as HTML.
func (h *Handler) page(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.auditReauthRefusal(r, err)
			h.pageError(w, r, err)
		}
	})
}

// api adapts fn to http.Handler, answering its errors as JSON.
func (h *Handler) api(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.auditReauthRefusal(r, err)
			h.apiError(w, r, err)
		}
	})
}

// auditReauthRefusal records a change refused for want of a recent
// password (CONTRACT §7), as every refusal is recorded (§6): the services
// refuse it without a word to the trail, since they cannot tell what the
// request was.
func (h *Handler) auditReauthRefusal(r *http.Request, err error) {
	if errors.Is(err, sesame.ErrReauthenticationRequired) {
		h.audit.Record(r.Context(), sesame.Event{Action: sesame.ActionAccessDenied, Outcome: sesame.OutcomeDenied,
			Detail: "re-authentication required: " + r.Pattern})
	}
}

// signedIn refuses fn to a visitor who is not signed in: a page sends them to
// the login page, the API answers 401.
func signedIn(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if sesame.ActorFrom(r.Context()).User == nil {
			return sesame.ErrUnauthenticated
		}
		return fn(w, r)
	}
}

// require returns a wrapper that refuses fn to a signed-in user without
// permission p; the refusal is audited by Authorize.
func (h *Handler) require(p sesame.Permission) func(handlerFunc) handlerFunc {
	return func(fn handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if err := h.auth.Authorize(r.Context(), p); err != nil {
				return err
			}
			return fn(w, r)
		}
	}
}

// routes lists every route and who may use it. Public ones are wrapped in
// page or api only; the rest also in signedIn, which sends a visitor who is
// not signed in to the login page (pages) or answers 401 (API); the
// privileged ones also in h.require. The services authorize again, through
// the same auth.Service.Authorize, so no route can forget.
func (h *Handler) routes() {
	page := func(pattern string, fn handlerFunc) { h.handlePublic(pattern, h.page(fn)) }
	private := func(pattern string, fn handlerFunc) {
		h.handle(pattern, h.page(signedIn(h.secondFactorGate(pattern, fn))))
	}
	checkout, task := h.require(sesame.PermCheckout), h.require(sesame.PermTaskPerform)
	admin := h.require(sesame.PermAdmin)

	page("GET /{$}", h.home)
	page("GET /login", h.loginForm)
	page("POST /login", h.login)
	page("GET /login/second-factor", h.secondFactorForm)
	page("POST /login/second-factor", h.secondFactor)
	page("POST /login/passkey", h.passkeyLogin)
	private("GET /logout", h.logoutForm)
	page("POST /logout", h.logout) // public: see logout
	private("GET /reauth", h.reauthForm)
	private("POST /reauth", h.reauth)
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
	private("GET /account/security", h.security)
	private("GET /account/security/totp.png", h.totpQRCode)
	private("POST /account/security/totp", h.beginTOTP)
	private("POST /account/security/totp/confirm", h.confirmTOTP)
	private("POST /account/security/totp/disable", h.disableTOTP)
	private("POST /account/security/passkeys", h.addPasskey)
	private("POST /account/security/passkeys/{id}/rename", h.renamePasskey)
	private("POST /account/security/passkeys/{id}/delete", h.deletePasskey)

	// The admin pages (CONTRACT §7). Each change is a form posted to the
	// user or session it changes; see pages_admin.go.
	private("GET /admin/users", admin(h.adminUsers))
	private("POST /admin/users", admin(h.adminCreateUser))
	private("POST /admin/users/{id}/roles", admin(h.adminSetRoles))
	private("POST /admin/users/{id}/password", admin(h.adminResetPassword))
	private("POST /admin/users/{id}/disable", admin(h.adminDisable))
	private("POST /admin/users/{id}/enable", admin(h.adminEnable))
	private("POST /admin/users/{id}/sessions/revoke", admin(h.adminRevokeUserSessions))
	private("POST /admin/users/{id}/totp/remove", admin(h.adminRemoveTOTP))
	private("POST /admin/users/{id}/passkeys/remove", admin(h.adminRemovePasskeys))
	private("GET /admin/sessions", admin(h.adminSessions))
	private("POST /admin/sessions/{id}/revoke", admin(h.adminRevokeSession))
	private("GET /admin/audit", admin(h.adminAudit))

	api := func(pattern string, fn handlerFunc) { h.handlePublic(pattern, h.api(fn)) }
	apiPrivate := func(pattern string, fn handlerFunc) {
		h.handle(pattern, h.api(signedIn(h.secondFactorGate(pattern, fn))))
	}

	api("POST /api/v1/session", h.apiLogin)
	api("POST /api/v1/session/second-factor", h.apiSecondFactor)
	api("POST /api/v1/session/second-factor/options", h.apiSecondFactorOptions)
	api("POST /api/v1/session/passkey/options", h.apiPasskeySignInOptions)
	api("POST /api/v1/session/passkey", h.apiPasskeySignIn)
	apiPrivate("DELETE /api/v1/session", h.apiLogout)
	apiPrivate("POST /api/v1/session/reauth", h.apiReauth)
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
	apiPrivate("DELETE /api/v1/sessions", h.apiRevokeOtherSessions)
	apiPrivate("DELETE /api/v1/sessions/{id}", h.apiRevokeSession)
	apiPrivate("PUT /api/v1/account/password", h.apiChangePassword)
	apiPrivate("POST /api/v1/account/totp", h.apiBeginTOTP)
	apiPrivate("POST /api/v1/account/totp/confirm", h.apiConfirmTOTP)
	apiPrivate("DELETE /api/v1/account/totp", h.apiDisableTOTP)
	apiPrivate("GET /api/v1/account/passkeys", h.apiPasskeys)
	apiPrivate("POST /api/v1/account/passkeys/options", h.apiPasskeyOptions)
	apiPrivate("POST /api/v1/account/passkeys", h.apiAddPasskey)
	apiPrivate("PATCH /api/v1/account/passkeys/{id}", h.apiRenamePasskey)
	apiPrivate("DELETE /api/v1/account/passkeys/{id}", h.apiDeletePasskey)
	apiPrivate("GET /api/v1/activity", h.apiActivity)

	apiPrivate("GET /api/v1/admin/users", admin(h.apiAdminUsers))
	apiPrivate("POST /api/v1/admin/users", admin(h.apiAdminCreateUser))
	apiPrivate("PUT /api/v1/admin/users/{id}/roles", admin(h.apiAdminSetRoles))
	apiPrivate("PUT /api/v1/admin/users/{id}/password", admin(h.apiAdminResetPassword))
	apiPrivate("PUT /api/v1/admin/users/{id}/disabled", admin(h.apiAdminSetDisabled))
	apiPrivate("DELETE /api/v1/admin/users/{id}/sessions", admin(h.apiAdminRevokeUserSessions))
	apiPrivate("DELETE /api/v1/admin/users/{id}/totp", admin(h.apiAdminRemoveTOTP))
	apiPrivate("DELETE /api/v1/admin/users/{id}/passkeys", admin(h.apiAdminRemovePasskeys))
	apiPrivate("GET /api/v1/admin/sessions", admin(h.apiAdminSessions))
	apiPrivate("DELETE /api/v1/admin/sessions/{id}", admin(h.apiAdminRevokeSession))
	apiPrivate("GET /api/v1/admin/audit", admin(h.apiAdminAudit))

	// The description of the API, served like the probes (see ServeHTTP).
	h.handlePublic("GET "+openAPIPath, http.HandlerFunc(h.openAPI))
	h.handlePublic("GET /healthz", http.HandlerFunc(h.healthz))
	h.handlePublic("GET /readyz", http.HandlerFunc(h.readyz))
	h.handlePublic("GET /static/{file}", http.HandlerFunc(h.static))
	h.handlePublic("GET /favicon.ico", http.HandlerFunc(h.favicon))
	h.mux.HandleFunc("/", h.noRoute)
}

// handle routes pattern to handler and remembers the pattern, so that the
// routes can be listed (a test holds the API description to them).
func (h *Handler) handle(pattern string, handler http.Handler) {
	handler = routed(handler)
	h.mux.Handle(pattern, handler)
	h.patterns = append(h.patterns, pattern)
}

// handlePublic routes pattern to handler, as a route a visitor may use
// without signing in (CONTRACT §3). The public routes are also kept apart,
// so that noRoute can tell a public path from the rest from the route
// table itself rather than from a list kept beside it.
func (h *Handler) handlePublic(pattern string, handler http.Handler) {
	h.handle(pattern, handler)
	h.publicRoutes.Handle(pattern, handler) // only looked up, never served
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
	case "", "GET /static/{file}", "GET /favicon.ico", "GET /healthz", "GET /readyz", "GET /login", "GET /logout", "GET /login/second-factor":
		return false
	}
	return !isAPI(&http.Request{URL: &url.URL{Path: path}})
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.ready(r.Context()); err != nil {
		h.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
