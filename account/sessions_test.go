package account_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/internal/clientip"
	"github.com/sesamehq/sesame/session"
)

// TestSessions: a user lists their own live sessions, newest first, the
// request's own marked, in stretches; an admin lists anyone's.
func TestSessions(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	bob := e.user("bob", "customer")
	e.user("root", "admin")
	var bs []*browser
	var ids []string // newest first
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		b := e.browser(ip)
		ids = slices.Insert(ids, 0, b.mustSignIn("alice").ID)
		bs = append(bs, b)
		e.clock.Advance(time.Second)
	}
	bobs := e.browser("198.51.100.1")
	bobID := bobs.mustSignIn("bob").ID
	root := e.browser("203.0.113.1")
	rootID := root.mustSignIn("root").ID

	var list []account.SessionInfo
	var next string
	err := bs[1].call(func(ctx context.Context) (err error) {
		list, next, err = e.acct.Sessions(ctx, sesame.Paging{})
		return err
	})
	if err != nil || next != "" || len(list) != 3 {
		t.Fatalf("Sessions = %d, %q, %v; want alice's 3", len(list), next, err)
	}
	for i, s := range list {
		if s.ID != ids[i] || s.Username != "alice" || s.Current != (s.ID == ids[1]) {
			t.Errorf("session %d: %s of %q, current %v; want %s of alice, current only the second", i, s.ID, s.Username, s.Current, ids[i])
		}
	}
	// In stretches of two.
	var got []string
	for p := (sesame.Paging{Limit: 2}); ; {
		err := bs[0].call(func(ctx context.Context) (err error) {
			list, next, err = e.acct.Sessions(ctx, p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			got = append(got, s.ID)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if !slices.Equal(got, ids) {
		t.Errorf("by twos: %v; want %v", got, ids)
	}
	err = bs[0].call(func(ctx context.Context) error {
		_, _, err := e.acct.Sessions(ctx, sesame.Paging{Cursor: "nonsense"})
		return err
	})
	wantInvalid(t, err, map[string]string{"cursor": "is not a cursor this list gave out"})
	if _, _, err := e.acct.Sessions(context.Background(), sesame.Paging{}); err != sesame.ErrUnauthenticated {
		t.Errorf("Sessions of a visitor: %v; want ErrUnauthenticated", err)
	}

	// Everyone's, or one user's, for an admin; not for anyone else.
	for _, tc := range []struct {
		userID int64
		want   int
	}{{0, 5}, {bob.ID, 1}, {alice.ID, 3}} {
		err := root.call(func(ctx context.Context) (err error) {
			list, _, err = e.acct.AllSessions(ctx, tc.userID, sesame.Paging{})
			return err
		})
		if err != nil || len(list) != tc.want {
			t.Errorf("AllSessions(%d) = %d, %v; want %d", tc.userID, len(list), err, tc.want)
		}
		for _, s := range list {
			if s.Current != (s.ID == rootID) || s.ID == bobID && s.Username != "bob" {
				t.Errorf("AllSessions(%d): %+v", tc.userID, s)
			}
		}
	}
	err = bs[0].call(func(ctx context.Context) error { _, _, err := e.acct.AllSessions(ctx, 0, sesame.Paging{}); return err })
	var pe *sesame.PermissionError
	if !errors.As(err, &pe) || pe.Permission != sesame.PermAdmin {
		t.Errorf("AllSessions for alice: %v; want a PermissionError for admin", err)
	}
	if list, _, err := e.acct.AllSessions(operator(), 0, sesame.Paging{}); err != nil || len(list) != 5 {
		t.Errorf("AllSessions for the operator = %d, %v; want 5", len(list), err)
	}
}

// TestEndSession: a user ends one of their sessions by id; their own
// current one signs them out; another user's is not found, exactly like one
// that does not exist, and lives on.
func TestEndSession(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	bob := e.user("bob", "customer")
	b1, b2, b3 := e.browser("192.0.2.1"), e.browser("192.0.2.2"), e.browser("198.51.100.1")
	s1, s2, s3 := b1.mustSignIn("alice"), b2.mustSignIn("alice"), b3.mustSignIn("bob")
	end := func(b *browser, id string) (current bool, err error) {
		err = b.call(func(ctx context.Context) (err error) {
			current, err = e.acct.EndSession(ctx, id)
			return err
		})
		return current, err
	}

	if current, err := end(b1, s2.ID); err != nil || current {
		t.Fatalf("EndSession(another own) = %v, %v; want false, nil", current, err)
	}
	b2.signedIn("its session ended", nil)
	b1.signedIn("the session that ended another", alice)
	for _, id := range []string{s3.ID, "no-such-session", ""} {
		if _, err := end(b1, id); !errors.Is(err, sesame.ErrNotFound) {
			t.Errorf("EndSession(%q) = %v; want ErrNotFound", id, err)
		}
	}
	b3.signedIn("bob, whose session alice tried to end", bob)
	if current, err := end(b1, s1.ID); err != nil || !current {
		t.Fatalf("EndSession(the current one) = %v, %v; want true, nil", current, err)
	}
	if b1.set == nil || b1.set.MaxAge >= 0 {
		t.Errorf("cookie %v; want it cleared", b1.set)
	}
	b1.signedIn("its own session ended", nil)
	var details []string
	for _, ev := range e.actions(alice.ID, sesame.ActionSessionRevoke) {
		details = append(details, ev.Detail)
		if ev.TargetID != 0 || ev.UserID != alice.ID {
			t.Errorf("revocation of an own session audited as %+v; want alice, no target", ev)
		}
	}
	if want := []string{"session " + s1.ID, "session " + s2.ID}; !slices.Equal(details, want) {
		t.Errorf("revocations audited: %q; want %q", details, want)
	}
	if _, err := e.acct.EndSession(context.Background(), s3.ID); err != sesame.ErrUnauthenticated {
		t.Errorf("EndSession for a visitor: %v; want ErrUnauthenticated", err)
	}
}

// TestEndOtherSessions: every session of the user but the request's ends,
// each audited; another user's stay.
func TestEndOtherSessions(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	bob := e.user("bob", "customer")
	b1, b2, b3, b4 := e.browser("192.0.2.1"), e.browser("192.0.2.2"), e.browser("192.0.2.3"), e.browser("198.51.100.1")
	s1 := b1.mustSignIn("alice")
	ended := []string{"session " + b2.mustSignIn("alice").ID, "session " + b3.mustSignIn("alice").ID}
	b4.mustSignIn("bob")
	var n int
	if err := b1.call(func(ctx context.Context) (err error) { n, err = e.acct.EndOtherSessions(ctx); return err }); err != nil || n != 2 {
		t.Fatalf("EndOtherSessions = %d, %v; want 2", n, err)
	}
	b1.signedIn("the request's session", alice)
	b2.signedIn("another session", nil)
	b3.signedIn("another session", nil)
	b4.signedIn("another user's session", bob)
	if live := e.live(alice.ID); !slices.Equal(live, []string{s1.ID}) {
		t.Errorf("alice's live sessions: %v; want only %s", live, s1.ID)
	}
	var details []string
	for _, ev := range e.actions(alice.ID, sesame.ActionSessionRevoke) {
		details = append(details, ev.Detail)
	}
	slices.Sort(details)
	slices.Sort(ended)
	if !slices.Equal(details, ended) {
		t.Errorf("revocations audited: %q; want %q", details, ended)
	}
}

// TestRecordSessionEnd: each way the Manager ends a session by itself is
// audited, naming the session and its user, from the address of the
// request that found it dead, or the session's own for the cleanup.
func TestRecordSessionEnd(t *testing.T) {
	e := newEnv(t, session.Config{})
	alice := e.user("alice", "customer")
	b := e.browser("192.0.2.1")
	s := b.mustSignIn("alice")
	record := account.RecordSessionEnd(e.log, clientip.Remote)
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr, r.Header["User-Agent"] = "198.51.100.7:4321", []string{"other browser"}
	const reuse = "a replaced token was presented from 198.51.100.7 after its grace; " +
		"the session was renewed from 192.0.2.1; the session was ended"
	for _, tc := range []struct {
		why     session.EndReason
		r       bool
		action  sesame.Action
		outcome sesame.Outcome
		detail  string
	}{
		{session.EndIdle, true, sesame.ActionSessionExpire, sesame.OutcomeSuccess, "ended by its idle timeout"},
		{session.EndIdle, false, sesame.ActionSessionExpire, sesame.OutcomeSuccess, "ended by its idle timeout, removed by the cleanup"},
		{session.EndLifetime, true, sesame.ActionSessionExpire, sesame.OutcomeSuccess, "ended at the end of its lifetime"},
		{session.EndLifetime, false, sesame.ActionSessionExpire, sesame.OutcomeSuccess, "ended at the end of its lifetime, removed by the cleanup"},
		{session.EndTokenReuse, true, sesame.ActionTokenReuse, sesame.OutcomeDenied, reuse},
		{session.EndEvicted, true, sesame.ActionSessionEvicted, sesame.OutcomeSuccess, "ended by a sign-in past the session limit"},
	} {
		ip, ua := s.LastIP, s.UserAgent
		if tc.r {
			record(context.Background(), s, tc.why, r)
			ip, ua = "198.51.100.7", "other browser"
		} else {
			record(context.Background(), s, tc.why, nil)
		}
		ev := e.trail(alice.ID)[0]
		if ev.Action != tc.action || ev.Outcome != tc.outcome || ev.Detail != tc.detail || ev.UserID != alice.ID ||
			ev.Username != "alice" || ev.SessionID != s.ID || ev.IP != ip || ev.UserAgent != ua {
			t.Errorf("%v (request %v) audited as %+v\nwant %s %s %q from %s", tc.why, tc.r, ev, tc.action, tc.outcome, tc.detail, ip)
		}
	}
	// A session that recorded nothing of its user still names the user id.
	bare := s
	bare.Data = nil
	record(context.Background(), bare, session.EndIdle, nil)
	if ev := e.trail(alice.ID)[0]; ev.UserID != alice.ID || ev.Username != "" {
		t.Errorf("the end of a session without a record: %+v", ev)
	}
}

// TestSessionEndsAreAudited: the same, end to end, through a Manager
// configured with RecordSessionEnd.
func TestSessionEndsAreAudited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    session.Config
		end    func(e *env, b *browser)
		detail string
	}{
		{"idle, found by a request", session.Config{}, func(e *env, b *browser) {
			e.clock.Advance(31 * time.Minute)
			b.signedIn("idle for 31 minutes", nil)
		}, "ended by its idle timeout"},
		{"idle, swept", session.Config{}, func(e *env, b *browser) {
			e.clock.Advance(31 * time.Minute)
			if n, err := e.sessions.DeleteExpired(context.Background()); err != nil || n != 1 {
				e.t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
			}
		}, "ended by its idle timeout, removed by the cleanup"},
		{"evicted", session.Config{MaxSessions: 1}, func(e *env, b *browser) {
			e.browser("192.0.2.99").mustSignIn("alice")
			b.signedIn("evicted", nil)
		}, "ended by a sign-in past the session limit"},
		{"token reuse", session.Config{RenewInterval: 10 * time.Minute}, func(e *env, b *browser) {
			stolen := *b.cookie
			e.clock.Advance(10 * time.Minute)
			b.whoami() // renewed
			e.clock.Advance(2 * time.Minute)
			thief := e.browser("198.51.100.66")
			thief.cookie = &stolen
			thief.signedIn("a replaced token past its grace", nil)
		}, "a replaced token was presented from 198.51.100.66 after its grace; the session was renewed from 192.0.2.1; the session was ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			alice := e.user("alice", "customer")
			b := e.browser("192.0.2.1")
			s := b.mustSignIn("alice")
			tc.end(e, b)
			var found bool
			for _, ev := range e.trail(alice.ID) {
				if ev.Detail == tc.detail && ev.SessionID == s.ID {
					found = true
				}
			}
			if !found {
				t.Errorf("trail %+v; want the end of %s: %q", e.trail(alice.ID), s.ID, tc.detail)
			}
		})
	}
}
