package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure a RedisServer.
type RedisOptions struct {
	// TLS, when set, makes the port serve TLS only (the certificate files
	// go in Args); it is the client configuration of the readiness check.
	TLS *tls.Config
	// Persist keeps the data across a restart, in an append-only file
	// written at every change, as a production server configured for
	// sessions would. Without it a restarted server starts empty.
	Persist bool
	// Args are added to the server's command line.
	Args []string
}

// RedisServer is a redis-server of the test's own, on a free loopback
// port, which the test can stop, start again and freeze (SIGSTOP), to see
// what its clients do when Redis goes away.
type RedisServer struct {
	t    testing.TB
	bin  string
	port int
	dir  string
	opts RedisOptions
	mu   sync.Mutex
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// StartRedis starts a redis-server found on PATH, or stops t through
// Unavailable when there is none, and kills it when t ends.
func StartRedis(t testing.TB, opts RedisOptions) *RedisServer {
	t.Helper()
	srv := &RedisServer{t: t, bin: Command(t, "redis-server"), port: FreePort(t), dir: t.TempDir(), opts: opts}
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv
}

// FreePort returns a TCP port on loopback that nothing listens on just now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Port returns the server's port.
func (srv *RedisServer) Port() int { return srv.port }

// URL returns the server's URL, database 0: redis://, or rediss:// under
// TLS.
func (srv *RedisServer) URL() string {
	scheme := "redis"
	if srv.opts.TLS != nil {
		scheme = "rediss"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d/0", scheme, srv.port)
}

// Start runs the server (again) and waits until it answers.
func (srv *RedisServer) Start() {
	srv.t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	port := fmt.Sprint(srv.port)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", srv.dir, "--save", ""}
	if srv.opts.TLS != nil { // the port serves TLS, and nothing serves plain text
		args = []string{"--port", "0", "--tls-port", port, "--bind", "127.0.0.1", "--dir", srv.dir, "--save", ""}
	}
	if srv.opts.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(srv.bin, append(args, srv.opts.Args...)...) // #nosec G204 -- redis-server from PATH, with the test's own arguments
	cmd.Stdout, cmd.Stderr = &srv.out, &srv.out
	if err := cmd.Start(); err != nil {
		srv.t.Fatal(err)
	}
	srv.cmd = cmd
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1, TLSConfig: srv.opts.TLS})
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

// Stop kills the server and waits for it to end. A server that persists
// has written every change already (appendfsync always).
func (srv *RedisServer) Stop() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.cmd == nil {
		return
	}
	_ = srv.cmd.Process.Signal(syscall.SIGCONT) // a frozen process ends only once it runs
	_ = srv.cmd.Process.Kill()                  // it may have ended already
	_ = srv.cmd.Wait()                          // "killed" is the expected outcome
	srv.cmd = nil
}

// Signal sends sig to the server: SIGSTOP freezes it (it accepts
// connections and answers nothing), SIGCONT lets it go on.
func (srv *RedisServer) Signal(sig syscall.Signal) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if err := srv.cmd.Process.Signal(sig); err != nil {
		srv.t.Fatal(err)
	}
}
