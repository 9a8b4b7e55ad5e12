package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/redisstore"
	"github.com/sesamehq/sesame/session/storetest"
)

// BenchmarkStore runs the store benchmark under a key prefix of its own,
// on the server that SESAME_TEST_REDIS names.
func BenchmarkStore(b *testing.B) {
	testenv.Lookup(b, testenv.RedisVar)
	storetest.Benchmark(b, func(b *testing.B) session.Store {
		url, prefix := testenv.Redis(b)
		opts, err := redis.ParseURL(url)
		if err != nil {
			b.Fatal(err)
		}
		client := redis.NewClient(opts)
		b.Cleanup(func() { client.Close() })
		s, err := redisstore.New(client, redisstore.Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
