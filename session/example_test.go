package session_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// browser plays a browser in the examples: it sends requests to h with the
// cookie it holds, keeps the cookie each answer sets, and prints the answer.
type browser struct {
	h      http.Handler
	addr   string
	cookie *http.Cookie
}

func (b *browser) send(method, path string) *http.Response {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = b.addr
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	res := w.Result()
	for _, c := range res.Cookies() {
		b.cookie = c
	}
	fmt.Println(method, path+":", w.Code, strings.TrimSpace(w.Body.String()))
	return res
}

// demo is the little application of the examples: POST /login signs user
// 42 in (remembered with ?remember=1), GET /me says who is signed in,
// POST /logout signs out.
func demo(sessions *session.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// … check the password of r.FormValue("username") here …
		opts := session.LoginOptions{Remember: r.URL.Query().Get("remember") == "1"}
		if _, err := sessions.Login(r.Context(), "42", opts); err != nil {
			http.Error(w, "cannot sign in", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed in")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, ok := sessions.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "user %s", s.UserID)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Logout(r.Context()); err != nil {
			http.Error(w, "cannot sign out", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed out")
	})
	return sessions.Middleware(mux)
}

// A program signs users in with Login after checking their password, reads
// the session anywhere below Middleware with FromContext, and ends it with
// Logout. Middleware sends the cookies that Login and Logout set. Logout
// ends the session on the server, so a copy of the cookie kept from before
// opens nothing either.
func Example() {
	sessions, err := session.New(session.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	b := &browser{h: demo(sessions)}

	b.send("POST", "/login")
	fmt.Println("cookie:", b.cookie.Name, "HttpOnly:", b.cookie.HttpOnly, "kept when the browser closes:", b.cookie.MaxAge > 0)
	kept := b.cookie
	b.send("GET", "/me")
	b.send("POST", "/logout")
	b.cookie = kept // replayed from before the logout
	b.send("GET", "/me")
	// Output:
	// POST /login: 200 signed in
	// cookie: sesame_session HttpOnly: true kept when the browser closes: false
	// GET /me: 200 user 42
	// POST /logout: 200 signed out
	// GET /me: 401 not signed in
}

// After a change of privilege, such as a password change, Renew gives the
// session a new token, so that the cookie as it was before (seen on a shared
// computer, say) opens nothing; the session keeps its public id. RevokeAll
// then ends the user's other sessions, wherever the old password was used.
func ExampleManager_Renew() {
	sessions, err := session.New(session.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", demo(sessions))
	mux.HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		before, ok := sessions.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		// … check the current password and store the new one here …
		s, err := sessions.Renew(r.Context())
		if err != nil {
			http.Error(w, "cannot renew the session", http.StatusInternalServerError)
			return
		}
		others, err := sessions.RevokeAll(r.Context(), s.UserID, s.ID)
		if err != nil {
			http.Error(w, "cannot end the other sessions", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "password changed; same session id: %v; other sessions ended: %d",
			s.ID == before.ID, len(others))
	})
	h := sessions.Middleware(mux)
	laptop, phone := &browser{h: h}, &browser{h: h}

	laptop.send("POST", "/login")
	phone.send("POST", "/login")
	before := laptop.cookie
	laptop.send("POST", "/password")
	fmt.Println("new token:", laptop.cookie.Value != before.Value)
	laptop.send("GET", "/me")
	phone.send("GET", "/me") // the other session
	laptop.cookie = before   // the token from before the change
	laptop.send("GET", "/me")
	// Output:
	// POST /login: 200 signed in
	// POST /login: 200 signed in
	// POST /password: 200 password changed; same session id: true; other sessions ended: 1
	// new token: true
	// GET /me: 200 user 42
	// GET /me: 401 not signed in
	// GET /me: 401 not signed in
}

// With RenewInterval set, a request whose token is that old gets a new one
// in its answer, so that a token copied once (from a log, a proxy, a
// backup) soon stops working. The token it replaced still works for
// RenewGrace, for requests the browser sent before it saw the new one.
// Presented after that, it can only come from a copy: the whole session
// ends, for whoever holds either token, and OnEnd hears of it.
func ExampleConfig_renewInterval() {
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	sessions, err := session.New(session.Config{
		Store:         memstore.New(),
		RenewInterval: 15 * time.Minute,
		RenewGrace:    time.Minute,
		Now:           func() time.Time { return now },
		OnEnd: func(_ context.Context, s session.Session, why session.EndReason, r *http.Request) {
			fmt.Printf("session of user %s ended: %s (token from %s, renewed from %s)\n", s.UserID, why, r.RemoteAddr, s.LastIP)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := demo(sessions)
	user := &browser{h: h, addr: "192.0.2.1:1234"}
	user.send("POST", "/login")
	stolen := &browser{h: h, addr: "203.0.113.9:4321", cookie: user.cookie}

	now = now.Add(16 * time.Minute)
	first := user.cookie.Value
	user.send("GET", "/me")
	fmt.Println("renewed:", user.cookie.Value != first)
	stolen.send("GET", "/me") // the replaced token, within the grace
	now = now.Add(2 * time.Minute)
	stolen.send("GET", "/me") // after the grace: taken as stolen
	user.send("GET", "/me")   // the session is over for the user too
	// Output:
	// POST /login: 200 signed in
	// GET /me: 200 user 42
	// renewed: true
	// GET /me: 200 user 42
	// session of user 42 ended: token reuse (token from 203.0.113.9:4321, renewed from 192.0.2.1)
	// GET /me: 401 not signed in
	// GET /me: 401 not signed in
}

// With MaxSessions set, a sign-in that would give a user more live sessions
// than that ends their least recently used one, in the same step as it
// creates the new one.
func ExampleConfig_maxSessions() {
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	sessions, err := session.New(session.Config{
		Store:       memstore.New(),
		MaxSessions: 2,
		Now:         func() time.Time { return now },
		OnEnd: func(_ context.Context, s session.Session, why session.EndReason, _ *http.Request) {
			fmt.Printf("a session of user %s ended: %s\n", s.UserID, why)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := demo(sessions)
	first, second, third := &browser{h: h}, &browser{h: h}, &browser{h: h}
	first.send("POST", "/login")
	now = now.Add(time.Minute)
	second.send("POST", "/login")
	now = now.Add(time.Minute)
	third.send("POST", "/login") // the first is the least recently used
	first.send("GET", "/me")
	second.send("GET", "/me")
	// Output:
	// POST /login: 200 signed in
	// POST /login: 200 signed in
	// a session of user 42 ended: evicted
	// POST /login: 200 signed in
	// GET /me: 401 not signed in
	// GET /me: 200 user 42
}

// A remembered session ("keep me signed in") has its own, longer lifetime
// and idle timeout, and a cookie with Max-Age, which the browser keeps when
// it closes; every other session cookie goes with the browser.
func ExampleLoginOptions_remember() {
	sessions, err := session.New(session.Config{
		Store:               memstore.New(),
		RememberLifetime:    30 * 24 * time.Hour,
		RememberIdleTimeout: 7 * 24 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	b := &browser{h: demo(sessions)}
	b.send("POST", "/login?remember=1")
	fmt.Println("cookie kept for", time.Duration(b.cookie.MaxAge)*time.Second)
	s, _, _ := sessions.List(context.Background(), session.ListOptions{UserID: "42"})
	fmt.Println("remembered:", s[0].Remember, "idle timeout:", s[0].IdleExpiresAt.Sub(s[0].LastSeenAt))
	// Output:
	// POST /login?remember=1: 200 signed in
	// cookie kept for 720h0m0s
	// remembered: true idle timeout: 168h0m0s
}
