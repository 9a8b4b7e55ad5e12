// Package memstore is a session.Store in process memory, for tests, demos and
// single-process programs that accept losing every session on restart.
package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sesamehq/sesame/session"
)

// Store keeps sessions in maps guarded by one mutex. The zero value is not
// usable; call New.
type Store struct {
	mu     sync.Mutex
	byHash map[session.Hash]session.Record
	byUser map[string]map[session.Hash]struct{}
	ids    map[string]session.Hash
}

var _ session.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		byHash: make(map[session.Hash]session.Record),
		byUser: make(map[string]map[session.Hash]struct{}),
		ids:    make(map[string]session.Hash),
	}
}

// Create implements session.Store.
func (s *Store) Create(_ context.Context, r session.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byHash[r.Hash]; ok {
		return fmt.Errorf("memstore: create: hash already exists")
	}
	if _, ok := s.ids[r.ID]; ok {
		return fmt.Errorf("memstore: create: id %q already exists", r.ID)
	}
	s.put(r)
	return nil
}

// Get implements session.Store.
func (s *Store) Get(_ context.Context, h session.Hash) (session.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byHash[h]
	if !ok {
		return session.Record{}, session.ErrNotFound
	}
	return r, nil
}

// Touch implements session.Store.
func (s *Store) Touch(_ context.Context, h session.Hash, lastSeen, idleExpiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byHash[h]
	if !ok {
		return session.ErrNotFound
	}
	r.LastSeenAt, r.IdleExpiresAt = lastSeen, idleExpiresAt
	s.byHash[h] = r
	return nil
}

// Rotate implements session.Store.
func (s *Store) Rotate(_ context.Context, old, new session.Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byHash[old]
	if !ok {
		return session.ErrNotFound
	}
	if _, taken := s.byHash[new]; taken {
		return fmt.Errorf("memstore: rotate: hash already exists")
	}
	s.remove(old)
	r.Hash = new
	s.put(r)
	return nil
}

// Delete implements session.Store.
func (s *Store) Delete(_ context.Context, h session.Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(h)
	return nil
}

// DeleteByID implements session.Store.
func (s *Store) DeleteByID(_ context.Context, userID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.ids[id]
	if !ok || s.byHash[h].UserID != userID {
		return session.ErrNotFound
	}
	s.remove(h)
	return nil
}

// ListByUser implements session.Store.
func (s *Store) ListByUser(_ context.Context, userID string) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]session.Session, 0, len(s.byUser[userID]))
	for h := range s.byUser[userID] {
		list = append(list, s.byHash[h].Session)
	}
	return list, nil
}

// DeleteByUser implements session.Store.
func (s *Store) DeleteByUser(_ context.Context, userID, exceptID string) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []session.Session
	for h := range s.byUser[userID] {
		if r := s.byHash[h]; exceptID == "" || r.ID != exceptID {
			s.remove(h)
			gone = append(gone, r.Session)
		}
	}
	return gone, nil
}

// DeleteExpired implements session.Store.
func (s *Store) DeleteExpired(_ context.Context, now time.Time) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []session.Session
	for h, r := range s.byHash {
		if r.Expired(now) {
			s.remove(h)
			gone = append(gone, r.Session)
		}
	}
	return gone, nil
}

func (s *Store) put(r session.Record) {
	s.byHash[r.Hash] = r
	s.ids[r.ID] = r.Hash
	if s.byUser[r.UserID] == nil {
		s.byUser[r.UserID] = make(map[session.Hash]struct{})
	}
	s.byUser[r.UserID][r.Hash] = struct{}{}
}

func (s *Store) remove(h session.Hash) {
	r, ok := s.byHash[h]
	if !ok {
		return
	}
	delete(s.byHash, h)
	delete(s.ids, r.ID)
	delete(s.byUser[r.UserID], h)
	if len(s.byUser[r.UserID]) == 0 {
		delete(s.byUser, r.UserID)
	}
}
