package storetest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Benchmark measures what every request costs a store: Get of a live
// session by its token's hash, with many other sessions stored beside it
// (how many: the SESAME_BENCH_SESSIONS environment variable, a comma list,
// default "1000,100000"; "1000,1000000" is the full comparison). A store
// whose lookup is an index read costs about the same at any size; one that
// scans grows with it. newStore makes an empty store, as for Run.
//
// Every store is filled first; then the sizes are measured in turn,
// SESAME_BENCH_ROUNDS times (default 1), so that on a shared machine a
// change of load falls on every size alike rather than on the last.
//
// A store's benchmark file calls it from a func BenchmarkStore.
func Benchmark(b *testing.B, newStore func(b *testing.B) session.Store) {
	BenchmarkFilled(b, newStore, Fill)
}

// BenchmarkFilled is Benchmark with the store filled by fill rather than
// Fill, for a store that can take a million sessions faster than through a
// million calls of Create: the lookups measured do not depend on how the
// other sessions came in.
func BenchmarkFilled(b *testing.B, newStore func(b *testing.B) session.Store, fill func(b *testing.B, s session.Store, n int)) {
	type filled struct {
		n      int
		s      session.Store
		target session.Record
	}
	var stores []filled
	for _, n := range sizes() {
		// Filled once: b.Run calls its function again for each b.N it tries.
		s := newStore(b)
		target := record("target")
		fill(b, s, n-1)
		if _, err := s.Create(b.Context(), target, 0); err != nil {
			b.Fatal(err)
		}
		stores = append(stores, filled{n, s, target})
	}
	for range rounds() {
		for _, f := range stores {
			b.Run(fmt.Sprintf("Get/sessions=%d", f.n), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := f.s.Get(b.Context(), f.target.Hash); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("SESAME_BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

func sizes() []int {
	spec := os.Getenv("SESAME_BENCH_SESSIONS")
	if spec == "" {
		spec = "1000,100000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Fill stores n sessions of 1000 users, from a few goroutines, each like a
// signed-in browser's (an address, a user agent, a small Data), for a
// benchmark that needs a full store: the lookup above, or a store's own
// measure of the bytes a session takes.
func Fill(b *testing.B, s session.Store, n int) {
	b.Helper()
	start := time.Now()
	workers := 4 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if _, err := s.Create(b.Context(), record(fmt.Sprint("u", i%1000)), 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n > 10000 {
		b.Logf("stored %d sessions in %v", n, time.Since(start).Round(time.Millisecond))
	}
}

// BenchmarkBytes reports what one session takes in a store: size, the
// store's own reckoning of the bytes it holds, is read before and after
// Fill stores n sessions (n: 10,000 when 0).
func BenchmarkBytes(b *testing.B, s session.Store, n int, size func() int64) {
	if n == 0 {
		n = 10000
	}
	before := size()
	Fill(b, s, n)
	after := size()
	for b.Loop() {
		// The figure is the metric; the loop is there to satisfy b.
	}
	b.ReportMetric(float64(after-before)/float64(n), "bytes/session")
}
