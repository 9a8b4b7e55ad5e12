package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/app"
	"github.com/sesamehq/sesame/auth"
	"github.com/sesamehq/sesame/web"
)

// benchServer is sesame as it serves (the defaults, SQLite, demo data), the
// request log going nowhere, with authorized_user signed in.
type benchServer struct {
	srv    *app.Server
	cookie *http.Cookie
	actor  *sesame.Actor // who the cookie is, for the wiring without sessions
}

func newBenchServer(b *testing.B) *benchServer { return newBenchServerWith(b, testParams) }

// newBenchServerWith is newBenchServer with password hashes of params.
func newBenchServerWith(b *testing.B, params auth.Params) *benchServer {
	b.Helper()
	demo := true
	cfg := app.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.Demo = "127.0.0.1:0", "sqlite:"+filepath.Join(b.TempDir(), "sesame.db"), &demo
	var stdout bytes.Buffer
	s := &app.Server{Config: cfg, Params: params, Logger: slog.New(slog.DiscardHandler), Stdout: &stdout}
	if err := s.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	body, _ := json.Marshal(map[string]string{"username": "authorized_user", "password": demoPassword})
	r := httptest.NewRequest("POST", "/api/v1/session", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusCreated {
		b.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var me struct {
		User struct {
			ID          int64
			Username    string
			Roles       []string
			Permissions []sesame.Permission
		}
	}
	json.Unmarshal(w.Body.Bytes(), &me)
	u := &sesame.User{ID: me.User.ID, Username: me.User.Username, Roles: me.User.Roles, Permissions: me.User.Permissions}
	return &benchServer{srv: s, cookie: w.Result().Cookies()[0], actor: &sesame.Actor{User: u, IP: "192.0.2.1"}}
}

// run serves GET path through h b.N times, in parallel, expecting want.
func (bs *benchServer) run(b *testing.B, h http.Handler, path string, want int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", path, nil)
			r.RemoteAddr = "192.0.2.1:1234"
			r.AddCookie(bs.cookie)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != want {
				b.Fatalf("GET %s: %d", path, w.Code)
			}
		}
	})
}

// BenchmarkPages measures the products page, the cart page and the API's
// cart with the whole chain (the session checked from the SQLite store,
// the user from the session), and the same routes without the session
// check, acting as the same user: the difference is what sessions cost.
func BenchmarkPages(b *testing.B) {
	bs := newBenchServer(b)
	full := bs.srv.Handler()
	bare := bs.srv.Handler().(*web.Handler).WithoutSessions(bs.actor)
	for _, path := range []string{"/products", "/cart", "/api/v1/cart"} {
		name := strings.Trim(regexp.MustCompile(`\W+`).ReplaceAllString(path, "-"), "-")
		b.Run(name+"/session", func(b *testing.B) { bs.run(b, full, path, http.StatusOK) })
		b.Run(name+"/no-session", func(b *testing.B) { bs.run(b, bare, path, http.StatusOK) })
	}
}

// BenchmarkChain measures the middleware chain in front of a trivial
// handler, for a signed-in request (the session read from the SQLite store,
// the user from the session, the request logged), against the handler
// alone. The target: the session check adds at most 10 % to a page.
func BenchmarkChain(b *testing.B) {
	bs := newBenchServer(b)
	trivial := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sesame.ActorFrom(r.Context()).User == nil {
			http.Error(w, "no user", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	})
	chain := bs.srv.Handler().(*web.Handler).Chain(trivial)
	b.Run("chain", func(b *testing.B) { bs.run(b, chain, "/x", http.StatusOK) })
	b.Run("handler", func(b *testing.B) {
		bs.run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			trivial.ServeHTTP(w, r.WithContext(sesame.NewContext(r.Context(), bs.actor)))
		}), "/x", http.StatusOK)
	})
}

// send serves one JSON request through h as bs's user, expecting want.
func (bs *benchServer) send(b *testing.B, h http.Handler, method, path, body string, want int) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("Content-Type", "application/json")
	r.AddCookie(bs.cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}

// BenchmarkLogin measures a successful API sign-in with the password
// hashes sesame ships (argon2id, 19 MiB, 2 passes): the throttle check and
// count, the hash, the new session and its audit event. The hash is most
// of it.
func BenchmarkLogin(b *testing.B) {
	bs := newBenchServerWith(b, auth.DefaultParams)
	h := bs.srv.Handler()
	body, _ := json.Marshal(map[string]string{"username": "authorized_user", "password": demoPassword})
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/session", bytes.NewReader(body))
		r.RemoteAddr = "192.0.2.1:1234"
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("login: %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkCheckout measures a checkout of one line through the API: the
// line put in the cart, then the order (one transaction: the guarded stock
// decrement, the order and its line, the cart emptied, the audit event).
// Stock for every iteration is restocked before the clock starts.
func BenchmarkCheckout(b *testing.B) {
	bs := newBenchServer(b)
	h := bs.srv.Handler()
	for range b.N/1000 + 1 {
		bs.send(b, h, "POST", "/api/v1/task", `{"product_id":5,"quantity":1000}`, http.StatusOK)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		bs.send(b, h, "PUT", "/api/v1/cart/items/5", `{"quantity":1}`, http.StatusOK)
		bs.send(b, h, "POST", "/api/v1/checkout", ``, http.StatusCreated)
	}
}
