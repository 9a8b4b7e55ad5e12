package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

func TestThrottleCounters(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	const window = time.Minute
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	throttle := func(username, ip string) sesame.LoginFailures {
		t.Helper()
		th, err := db.LoginFailures(ctx, username, ip)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	fail := func(username, ip string, at time.Time) {
		t.Helper()
		if err := db.RecordLoginFailure(ctx, username, ip, at, window); err != nil {
			t.Fatal(err)
		}
	}

	if got := throttle("alice", "10.0.0.1"); got != (sesame.LoginFailures{}) {
		t.Fatalf("no failures: %+v, want zeros", got)
	}

	fail("alice", "10.0.0.1", t0)
	fail("ALICE", "10.0.0.1", t0.Add(10*time.Second)) // one counter whatever the case
	fail("bob", "10.0.0.1", t0.Add(20*time.Second))
	fail("bob", "10.0.0.2", t0.Add(30*time.Second))

	steps := []struct {
		name     string
		username string
		ip       string
		want     sesame.LoginFailures
	}{
		{"alice from .1", "alice", "10.0.0.1", sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 3, IPWindowStart: t0,
		}},
		{"Alice in another case", "Alice", "10.0.0.2", sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 1, IPWindowStart: t0.Add(30 * time.Second),
		}},
		{"unknown pair", "carol", "10.0.0.3", sesame.LoginFailures{}},
	}
	for _, tc := range steps {
		if got := throttle(tc.username, tc.ip); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}

	// A failure just inside the window counts in it; one at its end opens a
	// new window with a count of 1.
	fail("alice", "10.0.0.1", t0.Add(window-time.Millisecond))
	if got := throttle("alice", "10.0.0.1"); got.IPFailures != 4 || !got.IPWindowStart.Equal(t0) {
		t.Errorf("inside the window: %+v, want 4 failures since %v", got, t0)
	}
	fail("alice", "10.0.0.1", t0.Add(window))
	if got := throttle("alice", "10.0.0.1"); got.IPFailures != 1 || !got.IPWindowStart.Equal(t0.Add(window)) {
		t.Errorf("after the window: %+v, want 1 failure since %v", got, t0.Add(window))
	}
	if got := throttle("alice", ""); got.UserFailures != 4 {
		t.Errorf("user failures %d, want 4: the window is only for addresses", got.UserFailures)
	}

	// A reset forgets the name, whatever its case, and keeps the address.
	if err := db.ResetLoginFailures(ctx, "aLiCe"); err != nil {
		t.Fatal(err)
	}
	got := throttle("alice", "10.0.0.1")
	if got.UserFailures != 0 || !got.UserLastFailure.IsZero() || got.IPFailures != 1 {
		t.Errorf("after reset: %+v, want no user failures and 1 ip failure", got)
	}
	if got := throttle("bob", ""); got.UserFailures != 2 {
		t.Errorf("bob after alice's reset: %d failures, want 2", got.UserFailures)
	}
}

func TestRecordLoginFailureIsAtomic(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	now := time.Now()
	const n = 25
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := db.RecordLoginFailure(ctx, "alice", "10.0.0.9", now, time.Minute); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := db.LoginFailures(ctx, "alice", "10.0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserFailures != n || got.IPFailures != n {
		t.Errorf("after %d concurrent failures: %+v", n, got)
	}
}
