package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/sqlite"
)

func TestThrottleCounters(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	throttle := func(username, ip string, since time.Time) sesame.LoginFailures {
		t.Helper()
		th, err := db.LoginFailures(ctx, username, ip, since)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	fail := func(username, ip string, at time.Time) {
		t.Helper()
		if err := db.RecordLoginFailure(ctx, username, ip, at); err != nil {
			t.Fatal(err)
		}
	}

	if got := throttle("alice", "10.0.0.1", t0); got != (sesame.LoginFailures{}) {
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
		since    time.Time
		want     sesame.LoginFailures
	}{
		{"alice from .1, all in the window", "alice", "10.0.0.1", t0.Add(-time.Millisecond), sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 3, IPOldestFailure: t0,
		}},
		// The window starts after since: a failure at since has left it.
		{"a failure at since is out", "alice", "10.0.0.1", t0, sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 2, IPOldestFailure: t0.Add(10 * time.Second),
		}},
		{"only the latest is in", "bob", "10.0.0.1", t0.Add(20*time.Second - time.Millisecond), sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(30 * time.Second),
			IPFailures: 1, IPOldestFailure: t0.Add(20 * time.Second),
		}},
		// The username counter has no window: its failures are consecutive,
		// however old.
		{"all have left the window", "alice", "10.0.0.1", t0.Add(20 * time.Second), sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
		}},
		{"Alice in another case, another address", "Alice", "10.0.0.2", t0, sesame.LoginFailures{
			UserFailures: 2, UserLastFailure: t0.Add(10 * time.Second),
			IPFailures: 1, IPOldestFailure: t0.Add(30 * time.Second),
		}},
		{"unknown pair", "carol", "10.0.0.3", t0.Add(-time.Hour), sesame.LoginFailures{}},
	}
	for _, tc := range steps {
		if got := throttle(tc.username, tc.ip, tc.since); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}

	// A reset forgets the name, whatever its case, and keeps the address.
	if err := db.ResetLoginFailures(ctx, "aLiCe"); err != nil {
		t.Fatal(err)
	}
	got := throttle("alice", "10.0.0.1", t0.Add(-time.Millisecond))
	if got.UserFailures != 0 || !got.UserLastFailure.IsZero() || got.IPFailures != 3 {
		t.Errorf("after reset: %+v, want no user failures and 3 ip failures", got)
	}
	if got := throttle("bob", "", t0); got.UserFailures != 2 {
		t.Errorf("bob after alice's reset: %d failures, want 2", got.UserFailures)
	}
}

// Failures from one address in the same millisecond are all counted: a
// failure is a row, not a key that a second one would collide with.
func TestRecordLoginFailureIsAtomic(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	now := time.Now()
	const n = 25
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := db.RecordLoginFailure(ctx, "alice", "10.0.0.9", now); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := db.LoginFailures(ctx, "alice", "10.0.0.9", now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserFailures != n || got.IPFailures != n {
		t.Errorf("after %d concurrent failures: %+v", n, got)
	}
}

// ForgetLoginFailures deletes exactly the address failures at or before
// windowStart and the names whose latest failure is at or before
// quietSince, each cutoff for its own table.
func TestForgetLoginFailures(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
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
		if err := db.RecordLoginFailure(ctx, f.username, f.ip, f.at); err != nil {
			t.Fatal(err)
		}
	}

	forget := func(windowStart, quietSince time.Time, want int) {
		t.Helper()
		n, err := db.ForgetLoginFailures(ctx, windowStart, quietSince)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("ForgetLoginFailures(%v, %v) = %d rows; want %d", windowStart, quietSince, n, want)
		}
	}
	// The address cutoff is a millisecond later than the name cutoff, so
	// that swapping them shows.
	forget(t0.Add(10*time.Second+ms), t0.Add(10*time.Second), 5)

	// Left: each address's failures after t0+10.001s; the names with a
	// failure after t0+10s.
	since := t0.Add(-time.Hour) // count everything that is left
	for _, tc := range []struct {
		ip     string
		n      int
		oldest time.Time
	}{
		{"10.0.0.1", 1, t0.Add(20 * time.Second)},
		{"10.0.0.2", 1, t0.Add(30 * time.Second)},
	} {
		got, err := db.LoginFailures(ctx, "", tc.ip, since)
		if err != nil {
			t.Fatal(err)
		}
		if got.IPFailures != tc.n || !got.IPOldestFailure.Equal(tc.oldest) {
			t.Errorf("%s after forgetting: %+v; want %d failure(s), the oldest at %v", tc.ip, got, tc.n, tc.oldest)
		}
	}
	for name, want := range map[string]int{"old": 0, "edge": 0, "mid": 1, "new": 2} {
		got, err := db.LoginFailures(ctx, name, "", since)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserFailures != want {
			t.Errorf("%s after forgetting: %d failures; want %d", name, got.UserFailures, want)
		}
	}

	forget(t0.Add(10*time.Second+ms), t0.Add(10*time.Second), 0) // nothing more to do
	forget(t0.Add(time.Hour), t0.Add(time.Hour), 4)              // everything
	if n := countRows(t, db, "login_ip_failures", "1") + countRows(t, db, "login_failures", "1"); n != 0 {
		t.Errorf("%d rows left; want none", n)
	}
}

// A database from before the sliding window (schema version 2, one counter
// row per address) upgrades: the counters it cannot date are dropped and
// the address starts afresh, counted by the new rules.
func TestThrottleUpgradeFromFixedWindow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	old, err := sqlite.OpenSQL(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrationSQL(t, "0001_schema.sql"),
		migrationSQL(t, "0002_roles.sql"),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_migrations VALUES (1, 0), (2, 0)`,
		`INSERT INTO login_failures VALUES ('alice', 3, 1000)`,
		`INSERT INTO login_ip_failures (ip, window_start, failures) VALUES ('10.0.0.1', 1000, 20)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("building a version 2 file: %v", err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db := openDB(t, path)
	since := time.UnixMilli(0)
	got, err := db.LoginFailures(ctx, "alice", "10.0.0.1", since)
	if err != nil {
		t.Fatal(err)
	}
	want := sesame.LoginFailures{UserFailures: 3, UserLastFailure: time.UnixMilli(1000).UTC()}
	if got != want {
		t.Errorf("after the upgrade: %+v, want %+v: names kept, addresses afresh", got, want)
	}
	at := time.UnixMilli(2000)
	if err := db.RecordLoginFailure(ctx, "alice", "10.0.0.1", at); err != nil {
		t.Fatal(err)
	}
	if got, err = db.LoginFailures(ctx, "alice", "10.0.0.1", since); err != nil {
		t.Fatal(err)
	}
	if got.IPFailures != 1 || !got.IPOldestFailure.Equal(at) {
		t.Errorf("a failure after the upgrade: %+v, want 1 address failure at %v", got, at)
	}
}

// migrationSQL returns the text of migrations/name.
func migrationSQL(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("migrations", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
