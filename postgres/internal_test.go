package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/internal/testenv"
)

// TestUnavailable: the errors that say the database cannot serve just now
// are told apart from the others by SQLSTATE and type, never by text.
func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection exception class", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"disk full", &pgconn.PgError{Code: "53100"}, true},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, true},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"read-only standby", &pgconn.PgError{Code: "25006"}, true},
		{"wrapped", fmt.Errorf("x: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{"broken connection", fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), true},
		{"closed connection", pgconn.ErrConnClosed, true},
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},

		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"a message that looks like an outage", errors.New("connection refused: the server is shutting down"), false},
		{"canceled by the caller", context.Canceled, false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("%s: unavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	db := &DB{}
	if err := db.wrap("op", &pgconn.PgError{Code: "57P01"}); !errors.Is(err, sesame.ErrUnavailable) {
		t.Errorf("wrap of an outage: %v does not match ErrUnavailable", err)
	}
	if err := db.wrap("op", &pgconn.PgError{Code: "42601"}); errors.Is(err, sesame.ErrUnavailable) {
		t.Errorf("wrap of a bug: %v matches ErrUnavailable", err)
	}
	db.closed.Store(true)
	if err := db.wrap("op", errors.New("closed pool")); !errors.Is(err, sesame.ErrUnavailable) {
		t.Errorf("wrap after Close: %v does not match ErrUnavailable", err)
	}
}

// TestPoolConfig: the documented limits apply where the URL says nothing,
// and the URL's own parameters win.
func TestPoolConfig(t *testing.T) {
	cfg, err := poolConfig("postgres://u@db.internal/sesame?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != poolMaxConns || cfg.MinIdleConns != poolMinIdleConns ||
		cfg.MaxConnLifetime != poolMaxConnLifetime || cfg.MaxConnLifetimeJitter != poolMaxConnLifetimeJitter ||
		cfg.MaxConnIdleTime != poolMaxConnIdleTime || cfg.HealthCheckPeriod != poolHealthCheckPeriod ||
		cfg.PingTimeout != poolPingTimeout || cfg.ConnConfig.ConnectTimeout != connectTimeout {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	for name, want := range serverSettings {
		if got := cfg.ConnConfig.RuntimeParams[name]; got != want {
			t.Errorf("server setting %s = %q, want %q", name, got, want)
		}
	}

	cfg, err = poolConfig("postgresql://u@db.internal/sesame?pool_max_conns=3&pool_min_idle_conns=0" +
		"&connect_timeout=1&statement_timeout=250ms&application_name=shop")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 3 || cfg.MinIdleConns != 0 || cfg.ConnConfig.ConnectTimeout != time.Second {
		t.Errorf("the URL's limits lost: max %d, min idle %d, connect timeout %v",
			cfg.MaxConns, cfg.MinIdleConns, cfg.ConnConfig.ConnectTimeout)
	}
	if p := cfg.ConnConfig.RuntimeParams; p["statement_timeout"] != "250ms" || p["application_name"] != "shop" {
		t.Errorf("the URL's settings lost: %v", p)
	}

	for _, bad := range []string{"sqlite:x.db", "host=db dbname=sesame", "postgres://u@db/x?pool_max_conns=lots"} {
		if _, err := poolConfig(bad); err == nil {
			t.Errorf("poolConfig(%q): no error", bad)
		}
	}
}

// TestFold: the program's folding of a name is the generated column's,
// for ASCII and for the letters that Unicode folding would change but
// SQLite's NOCASE does not.
func TestFold(t *testing.T) {
	pool, err := NewPool(context.Background(), testenv.Postgres(t)+"&pool_min_idle_conns=0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db, err := New(t.Context(), pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for b := byte(1); b < 0x80; b++ {
		all = append(all, b)
	}
	for i, name := range []string{string(all), "ÉCOLE", "Straße", "\u212A", "İstanbul", "ΣΊΣΥΦΟΣ", "Ǆ"} {
		u, err := db.CreateUser(t.Context(), name, "h", nil, time.Now())
		if err != nil {
			t.Fatalf("CreateUser %d: %v", i, err)
		}
		var key string
		if err := pool.QueryRow(t.Context(), `SELECT username_key FROM users WHERE id = $1`, u.ID).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if key != asciiFold(name) {
			t.Errorf("name %d: the column folds %q to %q, the program to %q", i, name, key, asciiFold(name))
		}
	}
	// Only ASCII folds: these are other users, as on SQLite.
	for _, name := range []string{"école", "k"} {
		if _, err := db.CreateUser(t.Context(), name, "h", nil, time.Now()); err != nil {
			t.Errorf("CreateUser(%q) beside its Unicode case pair: %v", name, err)
		}
	}
}
