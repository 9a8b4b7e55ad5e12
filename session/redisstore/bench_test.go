package redisstore_test

import (
	"strconv"
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

// BenchmarkBytesPerSession measures the memory a session takes in Redis
// (its hash, its token key and its index entries), on a server of its own
// so that nothing else moves used_memory.
func BenchmarkBytesPerSession(b *testing.B) {
	srv := testenv.StartRedis(b, testenv.RedisOptions{})
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	client := redis.NewClient(opts)
	b.Cleanup(func() { client.Close() })
	s, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkBytes(b, s, 0, func() int64 {
		info, err := client.InfoMap(b.Context(), "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		n, err := strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return n
	})
}
