package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// A program signs users in with Login after checking their password, reads
// the session anywhere below Middleware with FromContext, and ends it with
// Logout. Logout ends the session on the server, so a copy of the cookie
// kept from before opens nothing either.
func Example() {
	sessions := session.New(memstore.New(), session.Config{})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// … check the password of r.FormValue("username") here …
		if _, err := sessions.Login(w, r, "42"); err != nil {
			http.Error(w, "cannot sign in", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed in")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, ok := session.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "user %s", s.UserID)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Logout(w, r); err != nil {
			http.Error(w, "cannot sign out", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed out")
	})
	h := sessions.Middleware(mux)

	// send plays a browser: it sends a request with cookie c (nil for
	// none), prints the answer and returns it.
	send := func(method, path string, c *http.Cookie) *http.Response {
		r := httptest.NewRequest(method, path, nil)
		if c != nil {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(method, path+":", w.Code, strings.TrimSpace(w.Body.String()))
		return w.Result()
	}

	cookie := send("POST", "/login", nil).Cookies()[0]
	fmt.Println("cookie:", cookie.Name, "HttpOnly:", cookie.HttpOnly)
	send("GET", "/me", cookie)
	send("POST", "/logout", cookie)
	send("GET", "/me", cookie)
	// Output:
	// POST /login: 200 signed in
	// cookie: sesame_session HttpOnly: true
	// GET /me: 200 user 42
	// POST /logout: 200 signed out
	// GET /me: 401 not signed in
}

// After a change of privilege, such as a password change, Renew gives the
// session a new token, so that the cookie as it was before (seen on a shared
// computer, say) opens nothing; the session keeps its public id. RevokeAll
// then ends the user's other sessions, wherever the old password was used.
func ExampleManager_Renew() {
	sessions := session.New(memstore.New(), session.Config{})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// … check the password here …
		if _, err := sessions.Login(w, r, "42"); err != nil {
			http.Error(w, "cannot sign in", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed in")
	})
	mux.HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		before, ok := session.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		// … check the current password and store the new one here …
		s, err := sessions.Renew(w, r)
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
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, ok := session.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "user %s", s.UserID)
	})
	h := sessions.Middleware(mux)

	// send plays a browser: it sends a request with cookie c (nil for
	// none), prints the answer and returns it.
	send := func(method, path string, c *http.Cookie) *http.Response {
		r := httptest.NewRequest(method, path, nil)
		if c != nil {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(method, path+":", w.Code, strings.TrimSpace(w.Body.String()))
		return w.Result()
	}

	laptop := send("POST", "/login", nil).Cookies()[0]
	phone := send("POST", "/login", nil).Cookies()[0]
	renewed := send("POST", "/password", laptop).Cookies()[0]
	fmt.Println("new token:", renewed.Value != laptop.Value)
	send("GET", "/me", renewed)
	send("GET", "/me", laptop) // the token from before the change
	send("GET", "/me", phone)  // the other session
	// Output:
	// POST /login: 200 signed in
	// POST /login: 200 signed in
	// POST /password: 200 password changed; same session id: true; other sessions ended: 1
	// new token: true
	// GET /me: 200 user 42
	// GET /me: 401 not signed in
	// GET /me: 401 not signed in
}
