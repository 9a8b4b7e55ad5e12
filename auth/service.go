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
	"github.com/sesamehq/sesame/internal/clip"
)

// Config is what a Service is built from. Store and Audit are required.
type Config struct {
	Store Store
	Audit *audit.Log
	// Params are the argon2id parameters of new hashes; zero means
	// DefaultParams.
	Params Params
	// Now is the clock; nil means time.Now. Tests inject one to walk
	// through the throttling schedule without sleeping.
	Now func() time.Time
	// Logger receives faults that must be seen but must not fail the
	// request, such as a failed rehash; nil means slog.Default().
	Logger *slog.Logger
	// LoginWait bounds a login's wait for its turn; zero means LoginWait.
	LoginWait time.Duration
}

// Service signs users in, checks and hashes passwords and authorizes
// actions. It is safe for concurrent use; all its state lives in the
// Store, so several processes on one database share throttling and see
// each other's changes. Build it with New.
type Service struct {
	store  Store
	log    *audit.Log
	params Params
	now    func() time.Time
	logger *slog.Logger
	// dummyHash is verified against when the username is unknown, so that
	// an unknown user costs one argon2 computation like a known one and the
	// response time does not tell which usernames exist.
	dummyHash string
	// hashing bounds the argon2 computations in flight, one per CPU. Each
	// holds Params.Memory while it runs (19 MiB by default) and anyone may
	// send a login, so without a bound a burst of them from many addresses
	// could take memory without limit. Past the bound they wait their turn,
	// which costs only time, and give up when their request does.
	hashing chan struct{}
	// attempts queues one user's concurrent attempts in this process.
	attempts keyLock
	// loginWait bounds how long Login waits for its turns (the user's
	// queue, then a hash).
	loginWait time.Duration
}

// LoginWait is the longest a login waits for its turn, behind the same
// user's other attempts and then for a free password hash. Past it the
// login answers sesame.ErrUnavailable (503: try again shortly) well before
// the HTTP server's write timeout would cut the connection; without the
// bound a burst of logins larger than the hashes can serve would keep the
// server hashing passwords for clients that had long been disconnected.
const LoginWait = 20 * time.Second

// New returns the Service of cfg. It computes one hash at start (the dummy
// that unknown usernames are checked against), so bad Params fail here and
// not at the first login.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil {
		return nil, errors.New("auth: Config.Store and Config.Audit are required")
	}
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	dummy, err := cfg.Params.Hash(rand.Text())
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	s := &Service{store: cfg.Store, log: cfg.Audit, params: cfg.Params, now: cfg.Now, logger: cfg.Logger,
		dummyHash: dummy, hashing: make(chan struct{}, runtime.GOMAXPROCS(0)), loginWait: LoginWait}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if cfg.LoginWait > 0 {
		s.loginWait = cfg.LoginWait
	}
	return s, nil
}

// waitError is the error of a login that gave up waiting for a turn:
// ctx's own when the request ended, else ErrUnavailable, for a server that
// has more logins at once than it can hash within loginWait.
func (s *Service) waitError(ctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("auth: login: %w: no turn at the password hash within %v", sesame.ErrUnavailable, s.loginWait)
	}
	return fmt.Errorf("auth: login: %w", err)
}

// hashSlot waits for a turn to run argon2 and returns the function that
// ends it, or ctx's error if the request ends first. A free turn is taken
// even when ctx's deadline has passed: the bound is on waiting, and a
// login that spent its time in the user's queue or the store has not
// waited for a hash. A request that has ended gets none.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	if !errors.Is(ctx.Err(), context.Canceled) {
		select {
		case s.hashing <- struct{}{}:
			return func() { <-s.hashing }, nil
		default:
		}
	}
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

// Login checks username and password for a client at
// sesame.ActorFrom(ctx).IP and returns the user they identify.
//
// Its answers, in order:
//   - *sesame.RateLimitError when the address or the username is throttled
//     (see UserFreeFailures and IPMaxFailures); nothing is checked or
//     counted. Every attempt is counted before its password is checked, in
//     one atomic step with the throttle check (Store.BeginAttempt), so a
//     parallel burst cannot slip past the limits, on one instance or
//     across many. One user's attempts queue in this process (keyLock),
//     so that their own sign-ins in flight do not lock them out. An IPv6
//     address counts as its /64 (see ThrottleAddr).
//   - sesame.ErrBadCredentials, the very same value, for an unknown user, an
//     impossible username, a wrong password and a disabled account, after
//     the same argon2 work, so neither the answer nor its timing tells
//     whether a name exists or is disabled. The failure stays counted and
//     is audited (with UserID when the user exists, so that they see it in
//     their own trail).
//   - the user (without its PasswordHash) on success. Their failures are
//     forgotten, the sign-in time recorded and an outdated hash replaced.
//     The success is not audited here: the caller records it once the
//     session exists, so that the event carries the new session's id.
//
// A storage fault is returned as an error: throttling that cannot be read
// or counted fails closed.
func (s *Service) Login(ctx context.Context, username, password string) (*sesame.User, error) {
	// The waits for turns end at loginWait; the store calls run under ctx
	// alone, so that a step once begun is finished.
	wait, cancel := context.WithTimeout(ctx, s.loginWait)
	defer cancel()
	unlock, err := s.attempts.lock(wait, throttleKey(username))
	if err != nil { // gave up waiting: nothing was checked nor counted
		return nil, s.waitError(ctx, err)
	}
	defer unlock()
	attempt, now, err := s.begin(ctx, username)
	if err != nil {
		return nil, err
	}
	var user *sesame.User
	if username != "" && len(username) <= clip.Username {
		u, err := s.store.UserByUsername(ctx, username)
		switch {
		case err == nil:
			user = u
		case !errors.Is(err, sesame.ErrNotFound):
			return nil, fmt.Errorf("auth: login: %w", err)
		}
	}
	ok, rehash, err := s.verify(wait, user, password)
	if err != nil { // gave up waiting for a hash: the attempt stays counted
		return nil, s.waitError(ctx, err)
	}
	if !ok || user.Disabled {
		e := sesame.Event{Action: sesame.ActionLogin, Outcome: sesame.OutcomeFailure,
			Username: clip.String(username, clip.Username)}
		if user != nil {
			e.UserID = user.ID
			if ok {
				e.Detail = "account disabled"
			}
		}
		s.log.Record(ctx, e)
		return nil, sesame.ErrBadCredentials
	}
	if err := s.store.SucceedAttempt(ctx, attempt); err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if err := s.store.SetLastLogin(ctx, user.ID, now); err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if rehash {
		s.rehash(ctx, user.ID, password)
	}
	user.PasswordHash = ""
	user.LastLoginAt = now.UTC().Truncate(time.Millisecond)
	return user, nil
}

// CheckPassword checks password against the stored password of the
// signed-in actor, who must prove they are really the user (a stolen
// session alone must not be enough) before a sensitive change. It is
// throttled and counted exactly like a login for the user's name and the
// actor's address: otherwise a stolen session would be an unthrottled
// oracle for guessing the password. A wrong password is
// sesame.ErrBadCredentials, recorded as a failure of action with detail.
// A blank password is an *sesame.InvalidError for field: a form left empty,
// not a guess, so it is neither checked nor counted.
func (s *Service) CheckPassword(ctx context.Context, field, password string, action sesame.Action, detail string) error {
	a := sesame.ActorFrom(ctx)
	if a.User == nil {
		return sesame.ErrUnauthenticated
	}
	if password == "" {
		s.log.Record(ctx, sesame.Event{Action: action, Outcome: sesame.OutcomeFailure, Detail: "password left blank"})
		return sesame.Invalid(field, "is required")
	}
	unlock, err := s.attempts.lock(ctx, throttleKey(a.User.Username))
	if err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	defer unlock()
	attempt, _, err := s.begin(ctx, a.User.Username)
	if err != nil {
		return err
	}
	// The actor's copy of the user holds no hash; read the stored one.
	user, err := s.store.UserByID(ctx, a.User.ID)
	if err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	ok, _, err := s.verify(ctx, user, password)
	if err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	if !ok {
		s.log.Record(ctx, sesame.Event{Action: action, Outcome: sesame.OutcomeFailure, Detail: detail})
		return sesame.ErrBadCredentials
	}
	if err := s.store.SucceedAttempt(ctx, attempt); err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	return nil
}

// begin starts an attempt for username from the actor's address: it
// refuses it with a *sesame.RateLimitError when throttled, and otherwise
// counts it (see Store.BeginAttempt). It returns the attempt's time too.
func (s *Service) begin(ctx context.Context, username string) (Attempt, time.Time, error) {
	return s.beginKey(ctx, throttleKey(username))
}

// beginKey is begin for a throttle key made already.
func (s *Service) beginKey(ctx context.Context, key string) (Attempt, time.Time, error) {
	ip := ThrottleAddr(sesame.ActorFrom(ctx).IP)
	now := s.now()
	a, err := s.store.BeginAttempt(ctx, key, ip, now, now.Add(-IPWindow), func(f Failures) error {
		if wait := retryAfter(f, now); wait > 0 {
			return &sesame.RateLimitError{RetryAfter: wait}
		}
		return nil
	})
	var limited *sesame.RateLimitError
	switch {
	case errors.As(err, &limited):
		return Attempt{}, now, limited
	case err != nil:
		return Attempt{}, now, fmt.Errorf("auth: throttle: %w", err)
	}
	return a, now, nil
}

// NewPasswordHash applies the password policy (CheckNewPassword) to next,
// a password about to be set for field, and returns its hash. When current
// is not "", next must also differ from it. A refusal is a
// *sesame.InvalidError for field that says why.
func (s *Service) NewPasswordHash(ctx context.Context, field, next, current string) (string, error) {
	if why := PasswordRefusal(next, current); why != "" {
		return "", sesame.Invalid(field, why)
	}
	h, err := s.hash(ctx, next)
	if err != nil {
		return "", fmt.Errorf("auth: hash new password: %w", err)
	}
	return h, nil
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
		s.logger.ErrorContext(ctx, "auth: stored password hash unusable",
			slog.Int64("user_id", user.ID), slog.Any("err", err))
		// Spend the work the malformed hash did not, to keep timing even.
		_, _, _ = s.params.Verify(s.dummyHash, password)
		return false, false, nil
	}
	return ok, rehash, nil
}

// PruneLoginFailures deletes the throttle state that can no longer matter,
// at the service's clock, and returns how many rows went: address failures
// that have left the window (IPWindow) and the counters of usernames
// without a failure for UserForgetAfter. The store keeps a row for every
// failed login and every name tried, so without this they would pile up
// for ever, an attacker spraying invented names adding a row a guess. The
// app runs it from its periodic cleanup; it is safe beside logins, in any
// process: no check counts what it deletes, except a day-old run of name
// failures, which is meant to end.
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
		err = s.store.RehashPassword(ctx, id, h)
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "auth: password rehash failed",
			slog.Int64("user_id", id), slog.Any("err", err))
	}
}

// User returns the user with id, with roles and permissions but without its
// PasswordHash, or an error matching sesame.ErrNotFound.
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
// signed in (and no operator acts), a *sesame.PermissionError naming p (it
// matches sesame.ErrForbidden) when the user lacks p, and nil otherwise.
// Every refusal of a signed-in user is audited as access.denied, as
// CONTRACT §3 requires of every 403.
func (s *Service) Authorize(ctx context.Context, p sesame.Permission) error {
	a := sesame.ActorFrom(ctx)
	switch {
	case a.Can(p):
		return nil
	case a.User == nil:
		return sesame.ErrUnauthenticated
	}
	s.log.Record(ctx, sesame.Event{
		Action:  sesame.ActionAccessDenied,
		Outcome: sesame.OutcomeDenied,
		Detail:  string(p),
	})
	return &sesame.PermissionError{Permission: p}
}

// SignedIn records that user id signed in now without a password (with a
// passkey, which needs no throttling: it cannot be guessed) and returns
// the time recorded, as Login records a password's success.
func (s *Service) SignedIn(ctx context.Context, id int64) (time.Time, error) {
	now := s.now()
	if err := s.store.SetLastLogin(ctx, id, now); err != nil {
		return time.Time{}, fmt.Errorf("auth: record sign-in: %w", err)
	}
	return now.UTC().Truncate(time.Millisecond), nil
}
