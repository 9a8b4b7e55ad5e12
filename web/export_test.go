package web

import (
	"net/http"
	"slices"

	"github.com/sesamehq/sesame"
)

// WithoutSessions returns the routes of h behind the security headers and
// panic recovery only, every request acting as a, for the benchmarks that
// measure what the session check costs. It exists only in tests: the
// server has no way to reach its routes without the session middleware.
func (h *Handler) WithoutSessions(a *sesame.Actor) http.Handler {
	return SecurityHeaders(h.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mux.ServeHTTP(w, r.WithContext(sesame.NewContext(r.Context(), a)))
	})))
}

// Chain returns next behind the whole middleware chain every request
// passes (headers, recovery, the session, the log, the actor, the
// cross-origin check, the body limit), for the benchmark of what the chain
// costs in front of a trivial handler.
func (h *Handler) Chain(next http.Handler) http.Handler { return h.middleware(next) }

// Patterns returns the patterns of every route of h, a *Handler, for the
// test that holds the OpenAPI document to them.
func Patterns(h http.Handler) []string { return slices.Clone(h.(*Handler).patterns) }

// FieldLabel is the label the pages name a form field by.
func FieldLabel(field string) string { return fieldLabel(field) }
