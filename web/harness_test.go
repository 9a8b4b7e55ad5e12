package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/auth"
)

// This file is the harness of the HTTP tests: the real program (app.Server,
// so the real wiring, router and middleware) on a real SQLite file in a
// temporary directory, seeded with the demo data, driven through its
// http.Handler by clients that keep cookies like a browser.

// testParams make password hashing cheap; the real cost is tested in auth.
var testParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// origin is the scheme and host of every test request (httptest's default).
const origin = "http://example.com"

// demoPassword is the password of the demo users authorized_user and
// unauthorized_user (CONTRACT §2); the admin's is printed at the start.
const demoPassword = "password123"

// clock is a settable time source shared by the sessions and the services.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t, for a test whose store keeps time by its own
// clock too (Redis expires keys at instants by the real time).
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testApp is one sesame under test.
type testApp struct {
	t             *testing.T
	srv           *app.Server
	clock         *clock
	logs          *syncBuffer // everything the server logged
	adminPassword string
}

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

// newApp starts sesame on a new database with the demo data and the
// defaults of sesame serve (idle timeout 30m, lifetime 12h, a new token
// every 15m), on a clock that moves only when told. Each change is
// applied to that configuration before the start.
func newApp(t *testing.T, changes ...func(*app.Config)) *testApp {
	t.Helper()
	demo := true
	a := &testApp{t: t, clock: &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	var stdout bytes.Buffer
	cfg := app.DefaultConfig() // renewal every 15 minutes, as sesame serve
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + filepath.Join(t.TempDir(), "sesame.db")
	cfg.Demo = &demo
	a.srv = &app.Server{
		Config: cfg,
		Params: testParams,
		Logger: slog.New(slog.NewTextHandler(io.MultiWriter(a.logs, &runLog), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Stdout: &stdout,
		Now:    a.clock.Now,
	}
	for _, change := range changes {
		change(&a.srv.Config)
	}
	if err := a.srv.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { a.srv.Close() })
	m := regexp.MustCompile(`admin password is (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed: %q", stdout.String())
	}
	a.adminPassword = m[1]
	noteSecret(a.adminPassword, "the admin password")
	return a
}

// client is one browser (or API client): it keeps the cookies the server
// sets and sends them back.
type client struct {
	t   *testing.T
	app *testApp
	jar *cookiejar.Jar
	// Header is added to every request (User-Agent, Origin, …).
	Header http.Header
	// RemoteAddr is the client's address as the server sees it.
	RemoteAddr string
}

var siteURL, _ = url.Parse(origin + "/")

// visitor returns a new client that is not signed in.
func (a *testApp) visitor() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, jar: jar, Header: http.Header{"User-Agent": {"sesame-test"}}, RemoteAddr: "192.0.2.10:40000"}
}

// visitorFrom returns a new visitor whose requests come from address addr,
// so that a test's throttling counters are its own.
func (a *testApp) visitorFrom(addr string) *client {
	c := a.visitor()
	c.RemoteAddr = addr + ":40000"
	return c
}

// holding returns a new browser whose only cookie is the session token
// token, from an address of its own: an attacker replaying a token they got
// hold of.
func (a *testApp) holding(token string) *client {
	c := a.visitor()
	c.RemoteAddr = "203.0.113.66:50000"
	c.setToken(token)
	return c
}

// login returns a client signed in through the login form.
func (a *testApp) login(username, password string) *client {
	a.t.Helper()
	c := a.visitor()
	res := formLogin(c, username, password)
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("login %s: status %d: %s", username, res.StatusCode, body(res))
	}
	return c
}

func (a *testApp) authorized() *client   { return a.login("authorized_user", demoPassword) }
func (a *testApp) unauthorized() *client { return a.login("unauthorized_user", demoPassword) }
func (a *testApp) admin() *client        { return a.login("admin", a.adminPassword) }

// do sends a request through the server's handler and returns the answer
// with its body read, keeping any cookies it sets. Every call of the JSON
// API, and its answer, is held to the OpenAPI document (checkAPI).
func (c *client) do(method, path string, contentType string, reqBody io.Reader) *http.Response {
	c.t.Helper()
	// The body is read first, for checkAPI, and sent as it came: of a
	// known length, or of an unknown one (chunked) when the reader did not
	// say.
	var sent []byte
	if reqBody != nil {
		var err error
		if sent, err = io.ReadAll(reqBody); err != nil {
			c.t.Fatal(err)
		}
		switch reqBody.(type) {
		case *bytes.Reader, *strings.Reader, *bytes.Buffer:
			reqBody = bytes.NewReader(sent)
		default:
			reqBody = io.MultiReader(bytes.NewReader(sent))
		}
	}
	r := httptest.NewRequest(method, path, reqBody)
	r.RemoteAddr = c.RemoteAddr
	for k, vs := range c.Header {
		r.Header[k] = vs
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for _, ck := range c.jar.Cookies(siteURL) {
		r.AddCookie(ck)
	}
	checked := r.Clone(context.Background())
	w := httptest.NewRecorder()
	c.app.srv.Handler().ServeHTTP(w, r)
	res := w.Result()
	noteRequestSecrets(r.Header.Get("Content-Type"), sent)
	// The cookies the server set: those a test plants may be anything,
	// a public session id among them, which the log rightly holds.
	for _, ck := range res.Cookies() {
		noteSecret(ck.Value, "the value of the cookie "+ck.Name)
	}
	c.jar.SetCookies(siteURL, res.Cookies())
	c.checkAPI(checked, sent, res, w.Body.Bytes())
	return res
}

func (c *client) get(path string) *http.Response {
	c.t.Helper()
	return c.do(http.MethodGet, path, "", nil)
}

func (c *client) postForm(path string, v url.Values) *http.Response {
	c.t.Helper()
	return c.do(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

// json sends v (nil for no body) as JSON.
func (c *client) json(method, path string, v any) *http.Response {
	c.t.Helper()
	if v == nil {
		return c.do(method, path, "", nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, "application/json", bytes.NewReader(b))
}

// token returns the session cookie's value, or "".
func (c *client) token() string {
	for _, ck := range c.jar.Cookies(siteURL) {
		if ck.Name == "sesame_session" {
			return ck.Value
		}
	}
	return ""
}

// setToken replaces the session cookie, as an attacker holding a token would.
func (c *client) setToken(token string) {
	c.jar.SetCookies(siteURL, []*http.Cookie{{Name: "sesame_session", Value: token, Path: "/"}})
}

// withHeaders returns c with extra request headers (key, value, key,
// value…), sharing its cookies: the same browser, sending a different
// request.
func (c *client) withHeaders(kv ...string) *client {
	cp := *c
	cp.Header = c.Header.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		cp.Header.Set(kv[i], kv[i+1])
	}
	return &cp
}

// body returns the body of res as a string.
func body(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return string(b)
}

// decode reads the JSON body of res into a generic value.
func decode(t *testing.T, res *http.Response) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("decode JSON body (status %d): %v", res.StatusCode, err)
	}
	return v
}

// errorCode returns the code of a JSON error answer.
func errorCode(t *testing.T, res *http.Response) string {
	t.Helper()
	v := decode(t, res)
	e, ok := v["error"].(map[string]any)
	if !ok {
		t.Fatalf("not an error body: %v", v)
	}
	code, _ := e["code"].(string)
	return code
}
