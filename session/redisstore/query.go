package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, id, userID string) (session.Session, error) {
	res, err := s.run(ctx, deleteScript, "s:"+id, id, userID)
	if err != nil {
		return session.Session{}, fmt.Errorf("redisstore: delete: %w", err)
	}
	if flat, ok := res.([]any); ok && len(flat) == 0 {
		return session.Session{}, session.ErrNotFound
	}
	r, err := decode(res)
	if err != nil {
		return session.Session{}, fmt.Errorf("redisstore: delete: %w", err)
	}
	return r.Session, nil
}

// DeleteByUser implements session.Store. The user's set holds every one
// of their sessions (each script that stores a session adds it there), so
// nothing escapes a revocation.
func (s *Store) DeleteByUser(ctx context.Context, userID, exceptID string) ([]session.Session, error) {
	res, err := s.run(ctx, delUserScript, "u:"+userID, userID, exceptID)
	if err == nil {
		var gone []session.Session
		if gone, err = decodeAll(res, 0); err == nil {
			return gone, nil
		}
	}
	return nil, fmt.Errorf("redisstore: delete by user: %w", err)
}

// List implements session.Store. The script walks the user's set, or
// everyone's, backwards from the key, skipping the dead, until it has the
// limit.
func (s *Store) List(ctx context.Context, q session.Query) ([]session.Session, error) {
	key := "all"
	if q.UserID != "" {
		key = "u:" + q.UserID
	}
	afterAt := "" // the start
	if !q.After.IsZero() {
		afterAt = ms(q.After.CreatedAt)
	}
	res, err := s.run(ctx, listScript, key, q.UserID, ms(q.Now), afterAt, q.After.ID, max(q.Limit, 0))
	if err == nil {
		var list []session.Session
		if list, err = decodeAll(res, 0); err == nil {
			return list, nil
		}
	}
	return nil, fmt.Errorf("redisstore: list: %w", err)
}

// Count implements session.Store: a range of the idle set, which Redis
// counts without reading the sessions.
func (s *Store) Count(ctx context.Context, now time.Time) (int, error) {
	n, err := s.client.ZCount(ctx, s.prefix+"idle", "("+ms(now), "+inf").Result()
	if err != nil {
		return 0, fmt.Errorf("redisstore: count: %w", err)
	}
	return int(n), nil
}

// DeleteExpired implements session.Store. Each script takes a batch of
// dead sessions off the idle set and removes them; a session is reported
// by the script that took it, so two sweeps at once (two processes)
// report each once. When a batch fails, the sessions removed by the ones
// before it are returned with the error.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) ([]session.Session, error) {
	var gone []session.Session
	for {
		res, err := s.run(ctx, expiredScript, "idle", ms(now), sweepBatch)
		if err != nil {
			return gone, fmt.Errorf("redisstore: delete expired: %w", err)
		}
		taken, err := code(res)
		if err == nil {
			var batch []session.Session
			if batch, err = decodeAll(res, 1); err == nil {
				gone = append(gone, batch...)
			}
		}
		if err != nil {
			return gone, fmt.Errorf("redisstore: delete expired: %w", err)
		}
		if taken < sweepBatch {
			return gone, nil
		}
	}
}
