package memstore_test

import (
	"testing"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
	"github.com/sesamehq/sesame/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) session.Store { return memstore.New() })
}
