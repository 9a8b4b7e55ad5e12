package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/sqlite"
)

// crashVar runs TestCrash: its value is the test's whole time budget (a Go
// duration, such as 40s), shared between SQLite and, when
// SESAME_TEST_POSTGRES is set, PostgreSQL. scripts/crash sets it.
const crashVar = "SESAME_CRASH"

// TestCrash: the real server under a mixed load of many sessions is
// killed with SIGKILL mid-load, again and again, and started again on the
// same database. Nothing it acknowledged may be lost: every order it
// answered 201 or 303 for exists; for every product, stock + sold =
// initial + restocked (restocks whose answer the kill cut off may or may
// not have happened, and are allowed for either way); every session stays
// signed in across every restart; a checkout whose answer was cut off is
// asked again with its idempotency key, and what that answers counts; the
// SQLite file passes PRAGMA integrity_check; and no answer is ever a 5xx.
func TestCrash(t *testing.T) {
	budget := durationVar(t, crashVar, "a time budget (such as 40s) to run the crash test (scripts/crash does)")
	pg := os.Getenv(testenv.PostgresVar) != ""
	share := budget
	if pg {
		share = budget / 2
	}
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sesame.db")
		crash(t, share, "sqlite:"+path)
		db, err := sqlite.OpenSQL(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var check string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("PRAGMA integrity_check: %q %v", check, err)
		} else {
			t.Log("PRAGMA integrity_check: ok")
		}
	})
	if pg {
		t.Run("PostgreSQL", func(t *testing.T) {
			crash(t, share, testenv.Postgres(t))
		})
	}
}

// server is one run of sesame serve on the test's database.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port, no slash
}

// startServer starts sesame serve on db and waits until it listens.
func startServer(t *testing.T, db string, extra ...string) *server {
	t.Helper()
	return startServerWith(t, db, nil, extra...)
}

// startServerWith is startServer with env added to the server's
// environment.
func startServerWith(t *testing.T, db string, env []string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := sesame(t, ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, extra...)...)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url, _ := listeningURL(t, stderr)
	return &server{cmd: cmd, base: strings.TrimSuffix(url, "/")}
}

// kill ends the server with SIGKILL: no shutdown, no flush, nothing of
// its own runs.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait() // #nosec G104 -- "signal: killed" is the point
}

// stop ends the server with SIGTERM, which must exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("stopped server: %v", err)
	}
}

// crash runs the crash test on db for about budget.
func crash(t *testing.T, budget time.Duration, db string) {
	deadline := time.Now().Add(budget)
	srv := startServer(t, db, "--demo")
	ctx := context.Background()

	// Five users who may do everything the mix does, three sessions each;
	// every third shopper uses the pages.
	users := []string{"authorized_user"}
	for i := range 4 {
		name := fmt.Sprintf("crasher%d", i)
		cmd := sesame(t, ctx, "user", "add", name, "--role", "customer,privileged", "--password-stdin", "--db", db)
		cmd.Stdin = strings.NewReader("crash-test-" + name + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v: %s", name, err, out)
		}
		users = append(users, name)
	}
	var shoppers []*shopper
	for i := range 3 * len(users) {
		u := users[i%len(users)]
		pw := "crash-test-" + u
		if u == "authorized_user" {
			pw = "password123"
		}
		s := &shopper{user: u, password: pw, pages: i%3 == 2, rnd: mrand.New(mrand.NewPCG(uint64(i), 42))} // #nosec G115 -- i is small
		if o := s.login(ctx, srv.base); o.status != http.StatusCreated {
			t.Fatalf("login %s: %d %v %s", u, o.status, o.err, o.body)
		}
		shoppers = append(shoppers, s)
	}
	initial, err := shoppers[0].stock(ctx, srv.base)
	if err != nil {
		t.Fatal(err)
	}
	var products []int64
	for id := range initial {
		products = append(products, id)
	}
	l := newLedger()

	kills := 0
	for kills < 3 || time.Until(deadline) > 3*time.Second {
		// Load for a while, then kill the server in the middle of it.
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, s := range shoppers {
			wg.Go(func() {
				s.cut = false
				for loadCtx.Err() == nil && !s.cut {
					s.step(loadCtx, srv.base, l, products)
				}
			})
		}
		time.Sleep(time.Duration(800+mrand.IntN(1200)) * time.Millisecond) // #nosec G404 -- when to kill need not be secret
		srv.kill(t)
		kills++
		stopLoad()
		wg.Wait()

		srv = startServer(t, db)
		for _, s := range shoppers {
			if o := s.do(ctx, srv.base, "GET", "/api/v1/me", nil); o.status != http.StatusOK {
				t.Fatalf("after kill %d, %s's session: %d %v %s", kills, s.user, o.status, o.err, o.body)
			}
		}
		// The checkouts the kill cut off, asked again with their keys.
		l.mu.Lock()
		pending := l.pending
		l.pending = map[string]*shopper{}
		l.mu.Unlock()
		for key, s := range pending {
			s.checkout(ctx, srv.base, l, key)
		}
	}
	t.Logf("%d kills; %d requests cut off by them; %d orders acknowledged; answers by status %v", kills, l.cut, len(l.orders), l.statuses)
	for _, b := range l.bad {
		t.Errorf("unexpected answer: %s", b)
	}
	checkLedger(t, ctx, srv.base, l, shoppers, initial)
	srv.stop(t)
}

// checkLedger holds the stores to what l says was acknowledged.
func checkLedger(t *testing.T, ctx context.Context, base string, l *ledger, shoppers []*shopper, initial map[int64]int64) {
	t.Helper()
	sold := map[int64]int64{}
	seen := map[string]bool{}
	found := map[int64]bool{}
	for _, s := range shoppers {
		if seen[s.user] {
			continue
		}
		seen[s.user] = true
		ids, q, err := s.allOrders(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		for id := range ids {
			found[id] = true
		}
		for p, n := range q {
			sold[p] += n
		}
	}
	for id, owner := range l.orders {
		if !found[id] {
			t.Errorf("order %d, acknowledged to %s, is gone", id, owner)
		}
	}
	stock, err := shoppers[0].stock(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	for p, start := range initial {
		restocked := stock[p] + sold[p] - start
		if restocked < l.restocked[p] || restocked > l.restocked[p]+l.restockUnknown[p] || stock[p] < 0 {
			t.Errorf("product %d: stock %d + sold %d − initial %d = %d; restocks acknowledged %d, cut off %d",
				p, stock[p], sold[p], start, restocked, l.restocked[p], l.restockUnknown[p])
		}
	}
}

// durationVar returns the positive duration that the environment variable
// name holds, skips t saying what to set it to (how) when it is unset, and
// fails t when it holds anything else.
func durationVar(t *testing.T, name, how string) time.Duration {
	t.Helper()
	raw := os.Getenv(name)
	if raw == "" {
		t.Skipf("%s is not set: set it to %s", name, how)
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: not a positive duration", name, raw)
	}
	return d
}
