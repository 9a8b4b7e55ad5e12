package sesame

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Errors that services return and the front ends map to status codes. Test
// for them with errors.Is; their text is safe to show to the user.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")

	// ErrUnavailable says that a store could not do its part just now (it
	// is unreachable, too busy, out of space): the request was not carried
	// out and may be retried later.
	ErrUnavailable = errors.New("unavailable")

	// ErrBadCredentials is the one answer to a failed login, whether the user
	// exists or not, so that the answer cannot be used to find usernames.
	ErrBadCredentials = fmt.Errorf("%w: invalid username or password", ErrUnauthenticated)
	// ErrEmptyCart refuses a checkout of an empty cart.
	ErrEmptyCart = fmt.Errorf("%w: the cart is empty", ErrConflict)

	// ErrReauthenticationRequired refuses a sensitive change to a session
	// whose user has not entered their password recently enough. It
	// matches ErrForbidden.
	ErrReauthenticationRequired = fmt.Errorf("%w: enter your password again first", ErrForbidden)
)

// InvalidError reports input that was refused, with one reason per field. Its
// reasons are written for the user and safe to show.
type InvalidError struct {
	Fields map[string]string
}

// Invalid returns an InvalidError for one field.
func Invalid(field, why string) *InvalidError {
	return &InvalidError{Fields: map[string]string{field: why}}
}

// Add records why field was refused and returns e, so that checks chain.
func (e *InvalidError) Add(field, why string) *InvalidError {
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = why
	}
	return e
}

// Err returns e, or nil when no field was refused. It lets a validation build
// an InvalidError unconditionally and return e.Err().
func (e *InvalidError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Error lists the refused fields and why, in a stable order.
func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input:")
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, " %s: %s;", f, e.Fields[f])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// RateLimitError refuses an attempt that came too soon; it may be retried
// after RetryAfter.
type RateLimitError struct {
	RetryAfter time.Duration
}

// Error says how long to wait.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many attempts: retry in %s", e.RetryAfter.Round(time.Second))
}

// ShortLine is a cart line that stock cannot fill.
type ShortLine struct {
	ProductID int64
	Name      string
	Wanted    int
	Available int
}

// StockError refuses a checkout because stock cannot fill some lines; nothing
// was sold. It matches ErrConflict.
type StockError struct {
	Lines []ShortLine
}

// Error names every short line.
func (e *StockError) Error() string {
	var b strings.Builder
	b.WriteString("not enough stock:")
	for _, l := range e.Lines {
		fmt.Fprintf(&b, " %s (%d wanted, %d left);", l.Name, l.Wanted, l.Available)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is makes errors.Is(err, ErrConflict) hold for a StockError.
func (e *StockError) Is(target error) bool { return target == ErrConflict }

// PermissionError refuses an action to a signed-in user who lacks the
// permission it needs. It matches ErrForbidden; Permission says what was
// refused, so the answer can too.
type PermissionError struct {
	Permission Permission
}

// Error names the permission that was missing.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("%v: needs permission %q", ErrForbidden, e.Permission)
}

// Is makes errors.Is(err, ErrForbidden) hold for a PermissionError.
func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }

// UnknownError says that an input field names something that does not
// exist, such as a product id that no product has. It matches ErrNotFound;
// Field names the input, so that a form can say which of its fields was
// wrong.
type UnknownError struct {
	Field string // the input, e.g. "product_id"
	What  string // what it should have named, e.g. "product"
}

// Error names the field and what it should have named.
func (e *UnknownError) Error() string {
	return fmt.Sprintf("%v: %s names no %s", ErrNotFound, e.Field, e.What)
}

// Is makes errors.Is(err, ErrNotFound) hold for an UnknownError.
func (e *UnknownError) Is(target error) bool { return target == ErrNotFound }
