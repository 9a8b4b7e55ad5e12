// PEER scs: the best-known Go session library, used the way its README shows.
// github.com/alexedwards/scs/v2 + sqlite3store (mattn/go-sqlite3), bcrypt cost 12,
// net/http ServeMux, html/template.
//
//	go run ./scs -addr 127.0.0.1:8002 -db /tmp/scs.db
package main

import (
	"database/sql"
	"errors"
	"flag"
	"html/template"
	"log"
	"net/http"
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
	idle := flag.Duration("idle-timeout", 30*time.Minute, "scs IdleTimeout (0 = none; >0 re-commits the session on every request)")
	lifetime := flag.Duration("lifetime", 12*time.Hour, "scs Lifetime (absolute)")
	flag.Parse()

	db, err := shop.Open(*dbPath)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := migrate(db); err != nil {
		log.Fatal(err)
	}

	sm := scs.New()
	sm.Store = sqlite3store.New(db)
	sm.Lifetime = *lifetime
	sm.IdleTimeout = *idle
	sm.Cookie.Name = "session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode

	// A dummy hash so an unknown user costs the same as a wrong password.
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy-password"), 12)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		loginPage.Execute(w, "")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		username, password := r.PostFormValue("username"), r.PostFormValue("password")
		var id int64
		hash := dummy
		err := db.QueryRowContext(r.Context(), `SELECT id, password_hash FROM users WHERE username = ?`, username).Scan(&id, &hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			loginPage.Execute(w, "Invalid username or password.")
			return
		}
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		sm.Put(r.Context(), "userID", id)
		sm.Put(r.Context(), "username", username)
		http.Redirect(w, r, "/products", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		if sm.GetInt64(r.Context(), "userID") == 0 {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		ps, err := shop.List(r.Context(), db)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		shop.Page.Execute(w, struct {
			User     string
			Products []shop.Product
		}{sm.GetString(r.Context(), "username"), ps})
	})

	srv := &http.Server{Addr: *addr, Handler: sm.LoadAndSave(mux), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("scs peer on http://%s (idle-timeout %s, lifetime %s)", *addr, *idle, *lifetime)
	log.Fatal(srv.ListenAndServe())
}

func migrate(db *sql.DB) error {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data BLOB NOT NULL, expiry REAL NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry)`,
		`CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password_hash BLOB NOT NULL, role TEXT NOT NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		for _, u := range [][2]string{{"authorized_user", "authorized"}, {"unauthorized_user", "unauthorized"}} {
			h, err := bcrypt.GenerateFromPassword([]byte("password123"), 12)
			if err != nil {
				return err
			}
			if _, err := db.Exec(`INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)`, u[0], h, u[1]); err != nil {
				return err
			}
		}
	}
	return shop.Migrate(db)
}
