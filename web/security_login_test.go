package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Online guessing of passwords (CONTRACT §6, login throttling) and of
// usernames (a wrong password and an unknown user answer the same), through
// the login form and the API alike.

// Five failures lock a username; while locked nothing is checked or
// counted, not even the right password; each further failure doubles the
// lock; a success resets it.
func TestLoginThrottlePerUsername(t *testing.T) {
	t.Parallel()
	const user = "authorized_user"
	for _, w := range loginWays {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.visitorFrom("198.51.100.1")
			wantWait := func(password string, want int, what string) {
				t.Helper()
				if got := w.limited(t, w.login(c, user, password), what); got != want {
					t.Fatalf("%s: Retry-After %d, want %d", what, got, want)
				}
			}
			for i := range 5 {
				w.failed(t, w.login(c, user, "wrong-guess"), fmt.Sprintf("failure %d", i+1))
			}
			wantWait("wrong-guess", 1, "6th attempt")
			wantWait(demoPassword, 1, "right password while locked")
			for range 10 { // refused attempts do not extend the lock
				wantWait("wrong-guess", 1, "hammering while locked")
			}
			// The lock is the username's, wherever the attempt comes from,
			// however the name is spelt.
			w.limited(t, w.login(a.visitorFrom("198.51.100.2"), user, demoPassword), "from another address")
			if res := w.login(c, strings.ToUpper(user), demoPassword); res.StatusCode == w.ok {
				t.Fatalf("the lock is bypassed by spelling the name in capitals")
			}
			// Another username from the same address is not locked.
			w.succeeded(t, w.login(a.visitorFrom("198.51.100.1"), "unauthorized_user", demoPassword), "another user")

			a.clock.Advance(time.Second)
			w.failed(t, w.login(c, user, "wrong-guess"), "6th failure, after the lock")
			wantWait(demoPassword, 2, "after the 6th failure")
			a.clock.Advance(time.Second)
			wantWait("wrong-guess", 1, "halfway through the 2s lock")
			a.clock.Advance(time.Second)
			w.failed(t, w.login(c, user, "wrong-guess"), "7th failure")
			wantWait(demoPassword, 4, "after the 7th failure")

			a.clock.Advance(4 * time.Second)
			w.succeeded(t, w.login(c, user, demoPassword), "right password after the lock")
			for i := range 5 {
				w.failed(t, w.login(c, user, "wrong-guess"), fmt.Sprintf("failure %d after the reset", i+1))
			}
			wantWait("wrong-guess", 1, "6th attempt after the reset")
		})
	}
}

// The lock doubles per failure up to 15 minutes and no further.
func TestLoginThrottleDelayCapped(t *testing.T) {
	t.Parallel()
	for _, w := range loginWays {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.visitorFrom("198.51.100.3")
			for i := range 5 {
				w.failed(t, w.login(c, "unauthorized_user", "wrong-guess"), fmt.Sprintf("failure %d", i+1))
			}
			want := 1
			for i := range 14 {
				got := w.limited(t, w.login(c, "unauthorized_user", "wrong-guess"), fmt.Sprintf("lock %d", i+1))
				if got != want {
					t.Fatalf("lock %d: Retry-After %d, want %d", i+1, got, want)
				}
				a.clock.Advance(time.Duration(got) * time.Second)
				w.failed(t, w.login(c, "unauthorized_user", "wrong-guess"), fmt.Sprintf("failure %d", i+6))
				want = min(2*want, 900)
			}
		})
	}
}

// Twenty failures in a minute from one address, spread over usernames,
// close every login from it, even a right one, until the minute is over;
// other addresses are unaffected.
func TestLoginThrottlePerAddress(t *testing.T) {
	t.Parallel()
	for _, w := range loginWays {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			sprayer := a.visitorFrom("198.51.100.4")
			for i := range 20 {
				name := fmt.Sprintf("nobody%02d", i)
				if i%5 == 4 { // real names count too
					name = []string{"authorized_user", "unauthorized_user", "admin", "authorized_user"}[i/5]
				}
				w.failed(t, w.login(sprayer, name, "wrong-guess"), fmt.Sprintf("failure %d", i+1))
				a.clock.Advance(time.Second)
			}
			// The oldest of the 20 failures, 20s ago, leaves the minute in 40s.
			if got := w.limited(t, w.login(sprayer, "authorized_user", demoPassword), "right password"); got > 40 {
				t.Fatalf("Retry-After %d, want at most the 40s left of the minute", got)
			}
			w.limited(t, w.login(sprayer, "nobody99", "wrong-guess"), "a new username")
			w.limited(t, w.login(sprayer, "admin", a.adminPassword), "admin's right password")
			for range 10 {
				w.limited(t, w.login(sprayer, "nobody98", "wrong-guess"), "hammering")
			}
			w.succeeded(t, w.login(a.visitorFrom("198.51.100.5"), "authorized_user", demoPassword), "another address")

			a.clock.Advance(39 * time.Second)
			if got := w.limited(t, w.login(sprayer, "authorized_user", demoPassword), "a second before the end"); got != 1 {
				t.Fatalf("Retry-After %d a second before the window ends, want 1", got)
			}
			a.clock.Advance(time.Second)
			w.succeeded(t, w.login(sprayer, "authorized_user", demoPassword), "after the minute")
		})
	}
}

// An unknown username and a wrong password answer alike, and both count
// towards the lock of the name.
func TestLoginNoUserEnumeration(t *testing.T) {
	t.Parallel()
	for _, w := range loginWays {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t)
			c := a.visitorFrom("198.51.100.6")
			answer := func(user, password string) (int, string, http.Header) {
				t.Helper()
				res := w.login(c, user, password)
				b := body(res)
				// The form shows the name typed back; nothing else may differ.
				return res.StatusCode, strings.ReplaceAll(b, `value="`+user+`"`, `value="NAME"`), res.Header
			}
			realStatus, realBody, realHeader := answer("authorized_user", "wrong-guess")
			if realStatus != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d %s", realStatus, realBody)
			}
			if w.name == "form" && !strings.Contains(realBody, "Invalid username or password.") {
				t.Errorf("the form does not say the one generic message:\n%s", realBody)
			}
			for _, unknown := range []string{"authorized_usex", "nobody", "AUTHORIZED_USER ", "", strings.Repeat("u", 300)} {
				status, b, h := answer(unknown, "wrong-guess")
				if status != realStatus || b != realBody {
					t.Errorf("unknown user %.20q: %d\n%s\nwrong password: %d\n%s", unknown, status, b, realStatus, realBody)
				}
				for _, k := range []string{"Content-Type", "Set-Cookie", "Retry-After"} {
					if h.Get(k) != realHeader.Get(k) {
						t.Errorf("unknown user %.20q: %s %q, wrong password: %q", unknown, k, h.Get(k), realHeader.Get(k))
					}
				}
			}

			// Both count: 5 failures lock an unknown name as they lock a real one.
			for _, name := range []string{"ghost_user", "unauthorized_user"} {
				for i := range 5 {
					w.failed(t, w.login(c, name, "wrong-guess"), fmt.Sprintf("%s failure %d", name, i+1))
				}
				w.limited(t, w.login(c, name, "wrong-guess"), name+" 6th attempt")
			}
			// 1+5+10 failures above and 4 more: 20 from this address in all.
			for i := range 4 {
				w.failed(t, w.login(c, fmt.Sprintf("ghost%d", i), "wrong-guess"), "spread failure")
			}
			w.limited(t, w.login(c, "authorized_user", demoPassword), "the address after 20 failures, real and unknown")
		})
	}
}
