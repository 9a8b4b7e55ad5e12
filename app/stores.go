package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/account"
	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
	"github.com/sesamehq/sesame/session/sqlitestore"
	"github.com/sesamehq/sesame/shop"
	"github.com/sesamehq/sesame/sqlite"
)

// Data is an app data store: what the services keep (users, the shop, the
// audit trail, login throttling), and its lifecycle. The sqlite and
// postgres packages implement it.
type Data interface {
	auth.Store
	account.Store
	shop.Store
	audit.Store
	// Seed fills an empty store with users and products, all or nothing,
	// and reports whether it did.
	Seed(ctx context.Context, users []sesame.NewUser, products []sesame.Product, now time.Time) (bool, error)
	CountUsers(ctx context.Context) (int, error)
	// Migrate applies the migrations the store lacks and returns its schema
	// version; opening it does so too.
	Migrate(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

// sessionHost is a Data store that can keep the sessions too, sharing its
// connections: where --sessions is not given.
type sessionHost interface {
	SessionStore(ctx context.Context) (session.Store, error)
}

// Stores are the stores an instance runs on, opened from --db and
// --sessions. The serve command and every other command open them the same
// way, through OpenStores.
type Stores struct {
	Data     Data
	Sessions session.Store
	closers  []func() error
}

// Close closes the stores, the session store first.
func (s *Stores) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// A store URL names its kind by its scheme: "sqlite:PATH", "memory",
// "postgres://…", "redis://…". Each kind is opened by one function here, so
// that a new backend is one entry in these tables and nothing else of the
// wiring changes. The functions live in stores_*.go.
var (
	dataKinds = map[string]func(ctx context.Context, url string, o storeOptions) (Data, error){
		"sqlite":   openSQLite,
		"postgres": openPostgres,
	}
	sessionKinds = map[string]func(ctx context.Context, url string, o storeOptions) (session.Store, func() error, error){
		"memory": func(context.Context, string, storeOptions) (session.Store, func() error, error) {
			return memstore.New(), func() error { return nil }, nil
		},
		"sqlite":   openSQLiteSessions,
		"postgres": openPostgresSessions,
		"redis":    openRedisSessions,
	}
)

// What the flags accept, for the messages that refuse something else.
const (
	dataURLs    = "sqlite:PATH or postgres://…"
	sessionURLs = "sqlite:PATH, postgres://…, redis://… (rediss:// for TLS) or memory"
)

// storeOptions are what every store is opened with besides its URL.
type storeOptions struct {
	// timeout bounds each call to a store that goes over a network (see
	// Config.StoreTimeout); SQLite's own busy timeout bounds its waits.
	timeout time.Duration
}

// defaultStoreTimeout bounds each call to a networked store when
// Config.StoreTimeout is zero: a store that accepts connections but does
// not answer makes a request answer 503 in a few seconds rather than hold
// it, and the client, until the write timeout. A healthy call takes
// milliseconds.
const defaultStoreTimeout = 5 * time.Second

// kindNames are the kinds as people call them.
var kindNames = map[string]string{"memory": "memory", "sqlite": "SQLite", "postgres": "PostgreSQL", "redis": "Redis"}

// kind returns the kind a store URL names, or "" for none.
func kind(url string) string {
	switch {
	case url == "memory":
		return "memory"
	case strings.HasPrefix(url, "sqlite:"):
		return "sqlite"
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "postgres"
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"):
		return "redis"
	}
	return ""
}

// checkStoreURL says what is wrong with a store URL for flag, or nil.
// kinds are the kinds the flag takes.
func checkStoreURL[T any](flag, url string, kinds map[string]T, want string) error {
	k := kind(url)
	if _, ok := kinds[k]; ok {
		if k == "sqlite" && strings.TrimPrefix(url, "sqlite:") == "" {
			return fmt.Errorf("%s %q: the path is empty", flag, url)
		}
		return nil
	}
	if k != "" {
		return fmt.Errorf("%s %q: %s cannot be used here: want %s", flag, url, kindNames[k], want)
	}
	return fmt.Errorf("%s %q: want %s", flag, url, want)
}

// OpenStores opens the app data that cfg.DB names, bringing its schema up to
// date, and the session store that cfg.Sessions names (the same database
// when empty). A session store of its own is opened first, so that a start
// that cannot reach it (a Redis that is down) has created no database. On
// error, whatever was opened is closed again.
func OpenStores(ctx context.Context, cfg Config) (_ *Stores, err error) {
	st := &Stores{}
	defer func() {
		if err != nil {
			err = errors.Join(err, st.Close())
		}
	}()
	o := storeOptions{timeout: cmp.Or(cfg.StoreTimeout, defaultStoreTimeout)}
	openData := dataKinds[kind(cfg.DB)]
	if openData == nil {
		return nil, checkStoreURL("--db", cfg.DB, dataKinds, dataURLs)
	}
	shared := cfg.Sessions == "" || cfg.Sessions == cfg.DB
	var closeSessions func() error
	if !shared {
		openSessions := sessionKinds[kind(cfg.Sessions)]
		if openSessions == nil {
			return nil, checkStoreURL("--sessions", cfg.Sessions, sessionKinds, sessionURLs)
		}
		if st.Sessions, closeSessions, err = openSessions(ctx, cfg.Sessions, o); err != nil {
			return nil, err
		}
		st.closers = append(st.closers, closeSessions)
	}
	if st.Data, err = openData(ctx, cfg.DB, o); err != nil {
		return nil, err
	}
	// Closed after the sessions (Close runs the closers backwards), which
	// may share its handle.
	st.closers = append([]func() error{st.Data.Close}, st.closers...)
	if shared {
		host, ok := st.Data.(sessionHost)
		if !ok {
			return nil, fmt.Errorf("--db %q cannot keep the sessions: give --sessions", cfg.DB)
		}
		if st.Sessions, err = host.SessionStore(ctx); err != nil {
			return nil, err
		}
		if c, ok := st.Sessions.(interface{ Close() error }); ok {
			st.closers = append(st.closers, c.Close) // closed before the database it shares
		}
		return st, nil
	}
	return st, nil
}

// sqliteData is the SQLite app data, which keeps the sessions in the same
// file and handle when asked, so that one process has one pool of writers
// for it.
type sqliteData struct{ *sqlite.DB }

func (d sqliteData) SessionStore(ctx context.Context) (session.Store, error) {
	return sqlitestore.New(ctx, d.SQL())
}

func openSQLite(ctx context.Context, url string, _ storeOptions) (Data, error) {
	db, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"))
	if err != nil {
		return nil, err
	}
	return sqliteData{db}, nil
}

func openSQLiteSessions(ctx context.Context, url string, _ storeOptions) (session.Store, func() error, error) {
	db, err := sqlite.OpenSQL(ctx, strings.TrimPrefix(url, "sqlite:"))
	if err != nil {
		return nil, nil, err
	}
	s, err := sqlitestore.New(ctx, db)
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return s, func() error { return errors.Join(s.Close(), db.Close()) }, nil
}

// newSQLiteFile reports whether url names a SQLite file that does not exist
// yet: --demo defaults to true for one.
func newSQLiteFile(url string) bool {
	if kind(url) != "sqlite" {
		return false
	}
	_, err := os.Stat(strings.TrimPrefix(url, "sqlite:"))
	return errors.Is(err, os.ErrNotExist)
}
