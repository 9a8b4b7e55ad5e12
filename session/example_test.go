package session_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// A program signs users in with Login after checking their password, reads
// the session anywhere below Middleware with FromContext, and ends it with
// Logout.
func Example() {
	sessions := session.New(memstore.New(), session.Config{})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// … check the password of r.FormValue("username") here …
		if _, err := sessions.Login(w, r, "42"); err != nil {
			http.Error(w, "cannot sign in", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, ok := session.FromContext(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "user %s", s.UserID)
	})
	srv := httptest.NewServer(sessions.Middleware(mux))
	defer srv.Close()

	res, _ := http.Post(srv.URL+"/login", "", nil)
	cookie := res.Cookies()[0]

	req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
	req.AddCookie(cookie)
	res, _ = http.DefaultClient.Do(req)
	body, _ := io.ReadAll(res.Body)
	fmt.Println(cookie.Name, cookie.HttpOnly, string(body))
	// Output: sesame_session true user 42
}
