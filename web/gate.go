package web

import (
	"sync"
	"time"
)

// gate lets through at most one event per key per period, remembering at
// most capacity keys. It bounds what visitors who are not signed in can
// make the server write: anyone can send a refused request as fast as the
// network allows, and auditing each would let them fill the disk.
type gate struct {
	period   time.Duration
	capacity int

	mu   sync.Mutex
	last map[string]time.Time // key → when it was last let through
}

func newGate(period time.Duration, capacity int) *gate {
	return &gate{period: period, capacity: capacity, last: make(map[string]time.Time)}
}

// allow reports whether an event for key at now may pass, and if so
// remembers it. When the gate is full of keys seen within the period (a
// crowd of addresses), nothing passes until some of them age out: the
// bound on writes matters more than the completeness of the record.
func (g *gate) allow(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.last[key]; ok && now.Sub(t) < g.period {
		return false
	}
	if len(g.last) >= g.capacity {
		for k, t := range g.last {
			if now.Sub(t) >= g.period {
				delete(g.last, k)
			}
		}
		if len(g.last) >= g.capacity {
			return false
		}
	}
	g.last[key] = now
	return true
}
