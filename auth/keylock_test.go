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
	// One counter per key, written only under that key's lock: a race the
	// detector reports if the lock fails.
	counts := map[string]*int{"a": new(int), "b": new(int), "c": new(int)}
	for i := range 200 {
		key := []string{"a", "b", "c"}[i%3]
		wg.Go(func() {
			unlock, err := k.lock(context.Background(), key)
			if err != nil {
				t.Error(err)
				return
			}
			*counts[key]++
			unlock()
		})
	}
	wg.Wait()
	if *counts["a"]+*counts["b"]+*counts["c"] != 200 {
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
	unlock, err := k.lock(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	if _, err := k.lock(ctx, "alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("lock while held: %v, want it to wait until its request ends", err)
	}
	cancel()
	unlock()
	if n := len(k.locks); n != 0 {
		t.Errorf("%d lock entries left; want 0", n)
	}
}
