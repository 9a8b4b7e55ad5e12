package datatest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
)

// The throttle counts what the auth service gives it: usernames already
// lowercased and cut (so the suite uses lowercase names) and addresses
// already grouped (an IPv6 /64 as one string).

// allowAll lets every attempt be counted.
func allowAll(auth.Failures) error { return nil }

// fail counts a failed attempt of username from ip at now.
func fail(t *testing.T, s Store, username, ip string, now time.Time) auth.Attempt {
	t.Helper()
	a, err := s.BeginAttempt(t.Context(), username, ip, now, now.Add(-auth.IPWindow), allowAll)
	if err != nil {
		t.Fatalf("BeginAttempt(%q, %q, %v): %v", username, ip, now, err)
	}
	if a.Username != username || a.IP != ip {
		t.Fatalf("BeginAttempt(%q, %q) = %+v; want the attempt of that name and address", username, ip, a)
	}
	return a
}

// failures returns the counters of username and ip, the address counting
// its failures after since.
func failures(t *testing.T, s Store, username, ip string, since time.Time) auth.Failures {
	t.Helper()
	f, err := s.LoginFailures(t.Context(), username, ip, since)
	if err != nil {
		t.Fatalf("LoginFailures(%q, %q, %v): %v", username, ip, since, err)
	}
	utc(t, "UserLastFailure", f.UserLastFailure)
	utc(t, "IPOldestFailure", f.IPOldestFailure)
	return f
}

// testThrottleCounters: the username counter counts consecutive failures
// whatever their age; the address counter counts those strictly after
// since, and names the oldest of them.
func testThrottleCounters(t *testing.T, s Store) {
	t0 := at
	if got := failures(t, s, "alice", "10.0.0.1", t0); got != (auth.Failures{}) {
		t.Fatalf("no failures: %+v, want zeros", got)
	}
	fail(t, s, "alice", "10.0.0.1", t0)
	fail(t, s, "alice", "10.0.0.1", t0.Add(10*time.Second))
	fail(t, s, "bob", "10.0.0.1", t0.Add(20*time.Second))
	fail(t, s, "bob", "10.0.0.2", t0.Add(30*time.Second))

	for _, tc := range []struct {
		name     string
		username string
		ip       string
		since    time.Time
		want     auth.Failures
	}{
		{"alice from .1, all in the window", "alice", "10.0.0.1", t0.Add(-time.Millisecond), auth.Failures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 3, IPOldestFailure: t0,
		}},
		// The window starts after since: a failure at since has left it.
		{"a failure at since is out", "alice", "10.0.0.1", t0, auth.Failures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 2, IPOldestFailure: t0.Add(10 * time.Second),
		}},
		{"only the latest is in", "bob", "10.0.0.1", t0.Add(20*time.Second - time.Millisecond), auth.Failures{
			UserFailures: 2, UserLastFailure: t0.Add(30 * time.Second),
			IPFailures: 1, IPOldestFailure: t0.Add(20 * time.Second),
		}},
		// The username counter has no window: its failures are
		// consecutive, however old.
		{"all have left the window", "alice", "10.0.0.1", t0.Add(20 * time.Second), auth.Failures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
		}},
		{"alice, another address", "alice", "10.0.0.2", t0, auth.Failures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 1, IPOldestFailure: t0.Add(30 * time.Second),
		}},
		{"an address without a name", "", "10.0.0.2", t0, auth.Failures{
			IPFailures: 1, IPOldestFailure: t0.Add(30 * time.Second),
		}},
		{"an IPv6 /64", "carol", "2001:db8:1:2::/64", t0.Add(-time.Hour), auth.Failures{}},
		{"unknown pair", "carol", "10.0.0.3", t0.Add(-time.Hour), auth.Failures{}},
	} {
		if got := failures(t, s, tc.username, tc.ip, tc.since); got != tc.want {
			t.Errorf("%s: %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// testBeginAttemptAllow: allow judges the counters as LoginFailures reads
// them before the attempt; a refusal is returned as it is and counts
// nothing, an allowed attempt counts one failure of the name and one of the
// address.
func testBeginAttemptAllow(t *testing.T, s Store) {
	ctx := t.Context()
	t0 := at
	fail(t, s, "alice", "10.0.0.1", t0)
	fail(t, s, "alice", "10.0.0.2", t0.Add(time.Second))
	now, since := t0.Add(2*time.Second), t0.Add(-time.Minute)
	before := failures(t, s, "alice", "10.0.0.1", since)

	refusal := &sesame.RateLimitError{RetryAfter: time.Minute}
	var seen auth.Failures
	_, err := s.BeginAttempt(ctx, "alice", "10.0.0.1", now, since, func(f auth.Failures) error {
		seen = f
		return refusal
	})
	var rl *sesame.RateLimitError
	if !errors.As(err, &rl) || rl != refusal {
		t.Fatalf("refused BeginAttempt: %v; want allow's own error", err)
	}
	if seen != before {
		t.Errorf("allow saw %+v; want what LoginFailures read, %+v", seen, before)
	}
	if got := failures(t, s, "alice", "10.0.0.1", since); got != before {
		t.Errorf("after a refusal: %+v; want nothing counted, %+v", got, before)
	}

	seen = auth.Failures{}
	a, err := s.BeginAttempt(ctx, "alice", "10.0.0.1", now, since, func(f auth.Failures) error {
		seen = f
		return nil
	})
	if err != nil {
		t.Fatalf("allowed BeginAttempt: %v", err)
	}
	if a.Username != "alice" || a.IP != "10.0.0.1" {
		t.Errorf("Attempt = %+v; want alice from 10.0.0.1", a)
	}
	if seen != before {
		t.Errorf("allow saw %+v; want %+v", seen, before)
	}
	want := auth.Failures{UserFailures: 3, UserLastFailure: now, IPFailures: 2, IPOldestFailure: t0}
	if got := failures(t, s, "alice", "10.0.0.1", since); got != want {
		t.Errorf("after an allowed attempt: %+v\nwant %+v", got, want)
	}
}

// testBeginAttemptConcurrent: attempts at once see each other, as if one
// came after the other: a limit that allow enforces lets exactly as many
// through as it allows, and every allowed attempt is counted, even several
// in one millisecond.
func testBeginAttemptConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	refused := errors.New("refused")
	for _, tc := range []struct {
		name     string
		n        int
		attempt  func(i int) (username, ip string)
		allow    func(auth.Failures) error
		want     int
		username string // whose counters to check after, with ip
		ip       string
	}{
		{"an address limit of 20 against 30 names", 30,
			func(i int) (string, string) { return fmt.Sprintf("name%d", i), "203.0.113.7" },
			func(f auth.Failures) error {
				if f.IPFailures >= 20 {
					return refused
				}
				return nil
			}, 20, "", "203.0.113.7"},
		{"a name limit of 5 against 20 addresses", 20,
			func(i int) (string, string) { return "alice", fmt.Sprintf("198.51.100.%d", i) },
			func(f auth.Failures) error {
				if f.UserFailures >= 5 {
					return refused
				}
				return nil
			}, 5, "alice", ""},
		{"25 at one instant, all allowed", 25,
			func(int) (string, string) { return "bob", "192.0.2.9" },
			allowAll, 25, "bob", "192.0.2.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				wg             sync.WaitGroup
				start          = make(chan struct{})
				mu             sync.Mutex
				allowed, nopes int
			)
			for i := range tc.n {
				wg.Go(func() {
					<-start
					username, ip := tc.attempt(i)
					_, err := s.BeginAttempt(ctx, username, ip, at, at.Add(-auth.IPWindow), tc.allow)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						allowed++
					case errors.Is(err, refused):
						nopes++
					default:
						t.Errorf("BeginAttempt: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if allowed != tc.want || nopes != tc.n-tc.want {
				t.Errorf("%d allowed, %d refused; want %d and %d", allowed, nopes, tc.want, tc.n-tc.want)
			}
			f := failures(t, s, tc.username, tc.ip, at.Add(-auth.IPWindow))
			if tc.username != "" && f.UserFailures != tc.want || tc.ip != "" && f.IPFailures != tc.want {
				t.Errorf("counters %+v; want %d counted", f, tc.want)
			}
		})
	}
}

// testSucceedAttempt: a success takes back the address failure its own
// attempt counted, no other, and ends the name's run of failures; doing it
// twice, or after the failure was pruned, is harmless.
func testSucceedAttempt(t *testing.T, s Store) {
	ctx := t.Context()
	t0 := at
	const ip = "10.0.0.1"
	for i := range 3 {
		fail(t, s, "alice", ip, t0.Add(time.Duration(i)*time.Second))
	}
	fail(t, s, "bob", ip, t0.Add(3*time.Second))
	a := fail(t, s, "alice", ip, t0.Add(4*time.Second))
	since := t0.Add(-time.Minute)

	if err := s.SucceedAttempt(ctx, a); err != nil {
		t.Fatal(err)
	}
	want := auth.Failures{IPFailures: 4, IPOldestFailure: t0}
	if got := failures(t, s, "alice", ip, since); got != want {
		t.Errorf("alice after a success: %+v\nwant %+v: her run ended, the address keeps its other failures", got, want)
	}
	if got := failures(t, s, "bob", "", since); got.UserFailures != 1 {
		t.Errorf("bob after alice's success: %d failures; want 1", got.UserFailures)
	}

	// Two attempts from one address at one instant: each success takes
	// back its own.
	t5 := t0.Add(5 * time.Second)
	carol := fail(t, s, "carol", ip, t5)
	fail(t, s, "dave", ip, t5)
	if err := s.SucceedAttempt(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if got := failures(t, s, "", ip, t5.Add(-time.Millisecond)); got.IPFailures != 1 || !got.IPOldestFailure.Equal(t5) {
		t.Errorf("after one of two attempts at one instant succeeded: %+v; want dave's failure left", got)
	}
	if got := failures(t, s, "dave", "", since); got.UserFailures != 1 {
		t.Errorf("dave after carol's success: %d failures; want 1", got.UserFailures)
	}

	// Again, and after its failure has been pruned: nothing more goes.
	if err := s.SucceedAttempt(ctx, carol); err != nil {
		t.Errorf("a second SucceedAttempt: %v", err)
	}
	if got := failures(t, s, "", ip, since); got.IPFailures != 5 {
		t.Errorf("after a second SucceedAttempt: %d address failures; want 5", got.IPFailures)
	}
	old := fail(t, s, "erin", "10.0.0.9", t0)
	if _, err := s.ForgetLoginFailures(ctx, t0, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SucceedAttempt(ctx, old); err != nil {
		t.Errorf("SucceedAttempt of a pruned failure: %v", err)
	}
	if got := failures(t, s, "erin", "", since); got.UserFailures != 0 {
		t.Errorf("erin after her success: %d failures; want 0", got.UserFailures)
	}
}

// testForgetLoginFailures deletes exactly the address failures at or
// before windowStart and the names whose latest failure is at or before
// quietSince, each cutoff for its own kind, and says how many went.
func testForgetLoginFailures(t *testing.T, s Store) {
	ctx := t.Context()
	t0 := at
	ms := time.Millisecond
	for _, f := range []struct {
		username, ip string
		at           time.Time
	}{
		{"old", "10.0.0.1", t0},
		{"edge", "10.0.0.1", t0.Add(10 * time.Second)},
		{"mid", "10.0.0.2", t0.Add(10*time.Second + ms)},
		{"new", "10.0.0.1", t0.Add(20 * time.Second)},
		{"new", "10.0.0.2", t0.Add(30 * time.Second)},
	} {
		fail(t, s, f.username, f.ip, f.at)
	}
	forget := func(windowStart, quietSince time.Time, want int) {
		t.Helper()
		n, err := s.ForgetLoginFailures(ctx, windowStart, quietSince)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("ForgetLoginFailures(%v, %v) = %d; want %d", windowStart, quietSince, n, want)
		}
	}
	// The address cutoff is a millisecond later than the name cutoff, so
	// that swapping them shows: 3 address failures (t0, t0+10s, t0+10.001s)
	// and 2 names (old, edge) go.
	forget(t0.Add(10*time.Second+ms), t0.Add(10*time.Second), 5)

	since := t0.Add(-time.Hour) // count everything that is left
	for _, tc := range []struct {
		ip     string
		oldest time.Time
	}{
		{"10.0.0.1", t0.Add(20 * time.Second)},
		{"10.0.0.2", t0.Add(30 * time.Second)},
	} {
		if got := failures(t, s, "", tc.ip, since); got.IPFailures != 1 || !got.IPOldestFailure.Equal(tc.oldest) {
			t.Errorf("%s after forgetting: %+v; want 1 failure, at %v", tc.ip, got, tc.oldest)
		}
	}
	for name, want := range map[string]int{"old": 0, "edge": 0, "mid": 1, "new": 2} {
		if got := failures(t, s, name, "", since); got.UserFailures != want {
			t.Errorf("%s after forgetting: %d failures; want %d", name, got.UserFailures, want)
		}
	}
	forget(t0.Add(10*time.Second+ms), t0.Add(10*time.Second), 0) // nothing more to do
	forget(t0.Add(time.Hour), t0.Add(time.Hour), 4)              // everything
	for _, name := range []string{"mid", "new"} {
		if got := failures(t, s, name, "10.0.0.1", since); got != (auth.Failures{}) {
			t.Errorf("%s after forgetting everything: %+v; want zeros", name, got)
		}
	}
}
