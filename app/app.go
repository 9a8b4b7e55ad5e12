// Package app assembles sesame: it reads the configuration, opens the stores,
// seeds the demo data, builds the HTTP front end and runs the server until it
// is told to stop. A Server is a value, so tests start the real program on
// port 0 and stop it again.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/clientip"
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

	stores          *Stores
	services        *Services
	handler         *web.Handler
	listener        net.Listener
	metricsListener net.Listener // nil without --metrics-addr
	tls             *tls.Config  // nil without --tls-cert
	metrics         *metrics     // nil without --metrics-addr
	http            *http.Server
	handlers        handlers
	cut             context.CancelFunc // cancels every request's context
}

// Open binds the listeners, opens the stores, seeds the demo data when
// asked, and builds the services and the front end; Run then serves. The
// listeners and the certificate come first, so that a start that cannot
// serve (the port is taken, the address or the key is wrong) has written
// nothing: no new database, no admin password printed for a server that
// never ran. On error, whatever was opened is closed again.
func (s *Server) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
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
	if s.Now == nil {
		s.Now = time.Now
	}
	// Decided before the stores are opened, which creates a new file.
	seed := s.seeding()
	if err := s.refuseNewDemoOnNetwork(seed); err != nil {
		return err
	}
	if err := s.listen(); err != nil {
		return err
	}
	if err := s.openData(ctx, seed); err != nil {
		return err
	}
	if err := s.hintFirstUser(ctx); err != nil {
		return err
	}
	proxies := s.Config.proxies()
	w := wiring{cfg: s.Config, params: s.Params, logger: s.Logger, now: s.Now,
		clientIP: proxies.ClientIP, https: proxies.HTTPS, serve: true, scheme: "http"}
	_, w.port, _ = net.SplitHostPort(s.listener.Addr().String())
	if s.Config.TLSCert != "" {
		w.scheme = "https"
	}
	var observe func(string, int, time.Duration)
	if s.metricsListener != nil {
		s.metrics = newMetrics()
		w.observe, observe = s.metrics.observeEvent, s.metrics.observeRequest
	}
	if s.services, err = newServices(s.stores, w); err != nil {
		return err
	}
	if s.metrics != nil {
		s.metrics.countSessions(s.services.Sessions, s.Logger)
	}
	s.handler, err = web.New(web.Config{
		Accounts: s.services.Accounts,
		Auth:     s.services.Auth,
		Shop:     s.services.Shop,
		Audit:    s.services.Audit,
		Sessions: s.services.Sessions,
		Ready:    s.ready,
		ClientIP: proxies.ClientIP,
		HTTPS:    proxies.HTTPS,
		Observe:  observe,
		Logger:   s.Logger,
		Now:      s.Now,
	})
	if err != nil {
		return err
	}
	s.serveHTTP(proxies)
	return nil
}

// hintFirstUser tells the operator of a database without a single user
// how to create one: nobody could sign in, and nothing else would say why.
func (s *Server) hintFirstUser(ctx context.Context) error {
	n, err := s.stores.Data.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	s.Logger.Warn("the database has no users: nobody can sign in until one is created, e.g. with " +
		"\"sesame user add NAME --role admin\" (same --db), or start on a new database with --demo")
	return nil
}

// seeding reports whether this start seeds the demo data: when asked, or by
// default into a SQLite file that does not exist yet (CONTRACT §1).
func (s *Server) seeding() bool {
	if s.Config.Demo != nil {
		return *s.Config.Demo
	}
	return newSQLiteFile(s.Config.DB)
}

// guarded reports whether the server must refuse to serve a demo account
// with its public password: when it listens beyond loopback, unless told
// otherwise.
func (s *Server) guarded() bool { return !loopback(s.Config.Addr) && !s.Config.AllowDemoOnNetwork }

// refuseNewDemoOnNetwork refuses, before anything exists, a start that
// would seed new demo accounts only to be refused for them (CONTRACT §1):
// seeding first would print the admin password for a start that then
// fails, and never again.
func (s *Server) refuseNewDemoOnNetwork(seed bool) error {
	if s.guarded() && seed && newSQLiteFile(s.Config.DB) {
		return fmt.Errorf("refusing to listen on %s: the new demo accounts would have their demo password "+
			"(start on a loopback address, pass --demo=false, or --allow-demo-on-network)", s.Config.Addr)
	}
	return nil
}

// openData opens the stores (seeding the demo data when seed is set),
// refusing a start on the network while a demo account has its public
// password (CONTRACT §1).
func (s *Server) openData(ctx context.Context, seed bool) error {
	var err error
	if s.stores, err = OpenStores(ctx, s.Config); err != nil {
		return err
	}
	if seed {
		if err := s.seedDemo(ctx); err != nil {
			return err
		}
	}
	if s.guarded() {
		if name, err := s.demoPasswordInUse(ctx); err != nil {
			return err
		} else if name != "" {
			return fmt.Errorf("refusing to listen on %s: the demo account %q still has its demo password "+
				"(change it, or pass --allow-demo-on-network)", s.Config.Addr, name)
		}
	}
	return nil
}

// serveHTTP configures the HTTP server over the front end.
func (s *Server) serveHTTP(proxies clientip.Proxies) {
	var handler http.Handler = s.handler
	if loopback(s.Config.Addr) {
		handler = web.SecurityHeaders(loopbackNamesOnly(handler, proxies, s.Logger))
	}
	base, cut := baseContext()
	s.cut = cut
	s.http = &http.Server{
		Handler:           s.handlers.wrap(handler),
		TLSConfig:         s.tls,
		BaseContext:       base,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}

// ready reports whether the stores answer, for /readyz.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.stores.Data.Ping(ctx); err != nil {
		return err
	}
	return s.services.Sessions.Ping(ctx)
}

// Addr returns the address the server listens on, with the real port when
// the configuration asked for port 0.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// MetricsAddr returns the address /metrics is served on, or "" without
// --metrics-addr.
func (s *Server) MetricsAddr() string {
	if s.metricsListener == nil {
		return ""
	}
	return s.metricsListener.Addr().String()
}

// Services returns the services of the server, for tests and tools that
// act on its stores as it does.
func (s *Server) Services() *Services { return s.services }

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
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		// The certificate is in TLSConfig already.
		go func() { errc <- s.http.ServeTLS(s.listener, "", "") }()
	} else {
		go func() { errc <- s.http.Serve(s.listener) }()
	}
	var metricsServer *http.Server
	if s.metricsListener != nil {
		metricsServer = s.serveMetrics()
		defer metricsServer.Close() // after the main one: a scrape may watch the stop
	}
	attrs := []any{"url", publicURL(scheme, s.Config.Addr, s.listener)}
	if everyInterface(s.Config.Addr) {
		attrs = append(attrs, "interfaces", "all", "addr", s.Addr())
	}
	s.Logger.Info("sesame is listening", attrs...)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Logger.Info("shutting down: finishing the requests in flight", "grace", cmp.Or(s.ShutdownGrace, shutdownGrace))
	if err := s.shutdown(); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.Logger.Info("sesame stopped")
	return nil
}

// shutdown stops accepting and waits for the requests in flight, at most
// ShutdownGrace; past it, it cuts them: their contexts end, so that each
// fails as if its client had gone (quietly: a cut is the documented
// warning below, not a 500 per request), and it waits a little for their
// handlers to return, rather than leave them running against the stores
// that Close is about to close.
func (s *Server) shutdown() error {
	grace := cmp.Or(s.ShutdownGrace, shutdownGrace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.http.Shutdown(ctx); err == nil {
		return nil
	}
	s.cut()
	_ = s.http.Close() // only the listeners' errors come back, and Shutdown closed them
	s.Logger.Warn("requests still running after the shutdown grace were cut", "grace", grace)
	if !s.handlers.wait(cutWait) {
		s.Logger.Warn("handlers of cut requests still running; closing the stores anyway", "waited", cutWait)
	}
	return nil
}

// Close closes the listeners and the stores. Call it after Run has
// returned, or instead of Run.
func (s *Server) Close() error {
	var errs []error
	// Run's shutdown has closed the listener already; a Server that was
	// opened but never run must still give its port back.
	for _, l := range []net.Listener{s.listener, s.metricsListener} {
		if l == nil {
			continue
		}
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.stores != nil {
		errs = append(errs, s.stores.Close()) // a second Close closes nothing
	}
	return errors.Join(errs...)
}
