package sesame

import "time"

// LoginFailures counts recent failed logins for one username and one client
// address: the state that login throttling (package auth) decides from. It
// lives in the domain so that stores, which keep it across processes, need
// not depend on the service that reads it.
type LoginFailures struct {
	UserFailures    int       // consecutive failures for the username
	UserLastFailure time.Time // time of the latest of them
	IPFailures      int       // failures from the address in its window
	IPWindowStart   time.Time // when that window opened
}
