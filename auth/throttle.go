package auth

import (
	"net/netip"
	"strings"
	"time"

	"github.com/sesamehq/sesame/internal/clip"
)

// Login throttling, CONTRACT §6. Two counters slow guessing down:
//
//   - per username, consecutive failures: from the 5th on, the name is locked
//     for 1 s after the latest failure, doubling with each further failure up
//     to 15 min. This caps online guessing of one account at about a
//     hundred tries a day while a legitimate user who mistypes a few times
//     waits seconds, and a success clears it.
//   - per client address, failures in a sliding one-minute window: an
//     address with 20 failures in the last minute is refused until the
//     oldest of them is a minute old, and then gets one more try. This slows
//     one client spraying many usernames, which the per-name counter alone
//     cannot see. The window slides rather than being fixed, because a
//     fixed window has a boundary: 20 failures just before it and 20 just
//     after are 40 guesses in two seconds, twice what "20 a minute" allows.
//     With a sliding window no minute, wherever it starts, holds more than
//     20 failures. An IPv6 client counts as its /64 (see ThrottleAddr).
//
// An attempt refused by either is not checked and not counted: checking it
// would let an attacker keep guessing behind the 429s, and counting it would
// let anyone extend a victim's lock for ever by hammering.
const (
	UserFreeFailures = 5                // failures before a username is locked
	UserBaseDelay    = time.Second      // lock after the 5th failure
	UserMaxDelay     = 15 * time.Minute // longest lock
	IPMaxFailures    = 20               // failures an address may make in any window
	IPWindow         = time.Minute      // length of that sliding window
)

// UserForgetAfter is how long a username's failures are kept after the
// latest of them (Service.PruneLoginFailures deletes them then). The
// longest lock, UserMaxDelay, ends 15 minutes after the latest failure, so
// a day-old counter locks nothing; what it still holds is the run of
// consecutive failures, which makes the next failure lock for long at
// once. A day without a single failure is no guessing campaign, so it ends
// the run, and a user who mistyped yesterday starts afresh. It gives a
// guesser nothing: to earn the reset they must not try for a day, and it
// buys them the 5 free tries and the short first locks, about 15 tries,
// where trying every 15 minutes at the longest lock through the quiet day
// would have got them about 96.
const UserForgetAfter = 24 * time.Hour

// lockDelay is how long a username stays locked after its latest failure,
// given its count of consecutive failures: nothing below UserFreeFailures,
// then UserBaseDelay·2^(failures−UserFreeFailures), at most UserMaxDelay.
func lockDelay(failures int) time.Duration {
	if failures < UserFreeFailures {
		return 0
	}
	// Stop shifting before it overflows: 2^10 s already exceeds 15 min.
	shift := failures - UserFreeFailures
	if shift >= 30 {
		return UserMaxDelay
	}
	return min(UserBaseDelay<<shift, UserMaxDelay)
}

// retryAfter returns how long an attempt at now must wait given the
// counters t, or 0 when it may go ahead. When both the username and the
// address are locked it is the longer wait, so that a client that obeys
// Retry-After is not refused again at once. The wait is rounded up to whole
// seconds and is at least one, because Retry-After carries whole seconds
// and "0" would invite an immediate retry that is still refused.
//
// t.IPFailures must count only the failures inside the window that ends at
// now (begin asks the store for those). An address at the limit waits
// until its oldest counted failure leaves the window: then it is under the
// limit again.
func retryAfter(t Failures, now time.Time) time.Duration {
	var wait time.Duration
	if t.IPFailures >= IPMaxFailures {
		wait = max(wait, t.IPOldestFailure.Add(IPWindow).Sub(now))
	}
	if d := lockDelay(t.UserFailures); d > 0 {
		wait = max(wait, t.UserLastFailure.Add(d).Sub(now))
	}
	if wait <= 0 {
		return 0
	}
	return roundUpSecond(wait)
}

// roundUpSecond rounds d up to a whole number of seconds, at least one.
func roundUpSecond(d time.Duration) time.Duration {
	s := (d + time.Second - 1) / time.Second * time.Second
	return max(s, time.Second)
}

// throttleKey is the username as the throttle counts it: lowercased, so
// that "Alice" and "alice" (one account, usernames compare without case) share
// one counter, and cut to the longest username on a rune boundary, so that
// a client cannot make the store keep arbitrarily long keys.
func throttleKey(username string) string {
	return clip.String(strings.ToLower(username), clip.Username)
}

// ThrottleAddr returns the client address ip as limits per address should
// count it: the login throttle and the per-address lock here, and any other
// limit a front end keeps. An IPv6 address becomes its /64 prefix, such as
// "2001:db8:1:2::/64": a subscriber is routinely given a whole /64 and may
// use any of its 2^64 addresses, so counting single addresses would let one
// client rotate past the limit for ever. The price is that the hosts of one
// /64 (one network) share the limit, as the hosts behind one IPv4 NAT
// already do. An IPv4-mapped IPv6 address is the IPv4 client it maps
// ("::ffff:192.0.2.1" counts as "192.0.2.1"), so that one client cannot
// double its allowance by alternating the two spellings; IPv4 addresses and
// strings that do not parse as an address are left as they are. The audit
// trail keeps the full address; only throttling groups.
func ThrottleAddr(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is4In6() {
		return a.Unmap().String()
	}
	if !a.Is6() {
		return ip
	}
	p, err := a.Prefix(64) // drops a zone: fe80::1%eth0 is in fe80::/64
	if err != nil {
		return ip // cannot happen: 64 bits fit in any IPv6 address
	}
	return p.String()
}
