// Package auth signs users in and decides what they may do: argon2id
// password hashing with rehash on login, the password policy for new
// passwords, login throttling, and Authorize, the one authorization check
// that every handler and service asks (CONTRACT §3, §6).
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/sesamehq/sesame"
	"github.com/sesamehq/sesame/audit"
)

// Service signs users in, changes passwords and authorizes actions. It is
// safe for concurrent use; all its state lives in the Store, so several
// processes on one database share throttling and see each other's changes.
type Service struct {
	// Now returns the current time; nil means time.Now. Tests inject a clock
	// to walk through the throttling schedule without sleeping.
	Now func() time.Time
	// Logger receives faults that must be seen but must not fail the
	// request, such as a failed rehash; nil means slog.Default().
	Logger *slog.Logger

	store  Store
	log    *audit.Log
	params Params
	// dummyHash is verified against when the username is unknown, so that
	// an unknown user costs one argon2 computation like a known one and the
	// response time does not tell which usernames exist.
	dummyHash string
	// attempts serializes attempts per username and per address.
	attempts keyLock
	// hashing bounds the argon2 computations in flight, one per CPU. Each
	// holds Params.Memory while it runs (19 MiB by default) and anyone may
	// send a login, so without a bound a burst of them from many addresses
	// could take memory without limit. Past the bound they wait their turn,
	// which costs only time, and give up when their request does.
	hashing chan struct{}
}

// New returns a Service over store that audits to log and hashes new
// passwords with params. It computes one hash at start (the dummy that
// unknown usernames are checked against), so bad params fail here and not at
// the first login.
func New(store Store, log *audit.Log, params Params) (*Service, error) {
	if store == nil || log == nil {
		return nil, errors.New("auth: New needs a store and an audit log")
	}
	dummy, err := params.Hash(rand.Text())
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	return &Service{store: store, log: log, params: params, dummyHash: dummy,
		hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// hashSlot waits for a turn to run argon2 and returns the function that
// ends it, or ctx's error if the request ends first.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash hashes password under s.params, in its turn.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return s.params.Hash(password)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Login checks username and password for a client at
// sesame.ActorFrom(ctx).IP and returns the user they identify.
//
// Its answers, in order:
//   - *sesame.RateLimitError when the address or the username is throttled
//     (see UserFreeFailures and IPMaxFailures); nothing is checked or
//     counted. Attempts for one username or from one address run one at a
//     time in this process, so a parallel burst cannot slip past the check.
//     An IPv6 address counts, and locks, as its /64 (see ThrottleAddr).
//   - sesame.ErrBadCredentials, the very same value, for an unknown user, an
//     impossible username and a wrong password, after the same argon2 work,
//     so neither the answer nor its timing tells whether a name exists. The
//     failure is counted and audited (with UserID when the user exists, so
//     that they see it in their own trail).
//   - the user (without its PasswordHash) on success. Their failures are
//     forgotten and an outdated hash is replaced. The success is not audited
//     here: the HTTP layer records it once the session exists, so that the
//     event carries the new session's id.
//
// A storage fault is returned as an error: throttling that cannot be read
// or counted fails closed.
func (s *Service) Login(ctx context.Context, username, password string) (*sesame.User, error) {
	ip := ThrottleAddr(sesame.ActorFrom(ctx).IP)
	key := throttleKey(username)
	unlock, err := s.attempts.lockAttempt(ctx, key, ip)
	if err != nil { // the request ended while waiting: nothing was checked
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	defer unlock()
	now := s.now() // after waiting for the lock
	if err := s.checkThrottle(ctx, key, ip, now); err != nil {
		return nil, err
	}

	var user *sesame.User
	if username != "" && len(username) <= maxUsernameLen {
		u, err := s.store.UserByUsername(ctx, username)
		switch {
		case err == nil:
			user = u
		case !errors.Is(err, sesame.ErrNotFound):
			return nil, fmt.Errorf("auth: login: %w", err)
		}
	}
	ok, rehash, err := s.verify(ctx, user, password)
	if err != nil { // the request ended while waiting: nothing was checked
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if !ok {
		var userID int64
		if user != nil {
			userID = user.ID
		}
		err := s.countFailure(ctx, sesame.Event{
			Action:   sesame.ActionLogin,
			Outcome:  sesame.OutcomeFailure,
			UserID:   userID,
			Username: sesame.Clip(username, maxUsernameLen),
		}, key, ip, now)
		if err != nil {
			return nil, err
		}
		return nil, sesame.ErrBadCredentials
	}

	if err := s.store.ResetLoginFailures(ctx, key); err != nil {
		return nil, fmt.Errorf("auth: login: reset failures: %w", err)
	}
	if rehash {
		s.rehash(ctx, user.ID, password)
	}
	user.PasswordHash = ""
	return user, nil
}

// checkThrottle refuses with a *sesame.RateLimitError when the counters of
// key and ip say so, counting the failures of ip in the window that ends at
// now.
func (s *Service) checkThrottle(ctx context.Context, key, ip string, now time.Time) error {
	t, err := s.store.LoginFailures(ctx, key, ip, now.Add(-IPWindow))
	if err != nil {
		return fmt.Errorf("auth: read throttle: %w", err)
	}
	if wait := retryAfter(t, now); wait > 0 {
		return &sesame.RateLimitError{RetryAfter: wait}
	}
	return nil
}

// verify checks password against user's hash, or against the dummy hash
// when user is nil, spending the same work either way. A stored hash that
// cannot be read is logged and answered as a wrong password: the account is
// broken, but saying so differently would reveal that it exists.
//
// It waits for a hashing turn first, and returns ctx's error if the request
// ends before one comes: then nothing was checked.
func (s *Service) verify(ctx context.Context, user *sesame.User, password string) (ok, rehash bool, err error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	if user == nil {
		_, _, _ = s.params.Verify(s.dummyHash, password)
		return false, false, nil
	}
	ok, rehash, err = s.params.Verify(user.PasswordHash, password)
	if err != nil {
		s.logger().ErrorContext(ctx, "auth: stored password hash unusable",
			slog.Int64("user_id", user.ID), slog.Any("err", err))
		// Spend the work the malformed hash did not, to keep timing even.
		_, _, _ = s.params.Verify(s.dummyHash, password)
		return false, false, nil
	}
	return ok, rehash, nil
}

// countFailure counts one failure for key and ip and records e. It returns
// an error only when the failure could not be counted: the caller must then
// fail closed, since an uncounted failure is a free guess.
func (s *Service) countFailure(ctx context.Context, e sesame.Event, key, ip string, now time.Time) error {
	err := s.store.RecordLoginFailure(ctx, key, ip, now)
	s.log.Record(ctx, e)
	if err != nil {
		return fmt.Errorf("auth: count failure: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the throttle state that can no longer matter,
// at s.Now, and returns how many rows went: address failures that have left
// the window (IPWindow) and the counters of usernames without a failure for
// UserForgetAfter. The store keeps a row for every failed login and every
// name tried, so without this they would pile up for ever, an attacker
// spraying invented names adding a row a guess. The app runs it from its
// periodic cleanup; it is safe beside logins, in any process: no check
// counts what it deletes, except a day-old run of name failures, which is
// meant to end.
func (s *Service) PruneLoginFailures(ctx context.Context) (int, error) {
	now := s.now()
	n, err := s.store.ForgetLoginFailures(ctx, now.Add(-IPWindow), now.Add(-UserForgetAfter))
	if err != nil {
		return 0, fmt.Errorf("auth: prune login failures: %w", err)
	}
	return n, nil
}

// rehash stores a fresh hash of password under s.params for user id. It is
// best effort: the user has proved who they are, and failing their login
// because an upgrade could not be written would punish them for our fault.
func (s *Service) rehash(ctx context.Context, id int64, password string) {
	h, err := s.hash(ctx, password)
	if err == nil {
		err = s.store.SetPasswordHash(ctx, id, h)
	}
	if err != nil {
		s.logger().ErrorContext(ctx, "auth: password rehash failed",
			slog.Int64("user_id", id), slog.Any("err", err))
	}
}

// User returns the user with id, with roles and permissions but without its
// PasswordHash, or an error matching sesame.ErrNotFound. The HTTP layer
// calls it on every request to load the signed-in user, so that a role
// change or a deleted account takes effect at the next request.
func (s *Service) User(ctx context.Context, id int64) (*sesame.User, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("auth: user %d: %w", id, err)
	}
	u.PasswordHash = ""
	return u, nil
}

// Authorize is the one authorization check: every handler and service asks
// it before acting. It returns sesame.ErrUnauthenticated when no user is
// signed in, a *sesame.PermissionError naming p (it matches
// sesame.ErrForbidden) when the user lacks p, and nil otherwise. Every
// refusal of a signed-in user is audited as access.denied, as CONTRACT §3
// requires of every 403.
func (s *Service) Authorize(ctx context.Context, p sesame.Permission) error {
	u := sesame.ActorFrom(ctx).User
	if u == nil {
		return sesame.ErrUnauthenticated
	}
	if !u.Can(p) {
		s.log.Record(ctx, sesame.Event{
			Action:  sesame.ActionAccessDenied,
			Outcome: sesame.OutcomeDenied,
			Detail:  string(p),
		})
		return &sesame.PermissionError{Permission: p}
	}
	return nil
}
