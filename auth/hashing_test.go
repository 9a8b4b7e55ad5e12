package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHashSlotsBound: however many logins arrive at once, no more argon2
// computations run together than there are slots, so their memory is
// bounded; the others wait and all get their turn.
func TestHashSlotsBound(t *testing.T) {
	s := &Service{hashing: make(chan struct{}, 2)}
	var running, most, done atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			release, err := s.hashSlot(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond) // hold the slot so that others pile up
			running.Add(-1)
			release()
			done.Add(1)
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("%d hashes ran at once, want at most 2", m)
	}
	if d := done.Load(); d != 20 {
		t.Errorf("%d of 20 got a turn", d)
	}
}

// TestHashSlotGivesUp: a request that ends while it waits for a turn stops
// waiting, and says why.
func TestHashSlotGivesUp(t *testing.T) {
	s := &Service{hashing: make(chan struct{}, 1)}
	release, err := s.hashSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.hashSlot(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting with an ended request: %v, want context.Canceled", err)
	}
}
