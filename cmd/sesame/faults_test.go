package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sesamehq/sesame/internal/testenv"
)

// These tests take the disk away from the real server while it runs, in
// the two ways a disk goes: it turns read-only, and it fills up. While it
// is gone, whatever must write answers 503 (unavailable), never 500, and
// nothing is half-written; once it is back, the same server serves again
// without a restart. (A store that hangs or goes away over the network is
// app/outage_test.go's.)

// TestReadOnlyDatabase: the SQLite file and its write-ahead log are made
// immutable (chattr +i), which refuses every write even through the
// descriptors the server already holds, and even to root.
func TestReadOnlyDatabase(t *testing.T) {
	chattr := testenv.Command(t, "chattr")
	path := filepath.Join(t.TempDir(), "sesame.db")
	files := []string{path, path + "-wal"}
	set := func(flag string) error {
		out, err := exec.Command(chattr, append([]string{flag}, files...)...).CombinedOutput() // #nosec G204 -- the test's own files
		if err != nil {
			return &exec.Error{Name: string(out), Err: err}
		}
		return nil
	}
	srv := startServer(t, "sqlite:"+path)
	s, stock := faultShopper(t, srv)
	if err := set("+i"); err != nil {
		testenv.Unavailable(t, "chattr +i on %s: %v (the file system must support immutable files)", path, err)
	}
	t.Cleanup(func() { _ = set("-i") }) // #nosec G104 -- best effort, so that the directory can be removed
	diskGone(t, srv, s, stock, "read-only", func() {
		if err := set("-i"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDiskFull: the server's file size limit (RLIMIT_FSIZE) is lowered to
// one byte while it runs, so that every write to a file fails (EFBIG), as
// writes do on a disk with no space left; the server ignores SIGXFSZ, as
// the errors of a full disk come without a signal. The limit is then
// raised again from outside (prlimit).
func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sesame.db")
	srv := startServerWith(t, "sqlite:"+path, []string{ignoreSIGXFSZEnv + "=1"})
	s, stock := faultShopper(t, srv)
	pid := srv.cmd.Process.Pid
	limit := func(n uint64) {
		t.Helper()
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: n, Max: unix.RLIM_INFINITY}, nil); err != nil {
			testenv.Unavailable(t, "prlimit on the server: %v", err)
		}
	}
	limit(1)
	diskGone(t, srv, s, stock, "disk full", func() { limit(unix.RLIM_INFINITY) })
}

// faultShopper signs authorized_user in on srv with two mugs in the cart,
// something a checkout would write, and returns the stock then.
func faultShopper(t *testing.T, srv *server) (*shopper, map[int64]int64) {
	t.Helper()
	ctx := context.Background()
	s := &shopper{user: "authorized_user", password: "password123"}
	if o := s.login(ctx, srv.base); o.status != http.StatusCreated {
		t.Fatalf("login: %d %v %s", o.status, o.err, o.body)
	}
	if o := s.do(ctx, srv.base, "POST", "/api/v1/cart/items", map[string]any{"product_id": 1, "quantity": 2}); o.status != http.StatusOK {
		t.Fatalf("add: %d %s", o.status, o.body)
	}
	stock, err := s.stock(ctx, srv.base)
	if err != nil {
		t.Fatal(err)
	}
	return s, stock
}

// diskGone checks srv while the disk is gone, then calls restore and
// checks that srv recovers by itself.
func diskGone(t *testing.T, srv *server, s *shopper, stockBefore map[int64]int64, what string, restore func()) {
	t.Helper()
	ctx := context.Background()
	// What must write answers 503 with the code unavailable: adding to
	// the cart, checking out, signing in (a new session), restocking.
	// Reads may be served or may answer 503 (a read that must also
	// record, such as a session's last use, cannot be served); never 500.
	writes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/cart/items", map[string]any{"product_id": 1, "quantity": 1}},
		{"POST", "/api/v1/checkout", nil},
		{"POST", "/api/v1/task", map[string]any{"product_id": 1, "quantity": 5}},
		{"PUT", "/api/v1/cart/items/1", map[string]any{"quantity": 7}},
	}
	for _, w := range writes {
		o := s.do(ctx, srv.base, w.method, w.path, w.body)
		var e struct{ Error struct{ Code string } }
		if o.status != http.StatusServiceUnavailable || json.Unmarshal(o.body, &e) != nil || e.Error.Code != "unavailable" {
			t.Errorf("%s: %s %s = %d %v %.200s, want 503 unavailable", what, w.method, w.path, o.status, o.err, o.body)
		}
	}
	other := &shopper{user: "unauthorized_user", password: "password123"}
	if o := other.login(ctx, srv.base); o.status != http.StatusServiceUnavailable {
		t.Errorf("%s: a sign-in = %d %.200s, want 503", what, o.status, o.body)
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/cart", "/products", "/readyz"} {
		o := s.do(ctx, srv.base, "GET", path, nil)
		if o.status != http.StatusOK && o.status != http.StatusServiceUnavailable {
			t.Errorf("%s: GET %s = %d %v %.200s, want 200 or 503", what, path, o.status, o.err, o.body)
		}
		t.Logf("%s: GET %s = %d", what, path, o.status)
	}
	restore()
	// Back by itself: the same session, with nothing of the refused
	// writes in it. The cart must still hold the 2 mugs of before.
	deadline := time.Now().Add(15 * time.Second)
	for {
		o := s.do(ctx, srv.base, "GET", "/api/v1/me", nil)
		if o.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, restored: /api/v1/me still %d %s", what, o.status, o.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if stock, err := s.stock(ctx, srv.base); err != nil || stock[1] != stockBefore[1] {
		t.Errorf("%s, restored: stock %v (%v), want %v as before the fault", what, stock, err, stockBefore)
	}
	var cart struct{ Items []struct{ Quantity int } }
	o := s.do(ctx, srv.base, "GET", "/api/v1/cart", nil)
	if json.Unmarshal(o.body, &cart) != nil || len(cart.Items) != 1 || cart.Items[0].Quantity != 2 {
		t.Errorf("%s, restored: the cart is %s, want the 2 mugs of before the fault", what, o.body)
	}
	var orders struct{ Orders []json.RawMessage }
	if o := s.do(ctx, srv.base, "GET", "/api/v1/orders", nil); json.Unmarshal(o.body, &orders) != nil || len(orders.Orders) != 0 {
		t.Errorf("%s, restored: orders %s, want none", what, o.body)
	}
	if o := s.do(ctx, srv.base, "POST", "/api/v1/checkout", nil); o.status != http.StatusCreated {
		t.Errorf("%s, restored: checkout = %d %s, want 201", what, o.status, o.body)
	}
	if o := other.login(ctx, srv.base); o.status != http.StatusCreated {
		t.Errorf("%s, restored: a sign-in = %d %s, want 201", what, o.status, o.body)
	}
	srv.stop(t)
}
