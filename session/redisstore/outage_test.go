package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/redisstore"
)

// call is one store method, bound to its arguments.
type call struct {
	name string
	do   func(ctx context.Context) error
}

func calls(s *redisstore.Store, r session.Record) []call {
	return []call{
		{"Ping", s.Ping},
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, r.Hash); return err }},
		{"Touch", func(ctx context.Context) error { return s.Touch(ctx, r.ID, r.LastSeenAt, r.IdleExpiresAt) }},
		{"Create", func(ctx context.Context) error { _, err := s.Create(ctx, record(r.UserID), 3); return err }},
		{"Count", func(ctx context.Context) error { _, err := s.Count(ctx, r.LastSeenAt); return err }},
	}
}

// wantFailures checks that every call fails with an error that does not
// claim the session is gone, within about its context's deadline. The
// calls run at once: go-redis retries a refused dial until the deadline,
// so each takes all of it.
func wantFailures(t *testing.T, state string, calls []call, deadline time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			err := c.do(ctx)
			switch took := time.Since(start); {
			case err == nil:
				t.Errorf("%s while the server is %s: no error", c.name, state)
			case errors.Is(err, session.ErrNotFound):
				t.Errorf("%s while the server is %s: %v, which claims the session is gone", c.name, state, err)
			case took > deadline+time.Second:
				t.Errorf("%s while the server is %s took %v, past its deadline of %v", c.name, state, took, deadline)
			}
		})
	}
	wg.Wait()
}

func wantSuccess(t *testing.T, state string, calls []call) {
	t.Helper()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := c.do(ctx); err != nil {
			t.Errorf("%s %s: %v", c.name, state, err)
		}
		cancel()
	}
}

// TestOutage: while the server is down, or frozen, every call fails with
// an error (never ErrNotFound, which would sign users out or hide the
// outage) by its context's deadline; once the server is back the same
// store works again, with no new client. A restarted server without
// persistence has forgotten every session, and knows none of the
// scripts: go-redis sends them again.
func TestOutage(t *testing.T) {
	srv := testenv.StartRedis(t, testenv.RedisOptions{})
	s, err := redisstore.New(newClient(t, srv.URL()), redisstore.Options{Prefix: "outage:"})
	if err != nil {
		t.Fatal(err)
	}
	r := record("u")
	create(t, s, r)
	const deadline = 300 * time.Millisecond

	srv.Signal(syscall.SIGSTOP)
	wantFailures(t, "frozen", calls(s, r), deadline)
	srv.Signal(syscall.SIGCONT)
	wantSuccess(t, "after the server was frozen", calls(s, r))

	srv.Stop()
	wantFailures(t, "down", calls(s, r), deadline)
	srv.Start()
	if _, err := s.Get(t.Context(), r.Hash); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after a restart without persistence: %v, want ErrNotFound", err)
	}
	r = record("u")
	create(t, s, r)
	wantSuccess(t, "after a restart", calls(s, r))
}
