package web

import (
	"fmt"
	"testing"
	"time"
)

// TestGate: one event per key per period, and never more keys than the
// capacity, so that a flood of refused requests writes a bounded amount.
func TestGate(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	g := newGate(time.Minute, 3)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Second, false},       // within the period
		{"a", time.Minute - 1, false},   // still within
		{"a", time.Minute, true},        // a new period
		{"b", time.Minute, true},        // other keys are their own
		{"c", time.Minute, true},        // the gate is now full
		{"d", time.Minute, false},       // no room, none aged out
		{"d", 2*time.Minute - 1, false}, // still none aged out
		{"d", 2 * time.Minute, true},    // a, b and c aged out
		{"b", 2*time.Minute + time.Second, true},
	}
	for i, s := range steps {
		if got := g.allow(s.key, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d: allow(%q, +%v) = %v, want %v", i, s.key, s.at, got, s.want)
		}
	}
	for i := range 100 {
		g.allow(fmt.Sprint("flood-", i), t0.Add(3*time.Minute))
	}
	if n := len(g.last); n > 3 {
		t.Errorf("the gate remembers %d keys, want at most 3", n)
	}
}
