package auth

import (
	"context"
	"time"

	"github.com/sesamehq/sesame"
)

// Store is what the auth service needs from storage. The sqlite (and later
// postgres) package implements it; every method is safe for concurrent use by
// several processes sharing one database.
type Store interface {
	// UserByID and UserByUsername return the user with their roles and
	// permissions, or an error matching sesame.ErrNotFound. Usernames are
	// compared without regard to case.
	UserByID(ctx context.Context, id int64) (*sesame.User, error)
	UserByUsername(ctx context.Context, username string) (*sesame.User, error)
	// SetPasswordHash replaces the stored hash of user id.
	SetPasswordHash(ctx context.Context, id int64, hash string) error

	// LoginFailures returns the failed-login counters for username and ip.
	LoginFailures(ctx context.Context, username, ip string) (sesame.LoginFailures, error)
	// RecordLoginFailure atomically counts one more failure for username and
	// for ip. The ip counter counts within a fixed window that opens at the
	// first failure and lasts window; a failure after the window opens a new
	// one with a count of 1.
	RecordLoginFailure(ctx context.Context, username, ip string, now time.Time, window time.Duration) error
	// ResetLoginFailures forgets the failures of username (not of its ip).
	ResetLoginFailures(ctx context.Context, username string) error
}
