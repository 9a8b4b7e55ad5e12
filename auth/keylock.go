package auth

import (
	"context"
	"sync"
)

// keyLock serializes work per key within this process. Login uses it so
// that the throttle check, the password check and the counting of a
// failure happen as one step per username and per address: without it, a
// burst of concurrent guesses sent the instant a lock expires would all
// pass the check before any was counted, and the 5-failure and 20-a-minute
// limits would be limits on rounds, not guesses.
//
// It does not span processes sharing one database: there the store's
// counters are the only guard, and a burst can overshoot a limit by at most
// one attempt per process. It also bounds what one address can cost: one
// argon2 computation at a time per process.
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

// lockAttempt locks the username key and then the address, always in that
// order (in separate namespaces), so that two attempts can never wait for
// each other in a cycle. The address is the one the throttle counts
// (ThrottleAddr: an IPv6 /64), so that a burst from many addresses of one
// /64 is serialized like a burst from one address.
func (k *keyLock) lockAttempt(ctx context.Context, key, ip string) (unlock func(), err error) {
	u, err := k.lock(ctx, "user\x00"+key)
	if err != nil {
		return nil, err
	}
	a, err := k.lock(ctx, "ip\x00"+ip)
	if err != nil {
		u()
		return nil, err
	}
	return func() { a(); u() }, nil
}
