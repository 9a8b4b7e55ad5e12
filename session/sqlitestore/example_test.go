package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/sqlitestore"
)

// A program opens the database with WAL, so that readers never wait for the
// writer, and a busy timeout, so that writers of other processes are waited
// for rather than failed. SQLite does not drop dead sessions by itself, so
// the program also runs Cleanup for as long as it serves.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sessions.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	store, err := sqlitestore.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := session.New(session.Config{Store: store, CookieName: "__Host-session", Secure: true})
	if err != nil {
		log.Fatal(err)
	}
	go sessions.Cleanup(ctx, 5*time.Minute)

	fmt.Println("store answers:", sessions.Ping(ctx) == nil)
	// Output: store answers: true
}
