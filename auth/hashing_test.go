package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestHashSlotsBound: no more argon2 computations run together than there
// are slots, so their memory is bounded: with both turns taken a third
// waits (here until its request gives up), and gets a turn once one ends.
func TestHashSlotsBound(t *testing.T) {
	s := &Service{hashing: make(chan struct{}, 2)}
	first, err := s.hashSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.hashSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer second()

	waiting, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if release, err := s.hashSlot(waiting); !errors.Is(err, context.DeadlineExceeded) {
		if release != nil {
			release()
		}
		t.Fatalf("a third turn with two taken: %v, want it to wait until its request ends", err)
	}

	first()
	later, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	third, err := s.hashSlot(later)
	if err != nil {
		t.Fatalf("no turn after one ended: %v", err)
	}
	third()
}

// TestHashSlotsServeAll: under a crowd, every waiter gets its turn.
func TestHashSlotsServeAll(t *testing.T) {
	s := &Service{hashing: make(chan struct{}, 2)}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			release, err := s.hashSlot(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			release()
		})
	}
	wg.Wait()
	if n := len(s.hashing); n != 0 {
		t.Errorf("%d turns still taken after everyone finished", n)
	}
}

// TestHashSlotGivesUp: a request that has ended stops waiting, and says why.
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
