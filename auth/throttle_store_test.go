package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
)

func TestLoginThrottleSchedule(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "alice", "correct horse battery", cheap, "customer")
	// A different address for every attempt isolates the username counter.
	n := 0
	attempt := func(username, password string) error {
		n++
		_, err := e.svc.Login(from("198.51.100."+strconv.Itoa(n)), username, password)
		return err
	}

	for i := range 5 {
		if err := attempt("alice", "wrong"); err != sesame.ErrBadCredentials {
			t.Fatalf("failure %d: %v; want ErrBadCredentials", i+1, err)
		}
	}
	// Locked for 1 s after the 5th failure, even with the right password,
	// whatever the case of the name; refused attempts count nothing.
	for range 3 {
		wantRateLimited(t, attempt("ALICE", "correct horse battery"), time.Second)
	}
	if th := e.throttle(t, "alice", ""); th.UserFailures != 5 {
		t.Fatalf("failures after refused attempts = %d; want 5", th.UserFailures)
	}
	e.clock.Advance(500 * time.Millisecond)
	wantRateLimited(t, attempt("alice", "wrong"), time.Second) // 0.5 s rounds up

	// Each further failure doubles the lock, up to 15 minutes.
	e.clock.Advance(500 * time.Millisecond)
	want := time.Second
	for failures := 6; failures <= 17; failures++ {
		if err := attempt("alice", "wrong"); err != sesame.ErrBadCredentials {
			t.Fatalf("failure %d: %v; want ErrBadCredentials", failures, err)
		}
		want = min(2*want, 15*time.Minute)
		wantRateLimited(t, attempt("alice", "correct horse battery"), want)
		e.clock.Advance(want - time.Second)
		wantRateLimited(t, attempt("alice", "correct horse battery"), time.Second)
		e.clock.Advance(time.Second)
	}
	if want != 15*time.Minute {
		t.Fatalf("schedule ended at %v; want the 15 min cap", want)
	}

	// A success resets: the next failure does not lock.
	if err := attempt("alice", "correct horse battery"); err != nil {
		t.Fatalf("login after the lock: %v", err)
	}
	if err := attempt("alice", "wrong"); err != sesame.ErrBadCredentials {
		t.Fatalf("failure after success: %v", err)
	}
	if err := attempt("alice", "correct horse battery"); err != nil {
		t.Errorf("login after one failure: %v; want success", err)
	}
}

func TestLoginIPLimit(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "alice", "correct horse battery", cheap, "customer")
	const ip = "203.0.113.7"
	start := e.clock.Now()
	// 20 failures across 20 usernames, one a second: no username is locked.
	for i := range 20 {
		if _, err := e.svc.Login(from(ip), "user"+strconv.Itoa(i), "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		e.clock.Advance(time.Second)
	}
	// 20 s after the first failure: everything from the address is refused
	// until that failure is a minute old, even a right password, and
	// nothing is counted.
	_, err := e.svc.Login(from(ip), "alice", "correct horse battery")
	wantRateLimited(t, err, 40*time.Second)
	e.clock.Advance(39*time.Second + 500*time.Millisecond)
	_, err = e.svc.Login(from(ip), "alice", "correct horse battery")
	wantRateLimited(t, err, time.Second)
	if th := e.throttle(t, "alice", ip); th.IPFailures != 20 || th.UserFailures != 0 {
		t.Fatalf("counters after refusals = %+v; want 20 address and 0 alice failures", th)
	}
	// Another address is not affected.
	if _, err := e.svc.Login(from("203.0.113.8"), "alice", "correct horse battery"); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
	// The first failure is a minute old: the address may try again.
	e.clock.t = start.Add(time.Minute)
	if _, err := e.svc.Login(from(ip), "alice", "correct horse battery"); err != nil {
		t.Fatalf("login after the window: %v", err)
	}
}

// TestLoginIPLimitSlides: the address limit holds in every minute, not in
// minutes that start at a first failure. A fixed window opened by the first
// failure would let 20 failures straddle its end (some before, some after)
// and then 20 more: 40 guesses within seconds.
func TestLoginIPLimitSlides(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "alice", "correct horse battery", cheap, "customer")
	const ip = "203.0.113.9"
	n := 0
	fail := func(what string) {
		t.Helper()
		n++ // a new username each time: no name is ever locked
		if _, err := e.svc.Login(from(ip), "user"+strconv.Itoa(n), "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("%s (failure %d): %v; want ErrBadCredentials", what, n, err)
		}
	}
	t0 := e.clock.Now()
	// One failure at t0: a fixed window would run from t0 to t0+60s.
	fail("the first failure")
	// Ten at t0+50s..t0+59s, one a second: 11 in that fixed window.
	e.clock.t = t0.Add(50 * time.Second)
	for range 10 {
		fail("before the fixed boundary")
		e.clock.Advance(time.Second)
	}
	// Ten at t0+60s..t0+69s. The one at t0 has left the sliding window, so
	// each of these is checked, and the window ends with 20, the first at
	// t0+50s.
	for range 10 {
		fail("after the fixed boundary")
		e.clock.Advance(time.Second)
	}
	first := t0.Add(50 * time.Second)
	if th := e.throttle(t, "", ip); th.IPFailures != 20 || !th.IPOldestFailure.Equal(first) {
		t.Fatalf("counters at t0+70s = %+v; want 20 failures, the oldest at t0+50s", th)
	}

	// t0+70s: a fixed window opened at t0+60s would hold only 10 and let
	// this through. 20 of the last minute refuse it, even the right
	// password, until the failure at t0+50s is a minute old.
	_, err := e.svc.Login(from(ip), "alice", "correct horse battery")
	wantRateLimited(t, err, 40*time.Second)
	for range 10 { // hammering is neither checked nor counted
		_, err := e.svc.Login(from(ip), "user0", "guess")
		wantRateLimited(t, err, 40*time.Second)
	}
	e.clock.t = first.Add(time.Minute - time.Millisecond)
	_, err = e.svc.Login(from(ip), "alice", "correct horse battery")
	wantRateLimited(t, err, time.Second)
	if th := e.throttle(t, "alice", ip); th.IPFailures != 20 || th.UserFailures != 0 {
		t.Fatalf("counters after refusals = %+v; want 20 address and 0 alice failures", th)
	}

	// t0+110s: the oldest has left; there is room for exactly one more,
	// and then the next oldest (t0+51s) holds the address shut again.
	e.clock.t = first.Add(time.Minute)
	fail("the oldest has left the window")
	_, err = e.svc.Login(from(ip), "alice", "correct horse battery")
	wantRateLimited(t, err, time.Second)
	e.clock.Advance(time.Second)
	if _, err := e.svc.Login(from(ip), "alice", "correct horse battery"); err != nil {
		t.Fatalf("login once the next oldest has left: %v", err)
	}
}

// TestThrottleIPv6Per64: an IPv6 client may use any address of its /64, so
// the address limit counts the /64, at login and in a password change
// alike; the neighbouring /64s are other clients. The audit trail still
// shows the full address.
func TestThrottleIPv6Per64(t *testing.T) {
	e := newEnv(t, cheap)
	const right = "correct horse battery"
	alice := e.user(t, "alice", right, cheap, "customer")
	// An address of 2001:db8:1:2::/64 for each i, differing in every group
	// of the host half.
	addr := func(i int) string {
		return fmt.Sprintf("2001:db8:1:2:%x:%x:%x:%x", i, 0xffff-i, i*0x101, i+1)
	}
	// A wrong password checked through alice's session (before a
	// sensitive change) counts for the /64…
	if err := e.svc.CheckPassword(as(alice, "pub-1", addr(0)), "current_password", "guess",
		sesame.ActionPasswordChange, "wrong current password"); err != sesame.ErrBadCredentials {
		t.Fatalf("wrong current password: %v; want ErrBadCredentials", err)
	}
	// …as do 19 failed logins, each from another address of it.
	for i := 1; i < 20; i++ {
		name := "user" + strconv.Itoa(i)
		if i == 1 {
			name = "alice"
		}
		if _, err := e.svc.Login(from(addr(i)), name, "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("failure %d: %v; want ErrBadCredentials", i+1, err)
		}
	}
	if th := e.throttle(t, "", "2001:db8:1:2::/64"); th.IPFailures != 20 {
		t.Fatalf("failures counted for the /64 = %d; want 20", th.IPFailures)
	}

	// Every address of the /64 is refused now, at login and in a password
	// check, until the first failure is a minute old.
	_, err := e.svc.Login(from("2001:db8:1:2:ffff:ffff:ffff:ffff"), "alice", right)
	wantRateLimited(t, err, time.Minute)
	err = e.svc.CheckPassword(as(alice, "pub-1", "2001:db8:1:2::99"), "current_password", right,
		sesame.ActionPasswordChange, "wrong current password")
	wantRateLimited(t, err, time.Minute)
	// The /64s on either side are other clients.
	for _, ip := range []string{"2001:db8:1:3::1", "2001:db8:1:1:ffff:ffff:ffff:ffff"} {
		if _, err := e.svc.Login(from(ip), "alice", right); err != nil {
			t.Errorf("login from %s: %v; want success", ip, err)
		}
	}

	// The trail records where each failure really came from.
	var ips []string
	for _, ev := range e.trail(t, alice) {
		if ev.Outcome == sesame.OutcomeFailure {
			ips = append(ips, ev.IP)
		}
	}
	if want := []string{addr(1), addr(0)}; fmt.Sprint(ips) != fmt.Sprint(want) {
		t.Errorf("alice's failures were recorded from %v; want %v", ips, want)
	}
}

// TestLoginConcurrentBurstIPv6 sends 30 guesses at once from 30 addresses
// of one /64, for 30 usernames: they share one address lock, so exactly 20
// are checked, as in a sequence.
func TestLoginConcurrentBurstIPv6(t *testing.T) {
	e := newEnv(t, cheap)
	const n = 30
	bad, limited := burst(t, n, func(i int) error {
		_, err := e.svc.Login(from(fmt.Sprintf("2001:db8:5:6::%x", i+1)), "user"+strconv.Itoa(i), "guess")
		return err
	})
	if bad != 20 || limited != n-20 {
		t.Errorf("%d checked, %d refused; want 20 and %d", bad, limited, n-20)
	}
}

// TestPruneLoginFailures: the cleanup deletes an address's failures as soon
// as they leave the window, and a username's only after UserForgetAfter
// without a failure, so that it never shortens a lock.
func TestPruneLoginFailures(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	t0 := e.clock.Now()
	// 15 failures for alice just now (the longest lock, 15 minutes), and
	// one for bob a second later, from other addresses.
	fail := func(username, ip string, at time.Time) {
		t.Helper()
		if _, err := e.db.BeginAttempt(ctx, username, ip, at, at.Add(-auth.IPWindow),
			func(auth.Failures) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for range 15 {
		fail("alice", "203.0.113.1", t0)
	}
	fail("bob", "203.0.113.2", t0.Add(time.Second))
	prune := func(want int, what string) {
		t.Helper()
		n, err := e.svc.PruneLoginFailures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: pruned %d rows; want %d", what, n, want)
		}
	}

	prune(0, "everything is in the window")
	e.clock.t = t0.Add(auth.IPWindow - time.Millisecond)
	prune(0, "a millisecond before the window passes")
	e.clock.t = t0.Add(auth.IPWindow)
	prune(15, "alice's address failures have left the window")
	if th := e.throttle(t, "alice", "203.0.113.1"); th.IPFailures != 0 || th.UserFailures != 15 {
		t.Errorf("alice after pruning: %+v; want no address failures and her 15 kept", th)
	}

	// Near the end of her lock: bob's address failure goes, alice stays
	// locked.
	e.clock.t = t0.Add(14 * time.Minute)
	prune(1, "bob's address failure")
	_, err := e.svc.Login(from("192.0.2.9"), "alice", "guess")
	wantRateLimited(t, err, time.Minute)

	// A name is forgotten a day after its latest failure, not before.
	const day = 24 * time.Hour // the README's and UserForgetAfter's
	e.clock.t = t0.Add(day - time.Millisecond)
	prune(0, "a day less a millisecond")
	e.clock.t = t0.Add(day)
	prune(1, "alice, a day after her latest failure")
	if th := e.throttle(t, "alice", ""); th.UserFailures != 0 {
		t.Errorf("alice after a day: %d failures; want 0", th.UserFailures)
	}
	e.clock.Advance(time.Second)
	prune(1, "bob, a day after his")

	// A store that cannot serve is reported, not taken for "nothing to do".
	e.db.Close()
	if n, err := e.svc.PruneLoginFailures(ctx); !errors.Is(err, sesame.ErrUnavailable) || n != 0 {
		t.Errorf("PruneLoginFailures on a closed store = %d, %v; want 0 and ErrUnavailable", n, err)
	}
}

// TestLoginConcurrentBurst sends 20 guesses for one username at the same
// instant: exactly 5 may be checked, the rest must be refused, or the limit
// would bound rounds of parallel guesses rather than guesses.
func TestLoginConcurrentBurst(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "alice", "correct horse battery", cheap, "customer")
	const n = 20
	bad, limited := burst(t, n, func(i int) error {
		_, err := e.svc.Login(from("198.51.100."+strconv.Itoa(i)), "alice", "guess"+strconv.Itoa(i))
		return err
	})
	if bad != 5 || limited != n-5 {
		t.Errorf("%d checked, %d refused; want 5 and %d", bad, limited, n-5)
	}
	if th := e.throttle(t, "alice", ""); th.UserFailures != 5 {
		t.Errorf("failures = %d; want 5", th.UserFailures)
	}
}

// burst runs n failed login attempts at once, attempt(i) for each i, and
// counts those that were checked (ErrBadCredentials) and those refused
// unchecked (a *sesame.RateLimitError); anything else fails the test.
func burst(t *testing.T, n int, attempt func(i int) error) (checked, limited int) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- attempt(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		var rl *sesame.RateLimitError
		switch {
		case errors.Is(err, sesame.ErrBadCredentials):
			checked++
		case errors.As(err, &rl):
			limited++
		default:
			t.Errorf("Login: %v", err)
		}
	}
	return checked, limited
}
