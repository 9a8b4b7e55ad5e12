package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/internal/testenv"
)

// This file is the harness of the app tests: real Servers on real SQLite
// files in a temporary directory, listening on 127.0.0.1:0, driven over
// real HTTP by clients that keep cookies like a browser.

// testParams make password hashing cheap; the real cost is tested in auth.
var testParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// waitFor bounds every wait for a goroutine of the server.
const waitFor = 10 * time.Second

// testConfig is the configuration of a test server on the SQLite file path:
// the defaults, on a free loopback port.
func testConfig(path string) Config {
	c := DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.DB = "sqlite:" + path
	return c
}

// tempDB returns the path of a SQLite file that does not exist yet.
func tempDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "sesame.db")
}

// newServer returns a Server for cfg with cheap hashing and a silent log.
func newServer(cfg Config) (*Server, *bytes.Buffer) {
	var stdout bytes.Buffer
	return &Server{
		Config: cfg,
		Params: testParams,
		Logger: slog.New(slog.DiscardHandler),
		Stdout: &stdout,
	}, &stdout
}

// openServer opens a Server for cfg, changed by each of opts, closed when
// the test ends, and returns it with what it printed for the operator.
func openServer(t *testing.T, cfg Config, opts ...func(*Server)) (*Server, string) {
	t.Helper()
	s, stdout := newServer(cfg)
	for _, o := range opts {
		o(s)
	}
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, stdout.String()
}

// running is a Server serving in a goroutine.
type running struct {
	*Server
	stdout string
	cancel context.CancelFunc
	done   chan error // Run's result
}

// start opens a Server for cfg (and opts, as openServer) and runs it until
// stop or the end of the test.
func start(t *testing.T, cfg Config, opts ...func(*Server)) *running {
	t.Helper()
	s, stdout := openServer(t, cfg, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Server: s, stdout: stdout, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(cancel)
	return r
}

// stop cancels the server's context, waits for Run and closes the stores,
// as the program does on SIGTERM.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// wait returns what Run returned, failing the test if it does not return.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
		return nil
	}
}

// url returns the absolute URL of path on the server.
func (r *running) url(path string) string { return "http://" + r.Addr() + path }

// adminPassword returns the admin password printed on seeding, or "".
func adminPassword(stdout string) string {
	m := regexp.MustCompile(`admin password is (\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		return ""
	}
	return m[1]
}

// browser is an HTTP client that keeps cookies and does not follow
// redirects. Cookies do not depend on the port, so one browser visits every
// server on 127.0.0.1 with the same cookies, like one user of a site served
// by several instances.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{
		Jar:           jar,
		Timeout:       waitFor,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends v (nil for no body) as JSON, or a string as a form, and returns
// the status and the body.
func (b *browser) do(method, url string, v any) (int, []byte) {
	b.t.Helper()
	var body io.Reader
	contentType := ""
	switch v := v.(type) {
	case nil:
	case string:
		body, contentType = strings.NewReader(v), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		body, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res.StatusCode, data
}

// login signs in through the JSON API of r.
func (b *browser) login(r *running, username, password string) {
	b.t.Helper()
	status, body := b.do(http.MethodPost, r.url("/api/v1/session"), map[string]string{"username": username, "password": password})
	if status != http.StatusCreated {
		b.t.Fatalf("login %s: status %d: %s", username, status, body)
	}
}

// me returns the status of GET /api/v1/me on r: 200 while signed in.
func (b *browser) me(r *running) int {
	b.t.Helper()
	status, _ := b.do(http.MethodGet, r.url("/api/v1/me"), nil)
	return status
}

// cartItem is one line of the cart as the API shows it.
type cartItem struct {
	ProductID int64 `json:"product_id"`
	Quantity  int   `json:"quantity"`
}

// cart returns the lines of the signed-in user's cart on r.
func (b *browser) cart(r *running) []cartItem {
	b.t.Helper()
	status, body := b.do(http.MethodGet, r.url("/api/v1/cart"), nil)
	if status != http.StatusOK {
		b.t.Fatalf("cart: status %d: %s", status, body)
	}
	var c struct{ Items []cartItem }
	if err := json.Unmarshal(body, &c); err != nil {
		b.t.Fatalf("cart: %v: %s", err, body)
	}
	return c.Items
}

// handlerLogin signs in through s's handler, without a listener, and
// returns the status: 201 on success, 401 on failure.
func handlerLogin(t *testing.T, s *Server, username, password string) int {
	t.Helper()
	j, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session", bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w.Code
}

// refusesConnections reports whether nothing listens on addr any more.
func refusesConnections(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// eventually waits until cond holds, failing the test after waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unreachablePostgres returns the URL of a PostgreSQL server that is not
// there: a free port on loopback.
func unreachablePostgres(t *testing.T) string {
	return fmt.Sprintf("postgres://sesame@127.0.0.1:%d/sesame?sslmode=disable", testenv.FreePort(t))
}

// unreachableRedis returns the URL of a Redis that is not there.
func unreachableRedis(t *testing.T) string {
	return fmt.Sprintf("redis://127.0.0.1:%d/0", testenv.FreePort(t))
}
