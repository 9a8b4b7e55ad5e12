package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// Errors of the HTTP layer itself, beside the domain's.
var (
	errNotFound         = errors.New("no such page")
	errMethodNotAllowed = errors.New("method not allowed")
	errCrossOrigin      = errors.New("cross-origin request refused")
)

// mediaError refuses a request body of a type its route does not read.
type mediaError struct {
	want string // the media type the route reads
}

func (e *mediaError) Error() string { return "unsupported media type: want " + e.want }

// problem is an error as the client sees it: a status, a code from CONTRACT
// §5, a message safe to show, and where input was refused, one reason per
// field. Both front ends render problems; only this file decides them.
type problem struct {
	Status     int
	Code       string
	Message    string
	Fields     map[string]string
	Short      []sesame.ShortLine
	RetryAfter time.Duration
}

// problemFor maps err to what the client is told. Only typed errors and
// fixed messages reach the client: the text of an unexpected error may hold
// internals (SQL, addresses) and is only logged, by the caller.
func problemFor(err error) problem {
	var (
		invalid  *sesame.InvalidError
		limited  *sesame.RateLimitError
		stock    *sesame.StockError
		perm     *sesame.PermissionError
		tooLarge *http.MaxBytesError
		unknown  *sesame.UnknownError
		media    *mediaError
	)
	switch {
	case errors.As(err, &invalid):
		return problem{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "Some of the input was not accepted.", Fields: invalid.Fields}
	case errors.As(err, &tooLarge):
		return problem{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "The request body is larger than " + strconv.FormatInt(tooLarge.Limit>>10, 10) + " KiB."}
	case errors.As(err, &media):
		return problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "The request body must be " + media.want + "."}
	case errors.As(err, &limited):
		return problem{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message:    "Too many attempts. Try again in " + seconds(limited.RetryAfter) + ".",
			RetryAfter: limited.RetryAfter}
	case errors.Is(err, sesame.ErrBadCredentials):
		return problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "Invalid username or password."}
	case errors.Is(err, sesame.ErrBadPasskey):
		return problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "That passkey was not accepted."}
	case errors.Is(err, sesame.ErrBadSecondFactor):
		return problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "Invalid code."}
	case errors.Is(err, sesame.ErrUnauthenticated):
		return problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "Sign in first."}
	case errors.Is(err, errCrossOrigin):
		return problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "This request came from another site and was refused."}
	case errors.Is(err, sesame.ErrReauthenticationRequired):
		return problem{Status: http.StatusForbidden, Code: "reauthentication_required",
			Message: "Enter your password again to do this."}
	case errors.Is(err, sesame.ErrSecondFactorRequired):
		return problem{Status: http.StatusForbidden, Code: "second_factor_required",
			Message: "Set up a second factor first, on your account's security page."}
	case errors.Is(err, account.ErrTOTPEnabled):
		return problem{Status: http.StatusConflict, Code: "conflict",
			Message: "An authenticator app is already set up; turn it off first."}
	case errors.Is(err, account.ErrNoSecretKey):
		return problem{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "Second factors are not available on this server."}
	case errors.Is(err, account.ErrNoPasskeys):
		return problem{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "Passkeys are not available on this server."}
	case errors.Is(err, account.ErrPasskeyLimit):
		return problem{Status: http.StatusConflict, Code: "conflict",
			Message: fmt.Sprintf("You have %d passkeys, as many as one may; delete one first.", account.MaxPasskeys)}
	case errors.As(err, &perm):
		return problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "You are not allowed to " + describe(perm.Permission) + "."}
	case errors.Is(err, sesame.ErrForbidden):
		return problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "You are not allowed to do that."}
	case errors.As(err, &unknown):
		return problem{Status: http.StatusNotFound, Code: "not_found",
			Message: "There is nothing here.", Fields: map[string]string{unknown.Field: "is not a " + unknown.What}}
	case errors.Is(err, errNotFound), errors.Is(err, sesame.ErrNotFound):
		return problem{Status: http.StatusNotFound, Code: "not_found",
			Message: "There is nothing here."}
	case errors.Is(err, errMethodNotAllowed):
		return problem{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "This address does not accept that method."}
	case errors.As(err, &stock):
		return problem{Status: http.StatusConflict, Code: "conflict",
			Message: "There is not enough stock for some of your cart.", Short: stock.Lines}
	case errors.Is(err, account.ErrUsernameTaken):
		return problem{Status: http.StatusConflict, Code: "conflict", Message: "That username is taken.",
			Fields: map[string]string{"username": "is taken (usernames are compared without regard to case)"}}
	case errors.Is(err, sesame.ErrEmptyCart):
		return problem{Status: http.StatusConflict, Code: "conflict", Message: "Your cart is empty."}
	case errors.Is(err, sesame.ErrConflict):
		return problem{Status: http.StatusConflict, Code: "conflict",
			Message: "That conflicts with the current state; reload and try again."}
	case errors.Is(err, sesame.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return problem{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "The service is unavailable right now. Try again shortly."}
	default:
		return problem{Status: http.StatusInternalServerError, Code: "internal",
			Message: "Something went wrong on our side."}
	}
}

// describe says in words what a permission allows, for refusals.
func describe(p sesame.Permission) string {
	switch p {
	case sesame.PermCheckout:
		return "check out"
	case sesame.PermTaskPerform:
		return "perform the task"
	case sesame.PermCartEdit:
		return "change a cart"
	case sesame.PermProductsView:
		return "see the products"
	case sesame.PermAdmin:
		return "use the admin pages"
	}
	return "do that (" + string(p) + ")"
}

// ceilSeconds is d in whole seconds, rounded up: a client told to wait
// less than the full time would only be refused again.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// seconds renders d, rounded up, as "N seconds".
func seconds(d time.Duration) string {
	if n := ceilSeconds(d); n != 1 {
		return strconv.FormatInt(n, 10) + " seconds"
	}
	return "1 second"
}

// setRetryAfter tells a rate-limited client when to come back.
func setRetryAfter(w http.ResponseWriter, p problem) {
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(ceilSeconds(p.RetryAfter), 10))
	}
}

// fail answers r with err, in the shape of the front end r's path belongs
// to. Handlers return errors; middleware and routing call fail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if isAPI(r) {
		h.apiError(w, r, err)
		return
	}
	h.pageError(w, r, err)
}

func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// logProblem logs the errors the client cannot be told about. A request
// whose context has ended did not fail: its client went away, or the
// server's stop cut it (and said so once); whatever error its end caused
// (a read on a closed connection, say) is not worth an error line.
func (h *Handler) logProblem(r *http.Request, p problem, err error) {
	switch {
	case errors.Is(err, context.Canceled), r.Context().Err() != nil:
		h.log.DebugContext(r.Context(), "client went away", "path", r.URL.Path)
	case p.Status >= 500:
		h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
	}
}
