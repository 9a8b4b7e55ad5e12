package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// wantInvalid fails unless err is an *InvalidError with exactly fields.
func wantInvalid(t *testing.T, err error, fields map[string]string) {
	t.Helper()
	var inv *sesame.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v; want *InvalidError %v", err, fields)
	}
	if len(inv.Fields) != len(fields) {
		t.Fatalf("fields = %v; want %v", inv.Fields, fields)
	}
	for f, why := range fields {
		if inv.Fields[f] != why {
			t.Fatalf("fields = %v; want %v", inv.Fields, fields)
		}
	}
}

func TestChangePassword(t *testing.T) {
	const current = "correct horse battery"
	tests := []struct {
		name          string
		current, next string
		fields        map[string]string // nil = success
		counted       bool              // counts as a failed login
	}{
		{name: "success", current: current, next: "a brand new passphrase"},
		{name: "wrong current", current: "wrong horse battery", next: "a brand new passphrase",
			fields: map[string]string{"current_password": "is not your current password"}, counted: true},
		{name: "wrong current and short new", current: "nope", next: "short",
			fields: map[string]string{
				"current_password": "is not your current password",
				"new_password":     "must be at least 8 characters",
			}, counted: true},
		{name: "current left blank", current: "", next: "a brand new passphrase",
			fields: map[string]string{"current_password": "is required"}},
		{name: "too short", current: current, next: "1234567",
			fields: map[string]string{"new_password": "must be at least 8 characters"}},
		{name: "too common", current: current, next: "Password123",
			fields: map[string]string{"new_password": "is too common: choose another"}},
		{name: "unchanged", current: current, next: current,
			fields: map[string]string{"new_password": "must differ from the current one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, cheap)
			alice := e.user(t, "alice", current, cheap, "customer")
			ctx := as(alice, "pub-1", "192.0.2.1")
			err := e.svc.ChangePassword(ctx, tt.current, tt.next, nil)

			wantPassword := current
			outcome := sesame.OutcomeFailure
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("ChangePassword: %v", err)
				}
				wantPassword = tt.next
				outcome = sesame.OutcomeSuccess
			} else {
				wantInvalid(t, err, tt.fields)
			}
			if _, err := e.svc.Login(from("192.0.2.2"), "alice", wantPassword); err != nil {
				t.Errorf("login with %q afterwards: %v", wantPassword, err)
			}
			if th := e.throttle(t, "alice", "192.0.2.1"); (th.IPFailures == 1) != tt.counted {
				t.Errorf("address failures = %d; counted should be %v", th.IPFailures, tt.counted)
			}
			events := e.trail(t, alice)
			if len(events) != 1 || events[0].Action != sesame.ActionPasswordChange ||
				events[0].Outcome != outcome || events[0].SessionID != "pub-1" {
				t.Errorf("trail = %+v; want one password.change %s", events, outcome)
			}
		})
	}
}

func TestChangePasswordUnauthenticated(t *testing.T) {
	e := newEnv(t, cheap)
	if err := e.svc.ChangePassword(from("192.0.2.1"), "a", "b", nil); err != sesame.ErrUnauthenticated {
		t.Errorf("ChangePassword without a user = %v; want ErrUnauthenticated", err)
	}
}

func TestChangePasswordThrottled(t *testing.T) {
	e := newEnv(t, cheap)
	const current = "correct horse battery"
	alice := e.user(t, "alice", current, cheap, "customer")
	ctx := as(alice, "pub-1", "192.0.2.1")
	// Guessing through a stolen session is throttled like guessing at login,
	// and the two share one counter.
	for range 3 {
		if err := e.svc.ChangePassword(ctx, "guess", "a brand new passphrase", nil); err == nil {
			t.Fatal("wrong current password accepted")
		}
	}
	for range 2 {
		if _, err := e.svc.Login(from("192.0.2.2"), "alice", "guess"); err != sesame.ErrBadCredentials {
			t.Fatalf("Login: %v", err)
		}
	}
	err := e.svc.ChangePassword(ctx, current, "a brand new passphrase", nil)
	wantRateLimited(t, err, time.Second)
	if th := e.throttle(t, "alice", ""); th.UserFailures != 5 {
		t.Errorf("failures = %d; want 5 (the refusal is not counted)", th.UserFailures)
	}
	e.clock.Advance(time.Second)
	if err := e.svc.ChangePassword(ctx, current, "a brand new passphrase", nil); err != nil {
		t.Fatalf("ChangePassword after the lock: %v", err)
	}
	// The proof of the password reset the counter.
	if th := e.throttle(t, "alice", ""); th.UserFailures != 0 {
		t.Errorf("failures after success = %d; want 0", th.UserFailures)
	}
	if _, err := e.svc.Login(from("192.0.2.2"), "alice", "a brand new passphrase"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

// TestChangePasswordBeforeStore: the hook runs only once every check has
// passed, and when it fails the old password still works and the new one
// does not: a change is all or nothing.
func TestChangePasswordBeforeStore(t *testing.T) {
	e := newEnv(t, cheap)
	const current, next = "correct horse battery", "a brand new passphrase"
	alice := e.user(t, "alice", current, cheap, "customer")
	ctx := as(alice, "pub-1", "192.0.2.1")
	calls := 0
	failing := func(context.Context) error { calls++; return errors.New("session store down") }

	if err := e.svc.ChangePassword(ctx, "wrong guess", next, failing); err == nil || calls != 0 {
		t.Fatalf("wrong current password: err %v, hook called %d times; want a refusal before the hook", err, calls)
	}
	if err := e.svc.ChangePassword(ctx, current, "short", failing); err == nil || calls != 0 {
		t.Fatalf("refused new password: err %v, hook called %d times; want a refusal before the hook", err, calls)
	}
	if err := e.svc.ChangePassword(ctx, current, next, failing); err == nil || calls != 1 {
		t.Fatalf("failing hook: err %v after %d calls; want the hook's error", err, calls)
	}
	if _, err := e.svc.Login(from("192.0.2.2"), "alice", current); err != nil {
		t.Errorf("the old password stopped working after a failed change: %v", err)
	}
	if _, err := e.svc.Login(from("192.0.2.2"), "alice", next); err == nil {
		t.Error("the new password was stored although the hook failed")
	}
}
