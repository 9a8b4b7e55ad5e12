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
	"github.com/sesamehq/sesame/web"
)

// benchServer is sesame as it serves (the defaults, SQLite, demo data), the
// request log going nowhere, with authorized_user signed in.
type benchServer struct {
	srv    *app.Server
	cookie *http.Cookie
	actor  *sesame.Actor // who the cookie is, for the wiring without sessions
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	demo := true
	cfg := app.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.Demo = "127.0.0.1:0", "sqlite:"+filepath.Join(b.TempDir(), "sesame.db"), &demo
	var stdout bytes.Buffer
	s := &app.Server{Config: cfg, Params: testParams, Logger: slog.New(slog.DiscardHandler), Stdout: &stdout}
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
// alone. CONTRACT's target: the session check adds at most 10 % to a page.
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
