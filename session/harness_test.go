package session_test

import (
	"cmp"
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
// signs "alice" in (POST /login?remember=1 remembered, POST /login?as=bob
// someone else), /renew rotates, /reauth records a fresh proof, /logout
// ends the session, and every other path reports who is signed in.
type harness struct {
	t     *testing.T
	store session.Store
	clock *clock
	m     *session.Manager
	h     http.Handler

	mu    sync.Mutex
	ended []ending // what OnEnd was told
}

// ending is one call of Config.OnEnd.
type ending struct {
	s   session.Session
	why session.EndReason
	ip  string // of the request that caused it, "" for none
}

// endings returns the OnEnd calls so far.
func (hs *harness) endings() []ending {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]ending(nil), hs.ended...)
}

func newHarness(t *testing.T, cfg session.Config) *harness {
	t.Helper()
	hs := &harness{t: t, store: cfg.Store, clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	if hs.store == nil {
		hs.store = memstore.New()
	}
	cfg.Store = hs.store
	cfg.Now = hs.clock.Now
	cfg.OnEnd = func(_ context.Context, s session.Session, why session.EndReason, r *http.Request) {
		e := ending{s: s, why: why}
		if r != nil {
			e.ip = r.RemoteAddr
		}
		hs.mu.Lock()
		defer hs.mu.Unlock()
		hs.ended = append(hs.ended, e)
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatalf("session.New: %v", err)
	}
	hs.m = m
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user := cmp.Or(r.URL.Query().Get("as"), "alice")
		opts := session.LoginOptions{Remember: r.URL.Query().Get("remember") != "", Data: []byte("data of " + user)}
		if _, err := hs.m.Login(r.Context(), user, opts); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s, _ := hs.m.FromContext(r.Context())
		w.Write([]byte("signed in " + s.UserID))
	})
	mux.HandleFunc("POST /renew", func(w http.ResponseWriter, r *http.Request) {
		if _, err := hs.m.Renew(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("POST /reauth", func(w http.ResponseWriter, r *http.Request) {
		if _, err := hs.m.Reauthenticated(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := hs.m.Logout(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s, ok := hs.m.FromContext(r.Context()); ok {
			w.Write([]byte(s.UserID))
			return
		}
		w.Write([]byte("anonymous"))
	})
	hs.h = hs.m.Middleware(mux)
	return hs
}

// current returns the one live session of alice, failing the test unless
// there is exactly one.
func (hs *harness) current() session.Session {
	hs.t.Helper()
	list, _, err := hs.m.List(context.Background(), session.ListOptions{UserID: "alice"})
	if err != nil || len(list) != 1 {
		hs.t.Fatalf("List(alice) = %+v, %v; want one session", list, err)
	}
	return list[0]
}

// do sends a request with the given cookie value ("" for none).
func (hs *harness) do(method, path, token string) *http.Response {
	hs.t.Helper()
	return hs.doFrom("192.0.2.7:5555", method, path, token)
}

// doFrom sends a request from the address addr.
func (hs *harness) doFrom(addr, method, path, token string) *http.Response {
	hs.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = addr
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

// body returns the body of res.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newRequest() *http.Request { return httptest.NewRequest("GET", "/", nil) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
