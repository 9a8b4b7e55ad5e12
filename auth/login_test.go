package auth_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/sqlite"
)

// TestLoginDisabled: a disabled account is refused exactly like a wrong
// password, even with the right one: the same answer, counted like any
// failure; only the trail says why, to the user and the admin.
func TestLoginDisabled(t *testing.T) {
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", cheap, "customer")
	if _, err := e.db.SetDisabled(context.Background(), alice.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, password := range []string{"correct horse battery", "wrong horse battery"} {
		if u, err := e.svc.Login(from("192.0.2.1"), "alice", password); u != nil || err != sesame.ErrBadCredentials {
			t.Errorf("Login(disabled, %q) = %v, %v; want nil, ErrBadCredentials", password, u, err)
		}
	}
	if th := e.throttle(t, "alice", "192.0.2.1"); th.UserFailures != 2 || th.IPFailures != 2 {
		t.Errorf("counters = %+v; want both attempts counted", th)
	}
	var details []string
	for _, ev := range e.trail(t, alice) {
		if ev.Action == sesame.ActionLogin && ev.Outcome == sesame.OutcomeFailure && ev.UserID == alice.ID {
			details = append(details, ev.Detail)
		}
	}
	if want := []string{"", "account disabled"}; !slices.Equal(details, want) {
		t.Errorf("failures in alice's trail say %q; want %q (newest first)", details, want)
	}
	if u, err := e.db.UserByID(context.Background(), alice.ID); err != nil || !u.LastLoginAt.IsZero() {
		t.Errorf("a refused sign-in was recorded: %+v, %v", u, err)
	}
}

// TestLoginSuccessKeepsAddressFailures: a success ends the name's run of
// failures and takes back its own attempt, but the address keeps the
// failures it made for other names.
func TestLoginSuccessKeepsAddressFailures(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "alice", "correct horse battery", cheap, "customer")
	const ip = "203.0.113.5"
	for _, name := range []string{"alice", "alice", "bob", "carol"} {
		if _, err := e.svc.Login(from(ip), name, "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("Login(%s): %v", name, err)
		}
	}
	if _, err := e.svc.Login(from(ip), "Alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if th := e.throttle(t, "alice", ip); th.UserFailures != 0 || th.IPFailures != 4 {
		t.Errorf("counters after the success = %+v; want alice's forgotten and the address's 4 kept", th)
	}
	if th := e.throttle(t, "bob", ""); th.UserFailures != 1 {
		t.Errorf("bob's failures = %d; want 1", th.UserFailures)
	}
}

// TestThrottleAddrMapped: an IPv4 client counts as one whichever way it
// is written, so alternating the spellings buys nothing.
func TestThrottleAddrMapped(t *testing.T) {
	e := newEnv(t, cheap)
	for i := range 20 {
		ip := "203.0.113.7"
		if i%2 == 1 {
			ip = "::ffff:203.0.113.7"
		}
		if _, err := e.svc.Login(from(ip), "user"+strconv.Itoa(i), "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, err := e.svc.Login(from("::ffff:cb00:7107"), "alice", "guess")
	wantRateLimited(t, err, time.Minute)
}

// TestConcurrentSignInsOfOneUser: a user signing in from many tabs at once
// is let in every time. Each attempt counts as a failure until its password
// proves right, so without the per-user queue the sixth would find five
// attempts in flight and be refused as if they had failed.
func TestConcurrentSignInsOfOneUser(t *testing.T) {
	// A hash dear enough (milliseconds) that the attempts overlap.
	dear := auth.Params{Memory: 16 * 1024, Iterations: 4, Parallelism: 1}
	e := newEnv(t, dear)
	e.user(t, "alice", "correct horse battery", dear, "customer")
	errs := make(chan error, 12)
	for i := range 12 {
		go func() {
			_, err := e.svc.Login(from("198.51.100."+strconv.Itoa(i)), "alice", "correct horse battery")
			errs <- err
		}()
	}
	for range 12 {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent sign-in with the right password: %v", err)
		}
	}
	if th := e.throttle(t, "alice", ""); th.UserFailures != 0 {
		t.Errorf("after 12 successes the name has %d failures", th.UserFailures)
	}
}

// TestLoginGivesUpWaiting: a burst of logins larger than the password
// hashes can serve within LoginWait is answered ErrUnavailable for those
// that got no turn in time (503 over HTTP), rather than being hashed after
// their clients have gone; the others are checked as usual.
func TestLoginGivesUpWaiting(t *testing.T) {
	// Each hash takes tens of milliseconds, so a millisecond's wait cannot
	// be enough for those behind the first one per CPU.
	e := newEnvWith(t, auth.Config{Params: auth.Params{Memory: 8 << 10, Iterations: 8, Parallelism: 1}, LoginWait: time.Millisecond})
	n := 4 * runtime.GOMAXPROCS(0)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.svc.Login(from(fmt.Sprintf("192.0.2.%d", i+1)), fmt.Sprint("nobody", i), "wrong password")
		})
	}
	wg.Wait()
	checked, gaveUp := 0, 0
	for i, err := range errs {
		switch {
		case errors.Is(err, sesame.ErrBadCredentials):
			checked++
		case errors.Is(err, sesame.ErrUnavailable):
			gaveUp++
		default:
			t.Errorf("login %d: %v, want ErrBadCredentials or ErrUnavailable", i, err)
		}
	}
	if checked == 0 || gaveUp == 0 {
		t.Errorf("%d logins at once, %d hash turns, a 1 ms wait: %d checked, %d gave up; want some of each", n, runtime.GOMAXPROCS(0), checked, gaveUp)
	}
}

// TestLoginGivesUpInTheUsersQueue: one user's attempts queue one behind
// the other; one that gets no turn within LoginWait answers ErrUnavailable
// (503: try again) rather than waiting on, and the one that had its turn
// signs in. The first attempt is held inside its turn (in the store) until
// the others have given up, so that the test does not hang on timing.
func TestLoginGivesUpInTheUsersQueue(t *testing.T) {
	e := newEnv(t, cheap)
	e.user(t, "carol", "carol's password", cheap)
	gate := &gatedStore{DB: e.db, entered: make(chan struct{}), release: make(chan struct{})}
	svc, err := auth.New(auth.Config{Store: gate, Audit: e.log, Params: cheap, Now: e.clock.Now, LoginWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := svc.Login(from("192.0.2.1"), "carol", "carol's password")
		first <- err
	}()
	<-gate.entered
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = svc.Login(from(fmt.Sprintf("192.0.2.%d", i+2)), "carol", "carol's password")
		})
	}
	wg.Wait()
	close(gate.release)
	if err := <-first; err != nil {
		t.Errorf("the login that had its turn: %v", err)
	}
	for i, err := range errs {
		if !errors.Is(err, sesame.ErrUnavailable) {
			t.Errorf("login %d behind it: %v, want ErrUnavailable", i+2, err)
		}
	}
}

// gatedStore holds the first UserByUsername until release is closed,
// having closed entered.
type gatedStore struct {
	*sqlite.DB
	once             sync.Once
	entered, release chan struct{}
}

func (g *gatedStore) UserByUsername(ctx context.Context, username string) (*sesame.User, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.DB.UserByUsername(ctx, username)
}
