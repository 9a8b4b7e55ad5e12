package testenv

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Redis returns the URL that RedisVar names and a new key prefix for t
// alone, or stops t through Unavailable; it fails t when the server does
// not answer. Every key that begins with the prefix is deleted when t
// ends, so a test that keeps all its keys under it leaves nothing behind
// on a server that other tests, and other packages' tests, use at once.
func Redis(t testing.TB) (url, prefix string) {
	t.Helper()
	url = Lookup(t, RedisVar)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", RedisVar, err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close() // the test fails on the ping's error
		t.Fatalf("%s: the server does not answer: %v", RedisVar, err)
	}
	// Only hex digits and colons: nothing that SCAN's MATCH would read as
	// a pattern.
	prefix = randomName("sesame-test:") + ":"
	t.Cleanup(func() {
		defer client.Close()
		if err := deleteKeys(client, prefix); err != nil {
			t.Errorf("%s: delete the keys under %s: %v", RedisVar, prefix, err)
		}
	})
	return url, prefix
}

// deleteKeys unlinks every key under prefix. SCAN rather than KEYS, so
// that a server holding much else is not blocked; UNLINK frees the values
// in the background.
func deleteKeys(client *redis.Client, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := client.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := client.Unlink(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
