package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

func TestServerServesHealthAndReadiness(t *testing.T) {
	r := start(t, testConfig(tempDB(t)))
	b := newBrowser(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, body := b.do(http.MethodGet, r.url(path), nil); status != http.StatusOK {
			t.Errorf("GET %s: status %d: %s", path, status, body)
		}
	}
	addr := r.Addr()
	r.stop(t)
	if !refusesConnections(addr) {
		t.Errorf("%s still accepts connections after the server stopped", addr)
	}
}

// TestServerFinishesInFlightRequests holds a login request open in its
// handler (the body is still arriving) while the server is told to stop: the
// server must stop accepting, let that request finish and answer it, and
// only then return nil from Run (CONTRACT §1, SIGINT/SIGTERM).
func TestServerFinishesInFlightRequests(t *testing.T) {
	r := start(t, testConfig(tempDB(t)))

	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: then the request is in flight, not merely queued.
	bodyReader, bodyWriter := io.Pipe()
	reading := make(chan struct{})
	trace := &httptrace.ClientTrace{Got100Continue: func() { close(reading) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodPost, r.url("/api/v1/session"), bodyReader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: waitFor}, Timeout: 2 * waitFor}
	type answer struct {
		status int
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := client.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		res.Body.Close()
		answered <- answer{status: res.StatusCode}
	}()
	go bodyWriter.Write([]byte(`{"username":"authorized_user",`)) // blocks until the server reads
	select {
	case <-reading:
	case <-time.After(waitFor):
		t.Fatal("the server never started reading the request body")
	}

	addr := r.Addr()
	r.cancel()
	eventually(t, "the server stops accepting connections", func() bool { return refusesConnections(addr) })
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v while a request was still in flight", err)
	case a := <-answered:
		t.Fatalf("the in-flight request ended before its body did: %+v", a)
	default:
	}

	if _, err := io.WriteString(bodyWriter, `"password":"password123"}`); err != nil {
		t.Fatal(err)
	}
	bodyWriter.Close()
	select {
	case a := <-answered:
		if a.err != nil || a.status != http.StatusCreated {
			t.Errorf("in-flight login: status %d, error %v; want 201", a.status, a.err)
		}
	case <-time.After(waitFor):
		t.Fatal("the in-flight request got no answer")
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Run after a graceful shutdown: %v, want nil", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestCloseWithoutRun: a Server that was opened but never run (as the web
// tests use it, through Handler) must give its port back on Close.
func TestCloseWithoutRun(t *testing.T) {
	s, _ := newServer(testConfig(tempDB(t)))
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if refusesConnections(addr) {
		t.Fatalf("nothing listens on %s after Open", addr)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !refusesConnections(addr) {
		t.Errorf("%s still accepts connections after Close", addr)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestOpenFailsCleanly: a configuration that cannot be served is an error
// from Open, which closes whatever it had opened.
func TestOpenFailsCleanly(t *testing.T) {
	busy := start(t, testConfig(tempDB(t)))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"port in use", func() Config { c := testConfig(tempDB(t)); c.Addr = busy.Addr(); return c }(), "address already in use"},
		{"postgres", func() Config { c := testConfig(tempDB(t)); c.DB = "postgres://localhost/sesame"; return c }(), "not supported"},
		{"directory missing", testConfig(t.TempDir() + "/no/such/dir/sesame.db"), "sesame.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(tt.cfg)
			err := s.Open(context.Background())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
