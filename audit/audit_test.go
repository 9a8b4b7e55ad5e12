package audit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newUser(t *testing.T, db *sqlite.DB, name string) *sesame.User {
	t.Helper()
	u, err := db.CreateUser(context.Background(), name, "$argon2id$not-used", []string{"customer"}, t0)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// newLog returns the Log of cfg over db.
func newLog(t *testing.T, db *sqlite.DB, cfg audit.Config) *audit.Log {
	t.Helper()
	cfg.Store = db
	log, err := audit.New(cfg)
	if err != nil {
		t.Fatalf("audit.New: %v", err)
	}
	return log
}

func as(u *sesame.User, sid, ip, ua string) context.Context {
	return sesame.NewContext(context.Background(), &sesame.Actor{User: u, SessionID: sid, IP: ip, UserAgent: ua})
}

func events(t *testing.T, log *audit.Log, u *sesame.User) []sesame.Event {
	t.Helper()
	evs, _, err := log.Events(as(u, "", "", ""), sesame.Paging{Limit: sesame.MaxLimit})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return evs
}

func TestRecordFillsFromActor(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	// A clock in another zone: the trail is kept in UTC.
	log := newLog(t, db, audit.Config{Now: func() time.Time { return t0.In(time.FixedZone("CET", 3600)) }})

	log.Record(as(alice, "pub-1", "192.0.2.1", "Firefox"), sesame.Event{
		Action: sesame.ActionCartAdd, Outcome: sesame.OutcomeSuccess, Detail: "product 3, quantity +1",
	})

	evs := events(t, log, alice)
	if len(evs) != 1 {
		t.Fatalf("events = %+v; want 1", evs)
	}
	want := sesame.Event{
		ID: evs[0].ID, Time: t0, UserID: alice.ID, Username: "alice",
		Action: sesame.ActionCartAdd, Outcome: sesame.OutcomeSuccess,
		SessionID: "pub-1", IP: "192.0.2.1", UserAgent: "Firefox", Detail: "product 3, quantity +1",
	}
	if evs[0] != want {
		t.Errorf("event = %+v\nwant    %+v", evs[0], want)
	}
	if evs[0].ID == 0 || evs[0].Time.Location() != time.UTC {
		t.Errorf("event id %d, zone %v; want an id and UTC", evs[0].ID, evs[0].Time.Location())
	}
}

func TestRecordKeepsGivenFields(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	log := newLog(t, db, audit.Config{})
	ctx := as(alice, "pub-1", "192.0.2.1", "Firefox")
	at := t0.Add(-time.Hour)

	// Someone signed in as alice fails a login as bob: the event is bob's,
	// not alice's, and keeps what the caller set.
	log.Record(ctx, sesame.Event{
		Time: at, UserID: bob.ID, Username: "bob", Action: sesame.ActionLogin,
		Outcome: sesame.OutcomeFailure, IP: "198.51.100.1",
	})
	// A failure for a name that is nobody's is attributed to no one.
	log.Record(ctx, sesame.Event{Username: "mallory", Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure})

	if evs := events(t, log, alice); len(evs) != 0 {
		t.Errorf("alice's trail = %+v; want nothing", evs)
	}
	evs := events(t, log, bob)
	if len(evs) != 1 {
		t.Fatalf("bob's trail = %+v; want 1 event", evs)
	}
	if e := evs[0]; !e.Time.Equal(at) || e.Username != "bob" || e.IP != "198.51.100.1" || e.SessionID != "pub-1" {
		t.Errorf("event = %+v; want the given time, user and address, the actor's session", e)
	}
}

func TestRecordBoundsClientText(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	log := newLog(t, db, audit.Config{})
	ua := strings.Repeat("é", 1000) // 2000 bytes
	log.Record(as(alice, "pub-1", "192.0.2.1", ua), sesame.Event{Action: sesame.ActionLogout, Outcome: sesame.OutcomeSuccess})
	evs := events(t, log, alice)
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	if got := evs[0].UserAgent; len(got) != 512 || !strings.HasPrefix(ua, got) {
		t.Errorf("stored user agent is %d bytes; want the first 512 of it", len(got))
	}
}

func TestRecordSurvivesCancelledRequest(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	log := newLog(t, db, audit.Config{})
	ctx, cancel := context.WithCancel(as(alice, "pub-1", "192.0.2.1", "Firefox"))
	cancel() // the client hung up just after acting
	log.Record(ctx, sesame.Event{Action: sesame.ActionCheckout, Outcome: sesame.OutcomeSuccess})
	if evs := events(t, log, alice); len(evs) != 1 {
		t.Errorf("events = %+v; want the checkout recorded", evs)
	}
}

func TestRecordFailureIsLogged(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	var buf bytes.Buffer
	log := newLog(t, db, audit.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	db.Close() // every write now fails

	// It must not panic or return anything; it must be visible.
	log.Record(as(alice, "pub-1", "192.0.2.1", "Firefox"), sesame.Event{
		Action: sesame.ActionCheckout, Outcome: sesame.OutcomeSuccess, Detail: "order 7",
	})
	out := buf.String()
	for _, want := range []string{"level=ERROR", "audit: event not recorded", "action=checkout", "user_id=" + strconv.FormatInt(alice.ID, 10), "session_id=pub-1", "order 7"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

func TestEvents(t *testing.T) {
	db := openDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	log := newLog(t, db, audit.Config{})

	if _, _, err := log.Events(context.Background(), sesame.Paging{}); !errors.Is(err, sesame.ErrUnauthenticated) {
		t.Errorf("Events without a user = %v; want ErrUnauthenticated", err)
	}

	for i := range 5 {
		log.Record(as(alice, "", "", ""), sesame.Event{Action: sesame.ActionCartAdd, Outcome: sesame.OutcomeSuccess, Detail: strconv.Itoa(i)})
		log.Record(as(bob, "", "", ""), sesame.Event{Action: sesame.ActionCartAdd, Outcome: sesame.OutcomeSuccess, Detail: "bob"})
	}

	// Alice's own trail only, newest first, in pages of two.
	var got []string
	page := sesame.Paging{Limit: 2}
	for range 10 {
		evs, next, err := log.Events(as(alice, "", "", ""), page)
		if err != nil {
			t.Fatalf("Events(%+v): %v", page, err)
		}
		for _, e := range evs {
			if e.UserID != alice.ID {
				t.Errorf("alice's trail holds %+v", e)
			}
			got = append(got, e.Detail)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if strings.Join(got, ",") != "4,3,2,1,0" {
		t.Errorf("stretches = %v; want 4,3,2,1,0", got)
	}

	// A zero Paging is the first stretch of the default size.
	evs, next, err := log.Events(as(alice, "", "", ""), sesame.Paging{})
	if err != nil || len(evs) != 5 || next != "" {
		t.Errorf("Events(zero page) = %d events, next %q, %v; want all 5", len(evs), next, err)
	}
}
