// Package app assembles sesame: it reads the configuration, opens the stores,
// seeds the demo data, builds the HTTP front end and runs the server until it
// is told to stop. A Server is a value, so tests start the real program on
// port 0 and stop it again.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sesamehq/sesame/audit"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
	"github.com/sesamehq/sesame/session/sqlitestore"
	"github.com/sesamehq/sesame/shop"
	"github.com/sesamehq/sesame/sqlite"
	"github.com/sesamehq/sesame/web"
)

// shutdownGrace bounds how long in-flight requests may take to finish once
// the server is told to stop.
const shutdownGrace = 10 * time.Second

// The limits of the HTTP server. Headers must arrive quickly (a slow client
// cannot hold a connection open for free); a whole request, whose body is
// at most 64 KiB, gets longer; an answer may take as long as a login that
// waits its turn at the password hash under load. Only requests still
// running past shutdownGrace are cut at a stop, whatever WriteTimeout says.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// readyTimeout bounds the store pings of /readyz: a load balancer's probe
// wants an answer, and a store that takes longer is not ready.
const readyTimeout = 2 * time.Second

// cleanupInterval is how often dead sessions are removed (and their expiry
// audited) and throttle state that no longer counts is forgotten. Expiry
// and throttling hold at every request whatever it is; this only keeps the
// stores small and the trail complete.
const cleanupInterval = 5 * time.Minute

// Server is one running sesame.
type Server struct {
	Config Config
	// Params are the password hashing parameters; zero means
	// auth.DefaultParams. Tests lower them to run fast.
	Params auth.Params
	// Logger receives the log; nil means a text log on Stderr.
	Logger *slog.Logger
	// Stdout receives what the operator must read once: the admin password.
	Stdout io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShutdownGrace bounds how long in-flight requests may take to finish
	// once Run is told to stop; zero means 10 seconds.
	ShutdownGrace time.Duration

	db       *sqlite.DB
	closers  []func() error
	auth     *auth.Service
	handler  *web.Handler
	listener net.Listener
	http     *http.Server
}

// Open opens the stores, seeds the demo data when asked, builds the front
// end and starts listening; Run then serves. On error, whatever was opened
// is closed again.
func (s *Server) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if s.Stdout == nil {
		s.Stdout = os.Stdout
	}
	if s.Params == (auth.Params{}) {
		s.Params = auth.DefaultParams
	}
	dbPath, err := s.openData(ctx)
	if err != nil {
		return err
	}
	if err := s.build(ctx, dbPath); err != nil {
		return err
	}
	return s.listen()
}

// openData opens the app database (seeding the demo data when asked) and
// returns its path, refusing a start on the network while a demo account
// has its public password (CONTRACT §1).
func (s *Server) openData(ctx context.Context) (string, error) {
	c := s.Config
	dbPath, err := sqlitePath(c.DB)
	if err != nil {
		return "", err
	}
	_, statErr := os.Stat(dbPath)
	newFile := errors.Is(statErr, os.ErrNotExist)
	seed := (c.Demo == nil && newFile) || (c.Demo != nil && *c.Demo)
	guarded := !loopback(c.Addr) && !c.AllowDemoOnNetwork
	if seed && newFile && guarded {
		// Refuse before the file exists: seeding it first would print the
		// admin password for a start that then fails, and never again.
		return "", fmt.Errorf("refusing to listen on %s: the new demo accounts would have their demo password "+
			"(start on a loopback address, pass --demo=false, or --allow-demo-on-network)", c.Addr)
	}
	if s.db, err = sqlite.Open(ctx, dbPath); err != nil {
		return "", err
	}
	s.closers = append(s.closers, s.db.Close)

	if seed {
		if err := s.seedDemo(ctx); err != nil {
			return "", err
		}
	}
	if guarded {
		if name, err := s.demoPasswordInUse(ctx); err != nil {
			return "", err
		} else if name != "" {
			return "", fmt.Errorf("refusing to listen on %s: the demo account %q still has its demo password "+
				"(change it, or pass --allow-demo-on-network)", c.Addr, name)
		}
	}
	return dbPath, nil
}

// build opens the session store and wires the services and the front end.
func (s *Server) build(ctx context.Context, dbPath string) error {
	store, err := s.openSessionStore(ctx, dbPath)
	if err != nil {
		return err
	}
	log := audit.New(s.db, s.Logger)
	authSvc, err := auth.New(s.db, log, s.Params)
	if err != nil {
		return err
	}
	s.auth = authSvc
	shopSvc := shop.New(s.db, authSvc, log)
	if s.Now != nil {
		log.Now, authSvc.Now, shopSvc.Now = s.Now, s.Now, s.Now
	}
	s.handler, err = web.New(web.Config{
		Auth:         authSvc,
		Shop:         shopSvc,
		Audit:        log,
		SessionStore: store,
		Session:      session.Config{IdleTimeout: s.Config.IdleTimeout, Lifetime: s.Config.Lifetime, Now: s.Now},
		Ready:        s.ready,
		Logger:       s.Logger,
	})
	return err
}

// listen opens the listener and configures the HTTP server.
func (s *Server) listen() error {
	var err error
	if s.listener, err = net.Listen("tcp", s.Config.Addr); err != nil {
		return err
	}
	var handler http.Handler = s.handler
	if loopback(s.Config.Addr) {
		handler = web.SecurityHeaders(loopbackNamesOnly(handler, s.Logger))
	}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// openSessionStore opens the session store that --sessions names. Sessions
// share the app database's handle when they live in the same file, so that
// one process has one pool of writers for it.
func (s *Server) openSessionStore(ctx context.Context, dbPath string) (session.Store, error) {
	switch s.Config.Sessions {
	case "memory":
		return memstore.New(), nil
	case "", s.Config.DB:
		return sqlitestore.New(ctx, s.db.SQL())
	}
	path, err := sqlitePath(s.Config.Sessions)
	if err != nil {
		return nil, err
	}
	db, err := sqlite.OpenSQL(ctx, path)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, db.Close)
	return sqlitestore.New(ctx, db)
}

// ready reports whether the stores answer, for /readyz.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return err
	}
	return s.handler.Sessions().Ping(ctx)
}

// Addr returns the address the server listens on, with the real port when
// the configuration asked for port 0.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Handler returns the HTTP handler, for tests that call it directly.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx is done, then stops accepting, lets in-flight
// requests finish and returns nil. Requests still running after
// ShutdownGrace are cut and logged: the stop is still the one that was asked
// for, so it is not an error (CONTRACT §1: exit 0). Run does not close the
// stores; Close does.
func (s *Server) Run(ctx context.Context) error {
	// The cleanup ends before Run returns, so that it never works on
	// stores that Close is closing.
	cleanup, stopCleanup := context.WithCancel(context.Background())
	var cleaning sync.WaitGroup
	cleaning.Go(func() { s.cleanup(cleanup) })
	defer cleaning.Wait()
	defer stopCleanup()

	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	s.Logger.Info("sesame is listening", "url", "http://"+s.Addr()+"/")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Logger.Info("shutting down")
	grace := cmp.Or(s.ShutdownGrace, shutdownGrace)
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.http.Shutdown(shutdown); err != nil {
		// The grace is over: cut what still runs, rather than leave it
		// running against the stores that Close is about to close.
		s.http.Close()
		s.Logger.Warn("requests still running after the shutdown grace were cut", "grace", grace)
		return nil
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the listener and the stores, the last opened first. Call it
// after Run has returned, or instead of Run.
func (s *Server) Close() error {
	var errs []error
	// Run's shutdown has closed the listener already; a Server that was
	// opened but never run must still give its port back.
	if s.listener != nil {
		if err := s.listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}
