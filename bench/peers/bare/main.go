// Command bare is the no-session baseline: sesame's products page, cart API
// and login form over the same SQLite tables, with NO session at all. Every
// scenario of the load command is measured against it. It reads SQLite
// through sesame's driver, modernc.org/sqlite, by default, so that a ratio to
// it does not measure a driver (-driver mattn: the cgo one the scs peer uses).
//
//   - POST /login checks the password exactly as sesame does (argon2id with
//     sesame's parameters, at most one hash per CPU at a time) and answers 303
//     with a constant cookie: the cost of a login without the session.
//   - GET /products answers 303 to /login?next=%2Fproducts when the request
//     has no cookie at all and the page otherwise, whatever the cookie says:
//     the cheapest redirect, and the page without a session lookup.
//   - GET /api/v1/cart and PUT /api/v1/cart/items/{id} always act for
//     authorized_user.
//
// Usage:
//
//	go run ./peers/bare -addr 127.0.0.1:8003 -db /tmp/bare.db
package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/sesamehq/sesame/bench/peers/shop"
)

// sesame's argon2id parameters (auth/password.go DefaultParams, OWASP's
// minimum): 19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key.
const (
	argonMemory = 19 * 1024
	argonTime   = 2
	argonLanes  = 1
	keyLen      = 32
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8003", "listen address")
	dbPath := flag.String("db", "bare.db", "SQLite file (created and seeded if empty)")
	logRequests := flag.Bool("log", true, "log one line per request to stderr, as sesame does")
	driver := flag.String("driver", "modernc", "SQLite driver: modernc (pure Go, as sesame) or mattn (cgo)")
	flag.Parse()

	db, err := shop.Open(*dbPath, *driver)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := shop.Migrate(db, hash); err != nil {
		log.Fatal(err)
	}
	dummy, err := hash("not-a-password")
	if err != nil {
		log.Fatal(err)
	}
	// sesame computes at most one hash per CPU at a time; the rest wait.
	hashing := make(chan struct{}, runtime.GOMAXPROCS(0))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := shop.UserByName(r.Context(), db, r.PostFormValue("username"))
		if err != nil && !errors.Is(err, shop.ErrNotFound) {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		stored := u.PasswordHash
		if err != nil {
			stored = dummy // an unknown user costs what a wrong password costs
		}
		hashing <- struct{}{}
		ok := verify(stored, r.PostFormValue("password"))
		<-hashing
		if !ok || err != nil {
			http.Error(w, "Invalid username or password.", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "none", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/products", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		if len(r.Cookies()) == 0 {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		shop.Identify(r.Context(), 1)
		shop.ServeProducts(w, r, db, 1, "authorized_user", true)
	})
	mux.HandleFunc("GET /api/v1/cart", func(w http.ResponseWriter, r *http.Request) {
		shop.Identify(r.Context(), 1)
		shop.ServeCart(w, r, db, 1)
	})
	mux.HandleFunc("PUT /api/v1/cart/items/{product_id}", func(w http.ResponseWriter, r *http.Request) {
		shop.Identify(r.Context(), 1)
		shop.ServeSetQuantity(w, r, db, 1)
	})

	var logger *slog.Logger
	if *logRequests {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv := &http.Server{Addr: *addr, Handler: shop.Headers(shop.Log(logger, mux)), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("bare peer on http://%s (no sessions)", *addr)
	log.Fatal(srv.ListenAndServe())
}

// hash returns the argon2id PHC string of password, as sesame writes it.
func hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonLanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonLanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verify checks password against a PHC string that hash wrote.
func verify(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}
