package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/session"
)

// TestSweep: the periodic sweep removes dead sessions, auditing each expiry,
// and forgets login failures that no longer count; live sessions and
// failures that still count stay.
func TestSweep(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s, _ := openServer(t, testConfig(tempDB(t)), func(s *Server) { s.Now = clock })
	ctx := context.Background()

	if got := handlerLogin(t, s, "authorized_user", "password123"); got != http.StatusCreated {
		t.Fatalf("login: %d", got)
	}
	if got := handlerLogin(t, s, "unauthorized_user", "wrong guess"); got != http.StatusUnauthorized {
		t.Fatalf("failed login: %d", got)
	}
	sessions := func(user string) int {
		t.Helper()
		list, _, err := s.services.Sessions.List(ctx, session.ListOptions{UserID: user})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	failures := func() int {
		t.Helper()
		f, err := s.stores.Data.LoginFailures(ctx, "unauthorized_user", "192.0.2.1", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return f.UserFailures + f.IPFailures
	}
	authorized := "1" // the first user seeded
	if sessions(authorized) != 1 || failures() == 0 {
		t.Fatalf("before: %d sessions, %d failures", sessions(authorized), failures())
	}

	advance(29 * time.Minute) // the session and the username failure still count
	s.sweep(ctx)
	if sessions(authorized) != 1 {
		t.Error("the sweep removed a live session")
	}
	advance(25 * time.Hour) // past the idle timeout, and a day of quiet
	s.sweep(ctx)
	if n := sessions(authorized); n != 0 {
		t.Errorf("%d dead sessions left after the sweep", n)
	}
	if n := failures(); n != 0 {
		t.Errorf("%d stale login failures left after the sweep", n)
	}
}

// TestSweepOutage: a sweep against stores that fail logs each failure and
// goes on; nothing panics, and the next sweep will try again.
func TestSweepOutage(t *testing.T) {
	var logs syncBuffer
	s, _ := openServer(t, testConfig(tempDB(t)), func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.sweep(context.Background())
	for _, want := range []string{"session cleanup failed", "login throttle cleanup failed", "audit retention cleanup failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, logs.String())
		}
	}
}

// TestSweepAuditRetention: the sweep removes the events older than
// --audit-retention and keeps the newer ones; 0 keeps them all.
func TestSweepAuditRetention(t *testing.T) {
	for _, retention := range []time.Duration{48 * time.Hour, 0} {
		var mu sync.Mutex
		now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
		cfg := testConfig(tempDB(t))
		cfg.AuditRetention = retention
		s, _ := openServer(t, cfg, func(s *Server) { s.Now = clock })
		ctx := context.Background()
		events := func() int {
			t.Helper()
			list, _, err := s.services.Audit.Search(ctx, audit.Query{Action: sesame.ActionLogin}, sesame.Paging{Limit: sesame.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		handlerLogin(t, s, "authorized_user", "wrong guess") // an old event
		advance(47 * time.Hour)
		handlerLogin(t, s, "authorized_user", "wrong again") // a new one
		advance(2 * time.Hour)                               // the first is 49h old, the second 2h
		s.sweep(ctx)
		want := 1
		if retention == 0 {
			want = 2
		}
		if got := events(); got != want {
			t.Errorf("retention %v: %d login events left after the sweep, want %d", retention, got, want)
		}
	}
}
