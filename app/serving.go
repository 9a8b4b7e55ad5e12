package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// This file is how sesame is reached: its listeners (HTTPS or plain, and
// the metrics'), the addresses it tells the operator, and the bounded wait
// for the requests a stop cuts.

// tlsConfig is the TLS of --tls-cert/--tls-key (CONTRACT §7): TLS 1.2 and
// 1.3 only, and under 1.2 only forward-secret AEAD suites, so that a scan
// finds no weak protocol or cipher. TLS 1.3's suites are not configurable
// and are all strong.
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// listen loads the certificate and binds the listeners, before anything is
// written: a start that cannot serve (a bad key, a port taken) must leave
// no new database and print no admin password it then never serves.
func (s *Server) listen() error {
	if s.Config.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.Config.TLSCert, s.Config.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", s.Config.TLSCert, s.Config.TLSKey, err)
		}
		s.tls = tlsConfig(cert)
	}
	var err error
	if s.listener, err = net.Listen("tcp", s.Config.Addr); err != nil {
		return err
	}
	if s.Config.MetricsAddr != "" {
		if s.metricsListener, err = net.Listen("tcp", s.Config.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
	}
	return nil
}

// publicURL is the URL to tell the operator for listener l, configured as
// addr. A wildcard address (0.0.0.0, [::] or none) listens on every
// interface; the URL names localhost rather than the "[::]" a listener
// reports, which no browser opens.
func publicURL(scheme, addr string, l net.Listener) string {
	host, _, _ := net.SplitHostPort(addr)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// everyInterface reports whether addr listens on every interface.
func everyInterface(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// serveMetrics serves /metrics on its own listener until Run stops it.
func (s *Server) serveMetrics() *http.Server {
	srv := &http.Server{
		Handler:           s.metrics.handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(s.metricsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("metrics listener failed", "err", err)
		}
	}()
	s.Logger.Info("serving metrics", "url", publicURL("http", s.Config.MetricsAddr, s.metricsListener)+"metrics")
	return srv
}

// handlers counts the requests being handled, so that a stop that cuts
// them can wait for their handlers to return before the stores close
// under them.
type handlers struct {
	wg sync.WaitGroup
}

func (f *handlers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.wg.Add(1)
		defer f.wg.Done()
		next.ServeHTTP(w, r)
	})
}

// wait waits for the handlers running, at most d; it reports whether they
// all returned.
func (f *handlers) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// cutWait bounds how long a stop waits for the handlers of the requests it
// cut: their contexts are cancelled, so they return at their next store
// call; one that does not is left behind rather than hang the stop.
const cutWait = 5 * time.Second

// baseContext returns the context every request's derives from, and the
// func that cancels it, for the stop's cut: a handler still running then
// sees its context end, as if its client had gone, and fails quietly
// rather than with a store closed under it.
func baseContext() (func(net.Listener) context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	return func(net.Listener) context.Context { return ctx }, cancel
}
