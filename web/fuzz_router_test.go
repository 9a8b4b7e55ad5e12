package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/session"
)

// FuzzRouter sends whatever request the fuzzer makes up (method, target,
// headers, body) to the whole of sesame: the real wiring, router and
// middleware on a real SQLite file with the demo data. Whatever it sends:
//
//   - the answer is never a 5xx (a panic is answered 500 by the recovery
//     middleware, so this catches panics too);
//   - without a valid session, nothing is answered as to a signed-in user:
//     no 2xx or 3xx from a route that is not public, except a redirect to
//     sign in, and no page that says who is signed in, unless the request
//     itself signed in (a POST /login or POST /api/v1/session that got a
//     new session cookie), and no session cookie from any other route.
//
// With mode&1 the request also carries the cookie of a live session of
// authorized_user, so that the fuzzer reaches what lies behind sign-in
// (which then must still never answer 5xx). That session is made again
// whenever a request ended it (logout, a password change).
func FuzzRouter(f *testing.F) {
	for _, s := range []struct {
		mode                    uint8
		method, target, headers string
		body                    string
	}{
		{0, "GET", "/", "", ""},
		{0, "GET", "/products", "", ""},
		{0, "GET", "/api/v1/me", "Cookie: sesame_session=AAAA", ""},
		{0, "POST", "/login", "Content-Type: application/x-www-form-urlencoded", "username=authorized_user&password=password123&next=/cart"},
		{0, "POST", "/api/v1/session", "Content-Type: application/json", `{"username":"authorized_user","password":"wrong"}`},
		{0, "GET", "/static/../../go.mod", "", ""},
		{0, "GET", "/%2e%2e/admin/users", "", ""},
		{0, "DELETE", "/api/v1/sessions", "Origin: http://evil.example", ""},
		{1, "GET", "/cart", "", ""},
		{1, "POST", "/cart/items", "Content-Type: application/x-www-form-urlencoded", "product_id=1&quantity=2"},
		{1, "PUT", "/api/v1/cart/items/1", "Content-Type: application/json", `{"quantity":3}`},
		{1, "POST", "/api/v1/checkout", "Content-Type: application/json\nIdempotency-Key: k1", ""},
		{1, "GET", "/api/v1/orders?limit=1&cursor=zz", "", ""},
		{1, "POST", "/task", "Content-Type: application/x-www-form-urlencoded", "product_id=1&quantity=1000"},
		{1, "PUT", "/api/v1/account/password", "Content-Type: application/json", `{"current_password":"password123","new_password":"x"}`},
		{1, "GET", "/admin/users", "Sec-Fetch-Site: same-origin", ""},
		{1, "POST", "/logout", "", ""},
		{3, "PATCH", "/api/v1/cart/items/99999999999999999999", "Content-Type: application/json; charset=utf-8", `{"quantity":-1}`},
	} {
		f.Add(s.mode, s.method, s.target, s.headers, []byte(s.body))
	}
	r := newRouterFuzz(f)
	f.Fuzz(func(t *testing.T, mode uint8, method, target, headers string, body []byte) {
		req := r.request(mode, method, target, headers, body)
		if req == nil {
			return // not a request that net/http would pass to a handler
		}
		signedIn := mode&1 == 1
		if signedIn {
			req.AddCookie(&http.Cookie{Name: "sesame_session", Value: r.liveToken(t)})
		}
		w := httptest.NewRecorder()
		r.srv.Handler().ServeHTTP(w, req)
		res := w.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s (%q, signed in %v) answered %d: %.300s", method, target, headers, signedIn, res.StatusCode, w.Body.String())
		}
		if signedIn || signedInNow(t, req, res) {
			return
		}
		if p := r.publicPattern(req); p == "" {
			loc := res.Header.Get("Location")
			if res.StatusCode < 300 || (res.StatusCode < 400 && !strings.HasPrefix(loc, "/login") && !canonical(res.StatusCode, loc)) {
				t.Fatalf("%s %s without a session answered %d (Location %q): %.300s", method, target, res.StatusCode, loc, w.Body.String())
			}
		}
		if bytes.Contains(w.Body.Bytes(), []byte("signed-in-as")) {
			t.Fatalf("%s %s without a session got a signed-in page: %.300s", method, target, w.Body.String())
		}
	})
}

// routerFuzz is the server one fuzzing process sends its requests to.
type routerFuzz struct {
	srv    *app.Server
	userID string // authorized_user's
	token  string // of a live session of authorized_user, or ""
	public *http.ServeMux
}

// publicRoutes are the routes a visitor may use without signing in
// (CONTRACT §3 and the API's sign-in and description).
var publicRoutes = []string{"GET /{$}", "GET /login", "POST /login", "POST /api/v1/session", "GET /api/v1/openapi.yaml",
	"GET /healthz", "GET /readyz", "GET /static/{file}"}

func newRouterFuzz(f *testing.F) *routerFuzz {
	f.Helper()
	demo := true
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + filepath.Join(f.TempDir(), "sesame.db")
	cfg.Demo = &demo
	// A clock that does not move: no session expires or is renewed
	// between two of the fuzzer's requests, so each answer depends on
	// the request alone.
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	srv := &app.Server{Config: cfg, Params: testParams, Logger: slog.New(slog.DiscardHandler), Stdout: io.Discard,
		Now: func() time.Time { return now }}
	if err := srv.Open(context.Background()); err != nil {
		f.Fatalf("open: %v", err)
	}
	f.Cleanup(func() { srv.Close() })
	r := &routerFuzz{srv: srv, public: http.NewServeMux()}
	for _, p := range publicRoutes {
		r.public.Handle(p, http.NotFoundHandler())
	}
	tok := r.signIn(f)
	res := r.send(http.MethodGet, "/api/v1/me", tok)
	var me struct{ User struct{ ID json.Number } }
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil || me.User.ID == "" {
		f.Fatalf("me: %d %v", res.StatusCode, err)
	}
	r.userID, r.token = me.User.ID.String(), tok
	return r
}

// signIn signs authorized_user in through the API and returns the token.
func (r *routerFuzz) signIn(f *testing.F) string {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session",
		strings.NewReader(fmt.Sprintf(`{"username":"authorized_user","password":%q}`, demoPassword)))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	r.srv.Handler().ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "sesame_session" && c.Value != "" {
			return c.Value
		}
	}
	f.Fatalf("sign-in: %d %s", w.Code, w.Body.String())
	return ""
}

// send sends a bodiless request with the session token tok.
func (r *routerFuzz) send(method, target, tok string) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	req.AddCookie(&http.Cookie{Name: "sesame_session", Value: tok})
	w := httptest.NewRecorder()
	r.srv.Handler().ServeHTTP(w, req)
	return w.Result()
}

// liveToken returns the token of a live session of authorized_user,
// starting one through the session manager itself when the fuzzer's last
// request ended the previous one (so a password the fuzzer changed does
// not matter).
func (r *routerFuzz) liveToken(t *testing.T) string {
	t.Helper()
	if r.send(http.MethodGet, "/api/v1/me", r.token).StatusCode == http.StatusOK {
		return r.token
	}
	sessions := r.srv.Services().Sessions
	w := httptest.NewRecorder()
	sessions.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := sessions.Login(req.Context(), r.userID, session.LoginOptions{}); err != nil {
			t.Fatalf("start a session: %v", err)
		}
	})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	for _, c := range w.Result().Cookies() {
		if c.Name == "sesame_session" && c.Value != "" {
			r.token = c.Value
			return r.token
		}
	}
	t.Fatal("the session manager set no cookie")
	return ""
}

// request builds the fuzzer's request as net/http's server would read it
// off the wire, or returns nil for one the server would refuse itself. The
// body's length is always declared, so the fuzzer's own Content-Length and
// Transfer-Encoding lines are dropped. The client's address comes from
// mode, so that login throttling (per address) is not reached at once.
func (r *routerFuzz) request(mode uint8, method, target, headers string, body []byte) *http.Request {
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: example.com\r\n", method, target)
	for _, line := range strings.Split(headers, "\n") {
		line = strings.TrimRight(line, "\r")
		name, _, _ := strings.Cut(strings.ToLower(line), ":")
		if line == "" || name == "content-length" || name == "transfer-encoding" || name == "host" {
			continue
		}
		raw.WriteString(line + "\r\n")
	}
	fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(body))
	raw.Write(body)
	req, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil || req.URL.Path == "" || req.URL.Path[0] != '/' || len(req.Host) == 0 {
		return nil
	}
	req.RemoteAddr = fmt.Sprintf("192.0.2.%d:40000", mode>>1)
	return req
}

// publicPattern returns the public route that req goes to, or "".
func (r *routerFuzz) publicPattern(req *http.Request) string {
	_, p := r.public.Handler(req)
	return p
}

// signedInNow reports whether res signs the visitor in: it sets a new
// session cookie, which only the sign-in routes may do.
func signedInNow(t *testing.T, req *http.Request, res *http.Response) bool {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "sesame_session" && c.Value != "" {
			if req.Method != http.MethodPost || (req.URL.Path != "/login" && req.URL.Path != "/api/v1/session") {
				t.Fatalf("%s %s without a session set a session cookie", req.Method, req.URL.Path)
			}
			return true
		}
	}
	return false
}

// canonical reports whether a redirect is the router's own to the clean
// form of a path (net/http.ServeMux answers "/a/../b" with 307 or 301 to
// "/b"): it says nothing but where the same request should go, and the
// request sent there is checked like any other.
func canonical(status int, loc string) bool {
	return (status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect || status == http.StatusPermanentRedirect) &&
		strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//")
}
