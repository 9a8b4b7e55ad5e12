package redisstore_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/internal/testenv"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/redisstore"
)

// server is a redis-server of the test's own, which it can stop, start
// again and freeze.
type server struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	args []string    // beyond the port and persistence
	tls  *tls.Config // for the readiness check, when it serves TLS only
	mu   sync.Mutex
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// startServer starts a server with args added to its command line.
func startServer(t *testing.T, tlsConfig *tls.Config, args ...string) *server {
	t.Helper()
	srv := &server{t: t, bin: testenv.Command(t, "redis-server"), port: freePort(t), dir: t.TempDir(),
		args: args, tls: tlsConfig}
	srv.start()
	t.Cleanup(srv.stop)
	return srv
}

// freePort returns a TCP port that nothing listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (srv *server) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", srv.port) }

// start runs the server, keeping nothing on disk, and waits until it
// answers.
func (srv *server) start() {
	srv.t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	args := []string{"--port", fmt.Sprint(srv.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", srv.dir}
	if srv.tls != nil { // the port serves TLS, and nothing serves plain text
		args = []string{"--port", "0", "--tls-port", fmt.Sprint(srv.port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", srv.dir}
	}
	cmd := exec.Command(srv.bin, append(args, srv.args...)...)
	cmd.Stdout, cmd.Stderr = &srv.out, &srv.out
	if err := cmd.Start(); err != nil {
		srv.t.Fatal(err)
	}
	srv.cmd = cmd
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprint("127.0.0.1:", srv.port), MaxRetries: -1, TLSConfig: srv.tls})
	defer client.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if client.Ping(context.Background()).Err() == nil {
			return
		}
		if time.Now().After(deadline) {
			srv.t.Fatalf("redis-server did not answer on port %d:\n%s", srv.port, srv.out.String())
		}
	}
}

// stop kills the server and waits for it to end.
func (srv *server) stop() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.cmd == nil {
		return
	}
	srv.cmd.Process.Signal(syscall.SIGCONT) // a frozen process ends only once it runs
	srv.cmd.Process.Kill()
	srv.cmd.Wait()
	srv.cmd = nil
}

func (srv *server) signal(sig syscall.Signal) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if err := srv.cmd.Process.Signal(sig); err != nil {
		srv.t.Fatal(err)
	}
}

// call is one store method, bound to its arguments.
type call struct {
	name string
	do   func(ctx context.Context) error
}

func calls(s *redisstore.Store, r session.Record) []call {
	return []call{
		{"Ping", s.Ping},
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, r.Hash); return err }},
		{"Touch", func(ctx context.Context) error { return s.Touch(ctx, r.ID, r.LastSeenAt, r.IdleExpiresAt) }},
		{"Create", func(ctx context.Context) error { _, err := s.Create(ctx, record(r.UserID), 3); return err }},
		{"Count", func(ctx context.Context) error { _, err := s.Count(ctx, r.LastSeenAt); return err }},
	}
}

// wantFailures checks that every call fails with an error that does not
// claim the session is gone, within about its context's deadline. The
// calls run at once: go-redis retries a refused dial until the deadline,
// so each takes all of it.
func wantFailures(t *testing.T, state string, calls []call, deadline time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			err := c.do(ctx)
			switch took := time.Since(start); {
			case err == nil:
				t.Errorf("%s while the server is %s: no error", c.name, state)
			case errors.Is(err, session.ErrNotFound):
				t.Errorf("%s while the server is %s: %v, which claims the session is gone", c.name, state, err)
			case took > deadline+time.Second:
				t.Errorf("%s while the server is %s took %v, past its deadline of %v", c.name, state, took, deadline)
			}
		})
	}
	wg.Wait()
}

func wantSuccess(t *testing.T, state string, calls []call) {
	t.Helper()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := c.do(ctx); err != nil {
			t.Errorf("%s %s: %v", c.name, state, err)
		}
		cancel()
	}
}

// TestOutage: while the server is down, or frozen, every call fails with
// an error (never ErrNotFound, which would sign users out or hide the
// outage) by its context's deadline; once the server is back the same
// store works again, with no new client. A restarted server without
// persistence has forgotten every session, and knows none of the
// scripts: go-redis sends them again.
func TestOutage(t *testing.T) {
	srv := startServer(t, nil)
	s, err := redisstore.New(newClient(t, srv.url()), redisstore.Options{Prefix: "outage:"})
	if err != nil {
		t.Fatal(err)
	}
	r := record("u")
	create(t, s, r)
	const deadline = 300 * time.Millisecond

	srv.signal(syscall.SIGSTOP)
	wantFailures(t, "frozen", calls(s, r), deadline)
	srv.signal(syscall.SIGCONT)
	wantSuccess(t, "after the server was frozen", calls(s, r))

	srv.stop()
	wantFailures(t, "down", calls(s, r), deadline)
	srv.start()
	if _, err := s.Get(t.Context(), r.Hash); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after a restart without persistence: %v, want ErrNotFound", err)
	}
	r = record("u")
	create(t, s, r)
	wantSuccess(t, "after a restart", calls(s, r))
}
