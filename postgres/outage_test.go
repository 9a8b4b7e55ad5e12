package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/postgres"
)

// call is one store method, bound to its arguments.
type call struct {
	name string
	do   func(ctx context.Context) error
}

func calls(db *postgres.DB, userID, productID int64) []call {
	at := time.Now()
	allow := func(auth.Failures) error { return nil }
	return []call{
		{"Ping", db.Ping},
		{"UserByID", func(ctx context.Context) error { _, err := db.UserByID(ctx, userID); return err }},
		{"UserByUsername", func(ctx context.Context) error { _, err := db.UserByUsername(ctx, "alice"); return err }},
		{"Product", func(ctx context.Context) error { _, err := db.Product(ctx, productID); return err }},
		{"Cart", func(ctx context.Context) error { _, err := db.Cart(ctx, userID); return err }},
		{"SetCartQuantity", func(ctx context.Context) error {
			_, err := db.SetCartQuantity(ctx, userID, productID, 2)
			return err
		}},
		{"Checkout", func(ctx context.Context) error {
			_, _, err := db.Checkout(ctx, userID, "", at)
			if errors.Is(err, sesame.ErrEmptyCart) {
				return nil // the case after the outage, once the cart was sold
			}
			return err
		}},
		{"BeginAttempt", func(ctx context.Context) error {
			_, err := db.BeginAttempt(ctx, "alice", "10.0.0.1", at, at.Add(-time.Minute), allow)
			return err
		}},
		{"Orders", func(ctx context.Context) error { _, _, err := db.Orders(ctx, userID, sesame.Paging{}); return err }},
		{"Events", func(ctx context.Context) error {
			_, _, err := db.Events(ctx, audit.Query{}, sesame.Paging{})
			return err
		}},
		{"AppendEvent", func(ctx context.Context) error {
			return db.AppendEvent(ctx, &sesame.Event{Time: at, Action: sesame.ActionLogin, Outcome: sesame.OutcomeSuccess})
		}},
	}
}

// wantUnavailable checks that every call fails, at once, with an error
// matching sesame.ErrUnavailable (never ErrNotFound, which would sign a
// user out or claim a product is gone) within about limit.
func wantUnavailable(t *testing.T, state string, calls []call, limit time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			start := time.Now()
			err := c.do(t.Context())
			switch took := time.Since(start); {
			case err == nil:
				t.Errorf("%s while the database is %s: no error", c.name, state)
			case errors.Is(err, sesame.ErrNotFound):
				t.Errorf("%s while the database is %s: %v, which claims it is gone", c.name, state, err)
			case !errors.Is(err, sesame.ErrUnavailable):
				t.Errorf("%s while the database is %s: %v, which does not match ErrUnavailable", c.name, state, err)
			case took > limit+time.Second:
				t.Errorf("%s while the database is %s took %v, past %v", c.name, state, took, limit)
			}
		})
	}
	wg.Wait()
}

func wantSuccess(t *testing.T, state string, calls []call) {
	t.Helper()
	for _, c := range calls {
		if err := c.do(t.Context()); err != nil {
			t.Errorf("%s %s: %v", c.name, state, err)
		}
	}
}

// TestOutage: while the database cannot be reached (the network cut) or
// does not answer (frozen), every call fails with ErrUnavailable within
// the call timeout, whatever the caller's own context; once the database
// answers again the same DB, over the same pool, works with no restart.
func TestOutage(t *testing.T) {
	url, proxy := testenv.PostgresProxy(t, testenv.Postgres(t))
	const timeout = 500 * time.Millisecond
	db := openDB(t, url, postgres.Options{CallTimeout: timeout})
	seed, err := db.Seed(t.Context(), nil, []sesame.Product{{SKU: "A", Name: "A", PriceCents: 100, Stock: 10}}, time.Now())
	if err != nil || !seed {
		t.Fatalf("Seed = %v, %v", seed, err)
	}
	u, err := db.CreateUser(t.Context(), "alice", "h", []string{"customer"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.Products(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cs := calls(db, u.ID, ps[0].ID)
	wantSuccess(t, "before the outage", cs)

	proxy.Cut()
	wantUnavailable(t, "cut off", cs, timeout)
	proxy.Restore()
	wantSuccess(t, "after the cut", cs)

	proxy.Freeze()
	wantUnavailable(t, "frozen", cs, timeout)
	proxy.Restore()
	// Connections that were frozen mid-call are dead; the pool drops each
	// at its first use, so the first calls may still fail, but only with
	// ErrUnavailable, and within a few tries every call works again.
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range cs {
		for {
			err := c.do(t.Context())
			if err == nil {
				break
			}
			if !errors.Is(err, sesame.ErrUnavailable) || time.Now().After(deadline) {
				t.Fatalf("%s after the freeze: %v", c.name, err)
			}
		}
	}
}

// TestOpenUnreachable: a server that cannot be reached at start is an
// error matching ErrUnavailable, at once, not a hang.
func TestOpenUnreachable(t *testing.T) {
	port := testenv.FreePort(t)
	start := time.Now()
	_, err := postgres.Open(t.Context(), fmt.Sprintf("postgres://nobody@127.0.0.1:%d/none?sslmode=disable", port), postgres.Options{})
	if !errors.Is(err, sesame.ErrUnavailable) {
		t.Errorf("Open of an unreachable server: %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Open of an unreachable server took %v", took)
	}
}
