package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/auth"
)

// TestLoginFailuresCostAlike: CONTRACT §6, "a wrong password and an unknown
// user answer the same, in about the same time". Timing a login would make
// a flaky test on a noisy machine, so this test measures the work instead:
// argon2id allocates its whole memory cost on every run, so the bytes a
// Login allocates tell whether it ran argon2, and with what cost. Every way
// of failing must allocate at least the memory cost, and about as much as a
// wrong password for a user who exists.
//
// It does not call t.Parallel: runtime.MemStats counts the allocations of
// the whole process, and a test that is not parallel never runs alongside
// another test of the package (parallel ones wait until every sequential
// top-level test is done).
func TestLoginFailuresCostAlike(t *testing.T) {
	// 8 MiB: far above what the rest of a Login allocates (a query, an audit
	// event: kilobytes), so a skipped argon2 cannot hide in the noise.
	params := auth.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1}
	const cost = 8 * 1024 * 1024 // bytes
	// bob's hash is logged as unusable
	e := newEnvWith(t, auth.Config{Params: params, Logger: slog.New(slog.DiscardHandler)})
	e.user(t, "alice", "correct horse battery", params, "customer")
	// A hash that cannot be read: Login must still spend the work.
	if _, err := e.db.CreateUser(context.Background(), "bob",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		[]string{"customer"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// A disabled account: refused with the same work as a wrong password.
	carol := e.user(t, "carol", "correct horse battery", params, "customer")
	if _, err := e.db.SetDisabled(context.Background(), carol.ID, true); err != nil {
		t.Fatal(err)
	}

	// login runs one failing Login from its own address (so that no
	// throttling counter is shared) and returns its error and the bytes it
	// allocated.
	addr := 0
	login := func(username, password string) (uint64, error) {
		t.Helper()
		addr++
		ctx := from("192.0.2." + strconv.Itoa(addr))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		u, err := e.svc.Login(ctx, username, password)
		runtime.ReadMemStats(&after)
		if u != nil {
			t.Fatalf("Login(%q) signed in", username)
		}
		return after.TotalAlloc - before.TotalAlloc, err
	}

	// The first Login pays for one-time set-up (prepared statements, lazy
	// tables); it must not weigh on either side of the comparison.
	login("warm-up", "anything at all")

	refBytes, refErr := login("alice", "wrong horse battery")
	if !errors.Is(refErr, sesame.ErrBadCredentials) {
		t.Fatalf("wrong password: %v; want ErrBadCredentials", refErr)
	}
	if refBytes < cost {
		t.Fatalf("wrong password: Login allocated %d bytes; argon2 alone allocates %d", refBytes, cost)
	}

	tests := []struct{ name, username, password string }{
		{"unknown user", "mallory", "wrong horse battery"},
		{"empty username", "", "wrong horse battery"},
		{"too long username", strings.Repeat("a", 65), "wrong horse battery"},
		{"unusable stored hash", "bob", "wrong horse battery"},
		{"disabled account, right password", "carol", "correct horse battery"},
		{"disabled account, wrong password", "carol", "wrong horse battery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := login(tt.username, tt.password)
			if !errors.Is(err, sesame.ErrBadCredentials) || err.Error() != refErr.Error() {
				t.Errorf("Login = %v; want %v, as for a wrong password", err, refErr)
			}
			if n < cost {
				t.Errorf("Login allocated %d bytes; argon2 alone allocates %d: it did not run at full cost", n, cost)
			}
			// Within 10% either way: not less work (answers sooner), not
			// twice the work (answers later).
			t.Logf("%d bytes; a wrong password, %d", n, refBytes)
			if n < refBytes*9/10 || n > refBytes*11/10 {
				t.Errorf("Login allocated %d bytes; a wrong password for a user who exists, %d", n, refBytes)
			}
		})
	}
}
