// PEER bare: the same products page from the same SQLite through the same template,
// with NO session check at all -- the upper bound for any session system on this page.
// POST /login answers 303 + a constant cookie without checking anything, so the
// harness can run unchanged; GET /products never redirects.
//
//	go run ./bare -addr 127.0.0.1:8003 -db /tmp/bare.db
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/sesamehq/sesame/bench/peers/shop"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8003", "listen address")
	dbPath := flag.String("db", "bare.db", "SQLite file (created and seeded if empty)")
	flag.Parse()

	db, err := shop.Open(*dbPath)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := shop.Migrate(db); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "none", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/products", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		ps, err := shop.List(r.Context(), db)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		shop.Page.Execute(w, struct {
			User     string
			Products []shop.Product
		}{"authorized_user", ps})
	})

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("bare peer on http://%s (no sessions)", *addr)
	log.Fatal(srv.ListenAndServe())
}
