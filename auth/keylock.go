package auth

import (
	"context"
	"sync"
)

// keyLock serializes work per key within this process. Login takes it for
// the username around the whole attempt, so that one user's concurrent
// sign-ins (several tabs, a script) queue here instead of counting each
// other: Store.BeginAttempt counts an attempt as a failure until its
// password proves right, so five at once in flight would lock the name
// against the sixth although none had failed. Across processes the store
// alone keeps the limits exact; this only keeps one process from tripping
// over its own attempts. Addresses are not locked: many users behind one
// address (a NAT, a proxy) sign in side by side.
type keyLock struct {
	mu    sync.Mutex
	locks map[string]*keyLockEntry
}

type keyLockEntry struct {
	held chan struct{} // holds a value while the key is locked
	refs int           // holders and waiters; the entry is dropped at zero
}

// lock locks key and returns its unlock function, or ctx's error if the
// request ends while it waits: a client that has gone away stops queueing
// behind the others. Entries exist only while someone holds or waits for
// them, so the map cannot grow with the number of usernames an attacker
// invents.
func (k *keyLock) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLockEntry)
	}
	e := k.locks[key]
	if e == nil {
		e = &keyLockEntry{held: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case e.held <- struct{}{}:
		return func() { <-e.held; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
