package app

import (
	"context"
	"time"

	"github.com/sesamehq/sesame/session"
)

// boundedStore is a session store each of whose calls gives up after a
// timeout, on top of the caller's own deadline: the session Manager passes
// the request's context, which has none, so a Redis or PostgreSQL that
// accepts connections but does not answer would otherwise hold every
// request until the client gave up. With the bound the request answers
// 503, and the next one tries again.
type boundedStore struct {
	s       session.Store
	timeout time.Duration
}

var (
	_ session.Store  = boundedStore{}
	_ session.Pinger = boundedStore{}
)

// bounded returns s with every call bounded by timeout.
func bounded(s session.Store, timeout time.Duration) session.Store {
	return boundedStore{s: s, timeout: timeout}
}

func (b boundedStore) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.timeout)
}

// Create implements session.Store, bounded.
func (b boundedStore) Create(ctx context.Context, r session.Record, limit int) ([]session.Session, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Create(ctx, r, limit)
}

// Get implements session.Store, bounded.
func (b boundedStore) Get(ctx context.Context, h session.Hash) (session.Record, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Get(ctx, h)
}

// Touch implements session.Store, bounded.
func (b boundedStore) Touch(ctx context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Touch(ctx, id, lastSeen, idleExpiresAt)
}

// Rotate implements session.Store, bounded.
func (b boundedStore) Rotate(ctx context.Context, id string, cur session.Hash, rn session.Renewal) error {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Rotate(ctx, id, cur, rn)
}

// Delete implements session.Store, bounded.
func (b boundedStore) Delete(ctx context.Context, id, userID string) (session.Session, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Delete(ctx, id, userID)
}

// DeleteByUser implements session.Store, bounded.
func (b boundedStore) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.DeleteByUser(ctx, userID, exceptID)
}

// List implements session.Store, bounded.
func (b boundedStore) List(ctx context.Context, q session.Query) ([]session.Session, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.List(ctx, q)
}

// Count implements session.Store, bounded.
func (b boundedStore) Count(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.Count(ctx, now)
}

// DeleteExpired implements session.Store, bounded.
func (b boundedStore) DeleteExpired(ctx context.Context, now time.Time) ([]session.Session, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return b.s.DeleteExpired(ctx, now)
}

// Ping pings the store when it can tell whether it is reachable, and
// otherwise reports nothing wrong, as Manager.Ping does for such a store.
func (b boundedStore) Ping(ctx context.Context) error {
	p, ok := b.s.(session.Pinger)
	if !ok {
		return nil
	}
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	return p.Ping(ctx)
}
