// Command scs is the Go session-library peer: github.com/alexedwards/scs/v2
// with its sqlite3store (mattn/go-sqlite3), bcrypt cost 12, net/http ServeMux
// and html/template, used the way the scs README shows. It serves sesame's
// products page, cart API and login form over the shared shop tables, every
// route but the login behind the session.
//
//	go run ./peers/scs -addr 127.0.0.1:8002 -db /tmp/scs.db
package main

import (
	"errors"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sesamehq/sesame/bench/peers/shop"
)

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .}}<p role="alert">{{.}}</p>{{end}}
<form method="post" action="/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`))

func main() {
	addr := flag.String("addr", "127.0.0.1:8002", "listen address")
	dbPath := flag.String("db", "scs.db", "SQLite file (created and seeded if empty)")
	idle := flag.Duration("idle-timeout", 30*time.Minute, "scs IdleTimeout (0 = none; >0 makes scs write the session on every request)")
	lifetime := flag.Duration("lifetime", 12*time.Hour, "scs Lifetime (absolute)")
	logRequests := flag.Bool("log", true, "log one line per request to stderr, as sesame does")
	driver := flag.String("driver", "mattn", "SQLite driver: modernc (pure Go, as sesame) or mattn (cgo)")
	flag.Parse()

	db, err := shop.Open(*dbPath, *driver)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	// The table sqlite3store's README asks for.
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data BLOB NOT NULL, expiry REAL NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry)`,
	} {
		if _, err := db.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	if err := shop.Migrate(db, func(p string) (string, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(p), 12)
		return string(h), err
	}); err != nil {
		log.Fatal(err)
	}

	sm := scs.New()
	sm.Store = sqlite3store.New(db)
	sm.Lifetime = *lifetime
	sm.IdleTimeout = *idle
	sm.Cookie.Name = "session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode

	// A dummy hash so that an unknown user costs what a wrong password costs.
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy-password"), 12)

	// signedIn returns the session's user, or 0 when the request has none.
	signedIn := func(r *http.Request) int64 {
		id := sm.GetInt64(r.Context(), "userID")
		shop.Identify(r.Context(), id)
		return id
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		loginPage.Execute(w, "")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := shop.UserByName(r.Context(), db, r.PostFormValue("username"))
		if err != nil && !errors.Is(err, shop.ErrNotFound) {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		hash := []byte(u.PasswordHash)
		if err != nil {
			hash = dummy
		}
		if bcrypt.CompareHashAndPassword(hash, []byte(r.PostFormValue("password"))) != nil || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			loginPage.Execute(w, "Invalid username or password.")
			return
		}
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		sm.Put(r.Context(), "userID", u.ID)
		sm.Put(r.Context(), "username", u.Username)
		sm.Put(r.Context(), "privileged", u.Privileged)
		http.Redirect(w, r, "/products", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		if signedIn(r) == 0 {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		shop.ServeProducts(w, r, db, sm.GetInt64(r.Context(), "userID"), sm.GetString(r.Context(), "username"), sm.GetBool(r.Context(), "privileged"))
	})
	mux.HandleFunc("GET /api/v1/cart", func(w http.ResponseWriter, r *http.Request) {
		id := signedIn(r)
		if id == 0 {
			shop.WriteError(w, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		shop.ServeCart(w, r, db, id)
	})
	mux.HandleFunc("PUT /api/v1/cart/items/{product_id}", func(w http.ResponseWriter, r *http.Request) {
		id := signedIn(r)
		if id == 0 {
			shop.WriteError(w, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		shop.ServeSetQuantity(w, r, db, id)
	})

	var logger *slog.Logger
	if *logRequests {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv := &http.Server{Addr: *addr, Handler: shop.Headers(shop.Log(logger, sm.LoadAndSave(mux))), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("scs peer on http://%s (idle-timeout %s, lifetime %s)", *addr, *idle, *lifetime)
	log.Fatal(srv.ListenAndServe())
}
