package session_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// clock is a settable time source, so expiry is tested without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a Manager over a memory store behind a tiny app: POST /login
// signs "alice" in, /renew rotates, /logout ends the session, and every
// other path reports who is signed in.
type harness struct {
	t       *testing.T
	store   *memstore.Store
	clock   *clock
	m       *session.Manager
	h       http.Handler
	expired []session.Session
}

func newHarness(t *testing.T, cfg session.Config) *harness {
	t.Helper()
	hs := &harness{t: t, store: memstore.New(), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	cfg.Now = hs.clock.Now
	cfg.OnExpire = func(_ context.Context, s session.Session, _ *http.Request) { hs.expired = append(hs.expired, s) }
	hs.m = session.New(hs.store, cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := hs.m.Login(w, r, "alice"); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s, _ := session.FromContext(r.Context())
		w.Write([]byte("signed in " + s.UserID))
	})
	mux.HandleFunc("POST /renew", func(w http.ResponseWriter, r *http.Request) {
		if _, err := hs.m.Renew(w, r); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := hs.m.Logout(w, r); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s, ok := session.FromContext(r.Context()); ok {
			w.Write([]byte(s.UserID))
			return
		}
		w.Write([]byte("anonymous"))
	})
	hs.h = hs.m.Middleware(mux)
	return hs
}

// do sends a request with the given cookie value ("" for none).
func (hs *harness) do(method, path, token string) *http.Response {
	hs.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("User-Agent", "test-agent")
	if token != "" {
		r.AddCookie(&http.Cookie{Name: "sesame_session", Value: token})
	}
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, r)
	return w.Result()
}

func (hs *harness) who(token string) string {
	hs.t.Helper()
	body, err := io.ReadAll(hs.do("GET", "/", token).Body)
	if err != nil {
		hs.t.Fatal(err)
	}
	return string(body)
}

func (hs *harness) login() string {
	hs.t.Helper()
	c := sessionCookie(hs.t, hs.do("POST", "/login", ""))
	if c == nil || c.Value == "" {
		hs.t.Fatal("login set no session cookie")
	}
	return c.Value
}

func sessionCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "sesame_session" {
			return c
		}
	}
	return nil
}
