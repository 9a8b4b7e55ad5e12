package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sesamehq/sesame"
)

// formFailure decides how a form's failure is shown. A refusal of the input
// (400, 404, 409, 429) re-renders the form's page with the reason, so the
// user can correct it; anything else is returned, for the error page.
func formFailure(failure error) (int, *problem, error) {
	if failure == nil {
		return http.StatusOK, nil, nil
	}
	p := problemFor(failure)
	switch p.Status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests:
		return p.Status, &p, nil
	}
	return 0, nil, failure
}

// parseForm reads a form body, refusing one that is too large or malformed.
//
// Like the JSON API, it takes each field once: with two values, which one
// counts would be a guess (net/http takes the first), so neither is taken.
// A body of another type than a URL-encoded form (a multipart one, say)
// answers 415 rather than look like a form with every field missing. The
// fields named in multi are lists (a group of checkboxes), which may be
// given any number of times.
func parseForm(r *http.Request, multi ...string) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return &mediaError{want: "application/x-www-form-urlencoded"}
		}
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return sesame.Invalid("body", "is not a valid form")
	}
	inv := new(sesame.InvalidError)
	for field, values := range r.PostForm {
		if len(values) > 1 && !slices.Contains(multi, field) {
			inv.Add(field, "is given more than once")
		}
	}
	return inv.Err()
}

// formInt reads an integer field of a form; empty means def.
func formInt(r *http.Request, field string, def int) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, sesame.Invalid(field, "must be a whole number")
	}
	// Past the range of int, n is the nearest bound: the service refuses it
	// and says what the range is.
	return n, nil
}

// formID reads a required id field of a form.
func formID(r *http.Request, field string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		if v == "" {
			return 0, sesame.Invalid(field, "is required")
		}
		return 0, sesame.Invalid(field, "must be a product id")
	}
	return id, nil
}

// pathID reads an id from the path. An id that cannot exist names nothing:
// not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, r.PathValue(name), sesame.ErrNotFound)
	}
	return id, nil
}

// pagingOf reads ?limit= and ?cursor=.
func pagingOf(r *http.Request) (sesame.Paging, error) {
	q := r.URL.Query()
	return sesame.ParsePaging(q.Get("limit"), q.Get("cursor"))
}
