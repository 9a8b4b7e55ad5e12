// Package session manages server-side login sessions for net/http programs.
//
// A session is identified by a 256-bit random token that travels only in a
// cookie. Stores never see the token: they key sessions by its SHA-256 Hash,
// so a leaked database cannot be replayed as cookies. Every session also has a
// public ID, a separate random value that may be shown in lists, logs and
// URLs because it cannot be used to authenticate.
//
// The Manager enforces an idle timeout and an absolute lifetime on the server
// whatever the cookie says, issues a new token on every Login and Renew (so a
// token planted before sign-in, or seen before a privilege change, is dead),
// and revokes sessions one by one or per user. It keeps no cache: every
// request reads the store, so a session revoked by another process is dead on
// the next request everywhere. To keep that read cheap, the last-seen time is
// written at most once per Config.TouchInterval.
//
// The package knows nothing of users beyond an opaque user id string, and
// nothing of any application; sessions carry no data bag. Stores live in
// sub-packages (memstore, sqlitestore, …) so that their drivers stay out of
// programs that do not use them, and every store passes the same conformance
// suite in storetest.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// ErrNotFound says that no such session exists. Stores return it, and so
// does the Manager: Revoke for an id that names none of the user's
// sessions, Renew for a request without a session or whose session ended
// meanwhile. The Manager wraps it; test for it with errors.Is.
var ErrNotFound = errors.New("session: not found")

// Session is what may be known about a session without holding it: nothing
// here authenticates.
type Session struct {
	ID            string    // public id, safe to show; not a credential
	UserID        string    // whose session it is
	CreatedAt     time.Time // sign-in time
	LastSeenAt    time.Time // last recorded use, at most TouchInterval stale
	IdleExpiresAt time.Time // dead from this time on unless used before
	ExpiresAt     time.Time // dead from this time on, however active
	IP            string    // client address at sign-in
	UserAgent     string    // client's User-Agent at sign-in
}

// Expired reports whether s is dead at time now, by either deadline.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt)
}

// Hash is the SHA-256 of a session token: the only form of it a store keeps.
type Hash [sha256.Size]byte

// String returns h in hex, for stores that key by strings.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Record is a session as a store keeps it.
type Record struct {
	Hash Hash
	Session
}

// Store keeps sessions. Implementations must be safe for concurrent use and,
// when shared by several processes, make every write visible to all of them
// at once: the Manager caches nothing.
//
// Times must come back as they were stored to at least the millisecond, so
// that deadlines stay where the Manager put them; finer precision may be
// dropped. Package storetest checks them to the millisecond.
//
// Stores need not check expiry; the Manager does. The Manager never sets
// IdleExpiresAt after ExpiresAt, so a store may find dead sessions by
// IdleExpiresAt alone. A store may drop dead records by itself (a Redis TTL,
// say), but cannot report those, so Config.OnExpire never sees them; the
// rest it must remove in DeleteExpired.
//
// A store that can tell whether it is reachable also implements Pinger.
// Package storetest checks a store against this whole contract.
type Store interface {
	// Create stores a new record. A Hash or ID that already exists is an
	// error.
	Create(ctx context.Context, r Record) error
	// Get returns the record with hash h, or ErrNotFound.
	Get(ctx context.Context, h Hash) (Record, error)
	// Touch records use of the session at lastSeen, moving its idle deadline
	// to idleExpiresAt; ErrNotFound when it no longer exists.
	Touch(ctx context.Context, h Hash, lastSeen, idleExpiresAt time.Time) error
	// Rotate gives the session with hash old the hash new, atomically: no
	// moment exists in which both or neither work. ErrNotFound when old does
	// not exist; an error, changing nothing, when another session has new.
	Rotate(ctx context.Context, old, new Hash) error
	// Delete removes the session with hash h; removing a missing one is not
	// an error.
	Delete(ctx context.Context, h Hash) error
	// DeleteByID removes the session with public id id if it belongs to
	// userID, else returns ErrNotFound and removes nothing.
	DeleteByID(ctx context.Context, userID, id string) error
	// ListByUser returns the sessions of userID, in any order.
	ListByUser(ctx context.Context, userID string) ([]Session, error)
	// DeleteByUser removes every session of userID except the one with
	// public id exceptID ("" spares none) and returns those it removed.
	DeleteByUser(ctx context.Context, userID, exceptID string) ([]Session, error)
	// DeleteExpired removes every session dead at now and returns those it
	// removed, each once, so that their end can be recorded.
	DeleteExpired(ctx context.Context, now time.Time) ([]Session, error)
}

// Pinger is the optional method of a Store that can tell whether it is
// reachable, such as one over a database connection. Manager.Ping calls it,
// so that a readiness check covers the session store.
type Pinger interface {
	// Ping returns an error when the store cannot be reached.
	Ping(ctx context.Context) error
}

// tokenBytes is the entropy of a session token: 256 bits, twice what OWASP
// asks, so that guessing is hopeless even across many sessions.
const tokenBytes = 32

// encoding of tokens and public ids: URL- and cookie-safe, no padding.
var encoding = base64.RawURLEncoding.Strict()

// newToken returns a fresh token for the cookie and the hash a store keeps.
func newToken() (string, Hash) {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails; crashes the program rather than return weak bytes
	return encoding.EncodeToString(b), sha256.Sum256(b)
}

// hashToken returns the hash of a token read from a cookie, or false when the
// value cannot be a token we issued.
func hashToken(token string) (Hash, bool) {
	if len(token) != encoding.EncodedLen(tokenBytes) {
		return Hash{}, false
	}
	b, err := encoding.DecodeString(token)
	if err != nil {
		return Hash{}, false
	}
	return sha256.Sum256(b), true
}

// newID returns a public session id: 128 random bits, unrelated to the token.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return encoding.EncodeToString(b)
}
