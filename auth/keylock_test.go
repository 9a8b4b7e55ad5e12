package auth

import (
	"sync"
	"testing"
)

func TestKeyLock(t *testing.T) {
	var k keyLock
	var wg sync.WaitGroup
	counts := map[string]int{}
	for i := range 200 {
		key := []string{"a", "b", "c"}[i%3]
		wg.Go(func() {
			unlock := k.lockAttempt(key, "ip")
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
