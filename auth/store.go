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
	// The username counter is returned whatever its age: whether it still
	// locks depends on its count, which the caller judges. The ip counter
	// holds only the failures after since, the start of the sliding window:
	// older ones no longer count, and the oldest counted one says when the
	// window will next let one more through.
	LoginFailures(ctx context.Context, username, ip string, since time.Time) (sesame.LoginFailures, error)
	// RecordLoginFailure atomically counts one more failure for username and
	// records one for ip at now. Each address failure is kept with its time,
	// not folded into a count, so that LoginFailures can count any window.
	RecordLoginFailure(ctx context.Context, username, ip string, now time.Time) error
	// ResetLoginFailures forgets the failures of username (not of its ip).
	ResetLoginFailures(ctx context.Context, username string) error
	// ForgetLoginFailures deletes throttle state that has served its time,
	// so that the store does not keep a row for every failure and every
	// name ever tried: the address failures at or before windowStart (those
	// that LoginFailures with that since no longer counts) and the username
	// counters whose latest failure is at or before quietSince. It returns
	// how many rows it deleted. The two cutoffs differ, and are the
	// caller's: an address failure is dead once it leaves the window, while
	// a username's run of failures must outlive its lock (see
	// UserForgetAfter).
	ForgetLoginFailures(ctx context.Context, windowStart, quietSince time.Time) (int, error)
}
