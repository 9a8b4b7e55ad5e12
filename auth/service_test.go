package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/sqlite"
)

// cheap keeps argon2 fast in tests; TestLoginDefaultParams uses the real cost.
var cheap = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// clock is a settable time source; SQLite keeps milliseconds, so it starts
// on a whole second.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

type env struct {
	db    *sqlite.DB
	svc   *auth.Service
	log   *audit.Log
	clock *clock
}

func newEnv(t *testing.T, params auth.Params) *env {
	t.Helper()
	return newEnvWith(t, auth.Config{Params: params})
}

// newEnvWith builds the service from cfg, given its store, audit log and
// clock.
func newEnvWith(t *testing.T, cfg auth.Config) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c := newClock()
	log, err := audit.New(audit.Config{Store: db, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Audit, cfg.Now = db, log, c.Now
	svc, err := auth.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{db: db, svc: svc, log: log, clock: c}
}

// user creates a user with password hashed by p and the given roles.
func (e *env) user(t *testing.T, name, password string, p auth.Params, roles ...string) *sesame.User {
	t.Helper()
	h, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.db.CreateUser(context.Background(), name, h, roles, e.clock.Now())
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// from returns a context whose actor is a visitor at ip.
func from(ip string) context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{IP: ip, UserAgent: "test"})
}

// as returns a context whose actor is u, signed in with session sid from ip.
func as(u *sesame.User, sid, ip string) context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{User: u, SessionID: sid, IP: ip, UserAgent: "test"})
}

// trail returns u's own audit trail, newest first.
func (e *env) trail(t *testing.T, u *sesame.User) []sesame.Event {
	t.Helper()
	events, _, err := e.log.Events(as(u, "", ""), sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return events
}

// throttle returns the counters of username and of ip as the service sees
// them now: the address's failures in the last auth.IPWindow.
func (e *env) throttle(t *testing.T, username, ip string) auth.Failures {
	t.Helper()
	th, err := e.db.LoginFailures(context.Background(), username, ip, e.clock.Now().Add(-auth.IPWindow))
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// wantRateLimited fails unless err is a *RateLimitError with RetryAfter want.
func wantRateLimited(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var rl *sesame.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v; want a *RateLimitError (retry after %v)", err, want)
	}
	if rl.RetryAfter != want {
		t.Fatalf("RetryAfter = %v; want %v", rl.RetryAfter, want)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := audit.New(audit.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  auth.Config
	}{
		{"params out of bounds", auth.Config{Store: db, Audit: log, Params: auth.Params{Memory: 64, Iterations: 0, Parallelism: 1}}},
		{"no audit log", auth.Config{Store: db, Params: cheap}},
		{"no store", auth.Config{Audit: log, Params: cheap}},
	} {
		if _, err := auth.New(tc.cfg); err == nil {
			t.Errorf("New with %s succeeded; want an error", tc.name)
		}
	}
	// Zero Params are the defaults.
	if _, err := auth.New(auth.Config{Store: db, Audit: log}); err != nil {
		t.Errorf("New with zero Params: %v; want DefaultParams", err)
	}
}

func TestLoginSuccess(t *testing.T) {
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", cheap, "customer")
	for _, name := range []string{"alice", "ALICE", "Alice"} {
		u, err := e.svc.Login(from("192.0.2.1"), name, "correct horse battery")
		if err != nil {
			t.Fatalf("Login(%s): %v", name, err)
		}
		if u.ID != alice.ID || u.Username != "alice" || !u.Can(sesame.PermCartEdit) {
			t.Errorf("Login(%s) = %+v; want alice with her permissions", name, u)
		}
		if u.PasswordHash != "" {
			t.Errorf("Login returned the password hash")
		}
		// The sign-in time is recorded, and returned as stored.
		stored, err := e.db.UserByID(context.Background(), alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !u.LastLoginAt.Equal(e.clock.Now()) || !stored.LastLoginAt.Equal(u.LastLoginAt) {
			t.Errorf("LastLoginAt = %v, stored %v; want %v", u.LastLoginAt, stored.LastLoginAt, e.clock.Now())
		}
		if stored.Generation != alice.Generation {
			t.Errorf("a sign-in moved the generation %d → %d", alice.Generation, stored.Generation)
		}
		e.clock.Advance(time.Minute)
	}
	// The success is for the HTTP layer to audit, with the new session id.
	for _, ev := range e.trail(t, alice) {
		if ev.Action == sesame.ActionLogin {
			t.Errorf("Login audited %+v; the HTTP layer records successes", ev)
		}
	}
}

func TestLoginFailuresAnswerAlike(t *testing.T) {
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", cheap, "customer")
	tests := []struct{ name, username, password string }{
		{"wrong password", "alice", "wrong horse battery"},
		{"unknown user", "mallory", "correct horse battery"},
		{"empty username", "", "correct horse battery"},
		{"too long username", strings.Repeat("a", 65), "correct horse battery"},
		{"empty password", "alice", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := "192.0.2." + strconv.Itoa(i+1)
			u, err := e.svc.Login(from(ip), tt.username, tt.password)
			// The same value, not just the same kind: nothing in the answer
			// may tell an unknown user from a wrong password.
			if u != nil || err != sesame.ErrBadCredentials {
				t.Fatalf("Login = %v, %v; want nil, ErrBadCredentials", u, err)
			}
			th := e.throttle(t, tt.username, ip)
			if th.IPFailures != 1 {
				t.Errorf("address failures = %d; want 1 (the failure counts)", th.IPFailures)
			}
		})
	}
	if th := e.throttle(t, "mallory", ""); th.UserFailures != 1 {
		t.Errorf("failures of unknown user = %d; want 1", th.UserFailures)
	}
	if th := e.throttle(t, strings.Repeat("a", 64), ""); th.UserFailures != 1 {
		t.Errorf("failures of a too long username, cut to 64 = %d; want 1", th.UserFailures)
	}
	// Alice sees both failures against her name in her own trail.
	var fails int
	for _, ev := range e.trail(t, alice) {
		if ev.Action == sesame.ActionLogin && ev.Outcome == sesame.OutcomeFailure && ev.Username == "alice" {
			fails++
		}
	}
	if fails != 2 {
		t.Errorf("alice's trail has %d login failures; want 2", fails)
	}
}

func TestLoginRehash(t *testing.T) {
	old := auth.Params{Memory: 32, Iterations: 1, Parallelism: 1}
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", old, "customer")
	ctx := context.Background()
	if _, err := e.svc.Login(from("192.0.2.1"), "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	u, err := e.db.UserByID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash after login = %q; want it rehashed with m=64", u.PasswordHash)
	}
	if ok, rehash, err := cheap.Verify(u.PasswordHash, "correct horse battery"); !ok || rehash || err != nil {
		t.Fatalf("rehashed hash: ok %v, rehash %v, err %v", ok, rehash, err)
	}
	// An up-to-date hash is left alone.
	if _, err := e.svc.Login(from("192.0.2.1"), "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	u2, err := e.db.UserByID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u2.PasswordHash != u.PasswordHash {
		t.Error("an up-to-date hash was rewritten")
	}
}

func TestLoginDefaultParams(t *testing.T) {
	e := newEnv(t, auth.DefaultParams)
	e.user(t, "alice", "correct horse battery", auth.DefaultParams, "customer")
	if _, err := e.svc.Login(from("192.0.2.1"), "alice", "correct horse battery"); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := e.svc.Login(from("192.0.2.1"), "alice", "Correct horse battery"); err != sesame.ErrBadCredentials {
		t.Fatalf("Login with a wrong password: %v; want ErrBadCredentials", err)
	}
}

func TestLoginWithUnusableStoredHash(t *testing.T) {
	e := newEnv(t, cheap)
	// A tampered row asking for 4 GiB of memory: refused, not computed.
	if _, err := e.db.CreateUser(context.Background(), "bob",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", []string{"customer"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(from("192.0.2.1"), "bob", "anything at all"); err != sesame.ErrBadCredentials {
		t.Fatalf("Login = %v; want ErrBadCredentials", err)
	}
}

func TestUser(t *testing.T) {
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", cheap, "customer", "privileged")
	u, err := e.svc.User(context.Background(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "alice" || u.PasswordHash != "" || !u.Can(sesame.PermCheckout) {
		t.Errorf("User = %+v; want alice with her permissions and no hash", u)
	}
	if _, err := e.svc.User(context.Background(), alice.ID+100); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("User(unknown) = %v; want ErrNotFound", err)
	}
}

func TestAuthorize(t *testing.T) {
	e := newEnv(t, cheap)
	cust := e.user(t, "carol", "correct horse battery", cheap, "customer")
	ctx := as(cust, "pub-session-1", "192.0.2.9")

	if err := e.svc.Authorize(from("192.0.2.9"), sesame.PermProductsView); err != sesame.ErrUnauthenticated {
		t.Errorf("Authorize without a user = %v; want ErrUnauthenticated", err)
	}
	// An operator (the command line) holds every permission, and nothing
	// is recorded for it.
	op := sesame.NewContext(context.Background(), &sesame.Actor{Operator: sesame.OperatorCLI})
	for _, p := range []sesame.Permission{sesame.PermAdmin, sesame.PermCheckout, "anything"} {
		if err := e.svc.Authorize(op, p); err != nil {
			t.Errorf("Authorize(%s) for the operator = %v; want nil", p, err)
		}
	}
	if err := e.svc.Authorize(ctx, sesame.PermCartEdit); err != nil {
		t.Errorf("Authorize(cart.edit) for a customer = %v; want nil", err)
	}
	err := e.svc.Authorize(ctx, sesame.PermCheckout)
	var pe *sesame.PermissionError
	if !errors.Is(err, sesame.ErrForbidden) || !errors.As(err, &pe) || pe.Permission != sesame.PermCheckout {
		t.Fatalf("Authorize(checkout) for a customer = %v; want a PermissionError for checkout", err)
	}

	events := e.trail(t, cust)
	if len(events) != 1 {
		t.Fatalf("trail = %+v; want exactly the one denial", events)
	}
	ev := events[0]
	if ev.Action != sesame.ActionAccessDenied || ev.Outcome != sesame.OutcomeDenied ||
		ev.Detail != "checkout" || ev.UserID != cust.ID || ev.Username != "carol" ||
		ev.SessionID != "pub-session-1" || ev.IP != "192.0.2.9" || !ev.Time.Equal(e.clock.Now()) {
		t.Errorf("denial event = %+v", ev)
	}
}
