package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The limits of the pool that NewPool opens, where the URL does not set
// them (each has a URL parameter of the same meaning, which wins: see
// NewPool).
//
// A request holds a connection only for one statement or one short
// transaction, a millisecond or so, so a few connections serve many
// concurrent requests; more than the database has cores to run them only
// queue inside the server, where each also costs a process and memory.
// PostgreSQL allows 100 connections by default, a few of them reserved:
// ten per instance leaves room for nine instances and the operator's own
// sessions. Raise max_connections, or lower pool_max_conns, for more.
const (
	// poolMaxConns is the most connections one process opens. Callers
	// beyond it wait for a free one, within their deadline.
	poolMaxConns = 10
	// poolMinIdleConns are kept open and idle, so that the first requests
	// after a quiet spell do not each pay for a new connection (a TCP and
	// perhaps TLS handshake, authentication, and a server process forked).
	poolMinIdleConns = 2
	// poolMaxConnLifetime retires connections, so that after a failover or
	// a change of DNS the pool moves to the new server, and the server's
	// per-connection caches cannot grow without bound; the jitter keeps the
	// pool from reconnecting all at once.
	poolMaxConnLifetime       = 30 * time.Minute
	poolMaxConnLifetimeJitter = 5 * time.Minute
	// poolMaxConnIdleTime closes connections a burst opened once it is
	// over, down to poolMinIdleConns.
	poolMaxConnIdleTime = 5 * time.Minute
	// poolHealthCheckPeriod is how often idle connections are checked and
	// the minimum refilled: after an outage, dead connections are dropped
	// and new ones made within this, without waiting for a request to trip
	// on them.
	poolHealthCheckPeriod = 15 * time.Second
	// poolPingTimeout bounds the ping of a connection idle for over a
	// second that the pool makes before handing it out: a dead one is
	// dropped in time for the caller to get another.
	poolPingTimeout = 2 * time.Second
	// connectTimeout bounds one connection attempt: a server that does not
	// answer at all must not hold the pool's dialling for longer.
	connectTimeout = 5 * time.Second
)

// serverSettings are set on every connection, for the server to enforce
// where the client cannot:
//
//   - statement_timeout ends a statement that runs (or waits for a lock)
//     longer than a call may take: once the caller has given up, its work
//     only holds locks others wait for.
//   - idle_in_transaction_session_timeout ends the session of a client that
//     stopped in the middle of a transaction (a frozen process, a cut
//     network), which would otherwise hold its row and advisory locks, and
//     so block every checkout of those products or every login of that
//     name, for as long as the connection lasts.
//   - application_name shows sesame's connections in pg_stat_activity.
//   - TimeZone UTC, so that anything the server renders of a time is in
//     UTC, as every time in the program is.
var serverSettings = map[string]string{
	"statement_timeout":                   "5s",
	"idle_in_transaction_session_timeout": "15s",
	"application_name":                    "sesame",
	"TimeZone":                            "UTC",
}

// poolParams are the URL parameters of the pool limits above, which
// NewPool applies when the URL does not give them.
var poolParams = map[string]func(c *pgxpool.Config){
	"pool_max_conns":                func(c *pgxpool.Config) { c.MaxConns = poolMaxConns },
	"pool_min_idle_conns":           func(c *pgxpool.Config) { c.MinIdleConns = poolMinIdleConns },
	"pool_max_conn_lifetime":        func(c *pgxpool.Config) { c.MaxConnLifetime = poolMaxConnLifetime },
	"pool_max_conn_lifetime_jitter": func(c *pgxpool.Config) { c.MaxConnLifetimeJitter = poolMaxConnLifetimeJitter },
	"pool_max_conn_idle_time":       func(c *pgxpool.Config) { c.MaxConnIdleTime = poolMaxConnIdleTime },
	"pool_health_check_period":      func(c *pgxpool.Config) { c.HealthCheckPeriod = poolHealthCheckPeriod },
	"pool_ping_timeout":             func(c *pgxpool.Config) { c.PingTimeout = poolPingTimeout },
	"connect_timeout":               func(c *pgxpool.Config) { c.ConnConfig.ConnectTimeout = connectTimeout },
}

// NewPool opens a pool on the database that rawURL names, a postgres:// or
// postgresql:// URL, with the limits above. A parameter of the URL wins
// over the default of the same name: pool_max_conns, pool_min_idle_conns,
// pool_max_conn_lifetime, pool_max_conn_lifetime_jitter,
// pool_max_conn_idle_time, pool_health_check_period, pool_ping_timeout,
// connect_timeout, and the server settings statement_timeout,
// idle_in_transaction_session_timeout, application_name and TimeZone. It
// connects lazily: the first call finds out whether the server answers.
func NewPool(ctx context.Context, rawURL string) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(rawURL)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pool, nil
}

// poolConfig parses rawURL and applies the defaults it does not override.
func poolConfig(rawURL string) (*pgxpool.Config, error) {
	if !strings.HasPrefix(rawURL, "postgres://") && !strings.HasPrefix(rawURL, "postgresql://") {
		return nil, fmt.Errorf("postgres: want a postgres:// or postgresql:// URL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's errors quote the input with its password redacted.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	given := u.Query()
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgconn redacts the password
	}
	for name, set := range poolParams {
		if !given.Has(name) {
			set(cfg)
		}
	}
	for name, value := range serverSettings {
		if !given.Has(name) {
			cfg.ConnConfig.RuntimeParams[name] = value
		}
	}
	return cfg, nil
}
