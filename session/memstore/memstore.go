// Package memstore is a session.Store in process memory, for tests, demos and
// single-process programs that accept losing every session on restart.
package memstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Store keeps sessions in maps guarded by one mutex. The zero value is not
// usable; call New.
type Store struct {
	mu     sync.Mutex
	byID   map[string]*session.Record
	byHash map[session.Hash]string // current and previous hashes → id
	byUser map[string]map[string]struct{}
}

var _ session.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		byID:   make(map[string]*session.Record),
		byHash: make(map[session.Hash]string),
		byUser: make(map[string]map[string]struct{}),
	}
}

var errTaken = errors.New("memstore: hash or id already exists")

// Create implements session.Store.
func (s *Store) Create(_ context.Context, r session.Record, limit int) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byHash[r.Hash]; ok {
		return nil, errTaken
	}
	if _, ok := s.byID[r.ID]; ok {
		return nil, errTaken
	}
	var evicted []session.Session
	if limit > 0 {
		var live []*session.Record
		for id := range s.byUser[r.UserID] {
			if o := s.byID[id]; !o.Expired(r.CreatedAt) {
				live = append(live, o)
			}
		}
		slices.SortFunc(live, func(a, b *session.Record) int {
			return cmp.Or(a.LastSeenAt.Compare(b.LastSeenAt), cmp.Compare(a.ID, b.ID))
		})
		for _, o := range live[:max(0, len(live)+1-limit)] {
			evicted = append(evicted, copyOf(o).Session)
			s.remove(o.ID)
		}
	}
	r.Data = bytes.Clone(r.Data)
	s.byID[r.ID] = &r
	s.byHash[r.Hash] = r.ID
	if !r.PrevHash.IsZero() {
		s.byHash[r.PrevHash] = r.ID
	}
	if s.byUser[r.UserID] == nil {
		s.byUser[r.UserID] = make(map[string]struct{})
	}
	s.byUser[r.UserID][r.ID] = struct{}{}
	return evicted, nil
}

// Get implements session.Store.
func (s *Store) Get(_ context.Context, h session.Hash) (session.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byHash[h]
	if !ok {
		return session.Record{}, session.ErrNotFound
	}
	return copyOf(s.byID[id]), nil
}

// Touch implements session.Store.
func (s *Store) Touch(_ context.Context, id string, lastSeen, idleExpiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return session.ErrNotFound
	}
	r.LastSeenAt, r.IdleExpiresAt = lastSeen, idleExpiresAt
	return nil
}

// Rotate implements session.Store.
func (s *Store) Rotate(_ context.Context, id string, cur session.Hash, rn session.Renewal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	switch {
	case !ok:
		return session.ErrNotFound
	case !cur.IsZero() && r.Hash != cur:
		return session.ErrConflict
	}
	if _, taken := s.byHash[rn.Hash]; taken {
		return errTaken
	}
	s.unhash(r)
	r.Hash, r.PrevHash, r.PrevValidUntil = rn.Hash, rn.PrevHash, rn.PrevValidUntil
	r.TokenIssuedAt, r.LastSeenAt, r.IdleExpiresAt, r.LastIP = rn.IssuedAt, rn.LastSeenAt, rn.IdleExpiresAt, rn.LastIP
	if !rn.AuthenticatedAt.IsZero() {
		r.AuthenticatedAt = rn.AuthenticatedAt
	}
	s.byHash[r.Hash] = id
	if !r.PrevHash.IsZero() {
		s.byHash[r.PrevHash] = id
	}
	return nil
}

// Delete implements session.Store.
func (s *Store) Delete(_ context.Context, id, userID string) (session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok || userID != "" && r.UserID != userID {
		return session.Session{}, session.ErrNotFound
	}
	gone := copyOf(r).Session
	s.remove(id)
	return gone, nil
}

// DeleteByUser implements session.Store.
func (s *Store) DeleteByUser(_ context.Context, userID, exceptID string) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []session.Session
	for id := range s.byUser[userID] {
		if exceptID == "" || id != exceptID {
			gone = append(gone, copyOf(s.byID[id]).Session)
			s.remove(id)
		}
	}
	return gone, nil
}

// List implements session.Store.
func (s *Store) List(_ context.Context, q session.Query) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []session.Session
	add := func(r *session.Record) {
		k := session.KeyOf(r.Session)
		if !r.Expired(q.Now) && (q.After.IsZero() || q.After.Before(k)) {
			list = append(list, copyOf(r).Session)
		}
	}
	if q.UserID != "" {
		for id := range s.byUser[q.UserID] {
			add(s.byID[id])
		}
	} else {
		for _, r := range s.byID {
			add(r)
		}
	}
	slices.SortFunc(list, func(a, b session.Session) int {
		if session.KeyOf(a).Before(session.KeyOf(b)) {
			return -1
		}
		return 1
	})
	if q.Limit > 0 && len(list) > q.Limit {
		list = list[:q.Limit]
	}
	return list, nil
}

// Count implements session.Store.
func (s *Store) Count(_ context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.byID {
		if !r.Expired(now) {
			n++
		}
	}
	return n, nil
}

// DeleteExpired implements session.Store.
func (s *Store) DeleteExpired(_ context.Context, now time.Time) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []session.Session
	for id, r := range s.byID {
		if r.Expired(now) {
			gone = append(gone, copyOf(r).Session)
			s.remove(id)
		}
	}
	return gone, nil
}

// copyOf returns *r with a Data of its own, so that no caller can change
// what the store holds.
func copyOf(r *session.Record) session.Record {
	c := *r
	c.Data = bytes.Clone(r.Data)
	return c
}

func (s *Store) unhash(r *session.Record) {
	delete(s.byHash, r.Hash)
	if !r.PrevHash.IsZero() {
		delete(s.byHash, r.PrevHash)
	}
}

func (s *Store) remove(id string) {
	r, ok := s.byID[id]
	if !ok {
		return
	}
	s.unhash(r)
	delete(s.byID, id)
	delete(s.byUser[r.UserID], id)
	if len(s.byUser[r.UserID]) == 0 {
		delete(s.byUser, r.UserID)
	}
}
