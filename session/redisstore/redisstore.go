// Package redisstore is a session.Store in Redis, through go-redis v9.
// Every process that uses the same Redis sees every change at once, and
// each call is one round trip: a Lua script, which Redis runs atomically,
// so that no other client ever sees a change half made.
//
// # Keys
//
// Every key begins with Options.Prefix, so that several deployments, or
// tests, can share one Redis:
//
//	<prefix>s:<id>          hash: the session, every field, Data as raw bytes
//	<prefix>t:<hex hash>    string: the session id, for its current token and
//	                        for the previous one while it is kept
//	<prefix>u:<user id>     sorted set: the user's session ids, by sign-in time
//	<prefix>all             sorted set: every session id, by sign-in time
//	<prefix>idle            sorted set: every session (id and user), by idle deadline
//
// Members with equal scores are ordered byte by byte, so that reading a
// set backwards gives List's order, sign-in time and then id, descending.
// The per-user set serves List for a user, DeleteByUser and the eviction
// of the least recently used; the idle set serves Count and DeleteExpired.
//
// # Expiry
//
// A session's keys expire by themselves (a TTL), but only Options.TTLMargin
// (one hour by default) after its idle deadline, which Touch and Rotate
// move with them. Until then DeleteExpired, which Manager.Cleanup runs
// every few minutes, finds the dead session in the idle set and removes
// and reports it, so that Config.OnEnd can record its end. The TTL is the
// safety net: when no sweep runs for longer than the margin, sessions
// vanish unreported, and the next sweep still clears what they left in
// the indexes. Other stale index entries are dropped where a script meets
// them. Keep the margin longer than the sweep interval. Expiry is set as
// an instant by Redis's clock: a skew of seconds between it and the
// program's is lost in the margin.
//
// # Deployment
//
// Revoking all of a user's sessions relies on the per-user set being
// complete, so the server must never evict keys by itself: run it with
// maxmemory-policy noeviction (the default). Without persistence a
// restarted server has forgotten every session, and everyone must sign in
// again; with asynchronous replication, a failover may lose the last
// writes, a revocation among them.
//
// A single server, or a primary with replicas under Sentinel, works as it
// is. On Redis Cluster every key must be in one slot: give the prefix a
// hash tag, such as "{sesame}:". The store needs Redis 7.0 or newer (it
// sets expiries with NX and GT).
//
// Connect through a URL with redis.ParseURL: "rediss://" turns on TLS,
// verifying the server's certificate for the URL's host name. Set
// ContextTimeoutEnabled in the options, so that a call gives up at its
// context's deadline rather than at the client's read timeout:
//
//	opts, err := redis.ParseURL("rediss://:password@cache.internal:6380/0")
//	…
//	opts.ContextTimeoutEnabled = true
//	store, err := redisstore.New(redis.NewClient(opts), redisstore.Options{Prefix: "myapp:session:"})
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/session"
)

// Options configure a Store. The zero value of each field means its
// default.
type Options struct {
	// Prefix begins the name of every key the store uses; default
	// "sesame:session:". Stores with different prefixes share nothing.
	Prefix string
	// TTLMargin is how long after its idle deadline a session's keys
	// expire by themselves; default one hour. DeleteExpired reports only
	// the sessions it finds before then.
	TTLMargin time.Duration
}

// Store is a session.Store over a go-redis client.
type Store struct {
	client redis.UniversalClient
	prefix string
	margin time.Duration
}

var (
	_ session.Store  = (*Store)(nil)
	_ session.Pinger = (*Store)(nil)
)

// errTaken refuses a hash or id that another session already has.
var errTaken = errors.New("redisstore: hash or id already exists")

// sweepBatch is the most dead sessions that one script of DeleteExpired
// removes: Redis runs one script at a time, so a long backlog is cleared
// in turns that let other clients in between.
const sweepBatch = 500

// New returns a Store over client. It sends nothing: call Ping to check
// that the server answers. The caller keeps client and closes it.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: no client")
	}
	if opts.TTLMargin < 0 {
		return nil, fmt.Errorf("redisstore: negative TTL margin %v", opts.TTLMargin)
	}
	if opts.Prefix == "" {
		opts.Prefix = "sesame:session:"
	}
	if opts.TTLMargin == 0 {
		opts.TTLMargin = time.Hour
	}
	return &Store{client: client, prefix: opts.Prefix, margin: opts.TTLMargin}, nil
}

// Ping checks that the server answers. It makes Store a session.Pinger,
// so that Manager.Ping covers Redis.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

// expiry is the instant, in Unix ms, when the keys of a session with the
// idle deadline idle expire by themselves.
func (s *Store) expiry(idle time.Time) string {
	return ms(idle.Add(s.margin))
}

// run runs sc with the store's prefix as its first argument. key is the
// main key the script touches: cluster clients send the script to its
// slot.
func (s *Store) run(ctx context.Context, sc *redis.Script, key string, args ...any) (any, error) {
	return sc.Run(ctx, s.client, []string{s.prefix + key}, append([]any{s.prefix}, args...)...).Result()
}

// Create implements session.Store. Counting the user's live sessions,
// evicting the least recently used and storing r are one script, so
// concurrent sign-ins of one user, from any process, cannot together
// leave more than limit alive.
func (s *Store) Create(ctx context.Context, r session.Record, limit int) ([]session.Session, error) {
	prev := ""
	if !r.PrevHash.IsZero() {
		prev = r.PrevHash.String()
	}
	res, err := s.run(ctx, createScript, "s:"+r.ID, append([]any{max(limit, 0), r.ID, r.UserID, r.Hash.String(), prev,
		ms(r.CreatedAt), ms(r.IdleExpiresAt), s.expiry(r.IdleExpiresAt)}, fields(r)...)...)
	if err != nil {
		return nil, fmt.Errorf("redisstore: create: %w", err)
	}
	switch c, err := code(res); {
	case err != nil:
		return nil, fmt.Errorf("redisstore: create: %w", err)
	case c == 1:
		return nil, errTaken
	}
	evicted, err := decodeAll(res, 1)
	if err != nil {
		return nil, fmt.Errorf("redisstore: create: %w", err)
	}
	return evicted, nil
}

// Get implements session.Store: one script looks the id up by the token
// and reads the session.
func (s *Store) Get(ctx context.Context, h session.Hash) (session.Record, error) {
	res, err := s.run(ctx, getScript, "t:"+h.String(), h.String())
	if err != nil {
		return session.Record{}, fmt.Errorf("redisstore: get: %w", err)
	}
	if flat, ok := res.([]any); ok && len(flat) == 0 {
		return session.Record{}, session.ErrNotFound
	}
	r, err := decode(res)
	if err != nil {
		return session.Record{}, fmt.Errorf("redisstore: get: %w", err)
	}
	return r, nil
}

// Touch implements session.Store; it moves the keys' expiry with the idle
// deadline.
func (s *Store) Touch(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	res, err := s.run(ctx, touchScript, "s:"+id, id, ms(lastSeen), ms(idleExpiresAt), s.expiry(idleExpiresAt))
	if err != nil {
		return fmt.Errorf("redisstore: touch: %w", err)
	}
	switch c, err := code(res); {
	case err != nil:
		return fmt.Errorf("redisstore: touch: %w", err)
	case c == 0:
		return session.ErrNotFound
	}
	return nil
}

// Rotate implements session.Store in one script: it checks the current
// hash, refuses a new hash that exists, and swaps the token keys, all at
// once.
func (s *Store) Rotate(ctx context.Context, id string, cur session.Hash, rn session.Renewal) error {
	curHex, prevHex := "", ""
	if !cur.IsZero() {
		curHex = cur.String()
	}
	if !rn.PrevHash.IsZero() {
		prevHex = rn.PrevHash.String()
	}
	set := []any{fPrevUntil, ms(rn.PrevValidUntil), fIssued, ms(rn.IssuedAt), fSeen, ms(rn.LastSeenAt),
		fIdle, ms(rn.IdleExpiresAt), fLastIP, rn.LastIP}
	if !rn.AuthenticatedAt.IsZero() {
		set = append(set, fAuth, ms(rn.AuthenticatedAt))
	}
	res, err := s.run(ctx, rotateScript, "s:"+id, append([]any{id, curHex, rn.Hash.String(), prevHex,
		ms(rn.IdleExpiresAt), s.expiry(rn.IdleExpiresAt)}, set...)...)
	if err != nil {
		return fmt.Errorf("redisstore: rotate: %w", err)
	}
	switch c, err := code(res); {
	case err != nil:
		return fmt.Errorf("redisstore: rotate: %w", err)
	case c == 1:
		return session.ErrNotFound
	case c == 2:
		return session.ErrConflict
	case c == 3:
		return fmt.Errorf("redisstore: rotate: %w", errTaken)
	}
	return nil
}
