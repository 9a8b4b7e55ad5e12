package datatest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
)

// testTOTPLifecycle: a factor begins unconfirmed (and may be begun again,
// with a new secret), is confirmed once with its recovery codes, refuses a
// new beginning while confirmed, and goes with its codes when deleted.
func testTOTPLifecycle(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	if _, err := s.TOTP(ctx, u.ID); !errors.Is(err, sesame.ErrNotFound) {
		t.Fatalf("TOTP before any: %v, want ErrNotFound", err)
	}
	if err := s.ConfirmTOTP(ctx, u.ID, 1, nil); !errors.Is(err, sesame.ErrNotFound) {
		t.Fatalf("ConfirmTOTP before any: %v, want ErrNotFound", err)
	}
	if err := s.BeginTOTP(ctx, u.ID, []byte("sealed-1"), at); err != nil {
		t.Fatalf("BeginTOTP: %v", err)
	}
	if err := s.BeginTOTP(ctx, u.ID, []byte("sealed-2"), at.Add(1)); err != nil {
		t.Fatalf("BeginTOTP again while unconfirmed: %v", err)
	}
	f, err := s.TOTP(ctx, u.ID)
	if err != nil || string(f.Secret) != "sealed-2" || f.Confirmed || f.UserID != u.ID {
		t.Fatalf("TOTP = %+v, %v; want the second secret, unconfirmed", f, err)
	}
	utc(t, "TOTP CreatedAt", f.CreatedAt)
	if ok, err := s.UseTOTPStep(ctx, u.ID, 5); err != nil || ok {
		t.Fatalf("UseTOTPStep while unconfirmed = %v, %v; want false", ok, err)
	}
	if err := s.ConfirmTOTP(ctx, u.ID, 100, []string{"h1", "h2", "h3"}); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	if err := s.ConfirmTOTP(ctx, u.ID, 101, []string{"h4"}); !errors.Is(err, sesame.ErrConflict) {
		t.Fatalf("ConfirmTOTP twice: %v, want ErrConflict", err)
	}
	if err := s.BeginTOTP(ctx, u.ID, []byte("sealed-3"), at); !errors.Is(err, sesame.ErrConflict) {
		t.Fatalf("BeginTOTP while confirmed: %v, want ErrConflict", err)
	}
	f, err = s.TOTP(ctx, u.ID)
	if err != nil || string(f.Secret) != "sealed-2" || !f.Confirmed || f.LastStep != 100 {
		t.Fatalf("TOTP after confirming = %+v, %v", f, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 3 {
		t.Fatalf("RecoveryCodesLeft = %d, %v; want 3", n, err)
	}
	other := addUser(t, s, "customer")
	got, err := s.TOTPUsers(ctx, []int64{u.ID, other.ID, 1 << 40})
	if err != nil || len(got) != 1 || !got[u.ID] {
		t.Fatalf("TOTPUsers = %v, %v; want only %d", got, err, u.ID)
	}
	if got, err := s.TOTPUsers(ctx, nil); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("TOTPUsers(nil) = %#v, %v; want an empty map", got, err)
	}
	if ok, err := s.DeleteTOTP(ctx, u.ID); err != nil || !ok {
		t.Fatalf("DeleteTOTP = %v, %v", ok, err)
	}
	if ok, err := s.DeleteTOTP(ctx, u.ID); err != nil || ok {
		t.Fatalf("DeleteTOTP again = %v, %v; want false", ok, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 0 {
		t.Fatalf("RecoveryCodesLeft after delete = %d, %v; want 0", n, err)
	}
	if _, err := s.TOTP(ctx, u.ID); !errors.Is(err, sesame.ErrNotFound) {
		t.Fatalf("TOTP after delete: %v, want ErrNotFound", err)
	}
	if err := s.BeginTOTP(ctx, 1<<40, []byte("x"), at); !errors.Is(err, sesame.ErrNotFound) {
		t.Fatalf("BeginTOTP of an unknown user: %v, want ErrNotFound", err)
	}
}

// testTOTPStepOnce: a step is accepted once and never again, nor any
// earlier one; of many uses of one step at once exactly one wins, which is
// what refuses a replayed code across instances.
func testTOTPStepOnce(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	if err := s.BeginTOTP(ctx, u.ID, []byte("sealed"), at); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, u.ID, 10, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int64
		want bool
	}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}, {12, false}} {
		if ok, err := s.UseTOTPStep(ctx, u.ID, tc.step); err != nil || ok != tc.want {
			t.Fatalf("UseTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
		}
	}
	onceOfMany(t, "uses of one step", func() (bool, error) { return s.UseTOTPStep(ctx, u.ID, 20) })
}

// testRecoveryCodeOnce: each recovery code works once, only for its user,
// also when it is tried many times at once; confirming again would replace
// them all (see ConfirmTOTP).
func testRecoveryCodeOnce(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := addUser(t, s, "customer"), addUser(t, s, "customer")
	for _, id := range []int64{u.ID, other.ID} {
		if err := s.BeginTOTP(ctx, id, []byte("sealed"), at); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ConfirmTOTP(ctx, u.ID, 1, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, other.ID, 1, []string{"c"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.UseRecoveryCode(ctx, u.ID, "c", at); err != nil || ok {
		t.Fatalf("another user's code = %v, %v; want false", ok, err)
	}
	if ok, err := s.UseRecoveryCode(ctx, u.ID, "a", at); err != nil || !ok {
		t.Fatalf("UseRecoveryCode(a) = %v, %v", ok, err)
	}
	if ok, err := s.UseRecoveryCode(ctx, u.ID, "a", at); err != nil || ok {
		t.Fatalf("UseRecoveryCode(a) again = %v, %v; want false", ok, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("RecoveryCodesLeft = %d, %v; want 1", n, err)
	}
	onceOfMany(t, "uses of one code", func() (bool, error) { return s.UseRecoveryCode(ctx, u.ID, "b", at) })
}

// testPendingSignIn: a pending sign-in reads back until it expires, is
// deleted once (of many deletions at once, one is told so), and the sweep
// deletes only the expired ones.
func testPendingSignIn(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	p := account.PendingSignIn{Hash: "h1", UserID: u.ID, Generation: 3, Remember: true, ExpiresAt: at.Add(5 * time.Minute)}
	if err := s.CreatePendingSignIn(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePendingSignIn(ctx, account.PendingSignIn{Hash: "h2", UserID: u.ID, ExpiresAt: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.PendingSignIn(ctx, "h1", at)
	if err != nil || *got != p {
		t.Fatalf("PendingSignIn = %+v, %v; want %+v", got, err, p)
	}
	utc(t, "PendingSignIn ExpiresAt", got.ExpiresAt)
	if _, err := s.PendingSignIn(ctx, "h1", p.ExpiresAt); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("PendingSignIn at its expiry: %v, want ErrNotFound", err)
	}
	if _, err := s.PendingSignIn(ctx, "nope", at); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("PendingSignIn of an unknown hash: %v, want ErrNotFound", err)
	}
	if err := s.CreatePendingSignIn(ctx, account.PendingSignIn{Hash: "h3", UserID: 1 << 40, ExpiresAt: at}); !errors.Is(err, sesame.ErrNotFound) {
		t.Errorf("CreatePendingSignIn of an unknown user: %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteExpiredPendingSignIns(ctx, at.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredPendingSignIns = %d, %v; want 1", n, err)
	}
	onceOfMany(t, "deletions of one pending sign-in", func() (bool, error) { return s.DeletePendingSignIn(ctx, "h1") })
}

// onceOfMany runs try from 10 goroutines at once and fails t unless
// exactly one of them won: what a use-once value must do under a race.
func onceOfMany(t *testing.T, what string, try func() (bool, error)) {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ok, err := try()
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent %s won, want 1", wins.Load(), what)
	}
}
