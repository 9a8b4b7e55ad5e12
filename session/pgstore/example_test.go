package pgstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/pgstore"
)

// A program opens one pool for the database and may share it with its own
// data. The sessions' tables go to the first schema of the search_path,
// here one of their own, created beforehand (CREATE SCHEMA sesame).
// PostgreSQL keeps dead sessions until they are deleted, so the program
// also runs Cleanup for as long as it serves.
func ExampleNew() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Such as postgres://app@db.internal/app?sslmode=verify-full&search_path=sesame,public
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := pgstore.New(ctx, pool)
	if err != nil {
		log.Fatal(err) // unreachable, or a schema from a newer program (migrate.ErrTooNew)
	}
	sessions, err := session.New(session.Config{Store: store, CookieName: "__Host-session", Secure: true})
	if err != nil {
		log.Fatal(err)
	}
	go sessions.Cleanup(ctx, 5*time.Minute)
	// … serve with sessions.Middleware, and a readiness check that calls
	// sessions.Ping.
}
