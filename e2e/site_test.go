package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/auth"
)

// This file starts the program under test: the real app.Server, on a free
// loopback port, with a new SQLite file and the demo data, as `sesame serve`
// would run it. Each test gets its own, so that no test sees another's
// sessions, carts or orders.

// demoPassword is the password of authorized_user and unauthorized_user
// (CONTRACT §2); the admin's is printed at the first start.
const demoPassword = "password123"

// cheapHashing makes password hashing fast; its real cost is auth's to test.
var cheapHashing = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// site is one running sesame.
type site struct {
	base          string // http://127.0.0.1:PORT, no trailing slash
	port          string
	adminPassword string
	logs          *syncBuffer
}

// startSite starts sesame for the test and stops it when the test ends. The
// server's log is shown when the test fails.
func startSite(t *testing.T) *site {
	t.Helper()
	needBrowser(t) // every test here drives one: skip (or fail) before starting anything
	demo := true
	var stdout bytes.Buffer
	s := &site{logs: &syncBuffer{}}
	srv := &app.Server{
		Config: app.Config{
			Addr:        "127.0.0.1:0",
			DB:          "sqlite:" + filepath.Join(t.TempDir(), "sesame.db"),
			IdleTimeout: 30 * time.Minute,
			Lifetime:    12 * time.Hour,
			Demo:        &demo,
		},
		Params: cheapHashing,
		Logger: slog.New(slog.NewTextHandler(s.logs, nil)),
		Stdout: &stdout,
	}
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
	defer cancel()
	if err := srv.Open(ctx); err != nil {
		t.Fatalf("starting sesame: %v", err)
	}
	m := regexp.MustCompile(`admin password is (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		srv.Close()
		t.Fatalf("sesame printed no admin password: %q", stdout.String())
	}
	s.adminPassword = m[1]

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sesame: run: %v", err)
			}
		case <-time.After(serverTimeout):
			t.Errorf("sesame did not stop within %v", serverTimeout)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("sesame: close: %v", err)
		}
		if t.Failed() {
			t.Logf("sesame's log:\n%s", s.logs.String())
		}
	})
	s.base = "http://" + srv.Addr()
	_, s.port, _ = net.SplitHostPort(srv.Addr())
	return s
}

// url is the address of path on the site.
func (s *site) url(path string) string { return s.base + path }

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
