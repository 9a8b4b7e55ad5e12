package sesame

import "time"

// LoginFailures counts recent failed logins for one username and one client
// address: the state that login throttling (package auth) decides from. It
// lives in the domain so that stores, which keep it across processes, need
// not depend on the service that reads it.
//
// The address counts in a sliding window: only its failures after a moment
// the reader chooses (auth: a minute ago), so no boundary exists at which a
// client could spend a limit twice in quick succession.
type LoginFailures struct {
	UserFailures    int       // consecutive failures for the username
	UserLastFailure time.Time // time of the latest of them
	IPFailures      int       // failures from the address inside the window
	IPOldestFailure time.Time // time of the oldest of them; zero when none
}
