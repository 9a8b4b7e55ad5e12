package datatest

import (
	"slices"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// event returns an event with a value in every field but ID and the
// target, done by user at when.
func event(user int64, action sesame.Action, outcome sesame.Outcome, when time.Time) sesame.Event {
	return sesame.Event{
		Time:      when,
		UserID:    user,
		Username:  "someone",
		Action:    action,
		Outcome:   outcome,
		SessionID: "public-session-id",
		IP:        "2001:db8::1",
		UserAgent: "Mozilla/5.0 «ünïcödé» 🍪",
		Detail:    "product 1, quantity +1",
	}
}

// appendEvent stores e and returns it with its id.
func appendEvent(t *testing.T, s Store, e sesame.Event) sesame.Event {
	t.Helper()
	if err := s.AppendEvent(t.Context(), &e); err != nil {
		t.Fatalf("AppendEvent: %v", err)
	}
	if e.ID == 0 {
		t.Fatal("AppendEvent did not set the ID")
	}
	return e
}

// events returns every event q selects, newest first.
func events(t *testing.T, s Store, q audit.Query) []sesame.Event {
	t.Helper()
	evs, next, err := s.Events(t.Context(), q, sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil || next != "" {
		t.Fatalf("Events(%+v) = %d events, next %q, %v", q, len(evs), next, err)
	}
	if evs == nil {
		t.Fatalf("Events(%+v) is nil; want an empty list", q)
	}
	return evs
}

// eventIDs returns the ids of evs in their order.
func eventIDs(evs []sesame.Event) []int64 {
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// newestFirst returns the ids of evs, stored in that order, newest first.
func newestFirst(evs ...sesame.Event) []int64 {
	ids := eventIDs(evs)
	slices.Reverse(ids)
	return ids
}

// testAppendEvent: every field reads back as stored, the time in UTC, a
// zero user or target as zero; the trail is newest first.
func testAppendEvent(t *testing.T, s Store) {
	var stored []sesame.Event
	for i, e := range []sesame.Event{
		event(7, sesame.ActionCartAdd, sesame.OutcomeSuccess, at),
		{Time: at.Add(time.Second), Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure, Username: "mallory"},
		func() sesame.Event {
			e := event(8, sesame.ActionUserRoles, sesame.OutcomeSuccess, at.Add(2*time.Second))
			e.TargetID, e.TargetName, e.Detail = 9, "carol", "roles customer → admin"
			return e
		}(),
		{Time: at.Add(3 * time.Second), Username: "cli", TargetID: 9, TargetName: "carol",
			Action: sesame.ActionUserDisable, Outcome: sesame.OutcomeSuccess},
	} {
		e = appendEvent(t, s, e)
		for _, o := range stored {
			if o.ID == e.ID {
				t.Fatalf("event %d got the id of an earlier one, %d", i, e.ID)
			}
		}
		stored = append(stored, e)
	}
	got := events(t, s, audit.Query{})
	if !slices.Equal(eventIDs(got), newestFirst(stored...)) {
		t.Fatalf("Events = %v; want %v, newest first", eventIDs(got), newestFirst(stored...))
	}
	for i, e := range got {
		want := stored[len(stored)-1-i]
		tm := e.Time
		e.Time, want.Time = time.Time{}, time.Time{}
		if e != want || !tm.Equal(stored[len(stored)-1-i].Time) {
			t.Errorf("event read back as\n%+v at %v\nwant %+v at %v", e, tm, want, stored[len(stored)-1-i].Time)
		}
		utc(t, "event time", tm)
	}
}

// testEventsOwnTrail: a user's trail holds what they did and what was done
// to them, each event once, newest first; nothing of anyone else.
func testEventsOwnTrail(t *testing.T, s Store) {
	u := addUser(t, s, "customer")
	admin := addUser(t, s, "admin")
	other := addUser(t, s, "customer")
	tm := at
	next := func() time.Time { tm = tm.Add(time.Second); return tm }
	with := func(e sesame.Event, target int64) sesame.Event { e.TargetID, e.TargetName = target, "target"; return e }

	var mine, admins []sesame.Event
	for range 2 {
		e := appendEvent(t, s, event(u.ID, sesame.ActionCartAdd, sesame.OutcomeSuccess, next()))
		mine = append(mine, e)
		e = appendEvent(t, s, with(event(admin.ID, sesame.ActionUserRoles, sesame.OutcomeSuccess, next()), u.ID))
		mine, admins = append(mine, e), append(admins, e)
		e = appendEvent(t, s, with(event(u.ID, sesame.ActionSessionRevoke, sesame.OutcomeSuccess, next()), u.ID))
		mine = append(mine, e) // both actor and target: once
		e = appendEvent(t, s, with(event(admin.ID, sesame.ActionUserDisable, sesame.OutcomeSuccess, next()), other.ID))
		admins = append(admins, e)
		appendEvent(t, s, event(other.ID, sesame.ActionLogin, sesame.OutcomeFailure, next()))
		appendEvent(t, s, event(0, sesame.ActionLogin, sesame.OutcomeFailure, next()))
		e = appendEvent(t, s, with(event(0, sesame.ActionUserPassword, sesame.OutcomeSuccess, next()), u.ID))
		mine = append(mine, e) // done to u by an operator
	}
	if got, want := eventIDs(events(t, s, audit.Query{UserID: u.ID})), newestFirst(mine...); !slices.Equal(got, want) {
		t.Errorf("u's trail = %v; want %v", got, want)
	}
	if got, want := eventIDs(events(t, s, audit.Query{UserID: admin.ID})), newestFirst(admins...); !slices.Equal(got, want) {
		t.Errorf("the admin's trail = %v; want %v", got, want)
	}
	if got := events(t, s, audit.Query{UserID: admin.ID + other.ID + u.ID + 1000}); len(got) != 0 {
		t.Errorf("the trail of nobody: %+v", got)
	}
}

// testEventsFilters: an action, an outcome or both select their events,
// in the whole trail and in a user's.
func testEventsFilters(t *testing.T, s Store) {
	u := addUser(t, s, "customer")
	var all []sesame.Event
	tm := at
	for i, e := range []struct {
		user, target int64
		action       sesame.Action
		outcome      sesame.Outcome
	}{
		{u.ID, 0, sesame.ActionLogin, sesame.OutcomeSuccess},
		{0, 0, sesame.ActionLogin, sesame.OutcomeFailure},
		{u.ID, 0, sesame.ActionLogin, sesame.OutcomeFailure},
		{u.ID, 0, sesame.ActionAccessDenied, sesame.OutcomeDenied},
		{u.ID + 1000, u.ID, sesame.ActionUserRoles, sesame.OutcomeSuccess},
		{u.ID + 1000, 0, sesame.ActionCheckout, sesame.OutcomeFailure},
		{u.ID, 0, sesame.ActionCheckout, sesame.OutcomeSuccess},
	} {
		ev := event(e.user, e.action, e.outcome, tm.Add(time.Duration(i)*time.Second))
		ev.TargetID = e.target
		all = append(all, appendEvent(t, s, ev))
	}
	for _, q := range []audit.Query{
		{},
		{Action: sesame.ActionLogin},
		{Outcome: sesame.OutcomeFailure},
		{Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure},
		{Action: sesame.ActionTask},
		{UserID: u.ID},
		{UserID: u.ID, Action: sesame.ActionLogin},
		{UserID: u.ID, Outcome: sesame.OutcomeSuccess},
		{UserID: u.ID, Action: sesame.ActionUserRoles, Outcome: sesame.OutcomeSuccess},
		{UserID: u.ID, Action: sesame.ActionCheckout, Outcome: sesame.OutcomeFailure},
	} {
		var want []sesame.Event
		for _, e := range all {
			if (q.UserID == 0 || e.UserID == q.UserID || e.TargetID == q.UserID) &&
				(q.Action == "" || e.Action == q.Action) && (q.Outcome == "" || e.Outcome == q.Outcome) {
				want = append(want, e)
			}
		}
		if got := eventIDs(events(t, s, q)); !slices.Equal(got, newestFirst(want...)) {
			t.Errorf("Events(%+v) = %v; want %v", q, got, newestFirst(want...))
		}
	}
}

// testEventsPaging: the trail in stretches of any size, for every kind of
// query; an event recorded while it is read makes the next stretch neither
// repeat nor skip.
func testEventsPaging(t *testing.T, s Store) {
	ctx := t.Context()
	u := addUser(t, s, "customer")
	var all, mine []sesame.Event
	for i := range 9 {
		when := at.Add(time.Duration(i) * time.Second)
		var e sesame.Event
		switch i % 3 {
		case 0:
			e = event(u.ID, sesame.ActionCartAdd, sesame.OutcomeSuccess, when)
		case 1:
			e = event(0, sesame.ActionLogin, sesame.OutcomeFailure, when)
			e.TargetID = u.ID
		default:
			e = event(u.ID+1, sesame.ActionCartAdd, sesame.OutcomeSuccess, when)
		}
		e = appendEvent(t, s, e)
		all = append(all, e)
		if i%3 != 2 {
			mine = append(mine, e)
		}
	}
	for _, tc := range []struct {
		q    audit.Query
		want []sesame.Event
	}{{audit.Query{}, all}, {audit.Query{UserID: u.ID}, mine}} {
		for _, limit := range []int{1, 2, 4, len(tc.want), len(tc.want) + 1} {
			ids, n := readAll(t, limit, func(e sesame.Event) int64 { return e.ID },
				func(p sesame.Paging) ([]sesame.Event, string, error) { return s.Events(ctx, tc.q, p) })
			stretches := (len(tc.want) + limit - 1) / limit
			if !slices.Equal(ids, newestFirst(tc.want...)) || n != stretches {
				t.Errorf("Events(%+v) by %d: %v in %d stretches; want %v in %d",
					tc.q, limit, ids, n, newestFirst(tc.want...), stretches)
			}
		}
		if evs, next, err := s.Events(ctx, tc.q, sesame.Paging{}); err != nil || len(evs) != len(tc.want) || next != "" {
			t.Errorf("Events(%+v, zero Paging) = %d events, %q, %v; want all %d", tc.q, len(evs), next, err, len(tc.want))
		}
	}

	// Keyed, not counted: a new event at the head between two stretches.
	first, next, err := s.Events(ctx, audit.Query{UserID: u.ID}, sesame.Paging{Limit: 2})
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("first stretch: %d, %q, %v", len(first), next, err)
	}
	appendEvent(t, s, event(u.ID, sesame.ActionLogout, sesame.OutcomeSuccess, at.Add(time.Hour)))
	rest, next, err := s.Events(ctx, audit.Query{UserID: u.ID}, sesame.Paging{Limit: 100, Cursor: next})
	if err != nil || next != "" {
		t.Fatalf("rest: %q, %v", next, err)
	}
	if got := eventIDs(slices.Concat(first, rest)); !slices.Equal(got, newestFirst(mine...)) {
		t.Errorf("read around a new event: %v; want %v", got, newestFirst(mine...))
	}
}

// testEventsOutliveUsers: the trail keeps user ids without asking the
// users: events of and about a user who does not exist (any more) are
// stored and found.
func testEventsOutliveUsers(t *testing.T, s Store) {
	u := addUser(t, s, "customer")
	gone := u.ID + 1000
	did := appendEvent(t, s, event(gone, sesame.ActionLogin, sesame.OutcomeSuccess, at))
	e := event(u.ID, sesame.ActionUserCreate, sesame.OutcomeSuccess, at.Add(time.Second))
	e.TargetID, e.TargetName = gone+1, "ghost"
	about := appendEvent(t, s, e)
	if got := eventIDs(events(t, s, audit.Query{UserID: gone})); !slices.Equal(got, []int64{did.ID}) {
		t.Errorf("events of a user who does not exist: %v; want %v", got, []int64{did.ID})
	}
	if got := eventIDs(events(t, s, audit.Query{UserID: gone + 1})); !slices.Equal(got, []int64{about.ID}) {
		t.Errorf("events about a user who does not exist: %v; want %v", got, []int64{about.ID})
	}
}

// testDeleteEventsBefore: the events strictly older than the time go, and
// are counted; those at it stay.
func testDeleteEventsBefore(t *testing.T, s Store) {
	ctx := t.Context()
	ms := time.Millisecond
	var kept []sesame.Event
	for _, when := range []time.Time{at.Add(-time.Hour), at.Add(-ms), at, at.Add(ms)} {
		e := appendEvent(t, s, event(1, sesame.ActionLogin, sesame.OutcomeSuccess, when))
		if !when.Before(at) {
			kept = append(kept, e)
		}
	}
	del := func(before time.Time, want int) {
		t.Helper()
		if n, err := s.DeleteEventsBefore(ctx, before); err != nil || n != want {
			t.Errorf("DeleteEventsBefore(%v) = %d, %v; want %d", before, n, err, want)
		}
	}
	del(at, 2)
	if got := eventIDs(events(t, s, audit.Query{})); !slices.Equal(got, newestFirst(kept...)) {
		t.Errorf("left: %v; want %v", got, newestFirst(kept...))
	}
	del(at, 0)
	del(at.Add(time.Hour), 2)
	if got := events(t, s, audit.Query{}); len(got) != 0 {
		t.Errorf("left after deleting everything: %+v", got)
	}
}
