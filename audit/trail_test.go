package audit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

func TestNewRequiresStore(t *testing.T) {
	if _, err := audit.New(audit.Config{}); err == nil {
		t.Error("audit.New without a Store succeeded; want an error")
	}
}

// An operator's actions are recorded under its name, with no user, and
// name the user they were done to, whose own trail shows them.
func TestRecordOperator(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	log := newLog(t, db, audit.Config{Now: func() time.Time { return t0 }})
	op := sesame.NewContext(context.Background(), &sesame.Actor{Operator: sesame.OperatorCLI})
	log.Record(op, sesame.Event{Action: sesame.ActionUserDisable, Outcome: sesame.OutcomeSuccess,
		TargetID: alice.ID, TargetName: "alice" + strings.Repeat("x", 100)})

	evs := events(t, log, alice)
	if len(evs) != 1 {
		t.Fatalf("alice's trail = %+v; want the change done to her", evs)
	}
	e := evs[0]
	if e.UserID != 0 || e.Username != "cli" || e.TargetID != alice.ID || e.SessionID != "" ||
		!strings.HasPrefix(e.TargetName, "alice") || len(e.TargetName) != 64 {
		t.Errorf("event = %+v; want the operator as actor, alice as target (name cut to 64)", e)
	}
}

// A user's own trail holds what they did and what was done to them, and
// nothing else.
func TestEventsIncludeTargets(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	admin := newUser(t, db, "admin")
	bob := newUser(t, db, "bob")
	log := newLog(t, db, audit.Config{})
	log.Record(as(alice, "pub-a", "", ""), sesame.Event{Action: sesame.ActionLogin, Outcome: sesame.OutcomeSuccess})
	log.Record(as(admin, "pub-x", "", ""), sesame.Event{Action: sesame.ActionUserRoles, Outcome: sesame.OutcomeSuccess,
		TargetID: alice.ID, TargetName: "alice", Detail: "roles customer → admin"})
	log.Record(as(admin, "pub-x", "", ""), sesame.Event{Action: sesame.ActionUserRoles, Outcome: sesame.OutcomeSuccess,
		TargetID: bob.ID, TargetName: "bob"})

	var got []string
	for _, e := range events(t, log, alice) {
		got = append(got, string(e.Action)+" by "+e.Username)
	}
	if want := []string{"user.roles by admin", "login by alice"}; !slices.Equal(got, want) {
		t.Errorf("alice's trail = %v; want %v", got, want)
	}
	if n := len(events(t, log, admin)); n != 2 {
		t.Errorf("the admin's trail has %d events; want the 2 changes they made", n)
	}
}

// Search reads the whole trail, filtered; it leaves authorizing to its
// caller.
func TestSearch(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	log := newLog(t, db, audit.Config{})
	record := func(u *sesame.User, a sesame.Action, o sesame.Outcome) {
		log.Record(as(u, "", "", ""), sesame.Event{Action: a, Outcome: o})
	}
	record(alice, sesame.ActionLogin, sesame.OutcomeSuccess)
	record(bob, sesame.ActionLogin, sesame.OutcomeFailure)
	record(alice, sesame.ActionCheckout, sesame.OutcomeFailure)
	record(bob, sesame.ActionCheckout, sesame.OutcomeSuccess)
	ctx := context.Background() // no actor: Search does not ask for one
	for _, tc := range []struct {
		q    audit.Query
		want string
	}{
		{audit.Query{}, "bob checkout,alice checkout,bob login,alice login"},
		{audit.Query{UserID: alice.ID}, "alice checkout,alice login"},
		{audit.Query{Action: sesame.ActionLogin}, "bob login,alice login"},
		{audit.Query{Outcome: sesame.OutcomeFailure}, "alice checkout,bob login"},
		{audit.Query{UserID: bob.ID, Action: sesame.ActionCheckout, Outcome: sesame.OutcomeSuccess}, "bob checkout"},
		{audit.Query{Action: sesame.ActionTask}, ""},
	} {
		evs, next, err := log.Search(ctx, tc.q, sesame.Paging{})
		if err != nil || next != "" {
			t.Fatalf("Search(%+v): next %q, %v", tc.q, next, err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Username+" "+string(e.Action))
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("Search(%+v) = %v; want %s", tc.q, got, tc.want)
		}
	}
	evs, next, err := log.Search(ctx, audit.Query{}, sesame.Paging{Limit: 3})
	if err != nil || len(evs) != 3 || next == "" {
		t.Fatalf("Search by 3 = %d, %q, %v", len(evs), next, err)
	}
	if evs, next, err = log.Search(ctx, audit.Query{}, sesame.Paging{Limit: 3, Cursor: next}); err != nil ||
		len(evs) != 1 || next != "" || evs[0].Username != "alice" {
		t.Errorf("the rest = %+v, %q, %v; want alice's first login", evs, next, err)
	}
	var inv *sesame.InvalidError
	if _, _, err := log.Search(ctx, audit.Query{}, sesame.Paging{Cursor: "nonsense"}); !errors.As(err, &inv) {
		t.Errorf("Search with a bad cursor: %v; want an *InvalidError", err)
	}
	if _, _, err := log.Events(as(alice, "", "", ""), sesame.Paging{Cursor: "nonsense"}); !errors.As(err, &inv) {
		t.Errorf("Events with a bad cursor: %v; want an *InvalidError", err)
	}
}

// Prune forgets what is older than the retention, by the Log's clock; no
// retention keeps everything.
func TestPrune(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	now := t0
	log := newLog(t, db, audit.Config{Now: func() time.Time { return now }})
	for _, age := range []time.Duration{48 * time.Hour, 24*time.Hour + time.Millisecond, 24 * time.Hour, time.Hour} {
		log.Record(as(alice, "", "", ""), sesame.Event{Time: t0.Add(-age), Action: sesame.ActionLogin,
			Outcome: sesame.OutcomeSuccess, Detail: age.String()})
	}
	ctx := context.Background()
	for _, tc := range []struct {
		retention time.Duration
		want      int
		left      int
	}{
		{0, 0, 4},
		{-time.Hour, 0, 4},
		{24 * time.Hour, 2, 2}, // older than a day: not the one exactly a day old
		{24 * time.Hour, 0, 2},
		{30 * time.Minute, 2, 0},
	} {
		n, err := log.Prune(ctx, tc.retention)
		if err != nil || n != tc.want {
			t.Errorf("Prune(%v) = %d, %v; want %d", tc.retention, n, err, tc.want)
		}
		if left := len(events(t, log, alice)); left != tc.left {
			t.Errorf("after Prune(%v): %d events; want %d", tc.retention, left, tc.left)
		}
	}
	db.Close()
	if _, err := log.Prune(ctx, time.Hour); !errors.Is(err, sesame.ErrUnavailable) {
		t.Errorf("Prune on a closed store: %v; want ErrUnavailable", err)
	}
}
