package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestKeyLock(t *testing.T) {
	var k keyLock
	var wg sync.WaitGroup
	counts := map[string]int{}
	for i := range 200 {
		key := []string{"a", "b", "c"}[i%3]
		wg.Go(func() {
			unlock, err := k.lockAttempt(context.Background(), key, "ip")
			if err != nil {
				t.Error(err)
				return
			}
			counts[key]++ // a data race, caught by -race, if the lock fails
			unlock()
		})
	}
	wg.Wait()
	if counts["a"]+counts["b"]+counts["c"] != 200 {
		t.Errorf("counts = %v; want 200 in all", counts)
	}
	// Entries go away when nobody holds them: the map cannot be grown by
	// inventing usernames.
	if n := len(k.locks); n != 0 {
		t.Errorf("%d lock entries left; want 0", n)
	}
}

// TestKeyLockGivesUp: an attempt whose request ends while it waits for the
// lock stops waiting, holds nothing, and leaves no entry behind.
func TestKeyLockGivesUp(t *testing.T) {
	var k keyLock
	unlock, err := k.lockAttempt(context.Background(), "alice", "ip")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, ip string }{{"alice", "other ip"}, {"bob", "ip"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		if _, err := k.lockAttempt(ctx, tt.key, tt.ip); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("lockAttempt(%q, %q) while held: %v, want it to wait until its request ends", tt.key, tt.ip, err)
		}
		cancel()
	}
	unlock()
	if n := len(k.locks); n != 0 {
		t.Errorf("%d lock entries left; want 0", n)
	}
	// The user lock of the attempt that gave up on the address was released.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	again, err := k.lockAttempt(ctx, "bob", "elsewhere")
	if err != nil {
		t.Fatalf("bob's user lock was kept by the attempt that gave up: %v", err)
	}
	again()
}
