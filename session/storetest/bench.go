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
// A store's benchmark file calls it from a func BenchmarkStore.
func Benchmark(b *testing.B, newStore func(b *testing.B) session.Store) {
	for _, n := range sizes() {
		// Filled once: b.Run calls its function again for each b.N it tries.
		s := newStore(b)
		target := record("target")
		fill(b, s, n-1)
		if _, err := s.Create(b.Context(), target, 0); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Get/sessions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Get(b.Context(), target.Hash); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
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

// fill stores n sessions of 1000 users, from a few goroutines.
func fill(b *testing.B, s session.Store, n int) {
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
