package redisstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/redisstore"
)

// A program connects through a URL, rediss:// for TLS, and lets each
// request's deadline bound its calls. Redis drops dead sessions by itself
// only an hour after their end, so that the sweep can report them first:
// the program runs Cleanup for as long as it serves.
func ExampleNew() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Such as rediss://:password@cache.internal:6380/0
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	defer client.Close()

	store, err := redisstore.New(client, redisstore.Options{Prefix: "shop:session:"})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := session.New(session.Config{Store: store, CookieName: "__Host-session", Secure: true})
	if err != nil {
		log.Fatal(err)
	}
	go sessions.Cleanup(ctx, 5*time.Minute)
	// … serve with sessions.Middleware, and a readiness check that calls
	// sessions.Ping.
}
