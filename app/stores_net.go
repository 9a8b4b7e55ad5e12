package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/postgres"
	"github.com/sesamehq/sesame/session"
	"github.com/sesamehq/sesame/session/pgstore"
	"github.com/sesamehq/sesame/session/redisstore"
)

// The stores over a network: PostgreSQL and Redis. Every call to them is
// bounded by storeOptions.timeout (the app data's by postgres.Options, the
// sessions' by boundedStore), so that one that does not answer costs a
// request a 503, not a hang.

// postgresData is the PostgreSQL app data, which keeps the sessions in the
// same database and pool when --sessions is not given: one process, one
// set of connections to it.
type postgresData struct {
	*postgres.DB
	timeout time.Duration
}

// SessionStore returns the sessions in the app data's pool, bounded.
func (d postgresData) SessionStore(ctx context.Context) (session.Store, error) {
	s, err := pgstore.New(ctx, d.Pool())
	if err != nil {
		return nil, err
	}
	return bounded(s, d.timeout), nil
}

func openPostgres(ctx context.Context, url string, o storeOptions) (Data, error) {
	db, err := postgres.Open(ctx, url, postgres.Options{CallTimeout: o.timeout})
	if err != nil {
		return nil, err
	}
	return postgresData{DB: db, timeout: o.timeout}, nil
}

// openPostgresSessions opens the sessions in a PostgreSQL database of their
// own, over a pool with the app data's limits (postgres.NewPool).
func openPostgresSessions(ctx context.Context, url string, o storeOptions) (session.Store, func() error, error) {
	pool, err := postgres.NewPool(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	s, err := pgstore.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return bounded(s, o.timeout), func() error { pool.Close(); return nil }, nil
}

// redisPrefixParam is the query parameter of a redis:// URL that names the
// key prefix of the sessions; without it they go under redisstore's
// default, "sesame:session:". Deployments (or tests) that share one Redis
// give each its own.
const redisPrefixParam = "prefix"

// openRedisSessions opens the sessions in the Redis that the redis:// or
// rediss:// (TLS) URL names, as redis.ParseURL reads it (a password, a
// database number, and its timeout and pool parameters), with the key
// prefix of its "prefix" parameter. Each call gives up at its context's
// deadline, which the bounded store sets. The server must answer now: a
// start, or a command, on a Redis that is down fails at once with a clear
// message, rather than serve nothing but 503s.
func openRedisSessions(ctx context.Context, rawURL string, o storeOptions) (session.Store, func() error, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--sessions: %w", err) // url redacts the password
	}
	q := u.Query()
	prefix := q.Get(redisPrefixParam)
	q.Del(redisPrefixParam)
	u.RawQuery = q.Encode()
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, nil, fmt.Errorf("--sessions %s: %w", u.Redacted(), err)
	}
	opts.ContextTimeoutEnabled = true
	quietRedis.Do(func() { redis.SetLogger(discardRedisLog{}) })
	client := redis.NewClient(opts)
	s, err := redisstore.New(client, redisstore.Options{Prefix: prefix})
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, o.timeout)
		err = s.Ping(ctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("--sessions %s: Redis does not answer: %w: %w", u.Redacted(), sesame.ErrUnavailable, err)
		}
	}
	if err != nil {
		return nil, nil, errors.Join(err, client.Close())
	}
	return bounded(s, o.timeout), client.Close, nil
}

// go-redis logs what goes wrong in its pool (each failed dial, say) on a
// logger of its own: plain lines on standard error, outside the program's
// log and its format, and many a second while Redis is down. Every such
// failure also comes back to the caller, and the front end logs it with
// the request it failed, so the library's copy is dropped. The logger is
// global to the library, hence set once.
var quietRedis sync.Once

type discardRedisLog struct{}

// Printf drops what go-redis would log.
func (discardRedisLog) Printf(context.Context, string, ...any) {}
