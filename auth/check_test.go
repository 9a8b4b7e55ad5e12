package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
)

// TestCheckPassword: the proof a signed-in user gives before a sensitive
// change. A right password passes and ends the name's run of failures; a
// wrong one is a failed login, counted and recorded under the action; a
// blank one is a form left empty, refused on the field and not counted.
func TestCheckPassword(t *testing.T) {
	const right = "correct horse battery"
	for _, tc := range []struct {
		name     string
		password string
		check    func(t *testing.T, err error)
		counted  bool
		recorded string // the detail of the failure recorded; "" for none
	}{
		{"right", right, func(t *testing.T, err error) {
			if err != nil {
				t.Errorf("CheckPassword = %v; want nil", err)
			}
		}, false, ""},
		{"wrong", "wrong horse battery", func(t *testing.T, err error) {
			if err != sesame.ErrBadCredentials {
				t.Errorf("CheckPassword = %v; want ErrBadCredentials", err)
			}
		}, true, "wrong password, for the test"},
		{"blank", "", func(t *testing.T, err error) {
			var inv *sesame.InvalidError
			if !errors.As(err, &inv) || inv.Fields["pw"] != "is required" || len(inv.Fields) != 1 {
				t.Errorf("CheckPassword = %v; want pw is required", err)
			}
		}, false, "password left blank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, cheap)
			alice := e.user(t, "alice", right, cheap, "customer")
			// Two earlier failures from elsewhere: a success ends the run.
			for range 2 {
				if _, err := e.svc.Login(from("192.0.2.2"), "alice", "guess"); err != sesame.ErrBadCredentials {
					t.Fatal(err)
				}
			}
			tc.check(t, e.svc.CheckPassword(as(alice, "pub-1", "192.0.2.1"), "pw", tc.password,
				sesame.ActionReauth, "wrong password, for the test"))
			th := e.throttle(t, "alice", "192.0.2.1")
			if tc.counted && (th.IPFailures != 1 || th.UserFailures != 3) ||
				!tc.counted && th.IPFailures != 0 {
				t.Errorf("counters %+v; counted should be %v", th, tc.counted)
			}
			if tc.name == "right" && th.UserFailures != 0 {
				t.Errorf("%d failures after the right password; want the run ended", th.UserFailures)
			}
			var got []sesame.Event
			for _, ev := range e.trail(t, alice) {
				if ev.Action == sesame.ActionReauth {
					got = append(got, ev)
				}
			}
			switch {
			case tc.recorded == "" && len(got) != 0:
				t.Errorf("recorded %+v; want nothing (the caller records a success)", got)
			case tc.recorded != "" && (len(got) != 1 || got[0].Outcome != sesame.OutcomeFailure ||
				got[0].Detail != tc.recorded || got[0].SessionID != "pub-1"):
				t.Errorf("recorded %+v; want one failure %q", got, tc.recorded)
			}
		})
	}
}

func TestCheckPasswordRefusals(t *testing.T) {
	e := newEnv(t, cheap)
	alice := e.user(t, "alice", "correct horse battery", cheap, "customer")
	if err := e.svc.CheckPassword(from("192.0.2.1"), "pw", "anything", sesame.ActionReauth, ""); err != sesame.ErrUnauthenticated {
		t.Errorf("CheckPassword without a user = %v; want ErrUnauthenticated", err)
	}
	op := sesame.NewContext(context.Background(), &sesame.Actor{Operator: sesame.OperatorCLI})
	if err := e.svc.CheckPassword(op, "pw", "anything", sesame.ActionReauth, ""); err != sesame.ErrUnauthenticated {
		t.Errorf("CheckPassword for an operator = %v; want ErrUnauthenticated: it has no password", err)
	}
	// Throttled like a login of the name, and sharing its counter.
	for range 5 {
		if _, err := e.svc.Login(from("192.0.2.2"), "alice", "guess"); err != sesame.ErrBadCredentials {
			t.Fatal(err)
		}
	}
	err := e.svc.CheckPassword(as(alice, "pub-1", "192.0.2.1"), "pw", "correct horse battery", sesame.ActionReauth, "")
	wantRateLimited(t, err, time.Second)
}

func TestNewPasswordHash(t *testing.T) {
	e := newEnv(t, cheap)
	ctx := context.Background()
	for _, tc := range []struct{ next, current, why string }{
		{"short", "", "must be at least 8 characters"},
		{"password123", "", "is too common: choose another"},
		{"correct horse battery", "correct horse battery", "must differ from the current one"},
	} {
		_, err := e.svc.NewPasswordHash(ctx, "new_password", tc.next, tc.current)
		var inv *sesame.InvalidError
		if !errors.As(err, &inv) || inv.Fields["new_password"] != tc.why || len(inv.Fields) != 1 {
			t.Errorf("NewPasswordHash(%q, %q) = %v; want new_password %q", tc.next, tc.current, err, tc.why)
		}
	}
	h, err := e.svc.NewPasswordHash(ctx, "new_password", "a brand new passphrase", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := cheap.Verify(h, "a brand new passphrase"); !ok || rehash || err != nil {
		t.Errorf("the new hash: ok %v, rehash %v, %v; want it made with the service's params", ok, rehash, err)
	}
	// No current password to differ from: the same text is fine.
	if _, err := e.svc.NewPasswordHash(ctx, "password", "correct horse battery", ""); err != nil {
		t.Errorf("NewPasswordHash without a current password: %v", err)
	}
}
