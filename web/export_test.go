package web

import (
	"net/http"
	"slices"
)

// Patterns returns the patterns of every route of h, a *Handler, for the
// test that holds the OpenAPI document to them.
func Patterns(h http.Handler) []string { return slices.Clone(h.(*Handler).patterns) }
