package session_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/memstore"
)

// FuzzCookie sends arbitrary session cookie values, alone and beside a
// genuine one, through Middleware: whatever the value, it never panics,
// never signs anyone in but with the genuine token, and never ends or
// changes the genuine session.
func FuzzCookie(f *testing.F) {
	m, err := session.New(session.Config{Store: memstore.New()})
	if err != nil {
		f.Fatal(err)
	}
	var genuine string
	login := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := m.Login(r.Context(), "alice", session.LoginOptions{}); err != nil {
			f.Fatal(err)
		}
	}))
	w := httptest.NewRecorder()
	login.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	genuine = w.Result().Cookies()[0].Value

	who := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := m.FromContext(r.Context()); ok {
			w.Write([]byte(s.UserID))
		}
	}))
	ask := func(header string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", header)
		w := httptest.NewRecorder()
		who.ServeHTTP(w, r)
		return w.Body.String()
	}
	for _, seed := range []string{
		genuine, genuine[:42], genuine + "A", "", "=", ";;;", "\x00", "é",
		base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		base64.RawURLEncoding.EncodeToString(make([]byte, 31)),
		genuine[:42] + "-", "sesame_session=" + genuine,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got := ask("sesame_session=" + value)
		if got != "" && value != genuine {
			t.Fatalf("cookie %q signed in as %q", value, got)
		}
		if got := ask("x=" + value); got != "" {
			t.Fatalf("a cookie of another name signed in as %q", got)
		}
		if got := ask("sesame_session=" + genuine); got != "alice" {
			t.Fatalf("after cookie %q the genuine token answers %q", value, got)
		}
	})
}

// FuzzListCursor gives List arbitrary cursors: each is refused with
// ErrInvalidCursor or pages from somewhere, never a panic.
func FuzzListCursor(f *testing.F) {
	m, err := session.New(session.Config{Store: memstore.New()})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", "1.a", "0.x", "-1.x", "1767225600000.AAAA", ".", "1.", "9999999999999999999.a", "1.a.b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		_, _, err := m.List(context.Background(), session.ListOptions{Cursor: cursor})
		if err != nil && err != session.ErrInvalidCursor {
			t.Fatalf("List(cursor %q): %v", cursor, err)
		}
	})
}
