package app

import (
	"context"
	"io"
	"log/slog"
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

// inFlight is a login request whose handler is running: it is reading a
// body that has not fully arrived yet.
type inFlight struct {
	body     *io.PipeWriter
	answered chan answer
}

type answer struct {
	status int
	err    error
}

// holdRequest starts a login on r and returns once its handler is reading
// the body, of which it has only half.
func holdRequest(t *testing.T, r *running) *inFlight {
	t.Helper()
	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: then the request is in flight, not merely queued.
	bodyReader, bodyWriter := io.Pipe()
	reading := make(chan struct{})
	trace := &httptrace.ClientTrace{Got100Continue: func() { close(reading) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodPost, r.url("/api/v1/session"),
		// The first half is there at once, the rest only when finish
		// writes it: one reader, so the halves cannot arrive out of order.
		io.MultiReader(strings.NewReader(`{"username":"authorized_user",`), bodyReader))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: waitFor}, Timeout: 2 * waitFor}
	f := &inFlight{body: bodyWriter, answered: make(chan answer, 1)}
	go func() {
		res, err := client.Do(req)
		if err != nil {
			f.answered <- answer{err: err}
			return
		}
		res.Body.Close()
		f.answered <- answer{status: res.StatusCode}
	}()
	t.Cleanup(func() { bodyWriter.Close() })
	select {
	case <-reading:
	case <-time.After(waitFor):
		t.Fatal("the server never started reading the request body")
	}
	return f
}

// finish sends the rest of the body and returns the answer.
func (f *inFlight) finish(t *testing.T) answer {
	t.Helper()
	io.WriteString(f.body, `"password":"password123"}`) // an error shows in the answer
	f.body.Close()
	return f.wait(t)
}

// wait returns the answer, failing the test if there is none.
func (f *inFlight) wait(t *testing.T) answer {
	t.Helper()
	select {
	case a := <-f.answered:
		return a
	case <-time.After(waitFor):
		t.Fatal("the in-flight request neither got an answer nor failed")
		return answer{}
	}
}

// TestServerFinishesInFlightRequests holds a login request open in its
// handler (the body is still arriving) while the server is told to stop: the
// server must stop accepting, let that request finish and answer it, and
// only then return nil from Run (CONTRACT §1, SIGINT/SIGTERM).
func TestServerFinishesInFlightRequests(t *testing.T) {
	r := start(t, testConfig(tempDB(t)))
	req := holdRequest(t, r)

	addr := r.Addr()
	r.cancel()
	eventually(t, "the server stops accepting connections", func() bool { return refusesConnections(addr) })
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v while a request was still in flight", err)
	case a := <-req.answered:
		t.Fatalf("the in-flight request ended before its body did: %+v", a)
	default:
	}

	if a := req.finish(t); a.err != nil || a.status != http.StatusCreated {
		t.Errorf("in-flight login: status %d, error %v; want 201", a.status, a.err)
	}
	if err := r.wait(t); err != nil {
		t.Errorf("Run after a graceful shutdown: %v, want nil", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestServerCutsRequestsAfterGrace: the wait for in-flight requests is
// bounded (CONTRACT §1): past ShutdownGrace they are cut, so that the stores
// can be closed under no one, and the stop is still a clean one (exit 0).
//
// The cut is logged once, as a warning; the request it cut adds no error
// line of its own (it did not fail: the stop ended it).
func TestServerCutsRequestsAfterGrace(t *testing.T) {
	var logs syncBuffer
	r := start(t, testConfig(tempDB(t)), func(s *Server) {
		s.ShutdownGrace = 50 * time.Millisecond
		s.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	req := holdRequest(t, r)

	r.cancel()
	err := r.wait(t)
	if err != nil {
		t.Errorf("Run with a request still running past the grace: %v, want nil", err)
	}
	// The client sees the cut only once it stops writing the body (the
	// transport waits for its writer). Ending the body cleanly would get a
	// 400 from a server that had not cut the connection.
	req.body.Close()
	if a := req.wait(t); a.err == nil {
		t.Errorf("the request running past the grace got an answer (%d), want its connection cut", a.status)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if !strings.Contains(logs.String(), "were cut") {
		t.Errorf("the cut is not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the cut request logged an error:\n%s", logs.String())
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
		{"postgres unreachable", func() Config { c := testConfig(tempDB(t)); c.DB = unreachablePostgres(t); return c }(), "unavailable"},
		{"redis unreachable", func() Config { c := testConfig(tempDB(t)); c.Sessions = unreachableRedis(t); return c }(), "Redis does not answer"},
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
