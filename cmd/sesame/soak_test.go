package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sesameapi "github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/postgres"
	"github.com/sesamehq/sesame/sqlite"
)

// soakVar runs TestSoak: its value is how long the load lasts (a Go
// duration). .ci/run keeps it short; docs/reliability.md gives the longer
// run a developer makes.
const soakVar = "SESAME_SOAK"

// soakUsers is how many users the soak simulates, each with a session of
// its own doing the whole mix.
const soakUsers = 200

// TestSoak: 200 users, each signed in once, do the full mix over real HTTP
// (browse, cart, checkout through the API and the pages, restock, list
// orders and sessions, sign out and in again, end their other sessions)
// for the time SESAME_SOAK says, against a server in this process on a
// real SQLite file, so that the test reads the server's own goroutines,
// heap and file descriptors (no endpoint shows them). It checks: no 5xx
// and no answer the mix does not allow; every acknowledged order exists
// and stock + sold = initial + restocked exactly; and goroutines, heap
// and descriptors at the end are where they were after the warm-up, give
// or take a margin that a leak per request or per session would pass.
func TestSoak(t *testing.T) {
	length := durationVar(t, soakVar, "a duration (such as 60s) to run the soak")
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sesame.db")
		soak(t, length, "sqlite:"+path, "", func(ctx context.Context) (userCreator, error) { return sqlite.Open(ctx, path) })
	})
	// The same on the stores of several instances: app data in
	// PostgreSQL, sessions in Redis, each on a schema or key prefix of
	// its own (skipped with the reason when they are not configured,
	// failed under CI).
	t.Run("postgres+redis", func(t *testing.T) {
		db := testenv.Postgres(t)
		redisURL, prefix := testenv.Redis(t)
		sessions := redisURL + "?prefix=" + url.QueryEscape(prefix)
		if strings.Contains(redisURL, "?") {
			sessions = redisURL + "&prefix=" + url.QueryEscape(prefix)
		}
		soak(t, length, db, sessions, func(ctx context.Context) (userCreator, error) {
			return postgres.Open(ctx, db, postgres.Options{})
		})
	})
}

// userCreator is the app database as the soak needs it beside the server:
// to create its users, as another process would.
type userCreator interface {
	CreateUser(ctx context.Context, username, passwordHash string, roles []string, at time.Time) (*sesameapi.User, error)
	Close() error
}

// soak runs the soak for length on the app data db and the sessions (""
// for the same store), creating the users through open.
func soak(t *testing.T, length time.Duration, db, sessions string, open func(context.Context) (userCreator, error)) {
	ctx := context.Background()
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB, cfg.Sessions = db, sessions
	demo := true
	cfg.Demo = &demo // a new PostgreSQL schema gets the demo products too
	var out bytes.Buffer
	// Cheap password hashes: 200 sign-ins at the real cost would
	// measure argon2, not the server.
	params := auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}
	srv := &app.Server{Config: cfg, Params: params, Stdout: &out, Logger: slog.New(slog.DiscardHandler)}
	if err := srv.Open(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + srv.Addr()

	shoppers := soakShoppers(t, open, params, base)
	initial, err := shoppers[0].stock(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	var products []int64
	for id := range initial {
		products = append(products, id)
	}
	l := newLedger()
	load := func(d time.Duration) {
		loadCtx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var wg sync.WaitGroup
		for _, s := range shoppers {
			wg.Go(func() {
				// Each step runs to its end: one cut off at the
				// deadline would look like a lost answer.
				for loadCtx.Err() == nil {
					soakStep(ctx, s, base, l, products)
				}
			})
		}
		wg.Wait()
	}
	warmup := min(length/4, 10*time.Second)
	load(warmup)
	loadClient.CloseIdleConnections()
	warm := measure(t)
	load(length - warmup)
	loadClient.CloseIdleConnections()
	end := measure(t)
	t.Logf("%d users for %v: answers by status %v; %d orders", len(shoppers), length, l.statuses, len(l.orders))
	t.Logf("after the warm-up: %v; at the end: %v", warm, end)
	for _, b := range l.bad {
		t.Errorf("unexpected answer: %s", b)
	}
	if l.cut > 0 {
		t.Errorf("%d requests got no answer", l.cut)
	}
	if end.goroutines > warm.goroutines+20 || end.fds > warm.fds+20 || end.heap > 2*warm.heap+16<<20 {
		t.Errorf("not flat: after the warm-up %v, at the end %v", warm, end)
	}
	checkLedger(t, ctx, base, l, shoppers, initial)
}

// soakShoppers creates soakUsers users who may do the whole mix, through
// a second handle on the database as another process would, and signs
// each in.
func soakShoppers(t *testing.T, open func(context.Context) (userCreator, error), params auth.Params, base string) []*shopper {
	t.Helper()
	ctx := context.Background()
	db, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shoppers := make([]*shopper, soakUsers)
	for i := range shoppers {
		s := &shopper{user: fmt.Sprintf("soak%03d", i), password: fmt.Sprintf("soak-test-%03d", i), pages: i%3 == 2,
			rnd: mrand.New(mrand.NewPCG(uint64(i), 7))} // #nosec G115 -- i is small
		hash, err := params.Hash(s.password)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateUser(ctx, s.user, hash, []string{"customer", "privileged"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if o := s.login(ctx, base); o.status != http.StatusCreated {
			t.Fatalf("login %s: %d %v %s", s.user, o.status, o.err, o.body)
		}
		shoppers[i] = s
	}
	return shoppers
}

// soakStep is the crash test's mix with the session's own end added: now
// and then the shopper signs out and in again, or ends its other
// sessions (it has none, so the count must be 0).
func soakStep(ctx context.Context, s *shopper, base string, l *ledger, products []int64) {
	switch s.rnd.IntN(40) {
	case 0:
		if l.note("logout", s.do(ctx, base, "DELETE", "/api/v1/session", nil), 204) {
			l.note("login again", s.login(ctx, base), 201)
		}
	case 1:
		o := s.do(ctx, base, "DELETE", "/api/v1/sessions", nil)
		if l.note("revoke others", o, 200) && !strings.Contains(string(o.body), `"revoked":0`) {
			l.note("revoke others ended a session", outcome{status: o.status, body: o.body})
		}
	default:
		s.step(ctx, base, l, products)
	}
}

// usage is what the soak watches for leaks.
type usage struct {
	goroutines, fds int
	heap            uint64
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d open files, %.1f MiB heap in use", u.goroutines, u.fds, float64(u.heap)/(1<<20))
}

// measure reads this process's goroutines, open descriptors and live heap
// (after a collection, so that garbage not yet collected does not count).
func measure(t *testing.T) usage {
	t.Helper()
	// Connections just closed take a moment to be torn down; goroutines
	// that serve them end once they see it.
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("open files: %v", err)
	}
	return usage{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: m.HeapInuse}
}
