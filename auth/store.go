package auth

import (
	"context"
	"time"

	"github.com/sesamehq/sesame"
)

// Store is what the auth service needs from storage. The sqlite and
// postgres packages implement it; every method is safe for concurrent use
// by several processes sharing one database, and the throttle methods are
// exact across them (see BeginAttempt).
type Store interface {
	// UserByID and UserByUsername return the user with their roles and
	// permissions, or an error matching sesame.ErrNotFound. Usernames are
	// compared without regard to case.
	UserByID(ctx context.Context, id int64) (*sesame.User, error)
	UserByUsername(ctx context.Context, username string) (*sesame.User, error)
	// RehashPassword replaces the stored hash of user id with another hash
	// of the same password (new parameters), keeping its Generation: the
	// password has not changed, so no session need end.
	RehashPassword(ctx context.Context, id int64, hash string) error
	// SetLastLogin records a sign-in of user id at t.
	SetLastLogin(ctx context.Context, id int64, t time.Time) error

	// LoginFailures returns the failed-login counters for username and ip.
	// The username counter is returned whatever its age: whether it still
	// locks depends on its count, which the caller judges. The ip counter
	// holds only the failures after since, the start of the sliding window:
	// older ones no longer count, and the oldest counted one says when the
	// window will next let one more through.
	LoginFailures(ctx context.Context, username, ip string, since time.Time) (Failures, error)
	// BeginAttempt starts a login attempt for username from ip at now, as
	// one atomic step against every other attempt in every process: it
	// reads the counters as LoginFailures(username, ip, since) does and
	// calls allow with them; when allow returns an error, it changes
	// nothing and returns that error; else it counts the attempt as one
	// failure of username and one of ip (at now), and returns it. An attempt
	// is thus counted before its password is checked, so that parallel
	// attempts, on any instance, see each other and no burst can slip past a
	// limit; one that succeeds is uncounted again by SucceedAttempt. allow
	// is a pure function of its argument: a store that retries a
	// serialization failure may call it again.
	BeginAttempt(ctx context.Context, username, ip string, now, since time.Time, allow func(Failures) error) (Attempt, error)
	// SucceedAttempt takes back what BeginAttempt counted for a attempt
	// whose password was right, and forgets the username's failures: a
	// success ends a run of them. The address's other failures stay, since
	// they guard against guessing across names.
	SucceedAttempt(ctx context.Context, a Attempt) error
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

// Failures counts recent failed logins for one username and one client
// address: the state that login throttling decides from.
//
// The address counts in a sliding window: only its failures after a moment
// the reader chooses (a minute ago), so no boundary exists at which a client
// could spend a limit twice in quick succession.
type Failures struct {
	UserFailures    int       // consecutive failures for the username
	UserLastFailure time.Time // time of the latest of them
	IPFailures      int       // failures from the address inside the window
	IPOldestFailure time.Time // time of the oldest of them; zero when none
}

// Attempt is a login attempt that BeginAttempt counted: the username and
// address it was counted for, when, and the store's own mark of the address
// failure it recorded, so that SucceedAttempt removes that one and no
// other.
type Attempt struct {
	Username, IP string
	At           time.Time
	Mark         int64
}
