package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/sqlite"
)

// A database from before the sliding window (schema version 2, one counter
// row per address) upgrades: the counters it cannot date are dropped and
// the address starts afresh, counted by the new rules.
func TestUpgradeFromFixedWindowThrottle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	oldFile(t, path, []string{"0001_schema.sql", "0002_roles.sql"},
		`INSERT INTO login_failures VALUES ('alice', 3, 1000)`,
		`INSERT INTO login_ip_failures (ip, window_start, failures) VALUES ('10.0.0.1', 1000, 20)`)

	db := openDB(t, path)
	since := time.UnixMilli(0)
	got, err := db.LoginFailures(ctx, "alice", "10.0.0.1", since)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Failures{UserFailures: 3, UserLastFailure: time.UnixMilli(1000).UTC()}
	if got != want {
		t.Errorf("after the upgrade: %+v, want %+v: names kept, addresses afresh", got, want)
	}
	now := time.UnixMilli(2000)
	if _, err := db.BeginAttempt(ctx, "alice", "10.0.0.1", now, since, func(auth.Failures) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err = db.LoginFailures(ctx, "alice", "10.0.0.1", since); err != nil {
		t.Fatal(err)
	}
	if got.IPFailures != 1 || !got.IPOldestFailure.Equal(now) || got.UserFailures != 4 {
		t.Errorf("a failure after the upgrade: %+v, want 4 name failures and 1 address failure at %v", got, now)
	}
}

// TestUpgradeToAccounts: migration 0004 upgrades a database that
// migrations 1–3 made, keeping its users, their roles, its events and its
// throttle state; the users are enabled, never signed in, at generation 0,
// and the events name no target. What 0004 brings works on the old rows.
func TestUpgradeToAccounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	created := t0.UnixMilli()
	oldFile(t, path, []string{"0001_schema.sql", "0002_roles.sql", "0003_ip_failure_times.sql"},
		`INSERT INTO users (id, username, password_hash, created_at) VALUES
			(1, 'alice', 'hash-a', `+itoa(created)+`), (5, 'Bob', 'hash-b', `+itoa(created+1)+`)`,
		`INSERT INTO user_roles VALUES (1, 'customer'), (5, 'admin'), (5, 'customer')`,
		`INSERT INTO audit_events (time, user_id, username, action, outcome, session_id, ip, user_agent, detail) VALUES
			(`+itoa(created)+`, 1, 'alice', 'login', 'success', 'pub-1', '192.0.2.1', 'Firefox', ''),
			(`+itoa(created+1)+`, NULL, 'mallory', 'login', 'failure', '', '192.0.2.9', 'curl', ''),
			(`+itoa(created+2)+`, 5, 'Bob', 'task', 'success', 'pub-2', '192.0.2.2', 'Chrome', 'restocked')`,
		`INSERT INTO login_failures VALUES ('mallory', 2, `+itoa(created+1)+`)`,
		`INSERT INTO login_ip_failures VALUES ('192.0.2.9', `+itoa(created+1)+`)`)

	db := openDB(t, path)
	if v, err := db.SchemaVersion(ctx); err != nil || v != sqlite.LatestVersion() || v < 4 {
		t.Fatalf("SchemaVersion = %d, %v; want the latest, at least 4", v, err)
	}
	for _, want := range []sesame.User{
		{ID: 1, Username: "alice", PasswordHash: "hash-a", Roles: []string{"customer"},
			Permissions: []sesame.Permission{"cart.edit", "products.view"}, CreatedAt: t0},
		{ID: 5, Username: "Bob", PasswordHash: "hash-b", Roles: []string{"admin", "customer"},
			Permissions: []sesame.Permission{"admin", "cart.edit", "checkout", "products.view", "task.perform"},
			CreatedAt:   t0.Add(time.Millisecond)},
	} {
		got, err := db.UserByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("user %d after the upgrade: %v", want.ID, err)
		}
		if got.Username != want.Username || got.PasswordHash != want.PasswordHash ||
			!slices.Equal(got.Roles, want.Roles) || !slices.Equal(got.Permissions, want.Permissions) ||
			!got.CreatedAt.Equal(want.CreatedAt) || got.Disabled || !got.LastLoginAt.IsZero() || got.Generation != 0 {
			t.Errorf("user %d after the upgrade:\n got %+v\nwant %+v, enabled, never signed in, generation 0", want.ID, got, want)
		}
	}
	evs, _, err := db.Events(ctx, audit.Query{}, sesame.Paging{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("events after the upgrade: %+v, %v; want the 3", evs, err)
	}
	if e := evs[2]; e.UserID != 1 || e.Username != "alice" || e.SessionID != "pub-1" || e.IP != "192.0.2.1" ||
		e.UserAgent != "Firefox" || !e.Time.Equal(t0) || e.TargetID != 0 || e.TargetName != "" {
		t.Errorf("alice's old event: %+v", e)
	}
	if e := evs[1]; e.UserID != 0 || e.Username != "mallory" || e.TargetID != 0 {
		t.Errorf("the old event of nobody: %+v", e)
	}
	f, err := db.LoginFailures(ctx, "mallory", "192.0.2.9", t0)
	if err != nil || f.UserFailures != 2 || f.IPFailures != 1 {
		t.Errorf("throttle state after the upgrade: %+v, %v; want it kept", f, err)
	}

	// What 0004 brings, on the old rows.
	if u, err := db.SetDisabled(ctx, 5, true); err != nil || !u.Disabled || u.Generation != 1 {
		t.Errorf("SetDisabled of an upgraded user = %+v, %v", u, err)
	}
	if err := db.SetLastLogin(ctx, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e := sesame.Event{Time: t0.Add(time.Hour), Username: "cli", TargetID: 1, TargetName: "alice",
		Action: sesame.ActionUserRoles, Outcome: sesame.OutcomeSuccess}
	if err := db.AppendEvent(ctx, &e); err != nil {
		t.Fatal(err)
	}
	mine, _, err := db.Events(ctx, audit.Query{UserID: 1}, sesame.Paging{})
	if err != nil || len(mine) != 2 || mine[0].ID != e.ID || mine[1].ID != evs[2].ID {
		t.Errorf("alice's trail after the upgrade: %+v, %v; want the change done to her and her old login", mine, err)
	}
	if u, err := db.CreateUser(ctx, "carol", "h", []string{"customer"}, t0); err != nil || u.ID != 6 {
		t.Errorf("a new user after the upgrade: %+v, %v; want id 6, after every old one", u, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestUpgradeToPasskeys: migration 0007 upgrades a database that
// migrations 1–6 made, keeping its users and their second factors, and
// what it brings works for the old users.
func TestUpgradeToPasskeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sesame.db")
	created := t0.UnixMilli()
	oldFile(t, path, []string{"0001_schema.sql", "0002_roles.sql", "0003_ip_failure_times.sql",
		"0004_accounts.sql", "0005_totp.sql", "0006_pending_signins.sql"},
		`INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'alice', 'hash-a', `+itoa(created)+`)`,
		`INSERT INTO user_roles VALUES (1, 'customer')`,
		`INSERT INTO totp_factors (user_id, secret, confirmed, last_step, created_at) VALUES (1, x'5345', 1, 7, `+
			itoa(created)+`)`)

	db := openDB(t, path)
	if v, err := db.SchemaVersion(ctx); err != nil || v != sqlite.LatestVersion() || v < 7 {
		t.Fatalf("SchemaVersion = %d, %v; want the latest, at least 7", v, err)
	}
	if u, err := db.UserByID(ctx, 1); err != nil || u.Username != "alice" {
		t.Fatalf("alice after the upgrade: %+v, %v", u, err)
	}
	if f, err := db.TOTP(ctx, 1); err != nil || !f.Confirmed || f.LastStep != 7 || string(f.Secret) != "SE" {
		t.Fatalf("alice's TOTP factor after the upgrade: %+v, %v; want it kept", f, err)
	}
	p, err := db.AddPasskey(ctx, account.Passkey{UserID: 1, CredentialID: []byte("cred"), Name: "laptop",
		Credential: []byte("key"), CreatedAt: t0}, 5)
	if err != nil || p.ID == 0 || p.UserID != 1 {
		t.Fatalf("AddPasskey for an upgraded user = %+v, %v", p, err)
	}
	if err := db.CreateCeremony(ctx, account.Ceremony{Hash: "h", UserID: 1, Purpose: account.CeremonyRegister,
		Data: []byte("d"), ExpiresAt: t0.Add(time.Minute)}); err != nil {
		t.Fatalf("CreateCeremony for an upgraded user: %v", err)
	}
	if c, err := db.TakeCeremony(ctx, "h", t0); err != nil || c.UserID != 1 {
		t.Fatalf("TakeCeremony = %+v, %v", c, err)
	}
}
